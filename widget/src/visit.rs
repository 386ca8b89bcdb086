//! The shopper's visit as agents see it in the console: the page they are on, the pages they
//! saw before opening the chat (kept for the tab in sessionStorage until reported), where they
//! came from, their language and their time zone.

use protocol::{PageView, VisitorFrame};

use crate::storage;

/// How many unreported pages the tab keeps.
const KEEP: usize = 20;

/// The page's address and title now.
pub fn here() -> Option<(String, String)> {
    let window = web_sys::window()?;
    let url = window.location().href().ok()?;
    let title = window.document().map(|d| d.title()).unwrap_or_default();
    Some((url, title))
}

/// Notes the current page among the visit's unreported pages (a reload adds nothing).
pub fn remember(store: &str) {
    let Some((url, title)) = here() else { return };
    let mut pages = unreported(store);
    if pages.last().is_some_and(|p| p.url == url) {
        return;
    }
    pages.push(PageView { url, title, at: js_sys::Date::now() as i64 });
    let skip = pages.len().saturating_sub(KEEP);
    let kept: Vec<PageView> = pages.into_iter().skip(skip).collect();
    storage::save_for_visit(store, "pages", &crate::json::write(&kept).unwrap_or_default());
}

fn unreported(store: &str) -> Vec<PageView> {
    storage::load_for_visit(store, "pages").and_then(|json| crate::json::parse(&json)).unwrap_or_default()
}

/// The `page` frame for the current page, carrying the visit's earlier unreported pages, which
/// then count as reported.
pub fn report(store: &str) -> Option<VisitorFrame> {
    let (url, title) = here()?;
    let earlier: Vec<PageView> = unreported(store).into_iter().filter(|p| p.url != url).collect();
    storage::save_for_visit(store, "pages", "[]");
    let window = web_sys::window()?;
    let referrer = window.document().map(|d| d.referrer()).filter(|r| !r.is_empty());
    let language = window.navigator().language();
    let time_zone = js_sys::Reflect::get(
        &js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new()).resolved_options(),
        &"timeZone".into(),
    )
    .ok()
    .and_then(|z| z.as_string());
    Some(VisitorFrame::Page { url, title, referrer, language, time_zone, earlier })
}
