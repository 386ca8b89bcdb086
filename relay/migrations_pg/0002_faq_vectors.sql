-- Each FAQ article's embedding (see relay/migrations/0019_faq_vectors.sql).
CREATE TABLE faq_vectors (
    store_id    BIGINT NOT NULL,
    article_id  TEXT   NOT NULL,
    model       TEXT   NOT NULL,
    text_hash   TEXT   NOT NULL,
    vector      BYTEA  NOT NULL,
    PRIMARY KEY (store_id, article_id),
    FOREIGN KEY (store_id, article_id) REFERENCES faq_articles(store_id, id) ON DELETE CASCADE
);
