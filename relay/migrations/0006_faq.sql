-- The store's FAQ, what the bot learned from shoppers, and the bot's keyword rules.

CREATE TABLE faq_articles (
    store_id    INTEGER NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    -- The article's id as text (unique per store), and as the JSON it was given in (a string or
    -- a number), so that export and search hand back exactly what was imported.
    id          TEXT    NOT NULL,
    id_json     TEXT    NOT NULL,
    question    TEXT    NOT NULL,
    answer      TEXT    NOT NULL,
    category    TEXT    NOT NULL DEFAULT '',
    tags        TEXT    NOT NULL DEFAULT '[]',
    language    TEXT    NOT NULL DEFAULT 'en',
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (store_id, id)
);

-- Bumped on every FAQ change, so a running relay re-indexes a store changed by the CLI.
ALTER TABLE stores ADD COLUMN faq_version INTEGER NOT NULL DEFAULT 0;

-- Questions with no good answer, counted per store: what the FAQ is missing.
CREATE TABLE faq_unanswered (
    store_id    INTEGER NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    query       TEXT    NOT NULL,
    count       INTEGER NOT NULL DEFAULT 0,
    last_at     INTEGER NOT NULL,
    PRIMARY KEY (store_id, query)
);

-- Shoppers' answers to "Did this answer your question?".
CREATE TABLE faq_feedback (
    id               INTEGER PRIMARY KEY,
    store_id         INTEGER NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    conversation_id  INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    message_id       INTEGER NOT NULL,
    article_id       TEXT    NOT NULL,
    helpful          INTEGER NOT NULL,
    at               INTEGER NOT NULL,
    UNIQUE (conversation_id, message_id)
);

-- Keyword rules: a reply for shopper messages that match, highest priority first.
CREATE TABLE bot_rules (
    id        INTEGER PRIMARY KEY,
    store_id  INTEGER NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    kind      TEXT    NOT NULL,
    pattern   TEXT    NOT NULL,
    reply     TEXT    NOT NULL,
    priority  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX bot_rules_by_store ON bot_rules(store_id, priority DESC);

-- Messages may carry the FAQ article they answer with (bot messages asking for feedback).
ALTER TABLE messages ADD COLUMN faq_article_id TEXT;

-- The bot's greeting, shown when a shopper first opens the chat (none: the widget's default line).
ALTER TABLE stores ADD COLUMN greeting TEXT;
