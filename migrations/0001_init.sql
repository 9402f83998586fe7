-- Up Migration

CREATE TABLE apps (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  -- Which user data the app's webhooks may carry; each false turns that payload field into null.
  privacy     jsonb NOT NULL DEFAULT '{"share_user_email": true, "share_user_name": true, "share_messages": true}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhooks (
  id               text PRIMARY KEY,
  app_id           text NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  url              text NOT NULL,
  description      text,
  events           text[] NOT NULL CHECK (cardinality(events) > 0),
  -- AES-256-GCM under SECRETS_KEY: a database dump does not reveal signing secrets.
  secret_encrypted text NOT NULL,
  enabled          boolean NOT NULL DEFAULT true,
  disabled_reason  text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_app_id_idx ON webhooks (app_id, created_at, id);

-- Every accepted event, kept beyond Temporal's retention so that a repeated event id is still a duplicate.
CREATE TABLE events (
  app_id          text NOT NULL,
  event_id        text NOT NULL,
  type            text NOT NULL,
  conversation_id text,
  workflow_id     text NOT NULL,
  received_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (app_id, event_id)
);

-- The delivery log. No foreign keys to apps or webhooks: the log outlives the settings it was sent under.
CREATE TABLE deliveries (
  id              text PRIMARY KEY,
  app_id          text NOT NULL,
  webhook_id      text NOT NULL,
  event_id        text NOT NULL,
  event_type      text NOT NULL,
  conversation_id text,
  workflow_id     text NOT NULL,
  -- The exact bytes that were signed and sent, so a replay sends the same body.
  payload         text NOT NULL,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed', 'skipped')),
  attempt_count   integer NOT NULL DEFAULT 0,
  last_status_code integer,
  last_error      text,
  next_attempt_at timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  completed_at    timestamptz,
  UNIQUE (app_id, event_id, webhook_id)
);
CREATE INDEX deliveries_app_created_idx ON deliveries (app_id, created_at DESC, id DESC);
CREATE INDEX deliveries_webhook_created_idx ON deliveries (webhook_id, created_at DESC);

CREATE TABLE delivery_attempts (
  delivery_id      text NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  attempt          integer NOT NULL CHECK (attempt > 0),
  started_at       timestamptz NOT NULL,
  duration_ms      integer NOT NULL,
  status_code      integer,
  error_class      text,
  error_message    text,
  response_headers jsonb,
  -- At most 4 KB of the answer, enough to see an error page's message.
  response_excerpt text,
  next_attempt_at  timestamptz,
  PRIMARY KEY (delivery_id, attempt)
);

-- Down Migration

DROP TABLE delivery_attempts;
DROP TABLE deliveries;
DROP TABLE events;
DROP TABLE webhooks;
DROP TABLE apps;
