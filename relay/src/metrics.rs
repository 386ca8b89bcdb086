//! What the relay measures for Prometheus (`relay --metrics-listen ADDR`, docs/operations.md).
//!
//! The code that does the work records through the `metrics` facade, one call per event from
//! the helpers here, so every metric's name, labels and unit stand in one file. Without
//! `--metrics-listen` no recorder is installed and each call is a no-op; with it, the one
//! process-wide Prometheus recorder keeps the figures and the metrics listener renders them
//! (`http::metrics`). Gauges of state that lives elsewhere (queues) are read when scraped.

use std::sync::Mutex;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use protocol::Role;

/// Open WebSockets, by `kind` (visitor, agent).
pub const SOCKETS_OPEN: &str = "parley_sockets_open";
/// Messages stored, by author `role` (rate() gives messages per second).
pub const MESSAGES: &str = "parley_messages_total";
/// Conversations waiting for an agent, by `store` key.
pub const QUEUE_LENGTH: &str = "parley_queue_length";
/// How long the longest-waiting conversation in the queue has waited, by `store` key.
pub const QUEUE_LONGEST_WAIT: &str = "parley_queue_longest_wait_seconds";
/// Time from a conversation's start to its first human reply.
pub const FIRST_REPLY: &str = "parley_first_reply_seconds";
/// Shoppers who waited past their store's first-reply deadline.
pub const DEADLINE_MISSES: &str = "parley_deadline_misses_total";
/// Automatic replies, by `kind` (faq, faq_choices, rule, order, away, handover, feedback, ack, deadline).
pub const BOT_REPLIES: &str = "parley_bot_replies_total";
/// Writes committed together by the store's writer.
pub const BATCH_SIZE: &str = "parley_store_batch_size";
/// How long the writer's commits take (the disk's fsync included).
pub const COMMIT_TIME: &str = "parley_store_commit_seconds";
/// Messages refused as `busy`, by `why`: the relay was behind, or the sender's socket had too
/// many sends in flight.
pub const BUSY: &str = "parley_busy_refusals_total";
/// Calls to shops' order sources, by `outcome` (ok, failed, refused).
pub const ORDER_SOURCE_CALLS: &str = "parley_order_source_seconds";
/// HTTP responses, by `status` code.
pub const HTTP_RESPONSES: &str = "parley_http_responses_total";
/// Conversations closed, by `how` (agent, question, idle).
pub const CLOSED: &str = "parley_conversations_closed_total";

/// Whether this relay's connection to the NATS bus is up (1) or not (0); only with `--nats`.
pub const BUS_CONNECTED: &str = "parley_bus_connected";
/// Frames carried over the bus, by `direction` (out: published here; in: from other relays,
/// delivered here).
pub const BUS_FRAMES: &str = "parley_bus_frames_total";
/// Publications the NATS client refused (the bus lost them).
pub const BUS_ERRORS: &str = "parley_bus_publish_errors_total";
/// NATS subjects this relay listens on (one per shopper, agent, store and session here).
pub const BUS_SUBJECTS: &str = "parley_bus_subjects";

/// The installed recorder's handle, once `install` ran.
static HANDLE: Mutex<Option<PrometheusHandle>> = Mutex::new(None);

/// Installs the process-wide Prometheus recorder (once: later calls, from a second relay in
/// the same process, get the same handle) and returns what renders it.
pub fn install() -> anyhow::Result<PrometheusHandle> {
    let mut handle = HANDLE.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(handle) = handle.as_ref() {
        return Ok(handle.clone());
    }
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(FIRST_REPLY.into()),
            &[5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0],
        )?
        .set_buckets_for_metric(
            Matcher::Full(BATCH_SIZE.into()),
            &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0],
        )?
        .set_buckets_for_metric(
            Matcher::Full(COMMIT_TIME.into()),
            &[0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
        )?
        .set_buckets_for_metric(
            Matcher::Full(ORDER_SOURCE_CALLS.into()),
            &[0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0],
        )?
        .build_recorder();
    let new = recorder.handle();
    metrics::set_global_recorder(recorder).map_err(|e| anyhow::anyhow!("installing the metrics recorder: {e}"))?;
    describe();
    *handle = Some(new.clone());
    Ok(new)
}

/// The HELP lines Prometheus shows.
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_gauge!(SOCKETS_OPEN, "Open WebSockets by kind");
    describe_counter!(MESSAGES, "Messages stored, by author role");
    describe_gauge!(QUEUE_LENGTH, "Conversations waiting for an agent");
    describe_gauge!(QUEUE_LONGEST_WAIT, Unit::Seconds, "The longest current wait in the queue");
    describe_histogram!(FIRST_REPLY, Unit::Seconds, "Time from a conversation's start to its first human reply");
    describe_counter!(DEADLINE_MISSES, "Shoppers who waited past the first-reply deadline");
    describe_counter!(BOT_REPLIES, "Automatic replies by kind");
    describe_histogram!(BATCH_SIZE, "Writes per committed batch");
    describe_histogram!(COMMIT_TIME, Unit::Seconds, "Time to commit one batch of writes");
    describe_counter!(BUSY, "Messages refused as busy, by why");
    describe_histogram!(ORDER_SOURCE_CALLS, Unit::Seconds, "Order-source calls by outcome");
    describe_counter!(HTTP_RESPONSES, "HTTP responses by status code");
    describe_counter!(CLOSED, "Conversations closed, by how");
    describe_gauge!(BUS_CONNECTED, "Whether the connection to the NATS bus is up");
    describe_counter!(BUS_FRAMES, "Frames carried over the NATS bus, by direction");
    describe_counter!(BUS_ERRORS, "Publications on the NATS bus that failed");
    describe_gauge!(BUS_SUBJECTS, "NATS subjects this relay listens on");
}

/// An open socket, counted until it is dropped.
#[must_use = "the socket counts as open while this lives"]
pub struct OpenSocket(&'static str);

impl OpenSocket {
    /// Counts a socket of `kind` as open.
    pub fn new(kind: &'static str) -> OpenSocket {
        metrics::gauge!(SOCKETS_OPEN, "kind" => kind).increment(1.0);
        OpenSocket(kind)
    }
}

impl Drop for OpenSocket {
    fn drop(&mut self) {
        metrics::gauge!(SOCKETS_OPEN, "kind" => self.0).decrement(1.0);
    }
}

/// A message was stored.
pub fn message(role: Role) {
    let role = match role {
        Role::Visitor => "visitor",
        Role::Agent => "agent",
        Role::Bot => "bot",
        Role::System => "system",
    };
    metrics::counter!(MESSAGES, "role" => role).increment(1);
}

/// A conversation got its first human reply `after` its start.
pub fn first_reply(after: Duration) {
    metrics::histogram!(FIRST_REPLY).record(after.as_secs_f64());
}

/// A shopper waited past the deadline.
pub fn deadline_missed() {
    metrics::counter!(DEADLINE_MISSES).increment(1);
}

/// The bot replied; `kind` is one of those [`BOT_REPLIES`] lists.
pub fn bot_reply(kind: &'static str) {
    metrics::counter!(BOT_REPLIES, "kind" => kind).increment(1);
}

/// The writer committed `jobs` writes in `took`.
pub fn batch(jobs: usize, took: Duration) {
    metrics::histogram!(BATCH_SIZE).record(jobs as f64);
    metrics::histogram!(COMMIT_TIME).record(took.as_secs_f64());
}

/// A message was refused as `busy` because the writer or the async workers were behind.
pub fn behind_refusal() {
    metrics::counter!(BUSY, "why" => "behind").increment(1);
}

/// A message was refused as `busy` because its socket had too many sends in flight.
pub fn full_socket_refusal() {
    metrics::counter!(BUSY, "why" => "socket").increment(1);
}

/// An order source answered (or not: `outcome` is ok, failed or refused) in `took`.
pub fn order_source(outcome: &'static str, took: Duration) {
    metrics::histogram!(ORDER_SOURCE_CALLS, "outcome" => outcome).record(took.as_secs_f64());
}

/// The relay answered an HTTP request with `status`.
pub fn http_response(status: u16) {
    metrics::counter!(HTTP_RESPONSES, "status" => status.to_string()).increment(1);
}

/// A conversation was closed; `how` is agent, question or idle.
pub fn closed(how: &'static str) {
    metrics::counter!(CLOSED, "how" => how).increment(1);
}

/// A store's queue as scraped: `waiting` conversations, the longest for `longest`.
pub fn queue(store_key: &str, waiting: u64, longest: Duration) {
    metrics::gauge!(QUEUE_LENGTH, "store" => store_key.to_owned()).set(waiting as f64);
    metrics::gauge!(QUEUE_LONGEST_WAIT, "store" => store_key.to_owned()).set(longest.as_secs_f64());
}

/// The bus's connection went up or down.
pub fn bus_connected(up: bool) {
    metrics::gauge!(BUS_CONNECTED).set(if up { 1.0 } else { 0.0 });
}

/// A frame crossed the bus; `direction` is out or in.
pub fn bus_frame(direction: &'static str) {
    metrics::counter!(BUS_FRAMES, "direction" => direction).increment(1);
}

/// A publication on the bus failed.
pub fn bus_error() {
    metrics::counter!(BUS_ERRORS).increment(1);
}

/// This relay listens on `count` subjects.
pub fn bus_subjects(count: usize) {
    metrics::gauge!(BUS_SUBJECTS).set(count as f64);
}
