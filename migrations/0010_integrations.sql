-- Up Migration

-- Integrations (issue #15): deterministic filters, chat-platform formats and REST Hook subscriptions.

-- A CEL expression over the event (src/domain/filters.ts); null delivers every event. Checked when saved.
ALTER TABLE webhooks ADD COLUMN filter text;
-- What the body looks like: our payload, or a message for a Slack, Discord or Teams incoming webhook.
ALTER TABLE webhooks ADD COLUMN format text NOT NULL DEFAULT 'standard'
  CHECK (format IN ('standard', 'slack', 'discord', 'teams'));
-- 'rest_hook': created by an automation platform's subscribe call (Zapier, Make); a 410 deletes it instead of
-- disabling it, because the platform answers 410 once the Zap or scenario is off.
ALTER TABLE webhooks ADD COLUMN created_via text NOT NULL DEFAULT 'api' CHECK (created_via IN ('api', 'rest_hook'));
-- The body's format as it was delivered: sample payloads are the standard ones.
ALTER TABLE deliveries ADD COLUMN format text NOT NULL DEFAULT 'standard';
CREATE INDEX deliveries_samples_idx ON deliveries (app_id, event_type, created_at DESC) WHERE format = 'standard' AND NOT is_test;

-- Down Migration

DROP INDEX deliveries_samples_idx;
ALTER TABLE deliveries DROP COLUMN format;
ALTER TABLE webhooks DROP COLUMN created_via;
ALTER TABLE webhooks DROP COLUMN format;
ALTER TABLE webhooks DROP COLUMN filter;
