-- Each FAQ article's embedding (semantic FAQ ranking, `--faq-model`), kept so a restart does not
-- embed every article again. `model` names the weights that made it (another model: made
-- again); `text_hash` the text embedded (the article changed: made again).
CREATE TABLE faq_vectors (
    store_id    INTEGER NOT NULL,
    article_id  TEXT    NOT NULL,
    model       TEXT    NOT NULL,
    text_hash   TEXT    NOT NULL,
    vector      BLOB    NOT NULL,
    PRIMARY KEY (store_id, article_id),
    FOREIGN KEY (store_id, article_id) REFERENCES faq_articles(store_id, id) ON DELETE CASCADE
);
