//! "Search help" at the top of the panel: results as the shopper types, an article opened
//! inline, and "Still need help? Chat with us" back to the composer. No socket is opened for
//! any of it.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::Ui;
use crate::dom::{button, clear, clicked_index, el, value_of, El};
use crate::help::Help;

/// The search box, its results and the open article.
pub fn help_search(ui: Ui) -> El {
    let help = ui.help;
    let query = RwSignal::new(String::new());
    let input = el("input")
        .attr("type", "search")
        .class("pl-search")
        .attr("aria-label", &ui.t("search-label"))
        .attr("placeholder", &ui.t("search-placeholder"))
        .attr("maxlength", "200")
        .attr("dir", "auto")
        .bind(move |e| e.unchecked_ref::<web_sys::HtmlInputElement>().set_value(&query.get()))
        .on("input", move |ev| {
            let value = value_of(&ev);
            query.set(value.clone());
            help.article.set(None);
            help.search(value);
        });
    el("div")
        .class("pl-help")
        .class_when("is-browsing", move || help.results.with(Option::is_some) || help.article.with(Option::is_some))
        .child(input)
        .show(results(help, ui.t("search-empty")), move || {
            help.article.with(Option::is_none) && help.results.with(Option::is_some)
        })
        .show(article(ui, query), move || help.article.with(Option::is_some))
}

/// The list of results, or "no article matches".
fn results(help: Help, empty: String) -> El {
    el("ul")
        .class("pl-results")
        .bind(move |list| {
            clear(list);
            let hits = help.results.get().unwrap_or_default();
            for (i, hit) in hits.iter().enumerate() {
                let item = el("li").child(
                    button("pl-result", "")
                        .attr("dir", "auto")
                        .attr("data-i", &i.to_string())
                        .child(el("span").class("pl-result-q").text(&hit.question))
                        .child(el("span").class("pl-result-s").text(&hit.snippet)),
                );
                let _ = list.append_child(&item.0);
            }
            if hits.is_empty() {
                let _ = list.append_child(&el("li").class("pl-no-results").text(&empty).0);
            }
        })
        .on("click", move |ev| {
            let id = clicked_index(&ev)
                .and_then(|i| help.results.with_untracked(|r| r.as_ref().and_then(|r| r.get(i)).map(|h| h.id.clone())));
            if let Some(id) = id {
                help.open(&id);
            }
        })
}

/// The open article, with "Back to results" and "Still need help? Chat with us" (the search
/// ends and the composer takes focus).
fn article(ui: Ui, query: RwSignal<String>) -> El {
    let help = ui.help;
    let to_chat = move |ev: web_sys::Event| {
        query.set(String::new());
        help.done();
        crate::dom::focus_near(&ev, ".pl-composer textarea");
    };
    let part = move |pick: fn(&crate::help::Article) -> &String| {
        move || help.article.with(|a| a.as_ref().map(|a| pick(a).clone()).unwrap_or_default())
    };
    el("article")
        .class("pl-article")
        .attr("dir", "auto")
        .child(el("h3").text_with(part(|a| &a.question)))
        .child(el("p").text_with(part(|a| &a.answer)))
        .child(
            el("div")
                .class("pl-article-actions")
                .child(button("pl-link", &ui.t("article-back")).on("click", move |_| help.close()))
                .child(button("pl-send", &ui.t("still-need-help")).on("click", to_chat)),
        )
}
