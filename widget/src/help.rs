//! The store's help articles, before and beside the chat: searched over HTTP (no socket, no
//! conversation needed) as the shopper types, one article opened inline, and suggestions for the
//! message being written. Responses that arrive after a newer request are dropped.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// How long typing must pause before a search is sent.
const SEARCH_PAUSE: Duration = Duration::from_millis(250);
/// The same for suggestions while writing a message (less eager).
const SUGGEST_PAUSE: Duration = Duration::from_millis(500);
/// Characters a message needs before articles are suggested for it.
const SUGGEST_FROM_CHARS: usize = 8;

/// One search result.
#[derive(Debug, Clone, Deserialize)]
pub struct Hit {
    /// The article's id (a string or a number, as the merchant gave it), kept as the
    /// JavaScript value it was: a full JSON value type would cost the widget kilobytes.
    #[serde(with = "serde_wasm_bindgen::preserve")]
    pub id: wasm_bindgen::JsValue,
    /// Its question.
    pub question: String,
    /// The start of its answer.
    pub snippet: String,
}

/// An article opened inline.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Article {
    /// The question.
    pub question: String,
    /// The whole answer, plain text.
    pub answer: String,
}

/// What the widget reads of the store's settings.
#[derive(Deserialize)]
struct Settings {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    available: Option<bool>,
    /// When the team is back, while it is away by its hours.
    #[serde(default)]
    back_at: Option<f64>,
    #[serde(default)]
    reply_time: Option<ReplyTimeFields>,
    #[serde(default)]
    very_responsive: bool,
    #[serde(default = "asks_ratings")]
    csat: bool,
    #[serde(default)]
    email: bool,
    greeting: Option<String>,
    #[serde(default)]
    colour: Option<String>,
    #[serde(default)]
    text_colour: Option<String>,
    #[serde(default)]
    position: Option<String>,
    #[serde(default)]
    proactive: Vec<ProactiveFields>,
    #[serde(default)]
    live: bool,
    #[serde(default)]
    agent_chat_opens: bool,
}

/// `protocol::ProactiveRule` read field by field: its flattened form would compile serde's
/// buffering decoder into the widget.
#[derive(Deserialize)]
struct ProactiveFields {
    id: i64,
    pattern: String,
    #[serde(default)]
    after_secs: Option<u32>,
    #[serde(default)]
    scroll_percent: Option<u8>,
    message: String,
}

impl ProactiveFields {
    fn rule(self) -> protocol::ProactiveRule {
        let ProactiveFields { id, pattern, after_secs, scroll_percent, message } = self;
        let rule = protocol::ProactiveForm { pattern, after_secs, scroll_percent, message, enabled: true };
        protocol::ProactiveRule { id, rule }
    }
}

/// `protocol::ReplyTime` read as a plain struct: decoding its internally tagged enum would
/// compile serde's buffering decoder into the widget (see `protocol::WidgetFrame`).
#[derive(Deserialize)]
struct ReplyTimeFields {
    kind: String,
    #[serde(default)]
    minutes: u32,
}

impl ReplyTimeFields {
    fn read(self) -> Option<protocol::ReplyTime> {
        match self.kind.as_str() {
            "under_a_minute" => Some(protocol::ReplyTime::UnderAMinute),
            "minutes" => Some(protocol::ReplyTime::Minutes { minutes: self.minutes }),
            "hours" => Some(protocol::ReplyTime::Hours),
            _ => None,
        }
    }
}

fn asks_ratings() -> bool {
    true
}

/// A colour the widget accepts from the relay: `#rrggbb` and nothing that could break out of
/// a style attribute.
fn is_colour(text: &str) -> bool {
    text.len() == 7 && text.starts_with('#') && text[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// The two kinds of search, each debounced on its own.
#[derive(Clone, Copy)]
enum Lane {
    Search = 0,
    Suggest = 1,
}

/// One lane's pending timer, and its request counter.
#[derive(Default)]
struct LaneState {
    timer: Option<TimeoutHandle>,
    /// Bumped by every request, so a late answer to an older one is ignored.
    generation: u32,
}

#[derive(Default)]
struct Pending {
    lanes: [LaneState; 2],
}

impl Pending {
    fn lane(&mut self, lane: Lane) -> &mut LaneState {
        &mut self.lanes[lane as usize]
    }
}

/// The help service; `Copy`, shared through context.
#[derive(Clone, Copy)]
pub struct Help {
    /// The results of the current search (`None`: no search going on).
    pub results: RwSignal<Option<Vec<Hit>>>,
    /// Articles that may answer the message being written.
    pub suggestions: RwSignal<Vec<Hit>>,
    /// The article open inline.
    pub article: RwSignal<Option<Article>>,
    /// The store's greeting from its bot, once fetched.
    pub greeting: RwSignal<Option<String>>,
    /// The store's accent colour, the text colour that reads on it, and the launcher corner
    /// (`right`, `left`), once fetched.
    pub look: RwSignal<Option<(String, &'static str, String)>>,
    /// Whether an agent is there to answer now (the header promises a reply only then).
    pub available: RwSignal<Option<bool>>,
    /// What the header may claim of the store's replies (the relay's figures), and when an
    /// away team is back (ms).
    pub claim: RwSignal<(Option<protocol::ReplyTime>, bool, Option<f64>)>,
    /// Whether the store asks shoppers to rate a closed conversation.
    pub csat: RwSignal<bool>,
    /// Whether the relay sends email (the transcript may be asked for).
    pub email: RwSignal<bool>,
    /// The store's proactive message rules (enabled ones), once fetched.
    pub proactive: RwSignal<Vec<protocol::ProactiveRule>>,
    /// Whether the store's agents see who is on the site (the widget then stays connected).
    pub live: RwSignal<bool>,
    /// Whether a chat an agent starts opens the panel (otherwise the bubble shows it).
    pub agent_chat_opens: RwSignal<bool>,
    store: StoredValue<String>,
    settings_url: StoredValue<String>,
    base: StoredValue<String>,
    pending: StoredValue<Pending, LocalStorage>,
}

/// The browser's language (`navigator.language`), `en` when it has none.
fn browser_language() -> String {
    web_sys::window().and_then(|w| w.navigator().language()).unwrap_or_else(|| "en".to_owned())
}

impl Help {
    /// Help for a store, on the relay at `relay` (its origin).
    pub fn new(relay: &str, store: &str) -> Help {
        Help {
            results: RwSignal::new(None),
            suggestions: RwSignal::new(Vec::new()),
            article: RwSignal::new(None),
            greeting: RwSignal::new(None),
            look: RwSignal::new(None),
            available: RwSignal::new(None),
            claim: RwSignal::new((None, false, None)),
            csat: RwSignal::new(true),
            email: RwSignal::new(false),
            proactive: RwSignal::new(Vec::new()),
            live: RwSignal::new(false),
            agent_chat_opens: RwSignal::new(false),
            store: StoredValue::new(store.to_owned()),
            // The browser's language picks the store's greeting in that language.
            settings_url: StoredValue::new(format!(
                "{relay}/api/stores/{}/widget?lang={}",
                js_sys::encode_uri_component(store),
                js_sys::encode_uri_component(&browser_language())
            )),
            base: StoredValue::new(format!("{relay}/api/stores/{}/faq", js_sys::encode_uri_component(store))),
            pending: StoredValue::new_local(Pending::default()),
        }
    }

    /// Searches for `query` once typing pauses; an empty query ends the search.
    pub fn search(self, query: String) {
        let wanted = !query.trim().is_empty();
        self.debounced(Lane::Search, wanted.then_some(query), move |hits| self.results.set(hits));
    }

    /// Suggests articles for the message being written, once typing pauses.
    pub fn suggest(self, text: String) {
        let wanted = text.trim().chars().count() >= SUGGEST_FROM_CHARS;
        self.debounced(Lane::Suggest, wanted.then_some(text), move |hits| {
            self.suggestions.set(hits.unwrap_or_default())
        });
    }

    /// Searches for `query` once typing pauses in `lane` and hands the hits to `show`; with no
    /// query, cancels what is pending and shows `None` at once.
    fn debounced(self, lane: Lane, query: Option<String>, show: impl Fn(Option<Vec<Hit>>) + Copy + 'static) {
        if let Some(timer) = self.pending.try_update_value(|p| p.lane(lane).timer.take()).flatten() {
            timer.clear();
        }
        let Some(query) = query else {
            self.pending.update_value(|p| p.lane(lane).generation += 1);
            show(None);
            return;
        };
        let (pause, limit) = match lane {
            Lane::Search => (SEARCH_PAUSE, 20),
            Lane::Suggest => (SUGGEST_PAUSE, 3),
        };
        let timer = set_timeout_with_handle(
            move || {
                let generation = self.pending.try_update_value(|p| {
                    p.lane(lane).generation += 1;
                    p.lane(lane).generation
                });
                spawn_local(async move {
                    let hits: Vec<Hit> = get_json(&self.search_url(&query, limit)).await.unwrap_or_default();
                    if self.pending.with_value(|p| p.lanes[lane as usize].generation) == generation.unwrap_or_default()
                    {
                        show(Some(hits));
                    }
                });
            },
            pause,
        );
        self.pending.update_value(|p| p.lane(lane).timer = timer.ok());
    }

    /// Opens an article inline.
    pub fn open(self, id: &wasm_bindgen::JsValue) {
        // A number is written out by JavaScript: Rust's float printing would cost the widget KBs.
        let number = || js_sys::Number::from(id.as_f64()?).to_string_with_radix(10).ok().map(String::from);
        let Some(id) = id.as_string().or_else(number) else { return };
        let url = format!("{}/articles/{}", self.base.get_value(), js_sys::encode_uri_component(&id));
        spawn_local(async move {
            if let Some(article) = get_json::<Article>(&url).await {
                self.article.set(Some(article));
            }
        });
    }

    /// Fetches the store's settings (greeting, colour, corner, whether someone is there): at
    /// start and each time the panel opens, since the team comes and goes.
    pub fn load_settings(self) {
        let url = self.settings_url.get_value();
        spawn_local(async move {
            if let Some(settings) = get_json::<Settings>(&url).await {
                self.available.set(settings.available);
                let reply_time = settings.reply_time.and_then(ReplyTimeFields::read);
                self.claim.set((reply_time, settings.very_responsive, settings.back_at));
                self.csat.set(settings.csat);
                self.email.set(settings.email);
                self.live.set(settings.live);
                self.agent_chat_opens.set(settings.agent_chat_opens);
                if self.proactive.with_untracked(Vec::is_empty) && !settings.proactive.is_empty() {
                    self.proactive.set(settings.proactive.into_iter().map(ProactiveFields::rule).collect());
                }
                if let Some(name) = settings.name.filter(|n| !n.trim().is_empty()) {
                    // The loader draws the panel's frame with it on a cold tap next time.
                    crate::storage::save(&self.store.get_value(), "name", &name);
                }
                self.greeting.set(settings.greeting.filter(|g| !g.trim().is_empty()));
                let colour = settings.colour.filter(|c| is_colour(c)).unwrap_or_else(|| "#1f5eff".into());
                let position = if settings.position.as_deref() == Some("left") { "left" } else { "right" };
                let text = if settings.text_colour.as_deref() == Some("#1d1d1f") { "#1d1d1f" } else { "#fff" };
                crate::storage::save(&self.store.get_value(), "look", &format!("{colour}|{position}|{text}"));
                self.look.set(Some((colour, text, position.to_owned())));
            }
        });
    }

    /// Closes the open article (back to the results).
    pub fn close(self) {
        self.article.set(None);
    }

    /// Ends searching altogether: no article, no results, no suggestions.
    pub fn done(self) {
        self.article.set(None);
        self.search(String::new());
        self.suggest(String::new());
    }

    fn search_url(&self, query: &str, limit: u8) -> String {
        format!("{}/search?q={}&limit={limit}", self.base.get_value(), js_sys::encode_uri_component(query))
    }
}

/// GETs `url` and parses its JSON; `None` on any failure (the help simply shows nothing).
async fn get_json<T: serde::de::DeserializeOwned>(url: &str) -> Option<T> {
    let window = web_sys::window()?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(url)).await.ok()?.dyn_into().ok()?;
    if !response.ok() {
        return None;
    }
    crate::json::from_js(JsFuture::from(response.json().ok()?).await.ok()?)
}
