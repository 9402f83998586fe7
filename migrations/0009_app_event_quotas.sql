-- Up Migration

-- Per-app event quotas (issue #17): an app may post at most max_events_per_second events; null means no limit of its
-- own (APP_MAX_EVENTS_PER_SECOND, when set, applies then).
ALTER TABLE apps ADD COLUMN max_events_per_second integer CHECK (max_events_per_second > 0);

-- One token bucket per quota'd app, shared by every API process: it holds up to max_events_per_second tokens, refills
-- at that rate, and each accepted event takes one (src/db/queries/event-quotas.ts, one statement per event).
-- `granted` is the outcome of the last take, so that one statement can both update and report it. UNLOGGED: a take
-- writes no WAL (it is the one write a quota'd event adds); after a crash the table is empty, which only refills
-- every bucket.
CREATE UNLOGGED TABLE app_event_buckets (
  app_id      text PRIMARY KEY REFERENCES apps (id) ON DELETE CASCADE,
  tokens      double precision NOT NULL,
  refilled_at timestamptz NOT NULL,
  granted     boolean NOT NULL
);

-- Down Migration

DROP TABLE app_event_buckets;
ALTER TABLE apps DROP COLUMN max_events_per_second;
