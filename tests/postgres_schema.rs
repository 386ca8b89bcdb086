//! The PostgreSQL schema (relay/migrations_pg) against SQLite's (relay/migrations): the same
//! tables and columns, and triggers that leave the same rows behind. Each backend's schema is
//! built the way the relay builds it; a real PostgreSQL server runs on a free port.

mod common;

use std::collections::BTreeSet;

use common::postgres::Postgres;
use sqlx::{Connection, Executor, PgConnection, SqliteConnection};

/// A column as both backends can describe it: table, name, type class, whether it may be null.
type Column = (String, String, &'static str, bool);

fn class(declared: &str) -> &'static str {
    match declared.to_ascii_lowercase().as_str() {
        "integer" | "bigint" => "integer",
        "text" => "text",
        "blob" | "bytea" => "bytes",
        _ => "other",
    }
}

async fn sqlite() -> (tempfile::TempDir, SqliteConnection) {
    let dir = tempfile::tempdir().unwrap();
    relay::store::Store::open(dir.path()).await.expect("the SQLite schema").close().await;
    let url = format!("sqlite://{}", dir.path().join("relay.db").display());
    let conn = SqliteConnection::connect(&url).await.unwrap();
    (dir, conn)
}

async fn postgres(server: &Postgres) -> PgConnection {
    let mut conn = PgConnection::connect(&server.url()).await.expect("connecting to PostgreSQL");
    let migrations = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("relay/migrations_pg");
    sqlx::migrate::Migrator::new(migrations).await.unwrap().run(&mut conn).await.expect("the PostgreSQL schema");
    conn
}

#[tokio::test]
async fn both_backends_have_the_same_tables_and_columns() {
    let server = Postgres::start();
    let (_dir, mut lite) = sqlite().await;
    let mut pg = postgres(&server).await;
    let rows: Vec<(String, String, String, i64, i64)> = sqlx::query_as(
        "SELECT m.name, p.name, p.type, p.\"notnull\", p.pk FROM sqlite_master m, pragma_table_info(m.name) p
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut lite)
    .await
    .unwrap();
    // A primary key column holds no null in practice (SQLite's own rule allows it).
    let on_sqlite: BTreeSet<Column> =
        rows.into_iter().map(|(t, c, ty, not_null, pk)| (t, c, class(&ty), not_null == 0 && pk == 0)).collect();
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT table_name::TEXT, column_name::TEXT, data_type::TEXT, is_nullable::TEXT FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut pg)
    .await
    .unwrap();
    let on_postgres: BTreeSet<Column> =
        rows.into_iter().map(|(t, c, ty, null)| (t, c, class(&ty), null == "YES")).collect();
    assert!(on_sqlite.len() > 200, "the SQLite schema was read ({} columns)", on_sqlite.len());
    let only_sqlite: Vec<_> = on_sqlite.difference(&on_postgres).collect();
    let only_postgres: Vec<_> = on_postgres.difference(&on_sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "the schemas differ:\n only in SQLite: {only_sqlite:#?}\n only in PostgreSQL: {only_postgres:#?}"
    );
}

/// A conversation's life in plain SQL both dialects read alike: the triggers keep the
/// conversation's counters and times and fill the webhook outbox.
const LIFE: &[&str] = &[
    "INSERT INTO stores (id, key, name, created_at) VALUES (1, 'k', 'Shop', 1)",
    "INSERT INTO agents (id, store_id, email, name, password_hash, created_at) VALUES (7, 1, 'a@x.com', 'Ann', 'h', 1)",
    "INSERT INTO webhooks (store_id, url, secret, events, created_at) VALUES (1, 'https://h.example/', 's',
        'conversation.created,message.created,conversation.assigned,conversation.closed,email.captured,csat.submitted', 1)",
    "INSERT INTO visitors (id, store_id, created_at) VALUES ('v1', 1, 2)",
    "INSERT INTO conversations (id, store_id, visitor_id, created_at) VALUES (1, 1, 'v1', 5)",
    "INSERT INTO messages (conversation_id, seq, author_role, author_id, text, created_at) VALUES (1, 1, 'visitor', 'v1', 'hi', 10)",
    "INSERT INTO messages (conversation_id, seq, author_role, author_id, text, created_at) VALUES (1, 2, 'visitor', 'v1', 'there?', 11)",
    "UPDATE conversations SET deadline_handled_at = 70, closing_at = 71 WHERE id = 1",
    "INSERT INTO messages (conversation_id, seq, author_role, author_id, text, created_at, faq_article_id)
        VALUES (1, 3, 'bot', 'bot', 'See returns', 72, 'returns')",
    "INSERT INTO conversation_events (conversation_id, kind, agent_id, at) VALUES (1, 'queued', NULL, 73)",
    "INSERT INTO conversation_events (conversation_id, kind, agent_id, at) VALUES (1, 'assigned', 7, 74)",
    "INSERT INTO conversation_events (conversation_id, kind, agent_id, at) VALUES (1, 'note', 99, 75)",
    "INSERT INTO messages (conversation_id, seq, author_role, author_id, text, created_at) VALUES (1, 4, 'agent', '7', 'Hello', 80)",
    "INSERT INTO messages (conversation_id, seq, author_role, author_id, text, created_at) VALUES (1, 5, 'agent', '7', 'More', 81)",
    "UPDATE conversations SET closing_at = 90 WHERE id = 1",
    "INSERT INTO messages (conversation_id, seq, author_role, author_id, text, created_at) VALUES (1, 6, 'visitor', 'v1', 'ok', 95)",
    "UPDATE conversations SET follow_up_email = 'v@x.com' WHERE id = 1",
    "UPDATE conversations SET closed_at = 100 WHERE id = 1",
    "INSERT INTO ratings (conversation_id, store_id, score, rated_at, changed_at) VALUES (1, 1, 4, 101, 101)",
    "UPDATE ratings SET score = 5, changed_at = 102 WHERE conversation_id = 1",
    "INSERT INTO visitors (id, store_id, created_at) VALUES ('v2', 1, 3)",
    "INSERT INTO conversations (id, store_id, visitor_id, created_at) VALUES (2, 1, 'v2', 200)",
    "INSERT INTO messages (conversation_id, seq, author_role, author_id, text, created_at) VALUES (2, 1, 'visitor', 'v2', 'yo', 201)",
];

type Conversation = (
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

const CONVERSATIONS: &str = "SELECT last_seq, last_message_at, first_visitor_message_at, first_human_reply_at,
    first_human_reply_by, first_bot_reply_at, faq_answers, awaiting_since, deadline_handled_at, reply_pending_at,
    assigned_agent_id, closing_at FROM conversations ORDER BY id";
/// The events; those stamped with the time of the write itself show -1.
const EVENTS: &str = "SELECT event, conversation_id, message_id,
    CASE WHEN event IN ('conversation.assigned', 'email.captured') THEN -1 ELSE at END AS at
    FROM webhook_events ORDER BY id";

#[tokio::test]
async fn the_triggers_leave_the_same_rows_on_both_backends() {
    let server = Postgres::start();
    let (_dir, mut lite) = sqlite().await;
    let mut pg = postgres(&server).await;
    for statement in LIFE {
        lite.execute(*statement).await.unwrap_or_else(|e| panic!("SQLite: {statement}: {e}"));
        pg.execute(*statement).await.unwrap_or_else(|e| panic!("PostgreSQL: {statement}: {e}"));
    }
    let on_sqlite: Vec<Conversation> = sqlx::query_as(CONVERSATIONS).fetch_all(&mut lite).await.unwrap();
    let on_postgres: Vec<Conversation> = sqlx::query_as(CONVERSATIONS).fetch_all(&mut pg).await.unwrap();
    assert_eq!(on_postgres, on_sqlite);
    // What the life above must leave, so that both agreeing on nothing cannot pass.
    assert_eq!(on_sqlite[0].0, Some(6), "last seq");
    assert_eq!(
        (on_sqlite[0].4, on_sqlite[0].6, on_sqlite[0].9, on_sqlite[0].10),
        (Some(7), Some(1), Some(80), Some(7))
    );
    let on_sqlite: Vec<(String, i64, Option<i64>, i64)> = sqlx::query_as(EVENTS).fetch_all(&mut lite).await.unwrap();
    let on_postgres: Vec<(String, i64, Option<i64>, i64)> = sqlx::query_as(EVENTS).fetch_all(&mut pg).await.unwrap();
    assert_eq!(on_postgres, on_sqlite);
    assert_eq!(on_sqlite.len(), 14, "{on_sqlite:#?}");

    // Emails are one per store whatever their case.
    let twin =
        "INSERT INTO agents (store_id, email, name, password_hash, created_at) VALUES (1, 'A@X.COM', 'Twin', 'h', 1)";
    assert!(lite.execute(twin).await.is_err() && pg.execute(twin).await.is_err());
}
