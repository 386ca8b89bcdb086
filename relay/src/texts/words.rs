//! A store's own words: the texts it rewrote in the console, read once a second at most and
//! put together with the catalogue's defaults. The bot and the conversation service speak
//! through a [`Voice`]: one store, one language, and who the shopper is, so a text's
//! placeholders fill in without every caller knowing them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{Key, Lang};
use crate::store::{Store, StoreError};

/// How long a store's words are used before they are read again (a change made here is seen
/// at once; one made by another relay within this).
const FRESH_FOR: Duration = Duration::from_secs(1);

/// One store's texts.
#[derive(Debug, Default)]
pub struct StoreWords {
    /// The store's display name, for `{store_name}`.
    pub store_name: String,
    /// The greeting in Settings, for every language without its own.
    greeting: Option<String>,
    /// Whether the store acknowledges a first message at once (read with the texts, so the
    /// bot's hot path asks the database nothing more).
    pub instant_ack: bool,
    own: HashMap<(Key, Lang), String>,
}

impl StoreWords {
    /// The store's own version of a text, if it wrote one.
    pub fn own(&self, key: Key, lang: Lang) -> Option<&str> {
        self.own.get(&(key, lang)).map(String::as_str)
    }

    /// What the text is when the store has no version of its own in this language: the
    /// catalogue's, except the greeting, where the one in Settings comes first.
    pub fn fallback(&self, key: Key, lang: Lang) -> &str {
        match (key, &self.greeting) {
            (Key::Greeting, Some(greeting)) => greeting,
            _ => key.default_text(lang),
        }
    }

    /// The text as the bot says it, placeholders filled in from `values` (and the store's
    /// name, and the shopper's when known).
    pub fn render(&self, key: Key, lang: Lang, shopper: Option<&str>, values: &[(&str, &str)]) -> String {
        let template = self.own(key, lang).unwrap_or_else(|| self.fallback(key, lang));
        chat_model::texts::render(template, |name| match name {
            "store_name" => Some(self.store_name.clone()),
            "shopper_name" => shopper.map(str::to_owned),
            _ => values.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned()),
        })
    }

    /// The greeting for the widget in this language, when the store has one; `None` leaves the
    /// widget's own.
    pub fn greeting(&self, lang: Lang) -> Option<String> {
        (self.own(Key::Greeting, lang).is_some() || self.greeting.is_some())
            .then(|| self.render(Key::Greeting, lang, None, &[]))
    }

    fn uses_shopper_name(&self, lang: Lang) -> bool {
        self.own.iter().any(|((_, l), text)| *l == lang && text.contains("{shopper_name}"))
    }
}

/// Every store's words, cached.
pub struct Words {
    store: Store,
    cache: Mutex<HashMap<i64, (Instant, Arc<StoreWords>)>>,
}

impl Words {
    /// Words read from `store`.
    pub fn new(store: Store) -> Words {
        Words { store, cache: Mutex::new(HashMap::new()) }
    }

    /// A store's words: cached, or read again when older than [`FRESH_FOR`].
    pub async fn of(&self, store_id: i64) -> Result<Arc<StoreWords>, StoreError> {
        let cached = self.cache.lock().unwrap_or_else(|p| p.into_inner()).get(&store_id).cloned();
        if let Some((_, words)) = cached.filter(|(at, _)| at.elapsed() < FRESH_FOR) {
            return Ok(words);
        }
        let texts = self.store.store_texts(store_id).await?;
        let (store_name, greeting, instant_ack) = (texts.name, texts.greeting, texts.instant_ack);
        let own = texts
            .own
            .into_iter()
            .filter_map(|(name, lang, text)| Some(((Key::from_name(&name)?, Lang::from_code(&lang)?), text)))
            .collect();
        let words = Arc::new(StoreWords { store_name, greeting, instant_ack, own });
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).insert(store_id, (Instant::now(), words.clone()));
        Ok(words)
    }

    /// How the bot speaks to one shopper of a store, in `lang`. The shopper's name is read only
    /// when one of the store's texts in that language uses it.
    pub async fn voice(&self, store_id: i64, visitor_id: &str, lang: Lang) -> Result<Voice, StoreError> {
        let words = self.of(store_id).await?;
        let shopper = if words.uses_shopper_name(lang) { self.store.shopper_name(visitor_id).await? } else { None };
        Ok(Voice { lang, words, shopper })
    }

    /// The store's texts or settings changed here: the next read is fresh.
    pub fn changed(&self, store_id: i64) {
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).remove(&store_id);
    }
}

/// One store's words for one shopper in one language.
#[derive(Debug, Clone)]
pub struct Voice {
    /// The language spoken.
    pub lang: Lang,
    words: Arc<StoreWords>,
    shopper: Option<String>,
}

impl Voice {
    /// Whether the store acknowledges a first message at once.
    pub fn instant_ack(&self) -> bool {
        self.words.instant_ack
    }

    /// A text with no values of its own.
    pub fn say(&self, key: Key) -> String {
        self.with(key, &[])
    }

    /// A text with its placeholders' values.
    pub fn with(&self, key: Key, values: &[(&str, &str)]) -> String {
        self.words.render(key, self.lang, self.shopper.as_deref(), values)
    }

    /// `lead` ("Sorry that did not help.") then the text, as one message.
    pub fn after(&self, lead: &str, text: &str) -> String {
        super::after(self.lang, lead, text)
    }

    /// The same store and shopper in another language.
    pub fn in_lang(&self, lang: Lang) -> Voice {
        Voice { lang, ..self.clone() }
    }

    /// A voice speaking the defaults alone (tests, and texts outside any store).
    pub fn plain(lang: Lang) -> Voice {
        Voice { lang, words: Arc::new(StoreWords::default()), shopper: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stores_text_replaces_the_default_in_its_language_only() {
        let mut own = HashMap::new();
        own.insert((Key::Glad, Lang::En), "Happy to help, {shopper_name}! — {store_name}".to_owned());
        let words = Arc::new(StoreWords { store_name: "Maison".into(), greeting: None, instant_ack: false, own });
        let voice = Voice { lang: Lang::En, words, shopper: Some("Ana".into()) };
        assert_eq!(voice.say(Key::Glad), "Happy to help, Ana! — Maison");
        assert_eq!(voice.in_lang(Lang::Zh).say(Key::Glad), Key::Glad.default_text(Lang::Zh));
        let queue = Voice::plain(Lang::En).with(Key::HandoverQueue, &[("queue_place", "2")]);
        assert!(queue.ends_with("You are number 2 in line."), "{queue}");
    }

    #[test]
    fn the_greeting_in_settings_serves_languages_without_their_own() {
        let mut own = HashMap::new();
        own.insert((Key::Greeting, Lang::Zh), "欢迎光临{store_name}！".to_owned());
        let words =
            StoreWords { store_name: "Maison".into(), greeting: Some("Welcome!".into()), instant_ack: false, own };
        assert_eq!(words.greeting(Lang::Zh).as_deref(), Some("欢迎光临Maison！"));
        assert_eq!(words.greeting(Lang::En).as_deref(), Some("Welcome!"));
        assert_eq!(StoreWords::default().greeting(Lang::En), None);
    }
}
