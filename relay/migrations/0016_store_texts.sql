-- The shop's own words: a store's version of an automatic text in one language (`name` from the
-- relay's catalogue, `lang` en or zh). No row: the default.
CREATE TABLE store_texts (
    store_id  INTEGER NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    name      TEXT    NOT NULL,
    lang      TEXT    NOT NULL,
    text      TEXT    NOT NULL,
    PRIMARY KEY (store_id, name, lang)
);

-- Whether the bot acknowledges a shopper's first message at once while agents are online
-- ("usually within {reply_time}").
ALTER TABLE stores ADD COLUMN instant_ack INTEGER NOT NULL DEFAULT 0;
