-- Routing: each agent's capacity, each conversation's assignee, and the timeline that the
-- first-reply promise and later metrics are computed from.
ALTER TABLE agents ADD COLUMN capacity INTEGER NOT NULL DEFAULT 5;

ALTER TABLE conversations ADD COLUMN assigned_agent_id INTEGER REFERENCES agents(id) ON DELETE SET NULL;
ALTER TABLE conversations ADD COLUMN first_visitor_message_at INTEGER;
ALTER TABLE conversations ADD COLUMN first_human_reply_at INTEGER;
ALTER TABLE conversations ADD COLUMN first_bot_reply_at INTEGER;

-- Every assignment, transfer, re-route, release and return to the queue.
CREATE TABLE conversation_events (
    id               INTEGER PRIMARY KEY,
    conversation_id  INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    kind             TEXT    NOT NULL,
    agent_id         INTEGER,
    from_agent_id    INTEGER,
    at               INTEGER NOT NULL
);
CREATE INDEX conversation_events_by_conversation ON conversation_events(conversation_id, id);
