-- Up Migration

-- Per-app API keys: only a SHA-256 of the key is kept (keys are 192 random bits, so a fast hash is enough), plus a
-- short prefix so people can tell keys apart.
ALTER TABLE apps ADD COLUMN api_key_hash text UNIQUE;
ALTER TABLE apps ADD COLUMN api_key_prefix text;

-- Custom-condition prompts: [{ "id", "prompt", "fire" }].
ALTER TABLE webhooks ADD COLUMN conditions jsonb NOT NULL DEFAULT '[]';
-- Secret rotation: the previous secret keeps signing beside the new one until previous_secret_expires_at.
ALTER TABLE webhooks ADD COLUMN previous_secret_encrypted text;
ALTER TABLE webhooks ADD COLUMN previous_secret_expires_at timestamptz;

-- Test sends appear in the delivery log beside real events, marked.
ALTER TABLE deliveries ADD COLUMN is_test boolean NOT NULL DEFAULT false;
CREATE INDEX deliveries_pending_webhook_idx ON deliveries (webhook_id) WHERE status = 'pending';

-- Down Migration

DROP INDEX deliveries_pending_webhook_idx;
ALTER TABLE deliveries DROP COLUMN is_test;
ALTER TABLE webhooks DROP COLUMN previous_secret_expires_at;
ALTER TABLE webhooks DROP COLUMN previous_secret_encrypted;
ALTER TABLE webhooks DROP COLUMN conditions;
ALTER TABLE apps DROP COLUMN api_key_prefix;
ALTER TABLE apps DROP COLUMN api_key_hash;
