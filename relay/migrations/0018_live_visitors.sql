-- Agents see the shoppers on the site now and may start a chat with them (the widget then
-- connects on every page); whether such a chat opens the shopper's panel.
ALTER TABLE stores ADD COLUMN live_visitors INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stores ADD COLUMN agent_chat_opens INTEGER NOT NULL DEFAULT 0;
