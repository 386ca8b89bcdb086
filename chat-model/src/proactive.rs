//! Proactive messages as the widget decides them: which of the store's rules fits this page,
//! whether this browser may see it (once per rule per day, one per visit, none while a
//! conversation is going), and whether it is due (time on the page, or how far the shopper
//! scrolled). Pure and host-tested with explicit times; the widget only feeds it the clock, the
//! scroll position and what it remembers.

use protocol::ProactiveRule;

/// A day, in milliseconds: a rule shows at most once in it.
pub const DAY_MS: i64 = 86_400_000;

/// What this browser remembers of the proactive messages it showed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Shown {
    /// Each rule's last showing (ms since the epoch). Whole milliseconds: the widget then
    /// carries no floating-point parsing or printing.
    pub last: Vec<(i64, i64)>,
    /// Whether one was shown in this visit (the tab's session) already.
    pub this_visit: bool,
}

impl Shown {
    /// Reads what [`Shown::remembered`] wrote (`id:ms,id:ms`); what does not parse is skipped.
    pub fn read(remembered: &str, this_visit: bool) -> Shown {
        let last = remembered
            .split(',')
            .filter_map(|pair| {
                let (id, at) = pair.split_once(':')?;
                Some((id.parse().ok()?, at.parse().ok()?))
            })
            .collect();
        Shown { last, this_visit }
    }

    /// What to keep in the browser's storage; showings older than a day are dropped.
    pub fn remembered(&self, now: i64) -> String {
        let kept: Vec<String> =
            self.last.iter().filter(|(_, at)| now - at < DAY_MS).map(|(id, at)| format!("{id}:{at}")).collect();
        kept.join(",")
    }

    /// Notes that `rule` was shown at `now`.
    pub fn note(&mut self, rule: i64, now: i64) {
        self.last.retain(|(id, _)| *id != rule);
        self.last.push((rule, now));
        self.this_visit = true;
    }

    fn shown_today(&self, rule: i64, now: i64) -> bool {
        self.last.iter().any(|(id, at)| *id == rule && now - at < DAY_MS)
    }
}

/// Whether a page's path (with its query) matches a rule's pattern: `*` stands for any
/// characters (none included); without one the whole path must be the pattern. A trailing
/// slash does not matter (`/sale` is `/sale/`).
pub fn matches(pattern: &str, path: &str) -> bool {
    let pattern = pattern.trim();
    if !pattern.contains('*') {
        let trim = |s: &str| if s.len() > 1 { s.trim_end_matches('/').to_owned() } else { s.to_owned() };
        return trim(pattern) == trim(path);
    }
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = path.strip_prefix(first) else { return false };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else { return rest.is_empty() };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// The rule to show on this page, if this browser may see one: the first enabled rule that
/// matches `path` and was not shown in the last day; none when one was shown this visit or a
/// conversation is going.
pub fn pick<'a>(
    rules: &'a [ProactiveRule],
    path: &str,
    shown: &Shown,
    conversation_going: bool,
    now: i64,
) -> Option<&'a ProactiveRule> {
    if conversation_going || shown.this_visit {
        return None;
    }
    rules.iter().find(|r| r.rule.enabled && matches(&r.rule.pattern, path) && !shown.shown_today(r.id, now))
}

/// Whether the rule's moment has come: `on_page_ms` on the page or `scrolled` per cent down
/// it, whichever the rule names comes first; at once when it names neither.
pub fn due(rule: &ProactiveRule, on_page_ms: f64, scrolled: f64) -> bool {
    let rule = &rule.rule;
    let by_time = rule.after_secs.map(|secs| on_page_ms >= f64::from(secs) * 1000.0);
    let by_scroll = rule.scroll_percent.map(|percent| scrolled >= f64::from(percent));
    match (by_time, by_scroll) {
        (None, None) => true,
        (time, scroll) => time.unwrap_or(false) || scroll.unwrap_or(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::ProactiveForm;

    fn rule(id: i64, pattern: &str, after_secs: Option<u32>, scroll_percent: Option<u8>) -> ProactiveRule {
        let rule =
            ProactiveForm { pattern: pattern.into(), after_secs, scroll_percent, message: "Hi".into(), enabled: true };
        ProactiveRule { id, rule }
    }

    #[test]
    fn patterns_match_paths_with_stars_anywhere() {
        assert!(matches("/products/*", "/products/linen-shirt"));
        assert!(matches("/products/*", "/products/"));
        assert!(!matches("/products/*", "/cart"));
        assert!(matches("/sale", "/sale/"));
        assert!(!matches("/sale", "/sale/shoes"));
        assert!(matches("*", "/anything?at=all"));
        assert!(matches("/demo/*shirt*", "/demo/products/linen-shirt?size=m"));
        assert!(!matches("/a*b*c", "/a-c"));
        assert!(matches("*/checkout", "/eu/checkout"));
    }

    #[test]
    fn a_rule_fires_after_its_seconds_or_its_scroll_whichever_comes_first() {
        let timed = rule(1, "*", Some(30), None);
        assert!(!due(&timed, 29_999.0, 100.0));
        assert!(due(&timed, 30_000.0, 0.0));
        let either = rule(2, "*", Some(30), Some(50));
        assert!(due(&either, 1_000.0, 60.0));
        assert!(due(&either, 31_000.0, 0.0));
        assert!(!due(&either, 1_000.0, 10.0));
        assert!(due(&rule(3, "*", None, None), 0.0, 0.0));
    }

    #[test]
    fn a_rule_shows_once_a_day_one_per_visit_and_never_during_a_conversation() {
        let rules = [rule(1, "/products/*", Some(5), None), rule(2, "*", None, Some(50))];
        let noon = 1_800_000_000_000;
        let mut shown = Shown::default();
        assert_eq!(pick(&rules, "/products/tee", &shown, false, noon).map(|r| r.id), Some(1));
        assert_eq!(pick(&rules, "/products/tee", &shown, true, noon), None, "a conversation is going");
        shown.note(1, noon);
        assert_eq!(pick(&rules, "/cart", &shown, false, noon), None, "one per visit");

        // The next visit the same day: rule 1 is done for the day, rule 2 may show.
        let next_visit = Shown::read(&shown.remembered(noon + 3_600_000), false);
        assert_eq!(pick(&rules, "/products/tee", &next_visit, false, noon + 3_600_000).map(|r| r.id), Some(2));
        let only_first = [rules[0].clone()];
        assert_eq!(pick(&only_first, "/products/tee", &next_visit, false, noon + 3_600_000), None);
        // A day later it may show again.
        let tomorrow = noon + DAY_MS;
        let later = Shown::read(&shown.remembered(tomorrow), false);
        assert_eq!(pick(&only_first, "/products/tee", &later, false, tomorrow).map(|r| r.id), Some(1));
        assert_eq!(later.remembered(tomorrow), "", "a showing older than a day is forgotten");
    }

    #[test]
    fn what_the_browser_kept_is_read_leniently() {
        let shown = Shown::read("3:1000,junk,4:x,5:2000", false);
        assert_eq!(shown.last, vec![(3, 1000), (5, 2000)]);
    }
}
