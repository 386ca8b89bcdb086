-- Nobody there: a store's business hours (NULL = always open) in its time zone, and per
-- conversation where the away conversation stands and the email the shopper left.
ALTER TABLE stores ADD COLUMN hours TEXT;
ALTER TABLE stores ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC';
-- NULL, 'asked_email' (the bot offered to take an email) or 'email_left'.
ALTER TABLE conversations ADD COLUMN away_state TEXT;
ALTER TABLE conversations ADD COLUMN follow_up_email TEXT;
