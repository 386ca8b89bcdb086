-- Verified identity: each store's identity secret (the shop signs its customer ids with it) and
-- whether `identify` must be signed. NULL secrets (stores made before this) are filled in on
-- first use.
ALTER TABLE stores ADD COLUMN identity_secret TEXT;
ALTER TABLE stores ADD COLUMN require_identity INTEGER NOT NULL DEFAULT 0;

-- A shop's customer, known by a verified `identify`. All their browsers and devices share one
-- visitor (`visitor_id`), and so its conversations.
CREATE TABLE customers (
    store_id     INTEGER NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    id           TEXT    NOT NULL,
    email        TEXT,
    name         TEXT,
    visitor_id   TEXT    REFERENCES visitors(id) ON DELETE SET NULL,
    verified_at  INTEGER NOT NULL,
    PRIMARY KEY (store_id, id)
);
CREATE INDEX customers_by_visitor ON customers(visitor_id);

-- The customer a visitor is (NULL: anonymous), and what an unsigned `identify` claimed.
ALTER TABLE visitors ADD COLUMN customer_id TEXT;
ALTER TABLE visitors ADD COLUMN claimed_email TEXT;
ALTER TABLE visitors ADD COLUMN claimed_name TEXT;

-- What the shop told about the shopper with `Parley.setAttributes`.
CREATE TABLE visitor_attributes (
    visitor_id  TEXT NOT NULL REFERENCES visitors(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    value       TEXT NOT NULL,
    PRIMARY KEY (visitor_id, name)
);
