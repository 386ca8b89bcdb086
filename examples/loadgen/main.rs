//! Load generator: simulated shoppers and agents against a real release relay, started here as
//! its own process on a fresh data dir. All traffic stays on loopback and every run ends by
//! itself.
//!
//! ```text
//! cargo xtask build
//! cargo run --release --example loadgen -- first-replies --shoppers 10000 --agents 100
//! cargo run --release --example loadgen -- throughput
//! cargo run --release --example loadgen -- --nats nats://127.0.0.1:4222 throughput --scenarios ramp
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
    match cli.scenario {
        Scenario::FirstReplies(args) => first_replies::run(&cli.relay_bin, args).await,
        Scenario::Throughput(args) => throughput::run(&cli.relay_bin, args).await,
    }
}
