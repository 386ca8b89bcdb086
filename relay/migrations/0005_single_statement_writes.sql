-- Writes on the hot path are single statements: triggers keep a conversation's bookkeeping in
-- the same atomic step as the message or event that changes it, so the one writer connection
-- spends one round trip per message instead of a transaction of several.

-- A message moves the conversation's sequence, its "first ..." times and the shopper's wait:
-- the wait starts with the first unanswered shopper message and ends with a human reply.
-- (SQLite evaluates every SET expression on the old row.)
CREATE TRIGGER messages_keep_conversation AFTER INSERT ON messages BEGIN
    UPDATE conversations SET
        last_seq = MAX(last_seq, NEW.seq),
        first_visitor_message_at = CASE WHEN NEW.author_role = 'visitor'
            THEN COALESCE(first_visitor_message_at, NEW.created_at) ELSE first_visitor_message_at END,
        first_human_reply_at = CASE WHEN NEW.author_role = 'agent'
            THEN COALESCE(first_human_reply_at, NEW.created_at) ELSE first_human_reply_at END,
        first_bot_reply_at = CASE WHEN NEW.author_role IN ('bot', 'system')
            THEN COALESCE(first_bot_reply_at, NEW.created_at) ELSE first_bot_reply_at END,
        deadline_handled_at = CASE
            WHEN NEW.author_role = 'visitor' AND awaiting_since IS NULL THEN NULL
            WHEN NEW.author_role = 'agent' THEN NULL
            ELSE deadline_handled_at END,
        awaiting_since = CASE
            WHEN NEW.author_role = 'visitor' THEN COALESCE(awaiting_since, NEW.created_at)
            WHEN NEW.author_role = 'agent' THEN NULL
            ELSE awaiting_since END
    WHERE id = NEW.conversation_id;
END;

-- A routing event in the timeline sets who handles the conversation now.
CREATE TRIGGER conversation_events_keep_assignee AFTER INSERT ON conversation_events
WHEN NEW.kind IN ('assigned', 'queued', 'claimed', 'transferred', 'released', 'rerouted', 'offline')
BEGIN
    UPDATE conversations SET assigned_agent_id = NEW.agent_id WHERE id = NEW.conversation_id;
END;
