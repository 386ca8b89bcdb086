-- Agents' tags on a shopper (VIP, wholesale, new customer…): on the visitor, so that a verified
-- customer's tags follow them to every device; `store_id` for the store's list of tags.
CREATE TABLE visitor_tags (
    store_id    INTEGER NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    visitor_id  TEXT    NOT NULL REFERENCES visitors(id) ON DELETE CASCADE,
    tag         TEXT    NOT NULL COLLATE NOCASE,
    PRIMARY KEY (visitor_id, tag)
);
CREATE INDEX visitor_tags_by_store ON visitor_tags(store_id, tag);
