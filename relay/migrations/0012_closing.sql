-- Measuring the promise. Closing a conversation properly: the closing question waits for the
-- shopper's answer, idle conversations close by themselves, and each close records whether it
-- was resolved. Reports: who answered first, whether the bot answered from the FAQ or with an
-- order, the shoppers' ratings, and an index by start time.
ALTER TABLE stores ADD COLUMN closing_wait_secs INTEGER NOT NULL DEFAULT 600;
ALTER TABLE stores ADD COLUMN idle_close_secs INTEGER NOT NULL DEFAULT 86400;
-- Whether the widget asks the shopper to rate a closed conversation.
ALTER TABLE stores ADD COLUMN csat_enabled INTEGER NOT NULL DEFAULT 1;
-- When the pending close happens unless the shopper answers (NULL: none pending), who asked,
-- and whether that close counts as resolved.
ALTER TABLE conversations ADD COLUMN closing_at INTEGER;
ALTER TABLE conversations ADD COLUMN closing_by INTEGER;
ALTER TABLE conversations ADD COLUMN closing_resolved INTEGER;
-- The time of the latest message, for the idle close.
ALTER TABLE conversations ADD COLUMN last_message_at INTEGER;
-- Set at each close; `reopened` once it was reopened within 7 days of a close (it then counts
-- as not resolved, whatever a later close says).
ALTER TABLE conversations ADD COLUMN resolved INTEGER;
ALTER TABLE conversations ADD COLUMN reopened INTEGER NOT NULL DEFAULT 0;
UPDATE conversations SET last_message_at =
    (SELECT MAX(created_at) FROM messages WHERE messages.conversation_id = conversations.id);
-- The agent whose reply was the first human one; how many FAQ answers the bot gave; whether
-- it showed the shopper an order.
ALTER TABLE conversations ADD COLUMN first_human_reply_by INTEGER;
ALTER TABLE conversations ADD COLUMN faq_answers INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN order_answered INTEGER NOT NULL DEFAULT 0;
UPDATE conversations SET first_human_reply_by = (SELECT CAST(author_id AS INTEGER) FROM messages m
    WHERE m.conversation_id = conversations.id AND m.author_role = 'agent' ORDER BY seq LIMIT 1);
UPDATE conversations SET faq_answers = (SELECT COUNT(*) FROM messages m
    WHERE m.conversation_id = conversations.id AND m.faq_article_id IS NOT NULL);
CREATE INDEX conversations_by_start ON conversations(store_id, created_at);

-- One rating per conversation (1 to 5, with an optional comment), changeable for 24 hours.
CREATE TABLE ratings (
    conversation_id  INTEGER PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
    store_id         INTEGER NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    score            INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment          TEXT,
    rated_at         INTEGER NOT NULL,
    changed_at       INTEGER NOT NULL
);

CREATE INDEX conversations_closing ON conversations(closing_at) WHERE closing_at IS NOT NULL;
CREATE INDEX conversations_idle ON conversations(store_id, last_message_at) WHERE closed_at IS NULL;

-- The same bookkeeping as before, plus the latest message's time and, when the shopper
-- answers, the end of a pending close.
DROP TRIGGER messages_keep_conversation;
CREATE TRIGGER messages_keep_conversation AFTER INSERT ON messages BEGIN
    UPDATE conversations SET
        last_seq = MAX(last_seq, NEW.seq),
        last_message_at = NEW.created_at,
        closing_at = CASE WHEN NEW.author_role = 'visitor' THEN NULL ELSE closing_at END,
        first_visitor_message_at = CASE WHEN NEW.author_role = 'visitor'
            THEN COALESCE(first_visitor_message_at, NEW.created_at) ELSE first_visitor_message_at END,
        first_human_reply_at = CASE WHEN NEW.author_role = 'agent'
            THEN COALESCE(first_human_reply_at, NEW.created_at) ELSE first_human_reply_at END,
        first_human_reply_by = CASE WHEN NEW.author_role = 'agent' AND first_human_reply_at IS NULL
            THEN CAST(NEW.author_id AS INTEGER) ELSE first_human_reply_by END,
        -- The bot's own replies only (the relay's notices are not answers).
        first_bot_reply_at = CASE WHEN NEW.author_role = 'bot'
            THEN COALESCE(first_bot_reply_at, NEW.created_at) ELSE first_bot_reply_at END,
        faq_answers = faq_answers + (NEW.faq_article_id IS NOT NULL),
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

-- When each agent was online (taking conversations), for the reports' time online. An open
-- interval has no `to_at`; `seen_at` moves each minute while it is open, so an interval a
-- stopped relay left open is closed at the last time it was seen.
CREATE TABLE agent_online (
    id        INTEGER PRIMARY KEY,
    agent_id  INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    store_id  INTEGER NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    from_at   INTEGER NOT NULL,
    to_at     INTEGER,
    seen_at   INTEGER NOT NULL
);
CREATE INDEX agent_online_by_store ON agent_online(store_id, from_at);
CREATE INDEX agent_online_open ON agent_online(agent_id) WHERE to_at IS NULL;

-- Help searches and article views, once per asker (client address) a day, for the reports'
-- most searched terms and most viewed articles; `at` is the first time that day.
CREATE TABLE faq_search_terms (
    store_id  INTEGER NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    day       INTEGER NOT NULL,
    term      TEXT    NOT NULL,
    who       TEXT    NOT NULL,
    at        INTEGER NOT NULL,
    PRIMARY KEY (store_id, day, term, who)
) WITHOUT ROWID;
CREATE TABLE faq_article_views (
    store_id    INTEGER NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    day         INTEGER NOT NULL,
    article_id  TEXT    NOT NULL,
    who         TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (store_id, day, article_id, who)
) WITHOUT ROWID;
