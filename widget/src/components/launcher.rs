//! The round button that opens and closes the chat.

use leptos::prelude::*;

use super::Ui;
use crate::dom::{close_icon, icon, svg, El};

/// Toggles `open`; its accessible name says what a press will do.
pub fn launcher(ui: Ui) -> El {
    let open = ui.open;
    let (open_label, close_label) = (ui.t("launcher-open"), ui.t("launcher-close"));
    let bubble = icon("26").child(
        svg("path")
            .attr("fill", "currentColor")
            .attr("d", "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"),
    );
    crate::dom::el("button")
        .attr("type", "button")
        .class("pl-launch")
        .class_when("is-open", move || open.get())
        .attr_with("aria-label", move || Some(if open.get() { close_label.clone() } else { open_label.clone() }))
        .attr_with("aria-expanded", move || Some(open.get().to_string()))
        .on("click", move |_| open.update(|o| *o = !*o))
        .show(bubble, move || !open.get())
        .show(close_icon("26"), move || open.get())
}
