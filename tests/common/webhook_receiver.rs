//! A webhook endpoint for the tests: an HTTP server on the loopback that keeps every request
//! it gets and answers with the statuses it is told, in turn (200 once they run out), or not at
//! all (to make a delivery time out).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use tokio::sync::mpsc;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Hit {
    pub headers: HeaderMap,
    pub body: String,
}

impl Hit {
    pub fn header(&self, name: &str) -> String {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

/// What the endpoint does with the next request.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    Status(u16),
    Hang,
}

#[derive(Clone)]
struct Shared {
    answers: Arc<Mutex<Vec<Answer>>>,
    hits: mpsc::UnboundedSender<Hit>,
}

/// A running endpoint.
pub struct Receiver {
    pub addr: SocketAddr,
    hits: mpsc::UnboundedReceiver<Hit>,
}

impl Receiver {
    /// Serves `answers` in turn, then 200s.
    pub async fn start(answers: Vec<Answer>) -> Receiver {
        let (tx, hits) = mpsc::unbounded_channel();
        let shared = Shared { answers: Arc::new(Mutex::new(answers)), hits: tx };
        let app = Router::new().route("/hook", post(receive)).with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { addr, hits }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// The next request (waits for it).
    pub async fn next(&mut self) -> Hit {
        tokio::time::timeout(std::time::Duration::from_secs(30), self.hits.recv())
            .await
            .expect("a webhook request")
            .expect("the endpoint runs")
    }

    /// The requests received so far, without waiting.
    pub fn drain(&mut self) -> Vec<Hit> {
        std::iter::from_fn(|| self.hits.try_recv().ok()).collect()
    }
}

async fn receive(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let answer = {
        let mut answers = shared.answers.lock().unwrap();
        if answers.is_empty() {
            Answer::Status(200)
        } else {
            answers.remove(0)
        }
    };
    let _ = shared.hits.send(Hit { headers, body: String::from_utf8_lossy(&body).into_owned() });
    match answer {
        Answer::Status(code) => StatusCode::from_u16(code).unwrap(),
        Answer::Hang => std::future::pending().await,
    }
}
