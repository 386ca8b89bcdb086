-- A bot reply that offers several FAQ articles (the question was close to each and the bot
-- could not tell which one the shopper means): the articles' ids and questions as offered, a
-- JSON array of {"article", "question"}. NULL on every other message.
ALTER TABLE messages ADD COLUMN faq_choices TEXT;
