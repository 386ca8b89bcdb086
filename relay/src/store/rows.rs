//! Rows into messages: the one place that knows the columns of a message (conversations and
//! overdue waits map themselves with `sqlx::FromRow`).

use protocol::{Author, Message, Role, Seq};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

pub(super) const MESSAGE_COLUMNS: &str =
    "id, conversation_id, seq, author_role, author_name, text, client_id, created_at, faq_article_id";

pub(super) fn role_name(role: Role) -> &'static str {
    match role {
        Role::Visitor => "visitor",
        Role::Agent => "agent",
        Role::Bot => "bot",
        Role::System => "system",
    }
}

pub(super) fn role_from_name(name: &str) -> Role {
    match name {
        "visitor" => Role::Visitor,
        "agent" => Role::Agent,
        "bot" => Role::Bot,
        _ => Role::System,
    }
}

pub(super) fn message_from_row(r: &SqliteRow) -> Message {
    Message {
        id: r.get("id"),
        conversation_id: r.get("conversation_id"),
        seq: r.get::<i64, _>("seq").max(0) as Seq,
        author: Author { role: role_from_name(r.get("author_role")), name: r.get("author_name") },
        text: r.get("text"),
        client_id: r.get("client_id"),
        at: r.get("created_at"),
        faq_article: r.get("faq_article_id"),
    }
}
