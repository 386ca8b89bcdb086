//! The inbox: tabs (Mine, where it opens, then Queue, All for admins, Closed) with unread counts, and the list of
//! conversations, each with its latest message and, while the shopper waits, the waiting time
//! coloured against the first-reply target.

use leptos::prelude::*;
use leptos::task::spawn_local;
use protocol::{ConversationId, ConversationSummary};

use super::workspace::Shared;
use super::{elapsed, shopper_label};
use crate::api;
use crate::desk::{Conv, Desk};
use crate::i18n::text;

/// The inbox's tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Waiting for an agent.
    Queue,
    /// Assigned to me.
    Mine,
    /// Every open conversation (owners and admins).
    All,
    /// Closed.
    Closed,
    /// The shoppers on the site now (no conversations: its own list).
    Visitors,
}

impl Tab {
    fn holds(self, conv: &Conv, me: i64) -> bool {
        match self {
            Tab::Queue => !conv.is_closed() && conv.summary.assigned_agent_id.is_none(),
            Tab::Mine => !conv.is_closed() && conv.summary.assigned_agent_id == Some(me),
            Tab::All => !conv.is_closed(),
            Tab::Closed => conv.is_closed(),
            Tab::Visitors => false,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Tab::Queue => "tab-queue",
            Tab::Mine => "tab-mine",
            Tab::All => "tab-all",
            Tab::Closed => "tab-closed",
            Tab::Visitors => "tab-visitors",
        }
    }
}

/// The search box's state: the conversations the relay found for the words typed, or none
/// while the box is empty. Answers to earlier words are dropped.
#[derive(Clone, Copy)]
struct Search {
    desk: Desk,
    found: RwSignal<Option<Vec<ConversationId>>>,
    asked: StoredValue<u32>,
}

impl Search {
    fn new(desk: Desk) -> Search {
        Search { desk, found: RwSignal::new(None), asked: StoredValue::new(0) }
    }

    fn run(self, words: String) {
        self.ask("q", &words, 50);
    }

    /// Only the conversations of shoppers with a tag ("" for all).
    fn tagged(self, tag: String) {
        self.ask("tag", &tag, 200);
    }

    fn ask(self, by: &str, value: &str, limit: u32) {
        self.asked.update_value(|n| *n += 1);
        let asked = self.asked.get_value();
        if value.trim().is_empty() {
            self.found.set(None);
            return;
        }
        let encoded: String = js_sys::encode_uri_component(value.trim()).into();
        let url = self.desk.me.with_value(|m| m.store_url(&format!("conversations?{by}={encoded}&limit={limit}")));
        spawn_local(async move {
            let Ok(list) = api::get::<Vec<ConversationSummary>>(&url).await else { return };
            if self.asked.get_value() != asked {
                return;
            }
            let ids = list.iter().map(|c| c.id).collect();
            self.desk.learn(list);
            self.found.set(Some(ids));
        });
    }
}

/// How urgent a wait looks: under 30 s, under the deadline, or over it.
fn wait_class(waited_ms: f64, deadline_secs: u32) -> &'static str {
    if waited_ms < 30_000.0 {
        "wait fresh"
    } else if waited_ms < f64::from(deadline_secs) * 1000.0 {
        "wait due"
    } else {
        "wait late"
    }
}

/// The tabs and the list.
#[component]
pub fn Inbox(tab: RwSignal<Tab>) -> impl IntoView {
    let desk = expect_context::<Desk>();
    let shared = expect_context::<Shared>();
    let my_id = desk.my_id();
    let search = Search::new(desk);
    let store_tags = RwSignal::new(Vec::<String>::new());
    super::tags::load_store_tags(desk, store_tags);
    let deadline = Signal::derive(move || shared.settings.with(|s| s.as_ref().map_or(60, |s| s.first_reply_secs)));
    let list = move || {
        let current = tab.get();
        let found = search.found.get();
        let mut convs: Vec<Conv> = desk.conversations.with(|all| {
            all.values()
                .filter(|c| current.holds(c, my_id))
                .filter(|c| found.as_ref().is_none_or(|ids| ids.contains(&c.summary.id)))
                .cloned()
                .collect()
        });
        match current {
            // The longest wait first.
            Tab::Queue => convs.sort_by(|a, b| a.waiting_since.total_cmp(&b.waiting_since)),
            _ => convs.sort_by_key(|c| std::cmp::Reverse(c.summary.id)),
        }
        convs
    };
    view! {
        <section class="inbox" aria-label=text("inbox")>
            <Tabs tab/>
            <Show when=move || tab.get() == Tab::Visitors>
                <super::visitors::VisitorsNow/>
            </Show>
            <Show when=move || tab.get() != Tab::Visitors>
            <input type="search" class="conversation-search" aria-label=text("search-conversations")
                placeholder=text("search-conversations-placeholder")
                on:input=move |ev| search.run(event_target_value(&ev))/>
            <select class="tag-filter" aria-label=text("tag-filter")
                on:focus=move |_| super::tags::load_store_tags(desk, store_tags)
                on:change=move |ev| search.tagged(event_target_value(&ev))>
                <option value="">{text("tag-filter-all")}</option>
                {move || store_tags.get().into_iter().map(|t| view! { <option value=t.clone()>{t.clone()}</option> }).collect_view()}
            </select>
            <ul class="conversations">
                <For each=list key=|c| (c.summary.id, c.unread, c.preview(), c.summary.assigned_agent_id, c.is_closed(), c.summary.follow_up_email.clone(), c.summary.rating) let:conv>
                    <Row conv deadline/>
                </For>
            </ul>
            <Show when=move || list().is_empty()>
                <p class="empty">{move || text(if search.found.with(Option::is_some) { "search-none" } else { "inbox-empty" })}</p>
            </Show>
            </Show>
        </section>
    }
}

/// The tabs (All for admins only), each with its unread count; Closed loads the latest closed
/// conversations when picked.
#[component]
fn Tabs(tab: RwSignal<Tab>) -> impl IntoView {
    let desk = expect_context::<Desk>();
    let is_admin = desk.me.with_value(|m| m.is_admin());
    let my_id = desk.my_id();
    let tabs: Vec<Tab> = [Tab::Mine, Tab::Queue, Tab::All, Tab::Closed, Tab::Visitors]
        .into_iter()
        .filter(|t| *t != Tab::All || is_admin)
        .collect();
    let load_closed = move || {
        let url = desk.me.with_value(|m| m.store_url("conversations?state=closed&limit=100"));
        spawn_local(async move {
            if let Ok(list) = api::get::<Vec<ConversationSummary>>(&url).await {
                desk.learn(list);
            }
        });
    };
    view! {
        <div class="tabs" role="tablist">
            {tabs.into_iter().map(|t| {
                let unread = move || desk.conversations.with(|all| {
                    all.values().filter(|c| t.holds(c, my_id)).map(|c| c.unread).sum::<u32>()
                });
                view! {
                    <button role="tab" aria-selected=move || (tab.get() == t).to_string()
                        on:click=move |_| {
                            tab.set(t);
                            if t == Tab::Closed {
                                load_closed();
                            }
                        }>
                        {text(t.label())}
                        <Show when=move || { unread() > 0 }>
                            <span class="badge" aria-label=move || crate::i18n::text_with("unread", &[("count", unread().to_string())])>
                                {unread}
                            </span>
                        </Show>
                    </button>
                }
            }).collect_view()}
        </div>
    }
}

/// One conversation in the list: who, the latest message, how long the shopper has waited
/// (coloured against the store's first-reply target), unread count and rating.
#[component]
fn Row(conv: Conv, deadline: Signal<u32>) -> impl IntoView {
    let desk = expect_context::<Desk>();
    let id = conv.summary.id;
    let waiting = !conv.is_closed() && conv.awaits_reply();
    let since = conv.waiting_since;
    let unread = conv.unread;
    let has_unread = unread > 0;
    view! {
        <li>
            <button class="conversation" class:selected=move || desk.selected.get() == Some(id)
                class:unread=has_unread
                on:click=move |_| desk.open(id)>
                <span class="who">{shopper_label(&conv.summary)}</span>
                <span class="preview" dir="auto">{conv.preview()}</span>
                {waiting.then(|| view! {
                    <span class=move || wait_class(desk.now.get() - since, deadline.get())>
                        {move || elapsed(desk.now.get() - since)}
                    </span>
                })}
                {(unread > 0).then(|| view! { <span class="badge">{unread}</span> })}
                {conv.summary.rating.map(|score| view! {
                    <span class="pill rating" aria-label=crate::i18n::text_with("rated", &[("score", score.to_string())])>
                        {format!("★ {score}")}
                    </span>
                })}
            </button>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::wait_class;

    #[test]
    fn waits_turn_amber_at_30_s_and_red_at_the_stores_target() {
        assert_eq!(wait_class(29_999.0, 60), "wait fresh");
        assert_eq!(wait_class(30_000.0, 60), "wait due");
        assert_eq!(wait_class(59_999.0, 60), "wait due");
        assert_eq!(wait_class(60_000.0, 60), "wait late");
        assert_eq!(wait_class(100_000.0, 120), "wait due", "a store with a 2-minute target");
    }

    #[test]
    fn waiting_times_read_as_durations_not_clock_times() {
        use super::super::{wait_of, Wait};
        assert_eq!(wait_of(45_000.0), Wait::Seconds(45));
        assert_eq!(wait_of(65_000.0), Wait::Minutes(1));
        assert_eq!(wait_of(1_038_000.0), Wait::Minutes(17));
        assert_eq!(wait_of(3_725_000.0), Wait::Hours(1, 2));
        assert_eq!(wait_of(-5.0), Wait::Seconds(0));
    }
}
