-- The first-reply promise: a per-store deadline, and per conversation the time of the first
-- shopper message nobody has answered yet (NULL once a human replied), so that deadlines are
-- derived from stored times and survive a restart.
ALTER TABLE stores ADD COLUMN first_reply_secs INTEGER NOT NULL DEFAULT 60;
ALTER TABLE conversations ADD COLUMN awaiting_since INTEGER;
-- Set when the deadline of the current wait was handled (bot acknowledgement, re-route).
ALTER TABLE conversations ADD COLUMN deadline_handled_at INTEGER;
CREATE INDEX conversations_awaiting ON conversations(awaiting_since) WHERE awaiting_since IS NOT NULL;
