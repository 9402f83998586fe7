-- Up Migration

-- Portal sessions are signed tokens, not rows: each carries the epoch its app had when it was issued, and revoking
-- an app's sessions moves the epoch on, so every token issued before stops working at once.
ALTER TABLE apps ADD COLUMN portal_epoch integer NOT NULL DEFAULT 0;

-- Down Migration

ALTER TABLE apps DROP COLUMN portal_epoch;
