//! The command line: `relay` serves; `relay store add` and `relay agent add` manage tenants and
//! agents in the same data dir, whether or not a server is running on it.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand, ValueEnum};

use crate::app::{start, RelayConfig};
pub use limits::LimitArgs;

mod limits;
mod stores;
mod visitor;

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

/// The relay's subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve (the default).
    Serve,
    /// Manage stores (tenants).
    #[command(subcommand)]
    Store(StoreCommand),
    /// Manage agents.
    #[command(subcommand)]
    Agent(AgentCommand),
    /// Manage a store's FAQ (help articles) and see what shoppers asked in vain.
    #[command(subcommand)]
    Faq(FaqCommand),
    /// Manage the bot's keyword rules.
    #[command(subcommand)]
    Bot(BotCommand),
    /// Hand over or delete what is held about one shopper (privacy requests).
    #[command(subcommand)]
    Visitor(visitor::VisitorCommand),
}

/// `relay faq …`
#[derive(Debug, Subcommand)]
pub enum FaqCommand {
    /// Add or update articles from a JSON file: an array of objects with "question", "answer",
    /// and optionally "id", "category", "tags" and "language". Articles are matched by id; a bad
    /// file is rejected whole and nothing changes. A running relay searches the new articles
    /// within a second.
    Import {
        /// The store's key.
        #[arg(long)]
        store: String,
        /// The JSON file.
        file: PathBuf,
    },
    /// Print the store's articles as JSON, in the format `import` reads.
    Export {
        /// The store's key.
        #[arg(long)]
        store: String,
    },
    /// Print the questions that found no good answer, most frequent first.
    Unanswered {
        /// The store's key.
        #[arg(long)]
        store: String,
        /// How many to print.
        #[arg(long, default_value = "20")]
        limit: u32,
    },
}

/// How a keyword rule matches a shopper message.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RuleMatch {
    /// The whole message equals the pattern (ignoring case, spaces and punctuation).
    Exact,
    /// The message contains the pattern.
    Contains,
    /// A word of the message is within one typo of the pattern (or contains it, for CJK).
    Fuzzy,
}

/// `relay bot …`
#[derive(Debug, Subcommand)]
pub enum BotCommand {
    /// Add a keyword rule: when a shopper message matches, the bot replies with the text.
    Rule {
        /// The store's key.
        #[arg(long)]
        store: String,
        /// How to match.
        #[arg(long = "match", value_enum, default_value = "contains")]
        kind: RuleMatch,
        /// What to look for.
        #[arg(long)]
        pattern: String,
        /// What the bot answers.
        #[arg(long)]
        reply: String,
        /// When several rules match, the highest priority wins.
        #[arg(long, default_value = "0")]
        priority: i64,
    },
}

/// `relay store …`
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Change a store's settings; a running relay applies them within 2 s.
    Set(StoreSet),
    /// Create a store.
    Add {
        /// Public key used in the script tag (letters, digits, '-' and '_').
        #[arg(long)]
        key: String,
        /// Display name shown in the widget's header.
        #[arg(long)]
        name: String,
        /// An origin allowed to embed the widget, exactly `scheme://host[:port]` (repeatable);
        /// `self` allows the relay's own pages.
        #[arg(long = "origin")]
        origins: Vec<String>,
    },
    /// Print the store's identity secret, which the shop's server signs customer ids with
    /// (see docs/embedding.md); `--rotate` replaces it, and the old one stops verifying at once.
    IdentitySecret {
        /// The store's key.
        #[arg(long)]
        key: String,
        /// Make a new secret.
        #[arg(long)]
        rotate: bool,
        /// Print the signature of this customer id instead (for trying `Parley.identify`).
        #[arg(long)]
        sign: Option<String>,
    },
}

/// `relay store set`: what to change (at least one).
#[derive(Debug, clap::Args)]
pub struct StoreSet {
    /// The store's key.
    #[arg(long)]
    pub key: String,
    /// Seconds a shopper may wait for a first reply (and for each next reply) before the bot
    /// acknowledges and the conversation moves to another free agent (default 60).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=86_400))]
    pub first_reply_secs: Option<u32>,
    /// Business hours, for example "mon-fri 09:00-18:00, sat 10:00-14:00"; "always" for none.
    /// Outside them the bot answers at once and offers to take an email address.
    #[arg(long)]
    pub hours: Option<String>,
    /// The IANA time zone of the hours, for example Europe/Paris (default UTC).
    #[arg(long)]
    pub timezone: Option<String>,
    /// What the bot says to a shopper who opens the chat ("" removes it).
    #[arg(long)]
    pub greeting: Option<String>,
    /// The widget's accent colour, `#rrggbb`.
    #[arg(long)]
    pub colour: Option<String>,
    /// The corner the launcher sits in: right or left.
    #[arg(long)]
    pub position: Option<String>,
    /// Delete conversations this many days after their last message, daily; `off` keeps
    /// them (the default).
    #[arg(long, value_parser = visitor::parse_retention)]
    pub retention_days: Option<visitor::Retention>,
    /// Refuse `Parley.identify` calls without a valid signature (true) or keep their email and
    /// name as unverified (false, the default).
    #[arg(long)]
    pub require_identity: Option<bool>,
    /// Seconds the agent's closing question waits for the shopper's answer before the
    /// conversation closes (default 600).
    #[arg(long, value_parser = clap::value_parser!(u32).range(10..=86_400))]
    pub closing_wait_secs: Option<u32>,
    /// Hours without a message after which a conversation closes by itself (default 24; 0:
    /// never).
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=2_160))]
    pub idle_close_hours: Option<u32>,
    /// Whether the widget asks shoppers to rate a closed conversation (default true).
    #[arg(long)]
    pub csat: Option<bool>,
    /// Let the store's webhooks call private and loopback addresses, over http too (false by
    /// default: the guard against request forgery; only the relay's operator can change it).
    #[arg(long)]
    pub webhooks_allow_private: Option<bool>,
    /// The sender of the store's emails, for example "Maison <help@maison.example>"
    /// ("" for the relay's `--mail-from`).
    #[arg(long)]
    pub email_from: Option<String>,
    /// The bot sends the same automatic reply to a conversation at most once in this many
    /// seconds (0: no limit; by default the relay's `--bot-repeat-secs`).
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=604_800))]
    pub bot_repeat_secs: Option<u32>,
    /// The shop's order source (docs/orders.md), an http(s) URL; `off` removes it.
    #[arg(long)]
    pub order_source_url: Option<String>,
    /// The secret the relay signs order-source requests with.
    #[arg(long)]
    pub order_source_secret: Option<String>,
    /// Let the relay call private and loopback addresses for this store's order source
    /// (false by default: a guard against request forgery; the demo allows it).
    #[arg(long)]
    pub order_source_allow_private: Option<bool>,
    /// Whether the bot answers order questions while agents are online too (default true).
    #[arg(long)]
    pub bot_answers_orders: Option<bool>,
}

/// `relay agent …`
#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// Create an agent.
    Add {
        /// The key of the agent's store.
        #[arg(long)]
        store: String,
        /// Login email (unique across the relay).
        #[arg(long)]
        email: String,
        /// Password (at least 8 characters).
        #[arg(long)]
        password: String,
        /// Display name shown to shoppers (defaults to the part of the email before '@').
        #[arg(long)]
        name: Option<String>,
        /// Role: owner, admin or agent.
        #[arg(long, default_value = "agent")]
        role: protocol::AgentRole,
    },
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
