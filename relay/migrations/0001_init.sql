-- Tenants: one row per shop. `key` is public: it stands in the script tag.
CREATE TABLE stores (
    id          INTEGER PRIMARY KEY,
    key         TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

-- Exact `scheme://host[:port]` origins allowed to embed a store's widget.
-- The special value 'self' allows pages served by the relay itself (the demo storefront).
CREATE TABLE store_origins (
    store_id  INTEGER NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    origin    TEXT    NOT NULL,
    PRIMARY KEY (store_id, origin)
);

CREATE TABLE agents (
    id             INTEGER PRIMARY KEY,
    store_id       INTEGER NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    email          TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    name           TEXT    NOT NULL,
    password_hash  TEXT    NOT NULL,
    role           TEXT    NOT NULL DEFAULT 'agent',
    created_at     INTEGER NOT NULL
);

-- Only the SHA-256 of a session token is stored: a leaked database yields no live session.
CREATE TABLE agent_sessions (
    token_hash    BLOB    PRIMARY KEY,
    agent_id      INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER NOT NULL
);

CREATE TABLE visitors (
    id          TEXT    PRIMARY KEY,
    store_id    INTEGER NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE conversations (
    id                INTEGER PRIMARY KEY,
    store_id          INTEGER NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    visitor_id        TEXT    NOT NULL REFERENCES visitors(id) ON DELETE CASCADE,
    created_at        INTEGER NOT NULL,
    last_seq          INTEGER NOT NULL DEFAULT 0,
    visitor_read_seq  INTEGER NOT NULL DEFAULT 0,
    agent_read_seq    INTEGER NOT NULL DEFAULT 0,
    closed_at         INTEGER
);
CREATE INDEX conversations_by_store ON conversations(store_id, id);
-- A visitor has at most one open conversation.
CREATE UNIQUE INDEX conversations_open_per_visitor ON conversations(visitor_id) WHERE closed_at IS NULL;

CREATE TABLE messages (
    id               INTEGER PRIMARY KEY,
    conversation_id  INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    seq              INTEGER NOT NULL,
    author_role      TEXT    NOT NULL,
    author_id        TEXT    NOT NULL,
    author_name      TEXT,
    text             TEXT    NOT NULL,
    client_id        TEXT,
    created_at       INTEGER NOT NULL,
    UNIQUE (conversation_id, seq)
);
-- Resends carry the same client id: this index is what makes them idempotent.
CREATE UNIQUE INDEX messages_by_client_id
    ON messages(conversation_id, author_role, author_id, client_id) WHERE client_id IS NOT NULL;

-- Relay-wide secrets and settings (the visitor-token signing key).
CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  BLOB NOT NULL
);
