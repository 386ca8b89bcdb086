//! What the shopper's widget reports about the visit: the page they are on (with the pages
//! seen before it connected, their referrer, language and time zone) and the shop's
//! attributes. Both are limited per visitor like page reports, and every address is checked.

use protocol::{ErrorCode, PageView};

use super::{not_introduced, VisitorSession};
use crate::chat::Visit;
use crate::error::{Error, Result};

/// How many pages seen before the widget connected one report may carry.
const MAX_EARLIER_PAGES: usize = 20;

/// An http(s) address of acceptable length.
fn is_web_address(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://")) && url.len() <= protocol::MAX_URL_BYTES
}

/// The page with its title cut to size, if its address is a web address of acceptable length.
fn checked_page(page: PageView) -> Option<PageView> {
    is_web_address(&page.url)
        .then(|| PageView { title: page.title.trim().chars().take(protocol::MAX_TITLE_CHARS).collect(), ..page })
}

impl VisitorSession {
    /// Records the page the shopper is on (after the pages of the visit the widget saw before
    /// it connected) and shows it to the store's agents when the shopper is chatting.
    pub(super) async fn page(
        &mut self,
        page: PageView,
        referrer: Option<String>,
        language: Option<String>,
        time_zone: Option<String>,
        earlier: Vec<PageView>,
    ) -> Result<()> {
        let me = self.me.as_ref().ok_or_else(not_introduced)?;
        // Every page counts, the earlier ones it carries too, across all the visitor's tabs.
        let pages = 1 + earlier.len().min(MAX_EARLIER_PAGES);
        self.state.limits.pages(&me.id, pages).map_err(|wait| Error::rate_limited("page reports", wait))?;
        let page = checked_page(page).ok_or_else(|| {
            Error::new(
                ErrorCode::InvalidValue,
                format!("url must be an http(s) address of at most {} bytes", protocol::MAX_URL_BYTES),
            )
        })?;
        let visit = Visit {
            referrer: referrer.filter(|r| is_web_address(r)),
            language: language.filter(|l| !l.is_empty() && l.len() <= 35),
            time_zone: time_zone.filter(|z| z.len() <= 64 && jiff::tz::TimeZone::get(z).is_ok()),
        };
        let wall = crate::store::now_millis();
        // Earlier pages keep the widget's times, within the last 12 hours and never ahead.
        let oldest = wall - 12 * 60 * 60 * 1000;
        let skip = earlier.len().saturating_sub(MAX_EARLIER_PAGES);
        let mut pages: Vec<(PageView, i64)> = earlier
            .into_iter()
            .skip(skip)
            .filter_map(checked_page)
            .map(|old| {
                let at = old.at.clamp(oldest, wall);
                (old, at)
            })
            .collect();
        pages.push((page, wall));
        self.state.chat.record_pages(&me.id, me.conversation.as_ref(), &pages, &visit).await
    }

    /// Merges what the shop told about the shopper; limited like page reports.
    pub(super) async fn attributes(&mut self, attributes: std::collections::BTreeMap<String, String>) -> Result<()> {
        let me = self.me.as_ref().ok_or_else(not_introduced)?;
        self.state.limits.pages(&me.id, 1).map_err(|w| Error::rate_limited("attribute reports", w))?;
        super::super::identity::merge_attributes(&self.state, &me.id, &attributes).await
    }
}
