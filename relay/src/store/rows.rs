//! Rows into messages: the one place that knows the columns of a message, as the readers (sqlx)
//! and the writer's thread (rusqlite) see them (conversations and overdue waits map themselves
//! with `sqlx::FromRow`).

use super::db::Row;
use protocol::{Author, FaqChoice, Message, Role, Seq};

pub(super) const MESSAGE_COLUMNS: &str =
    "id, conversation_id, seq, author_role, author_name, text, client_id, created_at, faq_article_id, faq_choices";

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

/// A message row read in a write job (columns in [`MESSAGE_COLUMNS`] order).
pub(super) fn message_from_values(r: &super::statements::Values) -> Message {
    Message {
        id: r.int(0),
        conversation_id: r.int(1),
        seq: r.int(2).max(0) as Seq,
        author: Author { role: role_from_name(&r.text(3)), name: r.opt_text(4) },
        text: r.text(5),
        client_id: r.opt_text(6),
        at: r.int(7),
        faq_article: r.opt_text(8),
        faq_choices: choices_from_column(r.opt_text(9).as_deref()),
    }
}

pub(super) fn message_from_row(r: &Row) -> Message {
    Message {
        id: r.get("id"),
        conversation_id: r.get("conversation_id"),
        seq: r.get::<i64, _>("seq").max(0) as Seq,
        author: Author { role: role_from_name(r.get("author_role")), name: r.get("author_name") },
        text: r.get("text"),
        client_id: r.get("client_id"),
        at: r.get("created_at"),
        faq_article: r.get("faq_article_id"),
        faq_choices: choices_from_column(r.get::<Option<&str>, _>("faq_choices")),
    }
}

/// The `faq_choices` column of a message: a JSON array, or NULL when it offers none.
pub(super) fn choices_column(choices: &[FaqChoice]) -> Option<String> {
    (!choices.is_empty()).then(|| serde_json::to_string(choices).unwrap_or_else(|_| "[]".to_owned()))
}

/// The offered articles back from the column; a value that does not parse offers none (the
/// message's text lists them too).
fn choices_from_column(column: Option<&str>) -> Vec<FaqChoice> {
    column.and_then(|json| serde_json::from_str(json).ok()).unwrap_or_default()
}
