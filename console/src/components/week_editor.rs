//! The Settings page's business hours: a row per weekday with its opening times, instead of the
//! relay's text form. A spec the editor cannot show faithfully stays editable as text.

use leptos::prelude::*;

use crate::hours::{format_week, parse_week, Week, DAYS};
use crate::i18n::text;

/// A closing time as the relay spells it: a time input's midnight ends the day (24:00).
fn closing(value: String) -> String {
    if value == "00:00" {
        "24:00".to_owned()
    } else {
        value
    }
}

/// A closing time as a time input shows it (it has no 24:00).
fn shown_closing(value: &str) -> String {
    if value == "24:00" {
        "00:00".to_owned()
    } else {
        value.to_owned()
    }
}

/// The week editor over `hours` (the relay's spec; none when always open).
#[component]
pub fn WeekEditor(hours: Signal<Option<String>>, on_change: Callback<Option<String>>) -> impl IntoView {
    let week = Memo::new(move |_| parse_week(&hours.get().unwrap_or_default()));
    let change = move |edit: &dyn Fn(&mut Week)| {
        let mut current = week.get_untracked().unwrap_or_default();
        edit(&mut current);
        on_change.run(format_week(&current));
    };
    move || {
        match week.get() {
        None => view! {
            <label><span>{text("settings-hours")}</span>
                <input prop:value=move || hours.get().unwrap_or_default()
                    on:input=move |ev| on_change.run(Some(event_target_value(&ev)))/></label>
            <p class="hint">{text("settings-hours-hint")}</p>
        }
        .into_any(),
        Some(days) => view! {
            <fieldset class="week">
                <legend>{text("settings-hours")}</legend>
                <p class="hint">{text("settings-week-hint")}</p>
                {DAYS.iter().enumerate().map(|(d, name)| {
                    let ranges = days[d].clone();
                    let open = !ranges.is_empty();
                    let day_name = text(&format!("day-{name}"));
                    view! {
                        <div class="day" role="group" aria-label=day_name.clone()>
                            <label class="day-name">
                                <input type="checkbox" prop:checked=open on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    change(&|w: &mut Week| {
                                        w[d] = if on { vec![("09:00".into(), "17:00".into())] } else { Vec::new() };
                                    });
                                }/>
                                " " {day_name.clone()}
                            </label>
                            {ranges.into_iter().enumerate().map(|(i, (from, to))| view! {
                                <span class="range">
                                    <input type="time" value=from aria-label=crate::i18n::text_with("opens-on", &[("day", day_name.clone())])
                                        on:change=move |ev| {
                                            let v = event_target_value(&ev);
                                            change(&|w: &mut Week| if let Some(r) = w[d].get_mut(i) { r.0 = v.clone() });
                                        }/>
                                    "–"
                                    <input type="time" value=shown_closing(&to) aria-label=crate::i18n::text_with("closes-on", &[("day", day_name.clone())])
                                        on:change=move |ev| {
                                            let v = closing(event_target_value(&ev));
                                            change(&|w: &mut Week| if let Some(r) = w[d].get_mut(i) { r.1 = v.clone() });
                                        }/>
                                </span>
                            }).collect_view()}
                            {(!open).then(|| view! { <span class="muted">{text("day-closed")}</span> })}
                        </div>
                    }
                }).collect_view()}
            </fieldset>
        }
        .into_any(),
    }
    }
}
