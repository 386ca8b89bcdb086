//! Every automatic text by name, with its default in each language and the placeholders it may
//! use. A store's own version replaces the default (`words`); the console lists this catalogue
//! so an owner sees each default, and saving checks a text against its placeholders here.

use super::Lang;

/// Placeholders every text may use.
pub const COMMON: [&str; 2] = ["store_name", "shopper_name"];

/// One automatic text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    /// Shown by the widget when a shopper opens the chat (falls back to the greeting in
    /// Settings, then to the widget's own).
    Greeting,
    /// The console's closing question ("Is there anything else…"), prefilled for the agent.
    ClosingQuestion,
    /// Nobody is there: when they are back, and the offer to take an email.
    Away,
    /// Nobody is there, and the shopper's email is already noted.
    EmailNoted,
    /// The shopper's email was taken.
    EmailThanks,
    /// What the shopper gave does not read as an email.
    EmailHint,
    /// No answer found while nobody is there.
    NoAnswer,
    /// A person is on the way (nobody waiting ahead).
    Handover,
    /// A person is on the way, with the shopper's place in the queue.
    HandoverQueue,
    /// The first-reply deadline passed (nobody waiting ahead).
    Acknowledgement,
    /// The first-reply deadline passed, with the shopper's place in the queue.
    AcknowledgementQueue,
    /// Said at once to a shopper's first message while agents are online, when the store
    /// turned it on.
    InstantAck,
    /// Before the articles that may help while the shopper waits.
    Meanwhile,
    /// The conversation was closed.
    Closed,
    /// After "Yes, it answered my question".
    Glad,
    /// Before bringing a person in after "No, it did not".
    Sorry,
    /// Under an FAQ answer: where it came from.
    FaqSource,
    /// Before the FAQ articles the bot offers when it cannot tell which one the shopper means.
    FaqChoices,
    /// Under an FAQ answer in another language than the shopper's (no article in theirs
    /// answered): where it came from, and that it is in that language.
    FaqSourceOtherLanguage,
    /// Asking an anonymous shopper for their order number and email.
    OrderAsk,
    /// One of the two is missing.
    OrderNeedBoth,
    /// No order matched both.
    OrderNoMatch,
    /// A signed-in customer with no orders.
    OrderNone,
    /// The order source failed: a person will help.
    OrderUnavailable,
    /// Too many tries: a person will help.
    OrderTooManyTries,
    /// After an order's details: the offer of a person.
    OrderMore,
    /// Before a customer's recent orders.
    OrderRecent,
    /// After them: how to pick one.
    OrderPick,
}

/// A text's entry: its name, defaults and the placeholders of its own.
struct Entry {
    key: Key,
    name: &'static str,
    en: &'static str,
    zh: &'static str,
    own: &'static [&'static str],
}

const fn entry(
    key: Key,
    name: &'static str,
    own: &'static [&'static str],
    en: &'static str,
    zh: &'static str,
) -> Entry {
    Entry { key, name, en, zh, own }
}

const CATALOG: [Entry; 28] = [
    entry(Key::Greeting, "greeting", &[],
        "Hi! Ask us anything about sizes, shipping or returns.", "您好！关于尺码、配送或退货，欢迎随时咨询。"),
    entry(Key::ClosingQuestion, "closing_question", &[],
        "Is there anything else I can help you with?", "请问还有什么可以帮您的吗？"),
    entry(Key::Away, "away", &["back_at"],
        "Nobody from our team is available right now. We will be back {back_at}. Leave your email address here and we will get back to you.",
        "目前没有客服在线。我们将在{back_at}回来。请在这里留下您的邮箱，我们会尽快回复您。"),
    entry(Key::EmailNoted, "email_noted", &["back_at"],
        "We have your email address and will get back to you. We will be back {back_at}.",
        "我们已记下您的邮箱，会尽快回复您。我们将在{back_at}回来。"),
    entry(Key::EmailThanks, "email_thanks", &["email"],
        "Thank you! We will reply to {email} as soon as we are back.", "谢谢！我们回来后会尽快回复到 {email}。"),
    entry(Key::EmailHint, "email_hint", &[],
        "That does not look like an email address. Could you check it? For example: name@example.com",
        "这似乎不是有效的邮箱地址，请检查一下。例如：name@example.com"),
    entry(Key::NoAnswer, "no_answer", &[],
        "I could not find an answer to that. Leave your email address here and our team will reply.",
        "我没有找到相关答案。请在这里留下您的邮箱，我们的团队会回复您。"),
    entry(Key::Handover, "handover", &[],
        "I am bringing in a person from our team; they will reply here in a moment.", "正在为您转接人工客服，请稍候。"),
    entry(Key::HandoverQueue, "handover_queue", &["queue_place"],
        "I am bringing in a person from our team. You are number {queue_place} in line.",
        "正在为您转接人工客服，您排在第 {queue_place} 位。"),
    entry(Key::Acknowledgement, "acknowledgement", &[],
        "Thanks for waiting! We have your message, and a member of our team will reply in a moment.",
        "感谢您的耐心等待！我们已收到您的消息，客服马上就会回复您。"),
    entry(Key::AcknowledgementQueue, "acknowledgement_queue", &["queue_place"],
        "Thanks for waiting! Everyone on our team is helping other shoppers right now. You are number {queue_place} in line, and we will reply as soon as we can.",
        "感谢您的耐心等待！我们的团队正在帮助其他顾客。您排在第 {queue_place} 位，我们会尽快回复您。"),
    entry(Key::InstantAck, "instant_ack", &["reply_time"],
        "Thanks! Someone will be with you shortly, usually within {reply_time}.",
        "谢谢！客服马上就来，通常在{reply_time}内回复。"),
    entry(Key::Meanwhile, "meanwhile", &[],
        "Meanwhile, these may help (search them above):", "在等待期间，这些文章可能有帮助（可在上方搜索）："),
    entry(Key::Closed, "closed", &[],
        "This chat was closed. Write here anytime to start a new one.", "本次对话已结束。如有需要，随时在这里留言开始新的对话。"),
    entry(Key::Glad, "glad", &[],
        "Glad I could help! Write here anytime if there is anything else.", "很高兴能帮到您！如有其他问题，随时在这里留言。"),
    entry(Key::Sorry, "sorry", &[], "Sorry that did not help.", "抱歉没能帮到您。"),
    entry(Key::FaqSource, "faq_source", &["article"], "From our help: {article}", "来自帮助中心：{article}"),
    entry(Key::FaqChoices, "faq_choices", &[],
        "These articles from our help may answer that. Which one do you mean?",
        "帮助中心的这几篇文章可能解答您的问题。您指的是哪一篇？"),
    entry(Key::FaqSourceOtherLanguage, "faq_source_other_language", &["article", "language"],
        "From our help (this article is only in {language}): {article}",
        "来自帮助中心（此文章仅有{language}版本）：{article}"),
    entry(Key::OrderAsk, "order_ask", &[],
        "I can look that up. Please send your order number and the email address you used for the order.",
        "我可以帮您查询。请发送您的订单号和下单时使用的邮箱。"),
    entry(Key::OrderNeedBoth, "order_need_both", &[],
        "Please send both the order number and the email address used for the order.", "请同时发送订单号和下单时使用的邮箱。"),
    entry(Key::OrderNoMatch, "order_no_match", &["order_number"],
        "I could not find order {order_number} with that email address. Please check both and send them again.",
        "没有找到与该邮箱匹配的订单 {order_number}。请核对订单号和邮箱后重新发送。"),
    entry(Key::OrderNone, "order_none", &[],
        "I cannot find any orders on your account. If you ordered as a guest, send the order number and the email address used for it.",
        "您的账户下没有找到订单。如果您是以访客身份下单的，请发送订单号和下单邮箱。"),
    entry(Key::OrderUnavailable, "order_unavailable", &[],
        "I can't look that up right now, a person will help.", "暂时无法查询订单，将由客服为您处理。"),
    entry(Key::OrderTooManyTries, "order_too_many_tries", &[],
        "That did not match several times, so a person will help.", "多次核对未能匹配，将由客服为您处理。"),
    entry(Key::OrderMore, "order_more", &[],
        "Anything else? Write \"agent\" to talk to a person.", "还有其他问题吗？回复“人工”联系客服。"),
    entry(Key::OrderRecent, "order_recent", &[], "Your recent orders:", "您最近的订单："),
    entry(Key::OrderPick, "order_pick", &[],
        "Reply with an order number for its details.", "回复订单号查看详情。"),
];

impl Key {
    /// Every text, in the console's order.
    pub fn all() -> impl Iterator<Item = Key> {
        CATALOG.iter().map(|e| e.key)
    }

    fn entry(self) -> &'static Entry {
        // Every key has its entry (the tests check); the greeting's stands in for none.
        CATALOG.iter().find(|e| e.key == self).unwrap_or(&CATALOG[0])
    }

    /// Its name in the API and the database (`away`).
    pub fn name(self) -> &'static str {
        self.entry().name
    }

    /// The text of a name from [`Key::name`].
    pub fn from_name(name: &str) -> Option<Key> {
        CATALOG.iter().find(|e| e.name == name).map(|e| e.key)
    }

    /// What the bot says when the store wrote nothing of its own.
    pub fn default_text(self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.entry().en,
            Lang::Zh => self.entry().zh,
        }
    }

    /// The placeholders the text may use. The widget's greeting is filled in before anyone
    /// is known, so it has only `{store_name}`.
    pub fn placeholders(self) -> Vec<&'static str> {
        let common: &[&str] = if self == Key::Greeting { &COMMON[..1] } else { &COMMON };
        common.iter().chain(self.entry().own).copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_uses_only_its_own_placeholders_and_names_are_unique() {
        let mut names = std::collections::HashSet::new();
        assert_eq!(Key::all().count(), 28);
        for key in Key::all() {
            assert_eq!(key.entry().key, key, "{key:?} has its own entry");
            assert!(names.insert(key.name()), "{} twice", key.name());
            assert_eq!(Key::from_name(key.name()), Some(key));
            for lang in Lang::ALL {
                let allowed = key.placeholders();
                chat_model::texts::check(key.default_text(lang), &allowed)
                    .unwrap_or_else(|e| panic!("{} ({}): {e}", key.name(), lang.code()));
            }
        }
    }

    #[test]
    fn the_console_has_a_label_for_every_text() {
        let english = include_str!("../../../console/locales/en.ftl");
        for key in Key::all() {
            let label = format!("\ntext-{} = ", key.name().replace('_', "-"));
            assert!(english.contains(&label), "console/locales/en.ftl lacks{label}");
        }
    }
}
