//! Opening the database the way every command does: SQLite in the data dir or PostgreSQL at a
//! URL, migrated, with the demo store and its FAQ made on a fresh one.

use std::path::PathBuf;

use anyhow::Context;

use super::{DEMO_STORE_KEY, DEMO_STORE_NAME};
use crate::store::Store;

/// Where the relay keeps its data: SQLite in `data_dir`, or the PostgreSQL database at `url`.
#[derive(Debug, Clone)]
pub struct Database {
    /// The data dir (SQLite's database file, when there is no `url`).
    pub data_dir: PathBuf,
    /// A PostgreSQL URL (`--database`).
    pub url: Option<String>,
}

impl Database {
    /// Opens the database the way every command does; see [`open_store`].
    pub async fn open(&self) -> anyhow::Result<Store> {
        open_store(&self.data_dir, self.url.as_deref()).await
    }
}

/// Opens a data dir the way every command does: migrated, and with the demo store (so that
/// `/demo/` and `agent add --store demo` work on a fresh one).
pub async fn open_data_dir(data_dir: &std::path::Path) -> anyhow::Result<Store> {
    open_store(data_dir, None).await
}

/// Opens SQLite in `data_dir`, or PostgreSQL at `url`, migrated and with the demo store.
pub async fn open_store(data_dir: &std::path::Path, url: Option<&str>) -> anyhow::Result<Store> {
    let store = match url {
        Some(url) => {
            Store::open_postgres(url).await.with_context(|| format!("opening the database at {}", redact(url)))?
        }
        None => {
            Store::open(data_dir).await.with_context(|| format!("opening the database in {}", data_dir.display()))?
        }
    };
    if store.ensure_store(DEMO_STORE_KEY, DEMO_STORE_NAME, &["self".to_owned()]).await? {
        tracing::info!("created the demo store {DEMO_STORE_KEY:?}");
        let demo = store.store_by_key(DEMO_STORE_KEY).await?.context("the demo store vanished")?;
        let articles = crate::faq::import::parse(DEMO_FAQ).context("the demo FAQ")?;
        store.upsert_articles(demo.id, articles).await?;
    }
    Ok(store)
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user = &url[scheme + 3..at];
            let user = user.split(':').next().unwrap_or_default();
            format!("{}{user}@{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

/// The demo store's FAQ: a fashion shop's questions in English and Chinese.
const DEMO_FAQ: &str = include_str!("../../faq/demo.json");
