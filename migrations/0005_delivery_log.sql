-- Up Migration

-- The delivery log API lists an app's deliveries newest first. Unfiltered, by webhook and by time range it uses the
-- indexes of 0001; these two serve the filters whose matches can be rare among many rows: one conversation's
-- deliveries, and the failed (or pending) ones an operator looks for.
CREATE INDEX deliveries_app_conversation_created_idx ON deliveries (app_id, conversation_id, created_at DESC, id DESC)
  WHERE conversation_id IS NOT NULL;
CREATE INDEX deliveries_app_status_created_idx ON deliveries (app_id, status, created_at DESC, id DESC);

-- Down Migration

DROP INDEX deliveries_app_status_created_idx;
DROP INDEX deliveries_app_conversation_created_idx;
