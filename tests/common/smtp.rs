//! A real SMTP server for the email tests (mailin-embedded: the protocol, on its own threads)
//! that keeps what it receives, parsed, and tells waiting tests as each email arrives. It
//! can be started on a port reserved earlier, to play a server that was down and came back.

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mailin_embedded::{response, Handler, Response, Server};
use tokio::sync::watch;

/// One email as the server received it.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The envelope's recipients.
    pub to: Vec<String>,
    /// The raw message.
    pub raw: Vec<u8>,
}

impl Mail {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<String> {
        use mailparse::MailHeaderMap;
        mailparse::parse_mail(&self.raw).ok()?.headers.get_first_value(name)
    }

    /// The decoded body of the part with this content type (`text/plain`, `text/html`).
    pub fn part(&self, mime: &str) -> String {
        let parsed = mailparse::parse_mail(&self.raw).expect("a MIME message");
        fn find(part: &mailparse::ParsedMail<'_>, mime: &str) -> Option<String> {
            if part.ctype.mimetype == mime {
                return part.get_body().ok();
            }
            part.subparts.iter().find_map(|p| find(p, mime))
        }
        find(&parsed, mime).unwrap_or_else(|| panic!("no {mime} part"))
    }
}

#[derive(Clone)]
struct Keeper {
    received: Arc<Mutex<Vec<Mail>>>,
    count: Arc<watch::Sender<usize>>,
    to: Vec<String>,
    data: Vec<u8>,
    /// Recipients containing this are refused for good (550).
    refuse: Option<String>,
}

impl Handler for Keeper {
    fn rcpt(&mut self, to: &str) -> Response {
        match &self.refuse {
            Some(marker) if to.contains(marker.as_str()) => response::NO_MAILBOX,
            _ => response::OK,
        }
    }

    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.to = to.to_vec();
        self.data.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let mail = Mail { to: std::mem::take(&mut self.to), raw: std::mem::take(&mut self.data) };
        let mut received = self.received.lock().unwrap();
        received.push(mail);
        self.count.send_replace(received.len());
        response::OK
    }
}

/// A running SMTP server and what it received.
pub struct Mailbox {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Mail>>>,
    count: watch::Receiver<usize>,
}

/// A free port on the loopback, for a server that starts later.
pub fn reserve() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

impl Mailbox {
    /// A server on a free port.
    pub fn start() -> Mailbox {
        Mailbox::start_at(reserve())
    }

    /// A server on `addr`.
    pub fn start_at(addr: SocketAddr) -> Mailbox {
        Mailbox::serve(addr, None)
    }

    /// A server that refuses recipients whose address contains `marker`.
    pub fn start_refusing(marker: &str) -> Mailbox {
        Mailbox::serve(reserve(), Some(marker.to_owned()))
    }

    fn serve(addr: SocketAddr, refuse: Option<String>) -> Mailbox {
        let listener = TcpListener::bind(addr).expect("binding the SMTP port");
        let received = Arc::new(Mutex::new(Vec::new()));
        let (sender, count) = watch::channel(0);
        let keeper = Keeper { received: received.clone(), count: Arc::new(sender), to: vec![], data: vec![], refuse };
        let mut server = Server::new(keeper);
        server.with_name("mail.test").with_num_threads(2).with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        Mailbox { addr, received, count }
    }

    /// The URL the relay is given.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Every email received so far.
    pub fn received(&self) -> Vec<Mail> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until at least `n` emails arrived; returns them all.
    pub async fn wait_for(&mut self, n: usize) -> Vec<Mail> {
        let arrived = tokio::time::timeout(Duration::from_secs(30), self.count.wait_for(|c| *c >= n)).await.is_ok();
        assert!(arrived, "{n} emails did not arrive; got {}", self.received().len());
        self.received()
    }
}
