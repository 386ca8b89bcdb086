-- Bot rules managed in the console: the store's own repeat window ("the same automatic reply
-- at most once in N seconds" per conversation). NULL: the relay's --bot-repeat-secs.
ALTER TABLE stores ADD COLUMN bot_repeat_secs INTEGER;
