//! "How would you rate this conversation?" once a conversation closes: five faces as radio
//! buttons (arrow keys move between them), an optional comment and a send button. The rating
//! may be changed: the form stays, and says it was received.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::Ui;
use crate::dom::{el, value_of, El};

/// The faces, worst first; each has a spoken label from the catalogue.
const FACES: [&str; 5] = ["😞", "🙁", "😐", "🙂", "😄"];

/// Adds to `chat` the rating form, shown while the closed conversation is the one on screen.
pub fn rating(chat: El, ui: Ui) -> El {
    let Ui { connection, help, .. } = ui;
    let picked = RwSignal::new(None::<u8>);
    let comment = RwSignal::new(String::new());
    let mut faces = el("div").class("pl-faces");
    for (face, score) in FACES.iter().zip(1u8..) {
        let radio = el("input")
            .attr("type", "radio")
            .attr("name", "pl-rating")
            .attr("aria-label", &ui.t(&format!("rating-{score}")))
            .bind(move |e| e.unchecked_ref::<web_sys::HtmlInputElement>().set_checked(picked.get() == Some(score)))
            .on("change", move |_| picked.set(Some(score)));
        faces = faces
            .child(el("label").class("pl-face").child(radio).child(el("span").attr("aria-hidden", "true").text(face)));
    }
    let label = ui.t("rating-comment");
    let note = el("textarea")
        .attr("rows", "2")
        .attr("maxlength", "1000")
        .attr("aria-label", &label)
        .attr("placeholder", &label)
        .bind(move |e| e.unchecked_ref::<web_sys::HtmlTextAreaElement>().set_value(&comment.get()))
        .on("input", move |ev| comment.set(value_of(&ev)));
    let given = move || connection.rating.with(|r| r.and_then(|(_, score)| score)).is_some();
    let form = el("form")
        .class("pl-rating")
        .on("submit", move |ev| {
            ev.prevent_default();
            if let (Some((id, _)), Some(score)) = (connection.rating.get_untracked(), picked.get_untracked()) {
                connection.rate(id, score, comment.get_untracked());
            }
        })
        .child(el("fieldset").child(el("legend").text(&ui.t("rating-question"))).child(faces))
        .child(note)
        .child(
            el("button")
                .attr("type", "submit")
                .class("pl-rate")
                .text(&ui.t("rating-send"))
                .attr_with("disabled", move || picked.get().is_none().then(String::new)),
        )
        .show(el("p").class("pl-rated").attr("role", "status").text(&ui.t("rating-thanks")), given);
    chat.show(form, move || help.csat.get() && connection.rating.with(Option::is_some))
}
