//! The relay's subcommands and their options, as clap parses them: `store`, `agent`, `faq` and
//! `bot`. What each does is in `mod.rs`, `stores.rs` and `visitor.rs`.

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};

use super::visitor;

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
