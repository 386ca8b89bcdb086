//! Load generator: simulated shoppers and agents against a real release relay, started here as
//! its own process on a fresh data dir. All traffic stays on loopback and every run ends by
//! itself.
//!
//! ```text
//! cargo xtask build
//! cargo run --release --example loadgen -- first-replies --shoppers 10000 --agents 100
//! cargo run --release --example loadgen -- throughput
//! cargo run --release --example loadgen -- --nats nats://127.0.0.1:4222 throughput --scenarios ramp
//! cargo run --release --example loadgen -- --database postgres://parley@127.0.0.1:5432/postgres throughput
//! cargo run --release --example loadgen -- --database postgres://… --nats nats://… --nodes 3 throughput
//! ```
//!
//! - `first-replies`: shoppers each open a conversation, agents answer after a delay or not
//!   at all, and the first-reply deadline and the bot do the rest (see `first_replies.rs`).
//! - `throughput`: round trips at a rising rate, many shoppers at a fixed rate, a wave of
//!   openings, overload, and memory per idle connection (see `throughput.rs`).

mod first_replies;
mod process;
mod throughput;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// Drive a relay with shoppers and agents.
#[derive(Parser)]
struct Cli {
    /// The relay binary.
    #[arg(long, global = true, default_value = "target/release/relay")]
    relay_bin: String,
    /// Run the relay on these CPUs only (`taskset` list, e.g. `0`) and the generator on the
    /// others, so that on a small machine the generator can offer more than the relay takes.
    #[arg(long, global = true)]
    relay_cpus: Option<String>,
    /// Start the relay on the bus between relays (`--nats URL`): every frame is also published
    /// on NATS, so the figures show what the bus costs a node.
    #[arg(long, global = true)]
    nats: Option<String>,
    /// Keep the relay's data on this PostgreSQL server (`postgres://USER@HOST:PORT/postgres`;
    /// each run gets a fresh database there) instead of SQLite.
    #[arg(long, global = true)]
    database: Option<String>,
    /// Start this many relays on one database and bus (needs `--database` and `--nats`);
    /// shoppers and agents spread over them round-robin, agents on another node than the
    /// shopper beside them. CPU is the nodes' total, RSS the average per node.
    #[arg(long, global = true, default_value = "1")]
    nodes: usize,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Subcommand)]
enum Scenario {
    /// Shoppers open conversations; agents answer some after a delay.
    FirstReplies(first_replies::Args),
    /// Rates, openings, overload and idle memory.
    Throughput(throughput::Args),
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    if let Some(cpus) = &cli.relay_cpus {
        process::split_cpus(cpus)?;
    }
    if let Some(url) = &cli.nats {
        process::join_bus(url);
    }
    if let Some(url) = &cli.database {
        process::use_postgres(url);
    }
    if cli.nodes > 1 && (cli.database.is_none() || cli.nats.is_none()) {
        anyhow::bail!("--nodes needs --database and --nats: the nodes share both");
    }
    process::cluster_of(cli.nodes);
    match cli.scenario {
        Scenario::FirstReplies(args) => first_replies::run(&cli.relay_bin, args).await,
        Scenario::Throughput(args) => throughput::run(&cli.relay_bin, args).await,
    }
}
