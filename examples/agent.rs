//! The terminal agent: signs in to a relay and chats from a terminal.
//!
//! ```text
//! cargo run --release --example agent -- --relay http://127.0.0.1:8080 \
//!     --email agent@demo.test --password demo-password
//! ```
//!
//! Every shopper message is printed on standard output as one line,
//! `#<conversation> <visitor id>: <text>` (line breaks in the text shown as ⏎). When a
//! conversation is assigned to this agent, its earlier shopper messages are printed too. Each line
//! typed on standard input is sent as a reply to the conversation of the latest shopper message;
//! `/to ID text` replies to conversation ID instead, `/claim ID` takes one from the queue,
//! `/close ID` ends one, `/reopen ID` opens a closed one again, and `/note ID text` leaves a
//! private note that only the store's agents see. Status and errors go to standard error.
//! When the connection drops, the agent reconnects with its session and prints what it missed.
//!
//! `--capacity N` sets how many conversations the agent takes at once; `--status away` signs in
//! without taking new conversations.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use anyhow::Result;
use clap::Parser;
use parley::{AgentClient, Event};
use protocol::{AgentFrame, AgentStatus, Message, Role, ServerFrame};
use tokio::io::{AsyncBufReadExt, BufReader};

/// Chat with shoppers from a terminal.
#[derive(Parser)]
struct Args {
    /// The relay's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    relay: String,
    /// Agent email.
    #[arg(long)]
    email: String,
    /// Agent password.
    #[arg(long)]
    password: String,
    /// How many conversations to handle at once (kept for later sessions).
    #[arg(long)]
    capacity: Option<u32>,
    /// Status to sign in with.
    #[arg(long, value_enum, default_value = "online")]
    status: Status,
}

/// The statuses an agent may sign in with.
#[derive(Clone, Copy, clap::ValueEnum)]
enum Status {
    /// Takes new conversations.
    Online,
    /// Keeps their conversations, takes no new ones.
    Away,
}

impl From<Status> for AgentStatus {
    fn from(status: Status) -> AgentStatus {
        match status {
            Status::Online => AgentStatus::Online,
            Status::Away => AgentStatus::Away,
        }
    }
}

/// What the agent remembers across reconnects.
#[derive(Default)]
struct Desk {
    /// The conversation of the latest shopper message: where a plain line goes.
    latest: Option<i64>,
    /// The messages already printed, per conversation, so that live messages, history and
    /// resyncs print each message once.
    printed: HashMap<i64, HashSet<u64>>,
    /// The highest sequence number received per conversation, to resync after a reconnect.
    seen: HashMap<i64, u64>,
    /// Each conversation's shopper (their visitor id).
    visitors: HashMap<i64, String>,
    next_client_id: u64,
}

impl Desk {
    /// Prints a shopper message once and remembers where the conversation stands.
    fn show(&mut self, message: &Message) {
        let seen = self.seen.entry(message.conversation_id).or_insert(0);
        *seen = (*seen).max(message.seq);
        if !self.printed.entry(message.conversation_id).or_default().insert(message.seq) {
            return;
        }
        if message.author.role == Role::Visitor {
            self.latest = Some(message.conversation_id);
            let visitor = self.visitors.get(&message.conversation_id).map_or("visitor", |v| v.as_str());
            println!("#{} {}: {}", message.conversation_id, visitor, message.text.replace('\n', " ⏎ "));
        }
    }

    /// Marks a conversation's existing messages as printed (seen before this agent signed in).
    fn skip_history(&mut self, conversation_id: i64, last_seq: u64) {
        self.printed.entry(conversation_id).or_default().extend(1..=last_seq);
        self.seen.insert(conversation_id, last_seq);
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let mut desk = Desk::default();
    // Sign in away, set the capacity, then take conversations: never more than asked for.
    let mut client = AgentClient::login_as(&args.relay, &args.email, &args.password, Some(AgentStatus::Away)).await?;
    if let Some(capacity) = args.capacity {
        client.socket.send(&AgentFrame::SetCapacity { capacity }).await?;
    }
    client.socket.send(&AgentFrame::SetStatus { status: args.status.into() }).await?;
    eprintln!(
        "signed in as {} at {} ({} open conversations). Type a reply and press Enter; /to ID text picks a conversation.",
        client.agent.name,
        client.store.name,
        client.conversations.len()
    );
    let me = client.agent.id;
    for c in &client.conversations {
        desk.visitors.insert(c.id, c.visitor_id.clone());
        if c.assigned_agent_id == Some(me) {
            // Already ours: show where it stands.
            client.socket.send(&AgentFrame::Sync { conversation_id: c.id, after_seq: 0 }).await?;
        } else if c.assigned_agent_id.is_some() {
            // A colleague's: only what is new from now on.
            desk.skip_history(c.id, c.last_seq);
        }
    }
    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    let mut stdin_open = true;
    loop {
        tokio::select! {
            event = client.socket.next_event() => match event? {
                Event::Frame(frame) => handle(&mut client, &mut desk, frame).await?,
                Event::Closed(close) => {
                    eprintln!("connection closed ({close:?}); reconnecting");
                    client = reconnect(&args, &client.session_token, &mut desk).await?;
                }
            },
            line = stdin.next_line(), if stdin_open => match line? {
                Some(line) => reply(&mut client, &mut desk, line.trim()).await?,
                None => stdin_open = false,
            },
        }
    }
}

async fn handle(client: &mut AgentClient, desk: &mut Desk, frame: ServerFrame) -> Result<()> {
    match frame {
        ServerFrame::Conversation { conversation } => {
            eprintln!("new conversation #{}", conversation.id);
            desk.visitors.insert(conversation.id, conversation.visitor_id);
        }
        ServerFrame::Message { message } => {
            desk.show(&message);
            let frame = AgentFrame::Ack { conversation_id: message.conversation_id, seq: message.seq };
            client.socket.send(&frame).await?;
        }
        ServerFrame::History { messages, .. } => messages.iter().for_each(|m| desk.show(m)),
        ServerFrame::Assignment { conversation_id, agent_id: Some(agent), .. } if agent == client.agent.id => {
            eprintln!("#{conversation_id} is yours now");
            // Its earlier messages; those already printed are skipped.
            client.socket.send(&AgentFrame::Sync { conversation_id, after_seq: 0 }).await?;
        }
        ServerFrame::Assignment { conversation_id, queue_position: Some(position), .. } => {
            eprintln!("#{conversation_id} waits in the queue at {position}; /claim {conversation_id} takes it");
        }
        ServerFrame::Closed { conversation_id, .. } => eprintln!("#{conversation_id} is closed"),
        ServerFrame::Note { note } => {
            eprintln!("#{} note by {}: {}", note.conversation_id, note.agent_name, note.text.replace('\n', " ⏎ "))
        }
        ServerFrame::Error { code, message, .. } => eprintln!("relay refused: {code:?}: {message}"),
        _ => {}
    }
    Ok(())
}

async fn reply(client: &mut AgentClient, desk: &mut Desk, line: &str) -> Result<()> {
    if line.is_empty() {
        return Ok(());
    }
    for (command, frame) in [
        ("/claim ", (|conversation_id| AgentFrame::Claim { conversation_id }) as fn(i64) -> AgentFrame),
        ("/close ", |conversation_id| AgentFrame::Close { conversation_id, question: None, resolved: None }),
        ("/reopen ", |conversation_id| AgentFrame::Reopen { conversation_id }),
    ] {
        if let Some(id) = line.strip_prefix(command) {
            match id.trim().trim_start_matches('#').parse::<i64>() {
                Ok(conversation_id) => client.socket.send(&frame(conversation_id)).await?,
                Err(_) => eprintln!("usage: {}ID", command),
            }
            return Ok(());
        }
    }
    if let Some(rest) = line.strip_prefix("/note ") {
        let (id, text) = rest.split_once(' ').unwrap_or((rest, ""));
        match (id.trim_start_matches('#').parse::<i64>(), text.trim()) {
            (Ok(conversation_id), text) if !text.is_empty() => {
                desk.next_client_id += 1;
                let client_id = format!("term-{}-n{}", std::process::id(), desk.next_client_id);
                let note = AgentFrame::Note { conversation_id, client_id, text: text.to_owned() };
                client.socket.send(&note).await?;
            }
            _ => eprintln!("usage: /note ID text"),
        }
        return Ok(());
    }
    let (target, text) = match line.strip_prefix("/to ") {
        Some(rest) => {
            let (id, text) = rest.split_once(' ').unwrap_or((rest, ""));
            match id.trim_start_matches('#').parse::<i64>() {
                Ok(id) => (Some(id), text.trim()),
                Err(_) => {
                    eprintln!("usage: /to ID text");
                    return Ok(());
                }
            }
        }
        None => (desk.latest, line),
    };
    let Some(conversation_id) = target else {
        eprintln!("no conversation yet: wait for a shopper, or use /to ID text");
        return Ok(());
    };
    desk.next_client_id += 1;
    let client_id = format!("term-{}-{}", std::process::id(), desk.next_client_id);
    client.send(conversation_id, &client_id, text).await
}

/// Reconnects with the session token (falling back to nothing: the caller's error ends the
/// program), then fetches what was missed in every conversation the agent had seen.
async fn reconnect(args: &Args, token: &str, desk: &mut Desk) -> Result<AgentClient> {
    let mut delay = Duration::from_millis(250);
    loop {
        tokio::time::sleep(delay).await;
        match AgentClient::resume_as(&args.relay, token, Some(args.status.into())).await {
            Ok(mut client) => {
                eprintln!("reconnected");
                for (&conversation_id, &after_seq) in &desk.seen {
                    client.socket.send(&AgentFrame::Sync { conversation_id, after_seq }).await?;
                }
                return Ok(client);
            }
            Err(e) => {
                eprintln!("reconnect failed: {e:#}");
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
    }
}
