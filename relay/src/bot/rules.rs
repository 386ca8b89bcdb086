//! What a shopper's words mean to the bot: a store's keyword rules, and the words that always
//! bring a person in. Pure functions over text, tested to the letter.

use crate::faq::cjk::is_cjk;
use crate::store::BotRule;

/// Phrases and words that mean "let me talk to a human" (matched on whole words in Latin
/// scripts, anywhere in CJK text).
const WANTS_A_PERSON: &[&str] = &[
    "talk to a person",
    "talk to someone",
    "speak to a person",
    "speak to someone",
    "real person",
    "a person",
    "human",
    "agent",
    "representative",
    "operator",
    "customer service",
    "人工",
    "真人",
    "客服",
];

/// Lower case, punctuation as spaces, single spaces: how messages and patterns are compared.
pub fn normalize(text: &str) -> String {
    let cleaned: String =
        text.chars().map(|c| if c.is_alphanumeric() || is_cjk(c) { c } else { ' ' }).collect::<String>().to_lowercase();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `phrase` occurs in `text` (both normalized): on word boundaries for Latin text,
/// anywhere for CJK.
fn contains_phrase(text: &str, phrase: &str) -> bool {
    if phrase.is_empty() {
        return false;
    }
    if phrase.chars().any(is_cjk) {
        return text.contains(phrase);
    }
    format!(" {text} ").contains(&format!(" {phrase} "))
}

/// Whether the shopper asks for a person.
pub fn wants_a_person(text: &str) -> bool {
    let text = normalize(text);
    WANTS_A_PERSON.iter().any(|phrase| contains_phrase(&text, phrase) || contains_phrase(&text, &format!("{phrase}s")))
}

/// Whether one rule matches a message: `exact` is the whole message, `contains` anywhere in it,
/// `fuzzy` on whole words, up to one typo.
pub fn matches(rule: &BotRule, text: &str) -> bool {
    let (text, pattern) = (normalize(text), normalize(&rule.pattern));
    if pattern.is_empty() {
        return false;
    }
    match rule.kind.as_str() {
        "exact" => text == pattern,
        "contains" => text.contains(&pattern),
        "fuzzy" => contains_phrase(&text, &pattern) || within_one_typo(&text, &pattern),
        _ => false,
    }
}

/// Whether some run of words in `text` is within one edit of `pattern` (Latin patterns of
/// four characters or more; shorter ones must match exactly).
fn within_one_typo(text: &str, pattern: &str) -> bool {
    if pattern.chars().any(is_cjk) || pattern.chars().count() < 4 {
        return false;
    }
    let words: Vec<&str> = text.split(' ').collect();
    let span = pattern.split(' ').count();
    words.windows(span.min(words.len()).max(1)).any(|window| {
        let candidate = window.join(" ");
        strsim::damerau_levenshtein(&candidate, pattern) <= 1
    })
}

/// The rule that answers a message: the matching one of highest priority (the earliest added
/// on a tie). `rules` may come in any order.
pub fn first_match<'a>(rules: &'a [BotRule], text: &str) -> Option<&'a BotRule> {
    rules.iter().filter(|r| matches(r, text)).max_by_key(|r| (r.priority, -r.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: i64, kind: &str, pattern: &str, priority: i64) -> BotRule {
        BotRule { id, kind: kind.into(), pattern: pattern.into(), reply: format!("reply {id}"), priority }
    }

    #[test]
    fn exact_contains_and_fuzzy_rules_match_as_named() {
        let exact = rule(1, "exact", "Opening hours?", 0);
        assert!(matches(&exact, "opening   HOURS"));
        assert!(!matches(&exact, "what are your opening hours"));
        let contains = rule(2, "contains", "gift card", 0);
        assert!(matches(&contains, "Do you sell Gift Cards? I mean a gift card"));
        assert!(!matches(&contains, "a giftcard"));
        assert!(matches(&rule(5, "contains", "ship", 0), "shipping?"), "contains means anywhere");
        let fuzzy = rule(3, "fuzzy", "voucher", 0);
        assert!(matches(&fuzzy, "can I use a vocher"));
        assert!(matches(&fuzzy, "VOUCHER please"));
        assert!(!matches(&fuzzy, "a voice note"));
        let chinese = rule(4, "contains", "礼品卡", 0);
        assert!(matches(&chinese, "你们有礼品卡吗？"));
    }

    #[test]
    fn the_highest_priority_match_wins_and_ties_go_to_the_oldest() {
        let rules =
            [rule(1, "contains", "order", 1), rule(2, "contains", "cancel", 5), rule(3, "contains", "cancel", 5)];
        assert_eq!(first_match(&rules, "cancel my order").map(|r| r.id), Some(2));
        assert_eq!(first_match(&rules, "my order").map(|r| r.id), Some(1));
        assert_eq!(first_match(&rules, "hello"), None);
    }

    #[test]
    fn asking_for_a_person_is_understood_in_english_and_chinese() {
        for text in
            ["Can I talk to a person?", "HUMAN please", "agent", "I want a real person!", "转人工", "我要找客服"]
        {
            assert!(wants_a_person(text), "{text}");
        }
        for text in ["Where is my order?", "humane treatment", "agenda", "多久能到货"] {
            assert!(!wants_a_person(text), "{text}");
        }
    }
}
