-- Proactive messages: a store's rules for greeting shoppers on matching pages (the widget
-- evaluates them; `after_secs` and `scroll_percent` NULL when not used), tried in id order.
CREATE TABLE proactive_rules (
    id              INTEGER PRIMARY KEY,
    store_id        INTEGER NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    pattern         TEXT    NOT NULL,
    after_secs      INTEGER,
    scroll_percent  INTEGER,
    message         TEXT    NOT NULL,
    enabled         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX proactive_rules_by_store ON proactive_rules(store_id, id);

-- The rule whose message the shopper answered to start the conversation (reports count it as
-- proactive).
ALTER TABLE conversations ADD COLUMN proactive_rule_id INTEGER;
