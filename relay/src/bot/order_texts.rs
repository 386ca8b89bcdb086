//! What the bot says about orders, in English and Chinese: the order lines here, the
//! sentences around them in the store's own words (`crate::texts`). Everything from the
//! shop's source goes into plain text; the widget and the console show it as text.

use protocol::{Order, OrderStatus};

use crate::texts::{Key, Lang, Voice};

fn status(lang: Lang, status: OrderStatus) -> &'static str {
    use OrderStatus::*;
    match (lang, status) {
        (Lang::En, Pending) => "awaiting payment",
        (Lang::En, Paid) => "paid, being prepared",
        (Lang::En, Fulfilled) => "packed, about to ship",
        (Lang::En, Shipped) => "shipped",
        (Lang::En, Delivered) => "delivered",
        (Lang::En, Cancelled) => "cancelled",
        (Lang::En, Refunded) => "refunded",
        (Lang::Zh, Pending) => "待付款",
        (Lang::Zh, Paid) => "已付款，正在备货",
        (Lang::Zh, Fulfilled) => "已打包，即将发货",
        (Lang::Zh, Shipped) => "已发货",
        (Lang::Zh, Delivered) => "已送达",
        (Lang::Zh, Cancelled) => "已取消",
        (Lang::Zh, Refunded) => "已退款",
    }
}

/// The day an order was placed, `2026-11-28`, from its RFC 3339 time.
fn day(placed_at: &str) -> &str {
    placed_at.get(..10).unwrap_or(placed_at)
}

/// One line per order: number, day, status, and the tracking link when there is one. The
/// console's "insert status" button uses the same line.
pub fn status_line(lang: Lang, order: &Order) -> String {
    let mut line = match lang {
        Lang::En => format!("Order #{} ({}): {}", order.number, day(&order.placed_at), status(lang, order.status)),
        Lang::Zh => format!("订单 #{}（{} 下单）：{}", order.number, day(&order.placed_at), status(lang, order.status)),
    };
    if let Some(f) = &order.fulfilment {
        let carrier = f.carrier.as_deref().map(|c| format!("{c} ")).unwrap_or_default();
        match (lang, f.tracking_number.as_deref()) {
            (Lang::En, Some(number)) => line.push_str(&format!(", {carrier}tracking number {number}")),
            (Lang::Zh, Some(number)) => line.push_str(&format!("，{carrier}运单号 {number}")),
            _ => {}
        }
        if let Some(url) = &f.tracking_url {
            line.push_str(&format!(": {url}"));
        }
    }
    line
}

/// The full answer about one order, then the offer of a person.
pub fn one_order(voice: &Voice, order: &Order) -> String {
    let lang = voice.lang;
    let mut text = status_line(lang, order);
    let items: Vec<String> = order.items.iter().take(5).map(|i| format!("{} × {}", i.quantity, i.title)).collect();
    if !items.is_empty() {
        text.push_str(&format!("\n{}", items.join(", ")));
    }
    if let Some(url) = &order.status_url {
        text.push_str(&match lang {
            Lang::En => format!("\nOrder page: {url}"),
            Lang::Zh => format!("\n订单页面：{url}"),
        });
    }
    text.push('\n');
    text.push_str(&voice.say(Key::OrderMore));
    text
}

/// A customer's recent orders to pick from.
pub fn recent_orders(voice: &Voice, orders: &[Order]) -> String {
    let lines: Vec<String> = orders.iter().take(5).map(|o| format!("• {}", status_line(voice.lang, o))).collect();
    format!("{}\n{}\n{}", voice.say(Key::OrderRecent), lines.join("\n"), voice.say(Key::OrderPick))
}
