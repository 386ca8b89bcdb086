//! One conversation: its actions (claim, transfer, release, close with a closing reply,
//! reopen), the messages with their delivery and read state interleaved with private notes,
//! the shopper's typing, the composer, and the context panel.

use leptos::prelude::*;
use leptos::task::spawn_local;
use protocol::{AgentStatus, Role};

use super::composer::Composer;
use super::context_panel::ContextPanel;
use super::{clock, shopper_label};
use crate::api::{self, Member};
use crate::desk::{Delivery, Desk};
use crate::i18n::text;

/// A message or a note, in time order.
#[derive(Clone, PartialEq)]
enum Entry {
    Line(crate::desk::Line),
    Note(protocol::Note),
}

impl Entry {
    fn at(&self) -> f64 {
        match self {
            Entry::Line(l) => l.at,
            Entry::Note(n) => n.at as f64,
        }
    }

    fn key(&self) -> String {
        match self {
            Entry::Line(l) => format!("{}-{}", l.key, l.delivery.name()),
            Entry::Note(n) => format!("n{}", n.id),
        }
    }
}

/// The selected conversation, or a hint to pick one.
#[component]
pub fn ConversationView() -> impl IntoView {
    let desk = expect_context::<Desk>();
    move || match desk.selected.get() {
        Some(id) => view! { <Opened id=id/> }.into_any(),
        None => {
            view! { <section class="conversation-view empty"><p>{text("pick-conversation")}</p></section> }.into_any()
        }
    }
}

/// The open conversation: its head and actions, its dialogs, the history and the composer.
#[component]
fn Opened(id: i64) -> impl IntoView {
    let desk = expect_context::<Desk>();
    // The orders panel puts status lines into this conversation's reply box.
    provide_context(super::orders_panel::ReplyInsert(RwSignal::new(None)));
    let conv = Memo::new(move |_| desk.conversations.with(|all| all.get(&id).cloned()));
    let closing = RwSignal::new(false);
    let closing_text = RwSignal::new(text("closing-reply"));
    let transferring = RwSignal::new(false);
    let closes_at = move || conv.with(|c| c.as_ref().filter(|c| !c.is_closed()).and_then(|c| c.summary.closes_at));
    let entries = move || {
        conv.with(|c| {
            let Some(c) = c else { return Vec::new() };
            let mut entries: Vec<Entry> = c.chat.lines.iter().cloned().map(Entry::Line).collect();
            entries.extend(c.notes.iter().cloned().map(Entry::Note));
            entries.sort_by(|a, b| a.at().total_cmp(&b.at()));
            entries
        })
    };
    let scroller = NodeRef::<leptos::html::Div>::new();
    follow_newest(scroller, Signal::derive(move || entries().len()));
    let read_seq = move || conv.with(|c| c.as_ref().map_or(0, |c| c.visitor_read_seq));
    // The latest reply email ending at a message: shown under it.
    let emailed = move |seq: u64| {
        conv.with(|c| {
            let emails = c.as_ref().map(|c| c.emails.as_slice()).unwrap_or_default();
            emails.iter().rev().find(|e| e.kind == protocol::EmailKind::Reply && e.last_seq == seq).cloned()
        })
    };
    let typing = move || conv.with(|c| c.as_ref().is_some_and(|c| c.typing_until > desk.now.get()));
    view! {
        <section class="conversation-view" aria-label=move || conv.with(|c| c.as_ref().map(|c| shopper_label(&c.summary)))>
            <header class="conversation-head">
                <h2>{move || conv.with(|c| c.as_ref().map(|c| shopper_label(&c.summary)))}</h2>
                {move || conv.with(|c| c.as_ref().and_then(|c| c.shopper_here)).map(|here| view! {
                    <span class="shopper-presence muted" role="status">
                        {text(if here { "shopper-here" } else { "shopper-left" })}
                    </span>
                })}
                <Actions id=id conv=conv closing=closing closing_text=closing_text transferring=transferring/>
            </header>
            {move || conv.with(|c| c.as_ref().and_then(|c| c.summary.rating.map(|score| (score, c.summary.rating_comment.clone())))).map(|(score, comment)| view! {
                <p class="rating-line">
                    <strong>{crate::i18n::text_with("rated", &[("score", score.to_string())])}</strong>
                    {comment.map(|c| view! { " · " <span dir="auto">{c}</span> })}
                </p>
            })}
            {move || closes_at().map(|at| view! {
                <p class="closing-wait" role="status">
                    {crate::i18n::text_with("closes-at", &[("time", clock(at as f64))])}
                </p>
            })}
            <Show when=move || transferring.get()>
                <TransferDialog id=id open=transferring/>
            </Show>
            <Show when=move || closing.get()>
                <CloseDialog id=id open=closing closing_text=closing_text/>
            </Show>
            // A focusable scroll box, so the history scrolls by keyboard too; it opens at the newest.
            <div class="messages" node_ref=scroller tabindex="0" role="log" aria-label=text("messages")>
                <ol class="lines">
                    <For each=entries key=Entry::key let:entry>
                        {render(entry, read_seq, emailed, id)}
                    </For>
                </ol>
            </div>
            <Show when=typing>
                <p class="typing">{text("shopper-typing")}</p>
            </Show>
            {move || conv.with(|c| c.as_ref().is_some_and(|c| !c.is_closed())).then(|| view! { <Composer id=id/> })}
        </section>
        <ContextPanel id=id/>
    }
}

/// What the agent may do with the conversation as it stands: reopen a closed one; claim or
/// close a queued one (never past their capacity); transfer, release or close their own.
#[component]
fn Actions(
    id: i64,
    conv: Memo<Option<crate::desk::Conv>>,
    closing: RwSignal<bool>,
    closing_text: RwSignal<String>,
    transferring: RwSignal<bool>,
) -> impl IntoView {
    let desk = expect_context::<Desk>();
    let my_id = desk.my_id();
    // Asking to close: the store's closing question, in the language the shopper writes.
    let shared = expect_context::<super::workspace::Shared>();
    let ask_to_close = move || {
        let said = conv.with_untracked(|c| {
            let lines = c.as_ref().map(|c| c.chat.lines.clone()).unwrap_or_default();
            lines.into_iter().rev().find(|l| l.role == protocol::Role::Visitor).map(|l| l.text).unwrap_or_default()
        });
        if let Some(question) = shared.text("closing_question", chat_model::texts::language_of(&said)) {
            closing_text.set(question);
        }
        closing.set(true);
    };
    let state = move || conv.with(|c| c.as_ref().map(|c| (c.is_closed(), c.summary.assigned_agent_id)));
    // Claiming never goes past the agent's capacity (the relay refuses it too).
    let full = move || {
        let (load, capacity) = desk.capacity.get();
        capacity > 0 && load >= capacity
    };
    view! {
        <div class="actions">
            {move || match state() {
                None => ().into_any(),
                Some((true, _)) => view! {
                    <button on:click=move |_| desk.reopen(id)>{text("reopen")}</button>
                }.into_any(),
                Some((false, None)) => view! {
                    <button data-shortcut="c" disabled=full aria-describedby=move || full().then_some("claim-full")
                        on:click=move |_| desk.claim(id)>{text("claim")}</button>
                    <Show when=full>
                        <span id="claim-full" class="muted">{text("claim-full")}</span>
                    </Show>
                    <button data-shortcut="x" on:click=move |_| ask_to_close()>{text("close")}</button>
                }.into_any(),
                Some((false, Some(owner))) if owner == my_id => view! {
                    <button on:click=move |_| transferring.set(true)>{text("transfer")}</button>
                    <button on:click=move |_| desk.release(id)>{text("release")}</button>
                    <button data-shortcut="x" on:click=move |_| ask_to_close()>{text("close")}</button>
                }.into_any(),
                Some((false, Some(_))) => view! { <span class="muted">{text("assigned-elsewhere")}</span> }.into_any(),
            }}
        </div>
    }
}

/// "Transfer to": the store's other active agents, fetched when it opens; only those online
/// can be picked.
#[component]
fn TransferDialog(id: i64, open: RwSignal<bool>) -> impl IntoView {
    let desk = expect_context::<Desk>();
    let my_id = desk.my_id();
    let team = RwSignal::new(Vec::<Member>::new());
    let url = desk.me.with_value(|m| m.store_url("team"));
    spawn_local(async move {
        if let Ok(members) = api::get::<Vec<Member>>(&url).await {
            team.set(members);
        }
    });
    view! {
        <div class="dialog" role="dialog" aria-label=text("transfer")>
            <p>{text("transfer-to")}</p>
            <ul>
                {move || team.get().into_iter()
                    .filter(|m| m.id != my_id && m.active)
                    .map(|m| {
                        let online = m.status == Some(AgentStatus::Online);
                        let to = m.id;
                        view! {
                            <li>
                                <button disabled=!online on:click=move |_| {
                                    desk.transfer(id, to);
                                    open.set(false);
                                }>
                                    {m.name.clone()}
                                    " "
                                    <span class="muted">{text(if online { "status-online" } else { "status-unavailable" })}</span>
                                </button>
                            </li>
                        }
                    }).collect_view()}
            </ul>
            <button class="link" on:click=move |_| open.set(false)>{text("cancel")}</button>
        </div>
    }
}

/// Closing: the closing reply (editable; the store's question in the shopper's language),
/// whether the question was resolved, then send and close, close silently, or cancel.
#[component]
fn CloseDialog(id: i64, open: RwSignal<bool>, closing_text: RwSignal<String>) -> impl IntoView {
    let desk = expect_context::<Desk>();
    let resolved = RwSignal::new(true);
    view! {
        <div class="dialog" role="dialog" aria-label=text("close")>
            <label>
                <span>{text("closing-label")}</span>
                <textarea rows="2" prop:value=move || closing_text.get()
                    on:input=move |ev| closing_text.set(event_target_value(&ev))></textarea>
            </label>
            <label class="check">
                <input type="checkbox" prop:checked=move || resolved.get()
                    on:change=move |ev| resolved.set(event_target_checked(&ev))/>
                <span>{text("resolved")}</span>
            </label>
            <button on:click=move |_| {
                desk.close(id, Some(closing_text.get_untracked()), resolved.get_untracked());
                open.set(false);
            }>{text("send-and-close")}</button>
            <button on:click=move |_| {
                desk.close(id, None, resolved.get_untracked());
                open.set(false);
            }>{text("close-silently")}</button>
            <button class="link" on:click=move |_| open.set(false)>{text("cancel")}</button>
        </div>
    }
}

/// Keeps the message list at its newest entry: when it opens, and as entries come while the
/// agent is at the bottom (reading back further up is never interrupted).
fn follow_newest(scroller: NodeRef<leptos::html::Div>, count: Signal<usize>) {
    let seen = StoredValue::new(0usize);
    Effect::new(move |_| {
        let now = count.get();
        let before = seen.get_value();
        seen.set_value(now);
        let Some(list) = scroller.get() else { return };
        let at_bottom = list.scroll_height() - list.scroll_top() - list.client_height() < 80;
        if before == 0 || (now > before && at_bottom) {
            // After the new entries are laid out.
            request_animation_frame(move || list.set_scroll_top(list.scroll_height()));
        }
    });
}

/// Under an agent's reply: whether the shopper was emailed it.
fn email_state(email: Option<protocol::EmailNotice>) -> Option<String> {
    let email = email?;
    Some(match email.state {
        protocol::EmailState::Pending => text("email-pending"),
        protocol::EmailState::Sent => format!("{} {}", text("email-sent"), email.to),
        protocol::EmailState::Failed => {
            format!("{}: {}", text("email-failed"), email.error.unwrap_or_default())
        }
    })
}

fn render(
    entry: Entry,
    read_seq: impl Fn() -> u64 + Send + Sync + Copy + 'static,
    emailed: impl Fn(u64) -> Option<protocol::EmailNotice> + Send + Sync + Copy + 'static,
    id: i64,
) -> AnyView {
    let desk = expect_context::<Desk>();
    match entry {
        Entry::Note(note) => view! {
            <li class="note">
                <span class="author">{text("note-by")} " " {note.agent_name}</span>
                <p class="text" dir="auto">{note.text}</p>
                <span class="meta">{clock(note.at as f64)}</span>
            </li>
        }
        .into_any(),
        Entry::Line(line) => {
            let mine = line.role == Role::Agent;
            let author = match line.role {
                Role::Visitor => text("author-shopper"),
                Role::Bot => text("author-bot"),
                Role::System => text("author-system"),
                Role::Agent => line.author_name.clone().unwrap_or_else(|| text("author-agent")),
            };
            let seq = line.seq;
            let key = line.key.clone();
            let state = move || match line.delivery {
                Delivery::Sending => text("state-sending"),
                Delivery::Failed => text("state-failed"),
                Delivery::Seen => text("state-read"),
                Delivery::Sent if seq.is_some_and(|s| s <= read_seq()) => text("state-read"),
                Delivery::Sent => text("state-sent"),
            };
            let failed = line.delivery == Delivery::Failed;
            let class = match line.role {
                Role::Visitor => "line theirs",
                Role::Agent => "line mine",
                _ => "line auto",
            };
            view! {
                <li class=class>
                    <span class="author">{author}</span>
                    <p class="text" dir="auto">{line.text}</p>
                    <span class="meta">
                        {clock(line.at)}
                        {mine.then(|| view! { " · " <span class="delivery">{state}</span> })}
                        {move || {
                            let email = seq.and_then(|s| email_state(emailed(s)))?;
                            Some(view! { " · " <span class="emailed">{email}</span> })
                        }}
                        {failed.then(|| view! {
                            " " <button class="link" on:click=move |_| desk.retry(id, key.clone())>{text("retry")}</button>
                        })}
                    </span>
                </li>
            }
            .into_any()
        }
    }
}
