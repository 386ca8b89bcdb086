//! The Parley relay: an axum + tokio server that stores shop conversations and carries them
//! between shoppers' widgets and agents' clients over WebSocket.
//!
//! How the pieces fit (see also `docs/architecture.md`): `http` routes requests and serves the
//! embedded assets; `ws` runs one session per socket (a reader loop and a writer task); sessions
//! persist through `store` (the only module with SQL) and deliver through `hub` (the fan-out);
//! `auth` checks passwords and tokens; `cli` is the command line; `app` ties them together.

pub mod app;
pub mod auth;
pub mod bot;
pub mod bus;
pub mod chat;
pub mod cli;
pub mod error;
pub mod fanout;
pub mod faq;
pub mod fields;
pub mod hours;
pub mod http;
pub mod hub;
pub mod limits;
pub mod live;
pub mod logging;
pub mod mail;
pub mod metrics;
pub mod orders;
pub mod origin;
pub mod pulse;
pub mod reports;
pub mod routing;
pub mod serve;
pub mod state;
pub mod store;
pub mod texts;
pub mod ticker;
pub mod webhooks;
pub mod ws;

pub use app::{start, AppState, RelayConfig, RunningRelay, DEMO_STORE_KEY};
