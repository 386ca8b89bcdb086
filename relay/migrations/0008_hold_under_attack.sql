-- How many days a store keeps conversations; NULL keeps them for ever.
ALTER TABLE stores ADD COLUMN retention_days INTEGER;

-- Who asked each unanswered question on which day (a visitor id, or "ip:" and the client
-- address for help searches), so that a question counts once per asker and day, and one asker
-- cannot fill a store's list of top questions.
CREATE TABLE faq_unanswered_seen (
    store_id  INTEGER NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    query     TEXT    NOT NULL,
    who       TEXT    NOT NULL,
    day       INTEGER NOT NULL,
    PRIMARY KEY (store_id, query, who, day)
);
CREATE INDEX faq_unanswered_seen_by_who ON faq_unanswered_seen(who);
