//! Rust clients for the Parley relay, over tokio-tungstenite.
//!
//! The terminal agent (`examples/agent.rs`), the benchmarks and the end-to-end tests all speak
//! the protocol through these types, so the protocol is exercised exactly as a third-party
//! client would use it. Sockets use a 4 KiB read buffer: tungstenite's default of 128 KiB costs
//! about 138 KB per idle connection and zero-fills on every read.

use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use futures_util::{SinkExt, StreamExt};
use protocol::{AgentFrame, AgentInfo, AgentStatus, ConversationSummary, ServerFrame, StoreInfo, VisitorFrame};
use serde::Serialize;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long [`FrameSocket::wait_for`] waits before giving up.
pub const WAIT: Duration = Duration::from_secs(10);

// Events live for one read and are matched at once; boxing the frame would only add an
// allocation per frame.
/// What arrives on a socket.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Event {
    /// A frame from the relay.
    Frame(ServerFrame),
    /// The relay closed the socket (with its close frame, if it sent one).
    Closed(Option<CloseFrame>),
}

/// A WebSocket that speaks JSON frames.
pub struct FrameSocket {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Frames read ahead by [`FrameSocket::wait_for_keeping`], returned before new ones.
    held: std::collections::VecDeque<ServerFrame>,
}

/// Turns `http://host:port` into `ws://host:port` (and https into wss).
pub fn ws_base(http_base: &str) -> String {
    let trimmed = http_base.trim_end_matches('/');
    match trimmed.strip_prefix("https://") {
        Some(rest) => format!("wss://{rest}"),
        None => format!("ws://{}", trimmed.strip_prefix("http://").unwrap_or(trimmed)),
    }
}

impl FrameSocket {
    /// Connects, optionally sending an `Origin` header as a browser page would.
    pub async fn connect(url: &str, origin: Option<&str>) -> Result<FrameSocket> {
        let headers: Vec<(&str, &str)> = origin.map(|o| ("Origin", o)).into_iter().collect();
        Self::connect_with_headers(url, &headers).await
    }

    /// Connects with extra request headers (a browser's `Origin` and `Cookie`, say).
    pub async fn connect_with_headers(url: &str, headers: &[(&str, &str)]) -> Result<FrameSocket> {
        let mut request = url.into_client_request().context("building the WebSocket request")?;
        for (name, value) in headers {
            let name = tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes())?;
            request.headers_mut().insert(name, HeaderValue::from_str(value)?);
        }
        let config = WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(4096);
        let (ws, _) = tokio_tungstenite::connect_async_with_config(request, Some(config), true)
            .await
            .with_context(|| format!("connecting to {url}"))?;
        Ok(FrameSocket { ws, held: Default::default() })
    }

    /// Connects from a chosen local address (another loopback address, say `127.0.0.2`, so
    /// that the relay sees another client).
    pub async fn connect_from(url: &str, local: std::net::IpAddr) -> Result<FrameSocket> {
        let request = url.into_client_request().context("building the WebSocket request")?;
        let authority = request.uri().authority().context("the URL has no host")?.to_string();
        let remote: std::net::SocketAddr = authority.parse().context("connect_from takes an ip:port URL")?;
        let socket = if remote.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
        socket.bind(std::net::SocketAddr::new(local, 0))?;
        let tcp = socket.connect(remote).await.with_context(|| format!("connecting to {url}"))?;
        let config = WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(4096);
        let (ws, _) = tokio_tungstenite::client_async_with_config(
            request,
            tokio_tungstenite::MaybeTlsStream::Plain(tcp),
            Some(config),
        )
        .await
        .with_context(|| format!("connecting to {url}"))?;
        Ok(FrameSocket { ws, held: Default::default() })
    }

    /// Sends a frame.
    pub async fn send<T: Serialize>(&mut self, frame: &T) -> Result<()> {
        self.send_text(protocol::encode(frame)).await
    }

    /// Sends raw text (tests use it for malformed frames).
    pub async fn send_text(&mut self, text: String) -> Result<()> {
        self.ws.send(Message::text(text)).await.context("sending a frame")
    }

    /// Sends a raw WebSocket message.
    pub async fn send_raw(&mut self, message: Message) -> Result<()> {
        self.ws.send(message).await.context("sending a message")
    }

    /// The next frame or the close; `Closed(None)` also when the connection just ends.
    pub async fn next_event(&mut self) -> Result<Event> {
        if let Some(frame) = self.held.pop_front() {
            return Ok(Event::Frame(frame));
        }
        loop {
            match self.ws.next().await {
                None => return Ok(Event::Closed(None)),
                Some(Err(e)) => {
                    use tokio_tungstenite::tungstenite::Error;
                    return match e {
                        Error::ConnectionClosed | Error::AlreadyClosed | Error::Protocol(_) | Error::Io(_) => {
                            if std::env::var_os("PARLEY_DEBUG").is_some() {
                                eprintln!("socket ended: {e:?}");
                            }
                            Ok(Event::Closed(None))
                        }
                        other => Err(other.into()),
                    };
                }
                Some(Ok(Message::Text(text))) => {
                    let frame = serde_json::from_str(text.as_str())
                        .with_context(|| format!("the relay sent a frame this client cannot read: {text}"))?;
                    return Ok(Event::Frame(frame));
                }
                Some(Ok(Message::Close(frame))) => return Ok(Event::Closed(frame)),
                Some(Ok(_)) => continue,
            }
        }
    }

    /// The next frame; an error if the socket closes first.
    pub async fn next_frame(&mut self) -> Result<ServerFrame> {
        match self.next_event().await? {
            Event::Frame(frame) => Ok(frame),
            Event::Closed(close) => bail!("the relay closed the socket: {close:?}"),
        }
    }

    /// Reads frames until one matches, within [`WAIT`]; frames before it are dropped.
    pub async fn wait_for(&mut self, mut wanted: impl FnMut(&ServerFrame) -> bool) -> Result<ServerFrame> {
        tokio::time::timeout(WAIT, async {
            loop {
                let frame = self.next_frame().await?;
                if wanted(&frame) {
                    return Ok(frame);
                }
            }
        })
        .await
        .map_err(|_| anyhow!("no matching frame within {WAIT:?}"))?
    }

    /// Like [`FrameSocket::wait_for`], but the frames before the match stay queued for the
    /// next reads, in order.
    pub async fn wait_for_keeping(&mut self, mut wanted: impl FnMut(&ServerFrame) -> bool) -> Result<ServerFrame> {
        if let Some(index) = self.held.iter().position(&mut wanted) {
            return Ok(self.held.remove(index).expect("the index was just found"));
        }
        let mut skipped = Vec::new();
        let found = tokio::time::timeout(WAIT, async {
            loop {
                let frame = match self.ws.next().await {
                    Some(Ok(Message::Text(text))) => serde_json::from_str::<ServerFrame>(text.as_str())?,
                    Some(Ok(Message::Close(close))) => bail!("the relay closed the socket: {close:?}"),
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return Err(e.into()),
                    None => bail!("the socket ended"),
                };
                if wanted(&frame) {
                    return Ok(frame);
                }
                skipped.push(frame);
            }
        })
        .await;
        self.held.extend(skipped);
        found.map_err(|_| anyhow!("no matching frame within {WAIT:?}"))?
    }

    /// Waits for the relay to close the socket, within [`WAIT`]; returns its close frame.
    pub async fn wait_for_close(&mut self) -> Result<Option<CloseFrame>> {
        tokio::time::timeout(WAIT, async {
            loop {
                if let Event::Closed(close) = self.next_event().await? {
                    return Ok(close);
                }
            }
        })
        .await
        .map_err(|_| anyhow!("the socket was not closed within {WAIT:?}"))?
    }

    /// Closes the socket politely.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

/// What `visitor_welcome` said.
#[derive(Debug, Clone)]
pub struct VisitorWelcome {
    /// The visitor's id.
    pub visitor_id: String,
    /// The token to present next time.
    pub token: String,
    /// The store.
    pub store: StoreInfo,
    /// The open conversation, if any.
    pub conversation_id: Option<i64>,
    /// The verified customer, if `identify` was.
    pub customer_id: Option<String>,
}

/// A shopper's connection, as the widget makes it.
pub struct VisitorClient {
    /// The socket, for frames this type has no method for.
    pub socket: FrameSocket,
    /// The relay's welcome.
    pub welcome: VisitorWelcome,
}

impl VisitorClient {
    /// Connects to `store` and says hello with an optional earlier token and the last seq held.
    pub async fn connect(
        base: &str,
        store: &str,
        origin: Option<&str>,
        token: Option<String>,
        last_seq: u64,
    ) -> Result<VisitorClient> {
        Self::connect_as(base, store, origin, token, last_seq, None).await
    }

    /// Like [`VisitorClient::connect`], saying who the shopper is as `Parley.identify` does.
    /// Frames before the welcome (an identity's refusal) stay queued on the socket.
    pub async fn connect_as(
        base: &str,
        store: &str,
        origin: Option<&str>,
        token: Option<String>,
        last_seq: u64,
        identity: Option<protocol::Identity>,
    ) -> Result<VisitorClient> {
        let url = format!("{}/ws/visitor?store={store}", ws_base(base));
        let mut socket = FrameSocket::connect(&url, origin).await?;
        socket.send(&VisitorFrame::Hello { token, last_seq, identity }).await?;
        let found = socket.wait_for_keeping(|f| matches!(f, ServerFrame::VisitorWelcome { .. })).await?;
        let welcome = match found {
            ServerFrame::VisitorWelcome { visitor_id, token, store, conversation_id, customer_id } => {
                VisitorWelcome { visitor_id, token, store, conversation_id, customer_id }
            }
            _ => unreachable!("wait_for matched a welcome"),
        };
        Ok(VisitorClient { socket, welcome })
    }

    /// Sends a message with the given client id.
    pub async fn send(&mut self, client_id: &str, text: &str) -> Result<()> {
        self.socket.send(&VisitorFrame::Send { client_id: client_id.into(), text: text.into() }).await
    }
}

/// An agent's connection.
pub struct AgentClient {
    /// The socket, for frames this type has no method for.
    pub socket: FrameSocket,
    /// Who signed in.
    pub agent: AgentInfo,
    /// Their store.
    pub store: StoreInfo,
    /// The session token, for `resume` after a reconnect.
    pub session_token: String,
    /// Open conversations at sign-in.
    pub conversations: Vec<ConversationSummary>,
}

impl AgentClient {
    /// Connects and signs in with email and password, online.
    pub async fn login(base: &str, email: &str, password: &str) -> Result<AgentClient> {
        Self::login_as(base, email, password, None).await
    }

    /// Connects and signs in with email and password and a starting status.
    pub async fn login_as(base: &str, email: &str, password: &str, status: Option<AgentStatus>) -> Result<AgentClient> {
        let frame = AgentFrame::Login { email: email.into(), password: password.into(), status, store: None };
        Self::introduce(base, frame).await
    }

    /// Connects and signs in again with a session token, online.
    pub async fn resume(base: &str, token: &str) -> Result<AgentClient> {
        Self::resume_as(base, token, None).await
    }

    /// Connects and signs in again with a session token and a starting status.
    pub async fn resume_as(base: &str, token: &str, status: Option<AgentStatus>) -> Result<AgentClient> {
        Self::introduce(base, AgentFrame::Resume { token: token.into(), status }).await
    }

    async fn introduce(base: &str, frame: AgentFrame) -> Result<AgentClient> {
        let url = format!("{}/ws/agent", ws_base(base));
        let mut socket = FrameSocket::connect(&url, None).await?;
        socket.send(&frame).await?;
        // Another tab's presence may be fanned out to this socket just before its welcome: such
        // frames stay queued on the socket.
        let answer = |f: &ServerFrame| matches!(f, ServerFrame::AgentWelcome { .. } | ServerFrame::Error { .. });
        match socket.wait_for_keeping(answer).await? {
            ServerFrame::AgentWelcome { agent, store, session_token, conversations } => {
                Ok(AgentClient { socket, agent, store, session_token, conversations })
            }
            ServerFrame::Error { code, message, .. } => bail!("sign-in refused ({code:?}): {message}"),
            other => bail!("unexpected answer to sign-in: {other:?}"),
        }
    }

    /// Replies in a conversation with the given client id.
    pub async fn send(&mut self, conversation_id: i64, client_id: &str, text: &str) -> Result<()> {
        self.socket.send(&AgentFrame::Send { conversation_id, client_id: client_id.into(), text: text.into() }).await
    }
}
