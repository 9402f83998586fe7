-- Up Migration

-- Retention (PAYLOAD_RETENTION, LOG_RETENTION) and erasure of one user (issue #13).

-- A purged or erased delivery keeps its metadata; its payload becomes null and one of these says why.
ALTER TABLE deliveries ALTER COLUMN payload DROP NOT NULL;
ALTER TABLE deliveries ADD COLUMN payload_purged_at timestamptz;
ALTER TABLE deliveries ADD COLUMN erased_at timestamptz;
-- HMAC-SHA256 of (app id, user id) under a key derived from SECRETS_KEY: finds a user's rows without storing the id.
-- Null on rows written before this migration and for events without a user id.
ALTER TABLE deliveries ADD COLUMN user_key text;
ALTER TABLE conversation_turns ADD COLUMN user_key text;
ALTER TABLE conversations ADD COLUMN user_key text;
ALTER TABLE condition_evaluations ADD COLUMN user_key text;
-- occurred_at is the backend's word and may lie anywhere in time; retention counts from when the turn was stored.
ALTER TABLE conversation_turns ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT now();
-- Set when the verdicts' reasons (the LLM's words, which may quote the conversation) were purged.
ALTER TABLE condition_evaluations ADD COLUMN text_purged_at timestamptz;

-- The purge walks rows by age, a bounded batch at a time.
CREATE INDEX deliveries_created_idx ON deliveries (created_at);
CREATE INDEX conversation_turns_recorded_idx ON conversation_turns (recorded_at);
CREATE INDEX condition_evaluations_created_idx ON condition_evaluations (created_at);
CREATE INDEX events_received_idx ON events (received_at);
CREATE INDEX deliveries_event_idx ON deliveries (app_id, event_id);

-- Erasure finds a user's rows by key.
CREATE INDEX deliveries_user_key_idx ON deliveries (app_id, user_key) WHERE user_key IS NOT NULL;
CREATE INDEX conversation_turns_user_key_idx ON conversation_turns (app_id, user_key) WHERE user_key IS NOT NULL;
CREATE INDEX conversations_user_key_idx ON conversations (app_id, user_key) WHERE user_key IS NOT NULL;
CREATE INDEX condition_evaluations_user_key_idx ON condition_evaluations (app_id, user_key) WHERE user_key IS NOT NULL;

-- One row per erasure request: what was removed, never who (only the user key).
CREATE TABLE user_erasures (
  id         bigserial PRIMARY KEY,
  app_id     text NOT NULL,
  user_key   text NOT NULL,
  erased_at  timestamptz NOT NULL DEFAULT now(),
  counts     jsonb NOT NULL
);
CREATE INDEX user_erasures_app_idx ON user_erasures (app_id, erased_at);

-- Down Migration

DROP TABLE user_erasures;
DROP INDEX condition_evaluations_user_key_idx;
DROP INDEX conversations_user_key_idx;
DROP INDEX conversation_turns_user_key_idx;
DROP INDEX deliveries_user_key_idx;
DROP INDEX deliveries_event_idx;
DROP INDEX events_received_idx;
DROP INDEX condition_evaluations_created_idx;
DROP INDEX conversation_turns_recorded_idx;
DROP INDEX deliveries_created_idx;
ALTER TABLE condition_evaluations DROP COLUMN text_purged_at;
ALTER TABLE conversation_turns DROP COLUMN recorded_at;
ALTER TABLE condition_evaluations DROP COLUMN user_key;
ALTER TABLE conversations DROP COLUMN user_key;
ALTER TABLE conversation_turns DROP COLUMN user_key;
ALTER TABLE deliveries DROP COLUMN user_key;
ALTER TABLE deliveries DROP COLUMN erased_at;
ALTER TABLE deliveries DROP COLUMN payload_purged_at;
DELETE FROM deliveries WHERE payload IS NULL;
ALTER TABLE deliveries ALTER COLUMN payload SET NOT NULL;
