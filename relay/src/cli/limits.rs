//! The abuse-limit flags of `relay` (serving), apart from the subcommands.

use std::num::NonZeroU32;

use clap::Args;

use crate::limits::LimitsConfig;
use crate::serve::TrustedProxies;

/// How much one shopper, address or account may do.
#[derive(Debug, Args)]
pub struct LimitArgs {
    /// Messages a shopper may send at once before the per-minute rate applies.
    #[arg(long, default_value = "10")]
    pub message_burst: NonZeroU32,
    /// Messages per minute a shopper may send in the long run.
    #[arg(long, default_value = "30")]
    pub messages_per_minute: NonZeroU32,
    /// New conversations per hour from one client address.
    #[arg(long, default_value = "20")]
    pub conversations_per_hour: NonZeroU32,
    /// WebSocket connection attempts per minute from one client address.
    #[arg(long, default_value = "60")]
    pub connections_per_minute: NonZeroU32,
    /// FAQ searches per minute from one client address.
    #[arg(long, default_value = "120")]
    pub searches_per_minute: NonZeroU32,
    /// Sign-in attempts one agent account may take at once from one address; after that, one a
    /// minute (other addresses are not affected).
    #[arg(long, default_value = "5")]
    pub sign_ins_per_account: NonZeroU32,
    /// Sign-in attempts one account may take at once from all addresses together; after that,
    /// this many an hour.
    #[arg(long, default_value = "50")]
    pub sign_ins_per_account_total: NonZeroU32,
    /// Sign-in attempts one client address may make at once, whatever the accounts; after
    /// that, this many a minute.
    #[arg(long, default_value = "20")]
    pub sign_ins_per_address: NonZeroU32,
    /// Password checks running at once; more sign-ins are answered 429 at once.
    #[arg(long, default_value = "2")]
    pub password_checks: NonZeroU32,
    /// Open connections one client address may hold (HTTP and WebSocket together).
    #[arg(long, default_value = "500")]
    pub connections_per_address: NonZeroU32,
    /// New connections per second from one client address (ten seconds' worth at once); more
    /// are closed before any request is read.
    #[arg(long, default_value = "20")]
    pub new_connections_per_second: NonZeroU32,
    /// IPv6 addresses count as one client per this prefix length (IPv4: per address).
    #[arg(long, default_value = "64", value_parser = clap::value_parser!(u8).range(1..=128))]
    pub ipv6_prefix: u8,
    /// Reverse proxies (addresses or networks, comma-separated) whose `X-Forwarded-For` names
    /// the client; their own connections are not capped.
    #[arg(long, value_parser = TrustedProxies::parse)]
    pub trust_forwarded_for: Option<TrustedProxies>,
}

impl LimitArgs {
    /// The limits these flags set.
    pub fn config(&self) -> LimitsConfig {
        LimitsConfig {
            message_burst: self.message_burst,
            messages_per_minute: self.messages_per_minute,
            conversations_per_hour: self.conversations_per_hour,
            connections_per_minute: self.connections_per_minute,
            searches_per_minute: self.searches_per_minute,
            sign_ins_per_account: self.sign_ins_per_account,
            sign_ins_per_account_total: self.sign_ins_per_account_total,
            sign_ins_per_address: self.sign_ins_per_address,
            password_checks: self.password_checks,
            connections_per_address: self.connections_per_address,
            new_connections_per_second: self.new_connections_per_second,
            ipv6_prefix: self.ipv6_prefix,
        }
    }
}
