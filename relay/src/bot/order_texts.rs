//! What the bot says about orders, in English and Chinese. Everything from the shop's source
//! goes into plain text; the widget and the console show it as text.

use protocol::{Order, OrderStatus};

use crate::texts::Lang;

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
pub fn one_order(lang: Lang, order: &Order) -> String {
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
    text.push_str(offer_a_person(lang));
    text
}

/// A customer's recent orders to pick from.
pub fn recent_orders(lang: Lang, orders: &[Order]) -> String {
    let lines: Vec<String> = orders.iter().take(5).map(|o| format!("• {}", status_line(lang, o))).collect();
    match lang {
        Lang::En => format!("Your recent orders:\n{}\nReply with an order number for its details.", lines.join("\n")),
        Lang::Zh => format!("您最近的订单：\n{}\n回复订单号查看详情。", lines.join("\n")),
    }
}

fn offer_a_person(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "\nAnything else? Write \"agent\" to talk to a person.",
        Lang::Zh => "\n还有其他问题吗？回复“人工”联系客服。",
    }
}

/// Asking an anonymous shopper for what proves the order.
pub fn ask_number_and_email(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "I can look that up. Please send your order number and the email address you used for the order.",
        Lang::Zh => "我可以帮您查询。请发送您的订单号和下单时使用的邮箱。",
    }
}

/// One of the two is missing.
pub fn need_both(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Please send both the order number and the email address used for the order.",
        Lang::Zh => "请同时发送订单号和下单时使用的邮箱。",
    }
}

/// Nothing matched both; never says which one was wrong.
pub fn no_match(lang: Lang, number: &str) -> String {
    match lang {
        Lang::En => {
            format!("I could not find order {number} with that email address. Please check both and send them again.")
        }
        Lang::Zh => format!("没有找到与该邮箱匹配的订单 {number}。请核对订单号和邮箱后重新发送。"),
    }
}

/// A verified customer with no orders at the source.
pub fn no_orders(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "I cannot find any orders on your account. If you ordered as a guest, send the order number and the email address used for it.",
        Lang::Zh => "您的账户下没有找到订单。如果您是以访客身份下单的，请发送订单号和下单邮箱。",
    }
}

/// The source failed, or too many tries: said before a person is brought in.
pub fn cannot_look_up(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "I can't look that up right now, a person will help. ",
        Lang::Zh => "暂时无法查询订单，将由客服为您处理。",
    }
}

/// Too many tries with number and email.
pub fn too_many_tries(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "That did not match several times, so a person will help. ",
        Lang::Zh => "多次核对未能匹配，将由客服为您处理。",
    }
}
