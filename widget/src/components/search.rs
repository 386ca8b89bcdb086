//! "Search help" at the top of the panel: results as the shopper types, an article opened
//! inline, and "Still need help? Chat with us" back to the composer. No socket is opened for
//! any of it.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::help::Help;
use crate::i18n::I18n;

/// The search box, its results and the open article.
#[component]
pub fn HelpSearch() -> impl IntoView {
    let i18n = expect_context::<I18n>();
    let help = expect_context::<Help>();
    let query = RwSignal::new(String::new());
    let empty = StoredValue::new(i18n.t("search-empty"));
    let back = i18n.t("article-back");
    let chat = i18n.t("still-need-help");
    // Back to the chat: the search ends and the composer takes focus.
    let to_chat = move |ev: web_sys::MouseEvent| {
        query.set(String::new());
        help.done();
        let root = ev.target().and_then(|t| t.dyn_into::<web_sys::Node>().ok()).map(|n| n.get_root_node());
        let composer = root
            .and_then(|r| r.dyn_into::<web_sys::ShadowRoot>().ok())
            .and_then(|r| r.query_selector(".pl-composer textarea").ok().flatten())
            .and_then(|c| c.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(composer) = composer {
            let _ = composer.focus();
        }
    };
    view! {
        <div class="pl-help" class:is-browsing=move || help.results.with(Option::is_some) || help.article.with(Option::is_some)>
            <input
                type="search"
                class="pl-search"
                aria-label=i18n.t("search-label")
                placeholder=i18n.t("search-placeholder")
                maxlength="200"
                dir="auto"
                prop:value=move || query.get()
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    query.set(value.clone());
                    help.article.set(None);
                    help.search(value);
                }
            />
            <Show when=move || help.article.with(Option::is_none) && help.results.with(Option::is_some)>
                <ul class="pl-results">
                    {move || help.results.get().unwrap_or_default().into_iter().map(|hit| {
                        let id = hit.id.clone();
                        view! {
                            <li>
                                <button type="button" class="pl-result" dir="auto" on:click=move |_| help.open(&id)>
                                    <span class="pl-result-q">{hit.question}</span>
                                    <span class="pl-result-s">{hit.snippet}</span>
                                </button>
                            </li>
                        }
                    }).collect_view()}
                    <Show when=move || help.results.with(|r| r.as_ref().is_some_and(Vec::is_empty))>
                        <li class="pl-no-results">{empty.get_value()}</li>
                    </Show>
                </ul>
            </Show>
            {move || help.article.get().map(|article| view! {
                <article class="pl-article" dir="auto">
                    <h3>{article.question}</h3>
                    <p>{article.answer}</p>
                    <div class="pl-article-actions">
                        <button type="button" class="pl-link" on:click=move |_| help.close()>{back.clone()}</button>
                        <button type="button" class="pl-send" on:click=to_chat>{chat.clone()}</button>
                    </div>
                </article>
            })}
        </div>
    }
}
