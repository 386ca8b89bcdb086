-- Beyond the live window: email that really goes out.
--
-- A store's own sender address for its emails (NULL: the relay's `--mail-from`).
ALTER TABLE stores ADD COLUMN email_from TEXT;

-- Whether a shopper has a socket open now (`here_since`, set while one is) and when their
-- last one closed. A restart clears `here_since` (no socket survives it).
ALTER TABLE visitors ADD COLUMN here_since INTEGER;
ALTER TABLE visitors ADD COLUMN left_at INTEGER;
CREATE INDEX visitors_here ON visitors(here_since) WHERE here_since IS NOT NULL;

-- The time of the oldest agent reply not yet emailed (NULL: none waits), and the sequence
-- number up to which replies were emailed (or queued to be).
ALTER TABLE conversations ADD COLUMN reply_pending_at INTEGER;
ALTER TABLE conversations ADD COLUMN emailed_seq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX conversations_reply_pending ON conversations(reply_pending_at) WHERE reply_pending_at IS NOT NULL;

CREATE TRIGGER messages_mark_reply_pending AFTER INSERT ON messages WHEN NEW.author_role = 'agent' BEGIN
    UPDATE conversations SET reply_pending_at = COALESCE(reply_pending_at, NEW.created_at)
    WHERE id = NEW.conversation_id;
END;

-- Addresses that asked to hear no more from a store.
CREATE TABLE email_unsubscribes (
    store_id  INTEGER NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    email     TEXT    NOT NULL COLLATE NOCASE,
    at        INTEGER NOT NULL,
    PRIMARY KEY (store_id, email)
);

-- The outbox: an email is written here in the same transaction that decides to send it, and
-- leaves only once the SMTP server took it (`sent_at`). `kind` is 'reply' (an agent's replies
-- to a shopper who left) or 'transcript' (asked for in the widget). Replies cover the
-- conversation's messages `first_seq`..`last_seq`.
CREATE TABLE email_outbox (
    id               INTEGER PRIMARY KEY,
    store_id         INTEGER NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    conversation_id  INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    kind             TEXT    NOT NULL,
    to_addr          TEXT    NOT NULL,
    subject          TEXT    NOT NULL,
    text_body        TEXT    NOT NULL,
    html_body        TEXT    NOT NULL,
    unsubscribe_url  TEXT    NOT NULL,
    first_seq        INTEGER NOT NULL,
    last_seq         INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    next_attempt_at  INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    -- 'pending', 'sent' or 'failed' (given up after 24 hours, or refused for good).
    status           TEXT    NOT NULL DEFAULT 'pending',
    last_error       TEXT,
    sent_at          INTEGER
);
CREATE INDEX email_outbox_due ON email_outbox(next_attempt_at) WHERE status = 'pending';
CREATE INDEX email_outbox_by_conversation ON email_outbox(conversation_id);
