-- Webhooks: a store's HTTPS endpoints, told of its events.
--
-- `events` is a comma-separated list of the event names the endpoint subscribed to.
-- `allow_private` lets it be a private or loopback address (set by the relay's operator only).
CREATE TABLE webhooks (
    id               INTEGER PRIMARY KEY,
    store_id         INTEGER NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    url              TEXT    NOT NULL,
    secret           TEXT    NOT NULL,
    events           TEXT    NOT NULL,
    active           INTEGER NOT NULL DEFAULT 1,
    created_at       INTEGER NOT NULL,
    last_attempt_at  INTEGER,
    last_status      INTEGER,
    last_error       TEXT
);
CREATE INDEX webhooks_by_store ON webhooks(store_id);
ALTER TABLE stores ADD COLUMN webhooks_allow_private INTEGER NOT NULL DEFAULT 0;

-- Events, written by triggers in the same transaction as the change they tell of (so none is
-- lost), and only for stores with an active endpoint subscribed to them. The relay turns each
-- into one delivery per endpoint, then marks it dispatched.
CREATE TABLE webhook_events (
    id               INTEGER PRIMARY KEY,
    store_id         INTEGER NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    event            TEXT    NOT NULL,
    conversation_id  INTEGER NOT NULL,
    message_id       INTEGER,
    at               INTEGER NOT NULL,
    dispatched       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX webhook_events_waiting ON webhook_events(id) WHERE dispatched = 0;

-- One event for one endpoint: its body is fixed when it is made (retries send the same bytes,
-- with a fresh signature).
CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY,
    webhook_id       INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    -- Deleting the conversation (retention, a privacy request) deletes what was told of it.
    conversation_id  INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    event_id         INTEGER NOT NULL,
    event            TEXT    NOT NULL,
    body             TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    next_attempt_at  INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    -- 'pending', 'delivered' or 'failed' (24 hours of retries failed).
    status           TEXT    NOT NULL DEFAULT 'pending',
    last_status      INTEGER,
    last_error       TEXT,
    delivered_at     INTEGER,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_hook ON webhook_deliveries(webhook_id, id);
CREATE INDEX webhook_deliveries_by_conversation ON webhook_deliveries(conversation_id);

CREATE TRIGGER webhook_conversation_created AFTER INSERT ON conversations
WHEN EXISTS (SELECT 1 FROM webhooks w WHERE w.store_id = NEW.store_id AND w.active
             AND instr(',' || w.events || ',', ',conversation.created,') > 0)
BEGIN
    INSERT INTO webhook_events (store_id, event, conversation_id, at)
    VALUES (NEW.store_id, 'conversation.created', NEW.id, NEW.created_at);
END;

CREATE TRIGGER webhook_message_created AFTER INSERT ON messages
WHEN EXISTS (SELECT 1 FROM webhooks w JOIN conversations c ON c.store_id = w.store_id
             WHERE c.id = NEW.conversation_id AND w.active
             AND instr(',' || w.events || ',', ',message.created,') > 0)
BEGIN
    INSERT INTO webhook_events (store_id, event, conversation_id, message_id, at)
    SELECT store_id, 'message.created', NEW.conversation_id, NEW.id, NEW.created_at
    FROM conversations WHERE id = NEW.conversation_id;
END;

CREATE TRIGGER webhook_conversation_assigned AFTER UPDATE OF assigned_agent_id ON conversations
WHEN NEW.assigned_agent_id IS NOT NULL AND NEW.assigned_agent_id IS NOT OLD.assigned_agent_id
  AND EXISTS (SELECT 1 FROM webhooks w WHERE w.store_id = NEW.store_id AND w.active
              AND instr(',' || w.events || ',', ',conversation.assigned,') > 0)
BEGIN
    INSERT INTO webhook_events (store_id, event, conversation_id, at)
    VALUES (NEW.store_id, 'conversation.assigned', NEW.id, CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;

CREATE TRIGGER webhook_conversation_closed AFTER UPDATE OF closed_at ON conversations
WHEN NEW.closed_at IS NOT NULL AND OLD.closed_at IS NULL
  AND EXISTS (SELECT 1 FROM webhooks w WHERE w.store_id = NEW.store_id AND w.active
              AND instr(',' || w.events || ',', ',conversation.closed,') > 0)
BEGIN
    INSERT INTO webhook_events (store_id, event, conversation_id, at)
    VALUES (NEW.store_id, 'conversation.closed', NEW.id, NEW.closed_at);
END;

CREATE TRIGGER webhook_email_captured AFTER UPDATE OF follow_up_email ON conversations
WHEN NEW.follow_up_email IS NOT NULL AND NEW.follow_up_email IS NOT OLD.follow_up_email
  AND EXISTS (SELECT 1 FROM webhooks w WHERE w.store_id = NEW.store_id AND w.active
              AND instr(',' || w.events || ',', ',email.captured,') > 0)
BEGIN
    INSERT INTO webhook_events (store_id, event, conversation_id, at)
    VALUES (NEW.store_id, 'email.captured', NEW.id, CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;

CREATE TRIGGER webhook_csat_submitted AFTER INSERT ON ratings
WHEN EXISTS (SELECT 1 FROM webhooks w WHERE w.store_id = NEW.store_id AND w.active
             AND instr(',' || w.events || ',', ',csat.submitted,') > 0)
BEGIN
    INSERT INTO webhook_events (store_id, event, conversation_id, at)
    VALUES (NEW.store_id, 'csat.submitted', NEW.conversation_id, NEW.changed_at);
END;

CREATE TRIGGER webhook_csat_changed AFTER UPDATE OF score, comment ON ratings
WHEN EXISTS (SELECT 1 FROM webhooks w WHERE w.store_id = NEW.store_id AND w.active
             AND instr(',' || w.events || ',', ',csat.submitted,') > 0)
BEGIN
    INSERT INTO webhook_events (store_id, event, conversation_id, at)
    VALUES (NEW.store_id, 'csat.submitted', NEW.conversation_id, NEW.changed_at);
END;
