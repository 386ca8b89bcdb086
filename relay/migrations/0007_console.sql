-- The agents' console: deactivated agents, the widget's look, canned replies, private notes,
-- and what the widget reports of the shopper's visit.
ALTER TABLE agents ADD COLUMN active INTEGER NOT NULL DEFAULT 1;

ALTER TABLE stores ADD COLUMN colour TEXT NOT NULL DEFAULT '#1f5eff';
-- 'right' or 'left': the corner the launcher sits in.
ALTER TABLE stores ADD COLUMN position TEXT NOT NULL DEFAULT 'right';

CREATE TABLE canned_replies (
    id          INTEGER PRIMARY KEY,
    store_id    INTEGER NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    shortcut    TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (store_id, shortcut)
);

-- Notes live apart from messages: nothing that reads messages for a shopper can reach them.
CREATE TABLE notes (
    id               INTEGER PRIMARY KEY,
    conversation_id  INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    agent_id         INTEGER NOT NULL,
    agent_name       TEXT    NOT NULL,
    text             TEXT    NOT NULL,
    client_id        TEXT,
    created_at       INTEGER NOT NULL
);
CREATE INDEX notes_by_conversation ON notes(conversation_id, id);
CREATE UNIQUE INDEX notes_by_client_id ON notes(conversation_id, agent_id, client_id) WHERE client_id IS NOT NULL;

CREATE TABLE visitor_pages (
    id          INTEGER PRIMARY KEY,
    visitor_id  TEXT    NOT NULL REFERENCES visitors(id) ON DELETE CASCADE,
    url         TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX visitor_pages_by_visitor ON visitor_pages(visitor_id, id);

ALTER TABLE visitors ADD COLUMN referrer TEXT;
ALTER TABLE visitors ADD COLUMN language TEXT;
ALTER TABLE visitors ADD COLUMN time_zone TEXT;
