//! The command line: `relay` serves; `relay store add` and `relay agent add` manage tenants and
//! agents in the same data dir, whether or not a server is running on it.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Parser;

use crate::app::{start, RelayConfig};
pub use limits::LimitArgs;

mod commands;
mod limits;
mod stores;
mod visitor;

pub use commands::{AgentCommand, BotCommand, Command, FaqCommand, RuleMatch, StoreCommand, StoreSet};

/// Parley relay: live chat between shoppers and a shop's agents.
#[derive(Debug, Parser)]
#[command(name = "relay", version, about)]
pub struct Cli {
    /// Directory for the database (created if missing).
    #[arg(long, global = true, default_value = "./data", env = "RELAY_DATA_DIR")]
    pub data_dir: PathBuf,
    /// Keep the data in this PostgreSQL database (`postgres://USER:PASS@HOST:PORT/DB`)
    /// instead of SQLite in `--data-dir`: several relays can share it (docs/operations.md).
    #[arg(long, global = true, env = "DATABASE_URL")]
    pub database: Option<String>,
    /// Address to listen on when serving.
    #[arg(long, default_value = "127.0.0.1:8080", env = "RELAY_LISTEN")]
    pub listen: SocketAddr,
    /// Serve Prometheus metrics at `GET /metrics` on this address (its own, never the public
    /// one; docs/operations.md lists them). Off when absent.
    #[arg(long, env = "RELAY_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// Send email through this SMTP server: `smtp://USER:PASS@HOST:PORT` (STARTTLS when the
    /// server offers it; `?tls=required` insists) or `smtps://…` (TLS). No email when absent.
    #[arg(long, env = "RELAY_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// The sender of emails from stores that set no address of their own
    /// (default `noreply@` the public URL's host).
    #[arg(long, env = "RELAY_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// The relay's address as shoppers reach it, for the links in emails, for example
    /// `https://chat.example.com` (default `http://` the listening address).
    #[arg(long, env = "RELAY_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Join the bus between relays on this NATS server (`nats://HOST:PORT`; several,
    /// comma-separated, for a NATS cluster): frames reach sockets held by the other relays.
    /// docs/operations.md explains running several relays.
    #[arg(long, env = "RELAY_NATS")]
    pub nats: Option<String>,
    /// The embedding model that ranks FAQ articles by meaning (README "FAQ ranking"); `none`
    /// for lexical search only. Default: `parley-faq-model.bin` beside the relay binary, where
    /// `cargo xtask build` puts it, else lexical search.
    #[arg(long, env = "RELAY_FAQ_MODEL", value_name = "PATH")]
    pub faq_model: Option<String>,
    /// Abuse limits.
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Seconds during which the bot does not send the same automatic reply again in a
    /// conversation.
    #[arg(long, default_value = "3600")]
    pub bot_repeat_secs: u64,
    /// What to do; serves when absent.
    #[command(subcommand)]
    pub command: Option<Command>,
}

pub use crate::logging::init_logging;

/// Raises the soft limit on open files to the hard limit: every connection is a file, and the
/// common default of 1,024 is a few hundred shoppers.
fn raise_open_file_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::info!(limit, "open files allowed"),
        Err(error) => tracing::warn!(%error, "could not raise the open-file limit"),
    }
}

/// Runs a parsed command line.
pub async fn run(mut cli: Cli) -> anyhow::Result<()> {
    let data = crate::app::Database { data_dir: cli.data_dir.clone(), url: cli.database.clone() };
    match cli.command.take().unwrap_or(Command::Serve) {
        Command::Serve => serve(cli).await,
        Command::Store(StoreCommand::Add { key, name, origins }) => stores::add(&data, &key, &name, &origins).await,
        Command::Store(StoreCommand::Set(set)) => stores::set(&data, set).await,
        Command::Store(StoreCommand::IdentitySecret { key, rotate, sign }) => {
            stores::identity_secret(&data, &key, rotate, sign.as_deref()).await
        }
        Command::Faq(command) => run_faq(&data, command).await,
        Command::Visitor(command) => visitor::run(&data, command).await,
        Command::Bot(BotCommand::Rule { store, kind, pattern, reply, priority }) => {
            add_rule(&data, &store, kind, &pattern, &reply, priority).await
        }
        Command::Agent(AgentCommand::Add { store, email, password, name, role }) => {
            add_agent(&data, &store, &email, password, name, role).await
        }
    }
}

/// `relay` (or `relay serve`): serves until Ctrl-C or SIGTERM.
async fn serve(cli: Cli) -> anyhow::Result<()> {
    let mut config = RelayConfig::new(cli.listen, cli.data_dir);
    config.limits = cli.limits.config();
    config.trusted_proxies = cli.limits.trust_forwarded_for.clone().unwrap_or_default();
    raise_open_file_limit();
    config.bot_repeat_window = std::time::Duration::from_secs(cli.bot_repeat_secs);
    config.metrics_listen = cli.metrics_listen;
    config.smtp_url = cli.smtp_url.clone();
    config.nats_url = cli.nats.clone();
    config.database_url = cli.database.clone();
    config.mail_from = cli.mail_from.clone();
    config.public_url = cli.public_url.clone();
    config.faq_model = crate::faq::semantic::model_path(cli.faq_model.as_deref());
    let ranking = match &config.faq_model {
        Some(path) => format!("by meaning (model {})", path.display()),
        None => "lexical only (no model)".to_owned(),
    };
    let relay = start(config).await?;
    // Written, not printed: a supervisor that stops reading must not end the relay.
    use std::io::Write as _;
    let mut out = std::io::stdout();
    let _ = writeln!(out, "relay listening on {}", relay.url());
    let _ = writeln!(out, "demo storefront: {}/demo/", relay.url());
    let _ = writeln!(out, "FAQ ranking: {ranking}");
    if let Some(at) = relay.metrics_addr() {
        let _ = writeln!(out, "metrics: http://{at}/metrics");
    }
    let _ = out.flush();
    relay.serve_until_signal().await
}

/// `relay bot rule`
async fn add_rule(
    data: &crate::app::Database,
    store: &str,
    kind: RuleMatch,
    pattern: &str,
    reply: &str,
    priority: i64,
) -> anyhow::Result<()> {
    if pattern.trim().is_empty() || reply.trim().is_empty() {
        bail!("--pattern and --reply must not be empty");
    }
    let db = data.open().await?;
    let record = find_store(&db, store).await?;
    let kind = format!("{kind:?}").to_lowercase();
    let id = db.add_bot_rule(record.id, &kind, pattern.trim(), reply.trim(), priority).await?;
    db.close().await;
    println!("added rule {id} to store {store:?}: {kind} {pattern:?} (priority {priority})");
    Ok(())
}

/// `relay agent add`
async fn add_agent(
    data: &crate::app::Database,
    store: &str,
    email: &str,
    password: String,
    name: Option<String>,
    role: protocol::AgentRole,
) -> anyhow::Result<()> {
    let email = crate::fields::email(email).map_err(anyhow::Error::msg)?;
    crate::fields::password(&password).map_err(anyhow::Error::msg)?;
    let name = name.unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_owned());
    let name = crate::fields::agent_name(&name).map_err(anyhow::Error::msg)?;
    let db = data.open().await?;
    let hash = tokio::task::spawn_blocking(move || crate::auth::hash_password(&password))
        .await
        .context("hashing the password")?;
    db.add_agent(store, &email, &name, role, &hash).await?;
    db.close().await;
    println!("created {role} {email:?} ({name}) in store {store:?}");
    Ok(())
}

/// The store with `key`, or a clear error.
async fn find_store(db: &crate::store::Store, key: &str) -> anyhow::Result<crate::store::StoreRecord> {
    db.store_by_key(key).await?.with_context(|| format!("no store has the key {key:?}"))
}

async fn run_faq(data: &crate::app::Database, command: FaqCommand) -> anyhow::Result<()> {
    let db = data.open().await?;
    match command {
        FaqCommand::Import { store, file } => {
            let record = find_store(&db, &store).await?;
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let articles =
                crate::faq::import::parse(&text).with_context(|| format!("{} was not imported", file.display()))?;
            let count = db.upsert_articles(record.id, articles).await?;
            println!("imported {count} articles into store {store:?}");
        }
        FaqCommand::Export { store } => {
            let record = find_store(&db, &store).await?;
            let articles = db.articles(record.id).await?;
            let json: Vec<serde_json::Value> = articles.iter().map(crate::faq::article_json).collect();
            println!("{}", serde_json::to_string_pretty(&json)?);
        }
        FaqCommand::Unanswered { store, limit } => {
            let record = find_store(&db, &store).await?;
            for (question, count) in db.top_unanswered(record.id, limit).await? {
                println!("{count:>5}  {question}");
            }
        }
    }
    db.close().await;
    Ok(())
}

fn check_store_key(key: &str) -> anyhow::Result<()> {
    let valid =
        !key.is_empty() && key.len() <= 64 && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid {
        bail!("a store key is 1 to 64 letters, digits, '-' or '_'; got {key:?}");
    }
    Ok(())
}
