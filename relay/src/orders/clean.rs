//! An order from a source, made fit to show: every text cut to the contract's lengths, links
//! kept only when they are http or https (never `javascript:`), at most 100 lines.

use protocol::{Fulfilment, Order, OrderItem};

fn cut(text: String, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((end, _)) => text[..end].to_owned(),
        None => text,
    }
}

fn cut_opt(text: Option<String>, chars: usize) -> Option<String> {
    text.map(|t| cut(t.trim().to_owned(), chars)).filter(|t| !t.is_empty())
}

/// A link, if it is an http(s) URL of a sane length.
pub fn link(url: Option<String>) -> Option<String> {
    let url = url?.trim().to_owned();
    let parsed = reqwest::Url::parse(&url).ok()?;
    (matches!(parsed.scheme(), "http" | "https") && url.len() <= protocol::MAX_URL_BYTES).then_some(url)
}

/// The order, cleaned.
pub fn order(order: Order) -> Order {
    Order {
        number: cut(order.number.trim().to_owned(), 64),
        status: order.status,
        placed_at: cut(order.placed_at, 40),
        total: cut(order.total, 32),
        currency: cut(order.currency, 3),
        items: order
            .items
            .into_iter()
            .take(100)
            .map(|i| OrderItem { title: cut(i.title, 300), quantity: i.quantity, image_url: link(i.image_url) })
            .collect(),
        fulfilment: order.fulfilment.map(|f| Fulfilment {
            status: cut_opt(f.status, 64),
            carrier: cut_opt(f.carrier, 100),
            tracking_number: cut_opt(f.tracking_number, 100),
            tracking_url: link(f.tracking_url),
        }),
        status_url: link(order.status_url),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_links_are_kept() {
        assert_eq!(link(Some("https://dhl.com/t?id=1".into())).as_deref(), Some("https://dhl.com/t?id=1"));
        assert_eq!(link(Some("javascript:alert(1)".into())), None);
        assert_eq!(link(Some("JaVaScRiPt:alert(1)".into())), None);
        assert_eq!(link(Some("data:text/html,<script>".into())), None);
        assert_eq!(link(Some("not a url".into())), None);
    }
}
