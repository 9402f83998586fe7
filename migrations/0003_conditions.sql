-- Up Migration

-- What conditions read: each message_sent adds the user's message and the app's response. Kept whatever the app's
-- share_messages setting says (that setting governs payloads only).
CREATE TABLE conversation_turns (
  app_id          text NOT NULL,
  conversation_id text NOT NULL,
  event_id        text NOT NULL,
  role            text NOT NULL CHECK (role IN ('user', 'assistant')),
  text            text NOT NULL,
  occurred_at     timestamptz NOT NULL,
  seq             bigserial,
  PRIMARY KEY (app_id, conversation_id, event_id, role)
);
CREATE INDEX conversation_turns_recent_idx ON conversation_turns (app_id, conversation_id, occurred_at DESC, seq DESC);

-- A condition that fires once per conversation is claimed here first; the row's event is the one that fired it.
CREATE TABLE condition_firings (
  app_id          text NOT NULL,
  conversation_id text NOT NULL,
  condition_id    text NOT NULL,
  event_id        text NOT NULL,
  fired_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (app_id, conversation_id, condition_id)
);

-- One row per message_sent event of an app with conditions: what was asked, what it cost, what came back.
CREATE TABLE condition_evaluations (
  app_id            text NOT NULL,
  event_id          text NOT NULL,
  conversation_id   text,
  workflow_id       text NOT NULL,
  outcome           text NOT NULL CHECK (outcome IN ('evaluated', 'failed', 'skipped')),
  reason            text,
  model             text,
  prompt_tokens     integer,
  completion_tokens integer,
  latency_ms        integer,
  -- [{ condition_id, webhook_id, matched, reason }], or [{ condition_id, webhook_id, evaluated: false }]
  verdicts          jsonb NOT NULL DEFAULT '[]',
  created_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (app_id, event_id)
);

-- "Conversation end" is delivered once per conversation, whether the backend said so or the idle timer did.
CREATE TABLE conversation_ends (
  app_id          text NOT NULL,
  conversation_id text NOT NULL,
  event_id        text NOT NULL,
  ended_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (app_id, conversation_id)
);

-- A webhook can get several deliveries for one event: the event itself, and each of its conditions that matched.
ALTER TABLE deliveries ADD COLUMN condition_id text NOT NULL DEFAULT '';
ALTER TABLE deliveries DROP CONSTRAINT deliveries_app_id_event_id_webhook_id_key;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_event_webhook_condition_key UNIQUE (app_id, event_id, webhook_id, condition_id);

-- Down Migration

ALTER TABLE deliveries DROP CONSTRAINT deliveries_event_webhook_condition_key;
DELETE FROM deliveries WHERE condition_id <> '';
ALTER TABLE deliveries ADD CONSTRAINT deliveries_app_id_event_id_webhook_id_key UNIQUE (app_id, event_id, webhook_id);
ALTER TABLE deliveries DROP COLUMN condition_id;
DROP TABLE conversation_ends;
DROP TABLE condition_evaluations;
DROP TABLE condition_firings;
DROP TABLE conversation_turns;
