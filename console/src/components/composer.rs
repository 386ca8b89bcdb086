//! The composer: a reply to the shopper or a private note. Typing `/` opens the store's canned
//! replies, filtered as the agent types; choosing one inserts its text with the placeholders
//! (`{shopper_name}`, `{agent_name}`, `{store_name}`) filled in.

use leptos::prelude::*;

use super::workspace::Shared;
use crate::api::Canned;
use crate::desk::Desk;
use crate::i18n::text;

/// Fills a canned reply's placeholders.
pub fn fill(template: &str, shopper: &str, agent: &str, store: &str) -> String {
    template.replace("{shopper_name}", shopper).replace("{agent_name}", agent).replace("{store_name}", store)
}

/// The canned replies matching what follows `/` (by shortcut first, then by text).
fn matching(all: &[Canned], query: &str) -> Vec<Canned> {
    let query = query.to_lowercase();
    let mut by_shortcut: Vec<Canned> = all.iter().filter(|c| c.shortcut.starts_with(&query)).cloned().collect();
    let by_text = all.iter().filter(|c| !c.shortcut.starts_with(&query) && c.text.to_lowercase().contains(&query));
    by_shortcut.extend(by_text.cloned());
    by_shortcut
}

/// What a key does while the composer shows canned replies.
#[derive(Debug, PartialEq, Eq)]
enum Key {
    /// Highlight this option.
    Move(usize),
    /// Insert this option.
    Choose(usize),
    /// Hide the options.
    Dismiss,
    /// Not a key for the options (Enter sends, as usual).
    Pass,
}

/// The arrows move through `shown` options (wrapping), Enter or Tab inserts the highlighted one,
/// Escape hides them; with no options every key passes.
fn canned_key(key: &str, shown: usize, highlighted: usize) -> Key {
    if shown == 0 {
        return Key::Pass;
    }
    match key {
        "ArrowDown" => Key::Move((highlighted + 1) % shown),
        "ArrowUp" => Key::Move((highlighted + shown - 1) % shown),
        "Enter" | "Tab" => Key::Choose(highlighted),
        "Escape" => Key::Dismiss,
        _ => Key::Pass,
    }
}

/// The canned replies matching the draft's `/query`, the highlighted one marked.
#[component]
fn CannedList(options: Signal<Vec<Canned>>, highlighted: RwSignal<usize>, on_pick: Callback<Canned>) -> impl IntoView {
    view! {
        <Show when=move || !options.get().is_empty()>
            <ul class="canned" role="listbox" aria-label=text("canned-replies")>
                {move || options.get().into_iter().enumerate().map(|(i, reply)| {
                    let chosen = reply.clone();
                    view! {
                        <li role="option" aria-selected=move || (highlighted.get() == i).to_string()
                            on:mousedown=move |ev| {
                                ev.prevent_default();
                                on_pick.run(chosen.clone());
                            }>
                            <strong>"/" {reply.shortcut.clone()}</strong>
                            " "
                            <span>{reply.text.clone()}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </Show>
    }
}

/// Reply or note, with `/` for canned replies.
#[component]
pub fn Composer(id: i64) -> impl IntoView {
    let desk = expect_context::<Desk>();
    let shared = expect_context::<Shared>();
    let draft = RwSignal::new(String::new());
    let noting = RwSignal::new(false);
    let highlighted = RwSignal::new(0usize);
    let dismissed = RwSignal::new(false);
    let field = NodeRef::<leptos::html::Textarea>::new();
    take_inserted_lines(draft, field);
    // The `/query` being typed, when the draft is one.
    let query = move || {
        let d = draft.get();
        d.strip_prefix('/').filter(|q| !q.contains(char::is_whitespace)).map(str::to_owned)
    };
    let options = move || match query() {
        Some(q) if !dismissed.get() => shared.canned.with(|all| matching(all, &q)),
        _ => Vec::new(),
    };
    let insert = move |reply: Canned| {
        draft.set(filled(desk, id, &reply));
        highlighted.set(0);
        focus(field);
    };
    // Opening a conversation puts the agent in its reply box: no Tab presses to get there.
    Effect::new(move |_| {
        field.track();
        focus(field);
    });
    let submit = move || send_draft(desk, id, draft, noting.get_untracked());
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let shown = options();
        match canned_key(&ev.key(), shown.len(), highlighted.get_untracked()) {
            Key::Move(to) => {
                ev.prevent_default();
                highlighted.set(to);
            }
            Key::Choose(at) => {
                ev.prevent_default();
                if let Some(pick) = shown.get(at).cloned() {
                    insert(pick);
                }
            }
            Key::Dismiss => dismissed.set(true),
            Key::Pass if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() => {
                ev.prevent_default();
                submit();
            }
            Key::Pass => {}
        }
    };
    view! {
        <form class="composer" class:noting=move || noting.get() on:submit=move |ev| {
            ev.prevent_default();
            submit();
        }>
            <Modes noting=noting/>
            <CannedList options=Signal::derive(options) highlighted on_pick=Callback::new(insert)/>
            <textarea node_ref=field rows="3"
                aria-label=move || text(if noting.get() { "note-label" } else { "reply-label" })
                placeholder=move || text(if noting.get() { "note-placeholder" } else { "reply-placeholder" })
                prop:value=move || draft.get()
                on:input=move |ev| {
                    draft.set(event_target_value(&ev));
                    dismissed.set(false);
                    highlighted.set(0);
                    if !noting.get_untracked() {
                        desk.typing(id);
                    }
                }
                on:keydown=on_keydown></textarea>
            <button type="submit">{move || text(if noting.get() { "add-note" } else { "send" })}</button>
        </form>
    }
}

/// Reply or internal note: the composer's two modes.
#[component]
fn Modes(noting: RwSignal<bool>) -> impl IntoView {
    view! {
        <div class="modes" role="group" aria-label=text("composer-mode")>
            <button type="button" aria-pressed=move || (!noting.get()).to_string()
                on:click=move |_| noting.set(false)>{text("mode-reply")}</button>
            <button type="button" aria-pressed=move || noting.get().to_string()
                on:click=move |_| noting.set(true)>{text("mode-note")}</button>
        </div>
    }
}

/// Sends the draft as a reply or a note, unless it is blank, and empties the box.
fn send_draft(desk: Desk, id: i64, draft: RwSignal<String>, noting: bool) {
    let text = draft.get_untracked();
    if text.trim().is_empty() {
        return;
    }
    if noting {
        desk.note(id, text);
    } else {
        desk.reply(id, text);
    }
    draft.set(String::new());
}

/// A status line from the orders panel goes at the end of the draft, and the reply box gets
/// the focus.
fn take_inserted_lines(draft: RwSignal<String>, field: NodeRef<leptos::html::Textarea>) {
    let Some(super::orders_panel::ReplyInsert(slot)) = use_context() else { return };
    Effect::new(move |_| {
        if let Some(line) = slot.get() {
            slot.set(None);
            draft.update(|d| {
                if !d.trim().is_empty() {
                    d.push('\n');
                }
                d.push_str(&line);
            });
            focus(field);
        }
    });
}

/// A canned reply with its placeholders filled: the shopper's name (from their email, else a
/// neutral word), the agent's and the store's.
fn filled(desk: Desk, id: i64, reply: &Canned) -> String {
    let shopper = desk.conversations.with_untracked(|all| {
        all.get(&id)
            .and_then(|c| c.summary.follow_up_email.clone())
            .and_then(|e| e.split('@').next().map(str::to_owned))
            .unwrap_or_else(|| text("shopper-fallback-name"))
    });
    let (agent, store) = desk.me.with_value(|m| (m.agent.name.clone(), m.store.name.clone()));
    fill(&reply.text, &shopper, &agent, &store)
}

/// Puts the focus in the reply box, once it is on the page.
fn focus(field: NodeRef<leptos::html::Textarea>) {
    if let Some(field) = field.get_untracked() {
        let _ = field.focus();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(
            fill("Hi {shopper_name}, {agent_name} of {store_name} here.", "Ana", "Li", "Maison"),
            "Hi Ana, Li of Maison here."
        );
    }

    #[test]
    fn arrows_wrap_enter_picks_and_escape_hides() {
        assert_eq!(canned_key("ArrowDown", 3, 2), Key::Move(0));
        assert_eq!(canned_key("ArrowUp", 3, 0), Key::Move(2));
        assert_eq!(canned_key("Tab", 3, 1), Key::Choose(1));
        assert_eq!(canned_key("Escape", 3, 1), Key::Dismiss);
        assert_eq!(canned_key("Enter", 0, 0), Key::Pass, "with nothing shown, Enter sends");
        assert_eq!(canned_key("a", 3, 0), Key::Pass);
    }

    #[test]
    fn shortcuts_match_before_texts() {
        let c = |id, shortcut: &str, text: &str| Canned { id, shortcut: shortcut.into(), text: text.into() };
        let all = vec![c(1, "ship", "We ship in 2 days"), c(2, "size", "Our sizes run small; ship back free")];
        let found: Vec<i64> = matching(&all, "s").iter().map(|c| c.id).collect();
        assert_eq!(found, vec![1, 2]);
        let found: Vec<i64> = matching(&all, "ship").iter().map(|c| c.id).collect();
        assert_eq!(found, vec![1, 2], "the shortcut match first, then the text match");
        assert!(matching(&all, "refund").is_empty());
    }
}
