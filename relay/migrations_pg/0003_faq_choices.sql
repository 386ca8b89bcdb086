-- The articles a bot reply offers (see relay/migrations/0020_faq_choices.sql).
ALTER TABLE messages ADD COLUMN faq_choices TEXT;
