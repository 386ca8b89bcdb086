//! "How would you rate this conversation?" once a conversation closes: five faces as radio
//! buttons (arrow keys move between them), an optional comment and a send button. The rating
//! may be changed: the form stays, and says it was received.

use leptos::prelude::*;

use crate::connection::Connection;
use crate::help::Help;
use crate::i18n::I18n;

/// The faces, worst first; each has a spoken label from the catalogue.
const FACES: [&str; 5] = ["😞", "🙁", "😐", "🙂", "😄"];

/// The rating form, shown while the closed conversation is the one on screen.
#[component]
pub fn Rating() -> impl IntoView {
    let connection = expect_context::<Connection>();
    let help = expect_context::<Help>();
    let i18n = expect_context::<I18n>();
    let picked = RwSignal::new(None::<u8>);
    let comment = RwSignal::new(String::new());
    let shown = move || help.csat.get() && connection.rating.with(Option::is_some);
    let given = move || connection.rating.with(|r| r.and_then(|(_, score)| score));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let (Some((id, _)), Some(score)) = (connection.rating.get_untracked(), picked.get_untracked()) {
            connection.rate(id, score, comment.get_untracked());
        }
    };
    let labels: Vec<String> = (1..=5).map(|score| i18n.t(&format!("rating-{score}"))).collect();
    let faces = move || {
        FACES
            .iter()
            .zip(1u8..)
            .zip(labels.clone())
            .map(|((face, score), label)| {
                view! {
                    <label class="pl-face">
                        <input type="radio" name="pl-rating" aria-label=label
                            prop:checked=move || picked.get() == Some(score)
                            on:change=move |_| picked.set(Some(score))/>
                        <span aria-hidden="true">{*face}</span>
                    </label>
                }
            })
            .collect_view()
    };
    let (question, comment_label, send, thanks) =
        (i18n.t("rating-question"), i18n.t("rating-comment"), i18n.t("rating-send"), i18n.t("rating-thanks"));
    let thanks = StoredValue::new(thanks);
    view! {
        <Show when=shown>
            <form class="pl-rating" on:submit=submit>
                <fieldset>
                    <legend>{question.clone()}</legend>
                    <div class="pl-faces">{faces.clone()}</div>
                </fieldset>
                <textarea rows="2" maxlength="1000" aria-label=comment_label.clone() placeholder=comment_label.clone()
                    prop:value=move || comment.get() on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
                <button type="submit" class="pl-rate" disabled=move || picked.get().is_none()>{send.clone()}</button>
                <Show when=move || given().is_some()>
                    <p class="pl-rated" role="status">{move || thanks.get_value()}</p>
                </Show>
            </form>
        </Show>
    }
}
