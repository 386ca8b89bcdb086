//! Shapes of the bot's automation API: keyword rules and their test, the store's versions of
//! the bot's texts, and proactive messages. Apart from `api.rs` because the console's Bot pages
//! and the widget's proactive bubble use them and nothing else there.

use serde::{Deserialize, Serialize};

/// How a bot rule matches a shopper's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleMatch {
    /// The whole message is the pattern (case, spaces and punctuation aside).
    Exact,
    /// The pattern occurs anywhere in the message.
    Contains,
    /// Words of the message are the pattern's, with up to one typo.
    Fuzzy,
}

impl RuleMatch {
    /// Its name in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleMatch::Exact => "exact",
            RuleMatch::Contains => "contains",
            RuleMatch::Fuzzy => "fuzzy",
        }
    }
}

/// A keyword rule of the bot, as the console's Bot rules page lists them
/// (`GET /api/stores/{key}/bot/rules`, in the order they are tried: the first that matches
/// answers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotRuleView {
    /// Its id.
    pub id: i64,
    /// How it matches.
    #[serde(rename = "match")]
    pub kind: RuleMatch,
    /// What it looks for.
    pub pattern: String,
    /// What the bot answers.
    pub reply: String,
}

/// What `POST …/bot/rules` and `PUT …/bot/rules/{id}` take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotRuleForm {
    /// How it matches.
    #[serde(rename = "match")]
    pub kind: RuleMatch,
    /// What it looks for (at most [`MAX_RULE_PATTERN_CHARS`]).
    pub pattern: String,
    /// What the bot answers (at most [`MAX_RULE_REPLY_CHARS`]).
    pub reply: String,
}

/// The longest pattern a rule may have.
pub const MAX_RULE_PATTERN_CHARS: usize = 200;
/// The longest reply a rule may have.
pub const MAX_RULE_REPLY_CHARS: usize = 2_000;
/// The most rules a store may have.
pub const MAX_RULES_PER_STORE: usize = 200;

/// What `PUT …/bot/rules/order` takes: every rule's id, in the order they are to be tried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleOrder {
    /// The ids, first tried first.
    pub ids: Vec<i64>,
}

/// What `POST …/bot/test` takes: a message as a shopper might write it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleTest {
    /// The message.
    pub text: String,
}

/// What the bot's rules make of a message (`POST …/bot/test`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleTestResult {
    /// The message asks for a person: the bot brings one in before any rule is tried.
    pub wants_a_person: bool,
    /// The rule that answers, if one does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<BotRuleView>,
}

/// One of the bot's texts in one language, as the console's Settings list them
/// (`GET /api/stores/{key}/bot/texts`): the default, the store's own version if it wrote one,
/// and the placeholders it may use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotText {
    /// The text's name: `greeting`, `away`, `acknowledgement_queue`, …
    pub name: String,
    /// Its language: `en` or `zh`.
    pub lang: String,
    /// What it is without a version of the store's (for the greeting: the one in Settings).
    pub default: String,
    /// The store's own version, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The placeholders it may use, without braces: `store_name`, `queue_place`, …
    pub placeholders: Vec<String>,
}

/// A store's version of a text (`PUT /api/stores/{key}/bot/texts/{name}/{lang}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotTextForm {
    /// The text, with placeholders like `{store_name}`; at most 1,000 characters.
    pub text: String,
}

/// A proactive message rule as the console lists it and the widget gets it with its settings
/// (`GET /api/stores/{key}/proactive`): its id and what [`ProactiveForm`] says, flattened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProactiveRule {
    /// Its id.
    pub id: i64,
    /// The rule itself.
    #[serde(flatten)]
    pub rule: ProactiveForm,
}

/// A proactive message rule (`POST /api/stores/{key}/proactive`, `PUT …/proactive/{id}`): on
/// pages whose address matches `pattern`, after `after_secs` on the page or once the shopper
/// scrolled past `scroll_percent`, the widget shows `message` in a small bubble above the
/// launcher; at most once per rule per day per browser, one per visit, never while a
/// conversation is going.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProactiveForm {
    /// The page's path (and query) to match: `*` stands for any characters, so
    /// `/products/*` is every product page; without `*` the whole path must match.
    pub pattern: String,
    /// Seconds on the page before it shows (absent: not by time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_secs: Option<u32>,
    /// How far down the page, in per cent, the shopper must scroll (absent: not by scrolling).
    /// With both, whichever comes first; with neither, at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scroll_percent: Option<u8>,
    /// What the bubble says, as text.
    pub message: String,
    /// Whether it is in use.
    #[serde(default = "crate::api::default_true")]
    pub enabled: bool,
}

/// Most proactive rules a store may have.
pub const MAX_PROACTIVE_RULES: usize = 20;
/// Most characters of a proactive message.
pub const MAX_PROACTIVE_CHARS: usize = 300;
