-- Up Migration

-- Per-webhook delivery settings; null means the service-wide RETRY_SCHEDULE and DELIVERY_TIMEOUT_MS.
ALTER TABLE webhooks ADD COLUMN retry_schedule_ms integer[];
ALTER TABLE webhooks ADD COLUMN timeout_ms integer CHECK (timeout_ms BETWEEN 1000 AND 30000);
-- Endpoint health: when the current run of failed attempts began (null after any success).
ALTER TABLE webhooks ADD COLUMN failing_since timestamptz;
ALTER TABLE webhooks ADD COLUMN disabled_at timestamptz;

-- Where the app owner hears that a webhook was disabled.
ALTER TABLE apps ADD COLUMN alert_url text;

-- Down Migration

ALTER TABLE apps DROP COLUMN alert_url;
ALTER TABLE webhooks DROP COLUMN disabled_at;
ALTER TABLE webhooks DROP COLUMN failing_since;
ALTER TABLE webhooks DROP COLUMN timeout_ms;
ALTER TABLE webhooks DROP COLUMN retry_schedule_ms;
