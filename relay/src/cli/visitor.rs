//! `relay visitor export|delete`: what the relay holds about one shopper, for the shop to hand
//! over or erase on request; and `relay store set --retention-days`.

use anyhow::{bail, Context};
use clap::{Args, Subcommand};

use crate::store::Shopper;

/// `relay visitor …`
#[derive(Debug, Subcommand)]
pub enum VisitorCommand {
    /// Print, as JSON, everything held about a shopper: visits, pages, conversations with
    /// their messages and notes, emails and FAQ feedback.
    Export(Which),
    /// Delete everything held about a shopper (logged).
    Delete(Which),
}

/// Which shopper: one visitor id, or everyone who left an email address.
#[derive(Debug, Args)]
pub struct Which {
    /// The store's key.
    #[arg(long)]
    pub store: String,
    /// The shopper.
    #[command(flatten)]
    pub who: Who,
}

/// A visitor id or an email address, exactly one.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Who {
    /// The visitor id (shown in the console's shopper details and in exports). An id may begin
    /// with '-', so the value is taken as given even when it looks like a flag.
    #[arg(long, allow_hyphen_values = true)]
    pub visitor: Option<String>,
    /// The email address the shopper left.
    #[arg(long)]
    pub email: Option<String>,
}

impl Which {
    fn shopper(&self) -> anyhow::Result<Shopper> {
        match (&self.who.visitor, &self.who.email) {
            (Some(id), None) => Ok(Shopper::Visitor(id.clone())),
            (None, Some(email)) => Ok(Shopper::Email(email.clone())),
            _ => bail!("give exactly one of --visitor ID or --email E"),
        }
    }
}

/// Runs `relay visitor …`.
pub async fn run(data: &crate::app::Database, command: VisitorCommand) -> anyhow::Result<()> {
    let (which, delete) = match &command {
        VisitorCommand::Export(which) => (which, false),
        VisitorCommand::Delete(which) => (which, true),
    };
    let shopper = which.shopper()?;
    let db = data.open().await?;
    let store =
        db.store_by_key(&which.store).await?.with_context(|| format!("no store has the key {:?}", which.store))?;
    let visitors = db.shopper_visitors(store.id, &shopper).await?;
    if delete {
        let mut conversations = 0;
        for visitor in &visitors {
            conversations += db.delete_visitor(store.id, visitor).await?;
            tracing::info!(store = ?store.key, visitor = ?visitor, "deleted a shopper's data on request (command line)");
        }
        println!("deleted {} visitor(s) and {conversations} conversation(s)", visitors.len());
    } else {
        let mut exported = Vec::new();
        for visitor in &visitors {
            exported.push(db.export_visitor(visitor).await?);
        }
        let out = serde_json::json!({ "store": store.key, "visitors": exported });
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    db.close().await;
    Ok(())
}

/// How long a store keeps conversations: a number of days, or for ever (`None`).
#[derive(Debug, Clone, Copy)]
pub struct Retention(pub Option<u32>);

/// Parses `--retention-days`: a number of days (1 to 36500), or `off`.
pub fn parse_retention(text: &str) -> Result<Retention, String> {
    if text == "off" {
        return Ok(Retention(None));
    }
    match text.parse::<u32>() {
        Ok(days) if (1..=36_500).contains(&days) => Ok(Retention(Some(days))),
        _ => Err(format!("{text:?}: give a number of days from 1 to 36500, or off")),
    }
}
