-- Up Migration

-- Each conversation's idle clock. Every message_sent moves last_message_at; the conversation's idle-timer workflow is
-- started once (timer_armed) and reads this row when its timer fires, instead of being signalled by every message.
-- ended_by says who ended it: 'idle' (the timer, which then sends "Conversation end") or 'backend' (an explicit
-- conversation_end event).
CREATE TABLE conversations (
  app_id          text NOT NULL,
  conversation_id text NOT NULL,
  last_message_at timestamptz NOT NULL,
  -- The last user seen, carried into the idle "Conversation end" payload.
  last_user       jsonb,
  timer_armed     boolean NOT NULL DEFAULT false,
  ended_at        timestamptz,
  ended_by        text CHECK (ended_by IN ('idle', 'backend')),
  PRIMARY KEY (app_id, conversation_id)
);

-- Down Migration

DROP TABLE conversations;
