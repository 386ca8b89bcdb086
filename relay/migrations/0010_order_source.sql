-- The shop's order source (docs/orders.md): where the relay asks about orders, the secret its
-- requests are signed with, whether private and loopback addresses may be called (off: a
-- guard against server-side request forgery), and whether the bot answers order questions
-- while agents are online.
ALTER TABLE stores ADD COLUMN order_source_url TEXT;
ALTER TABLE stores ADD COLUMN order_source_secret TEXT;
ALTER TABLE stores ADD COLUMN order_source_allow_private INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stores ADD COLUMN bot_answers_orders INTEGER NOT NULL DEFAULT 1;

-- Orders a shopper proved in a conversation (number and email both matched), so that agents
-- see them beside the chat.
CREATE TABLE conversation_orders (
    conversation_id  INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    order_number     TEXT    NOT NULL,
    email            TEXT    NOT NULL,
    PRIMARY KEY (conversation_id, order_number)
);
