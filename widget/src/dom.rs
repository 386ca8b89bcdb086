//! The widget's views are built with this small DOM builder over web-sys, kept up to date by
//! Leptos's reactive system (signals, memos and render effects).
//!
//! Why not Leptos's `view!`: its renderer writes a build and a rebuild path for every view's
//! type, which cost this widget about 48 KB of its brotli weight (of 125 KB, against a 100 KB
//! target; README "Widget weight"). Here every binding is one boxed closure in one render
//! effect, and every node is made by the same few functions. The console keeps `view!`.
//!
//! Two rules keep it leak-free (bindings and handlers live as long as the page): nodes built
//! once may carry bindings and handlers ([`El::bind`], [`El::show`], [`El::on`]); nodes rebuilt
//! by [`El::slot`] or a list are static and have no handlers of their own (a list answers its
//! items' clicks in one handler on the list, reading the item from a `data-` attribute).

use leptos::reactive::effect::RenderEffect;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{Element, Event, Node};

/// The page's document.
pub fn document() -> web_sys::Document {
    web_sys::window().and_then(|w| w.document()).expect("a page has a document")
}

/// An element being built.
pub struct El(pub Element);

/// A new HTML element.
pub fn el(tag: &str) -> El {
    El(document().create_element(tag).expect("a valid tag"))
}

/// A new SVG element (the icons).
pub fn svg(tag: &str) -> El {
    El(document().create_element_ns(Some("http://www.w3.org/2000/svg"), tag).expect("a valid tag"))
}

/// Runs `f` now and again whenever a signal it read changes, for the life of the page.
pub fn watch(f: impl Fn() + 'static) {
    watch_boxed(Box::new(f));
}

fn watch_boxed(f: Box<dyn Fn()>) {
    std::mem::forget(RenderEffect::new(move |_: Option<()>| f()));
}

/// Calls `f` on every `event` at `target`, for the life of the page.
pub fn listen(target: &web_sys::EventTarget, event: &str, f: Box<dyn FnMut(Event)>) {
    let closure = Closure::wrap(f);
    let _ = target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
    closure.forget();
}

/// The `value` of an event's input, textarea or select.
pub fn value_of(ev: &Event) -> String {
    let target = ev.target().map(wasm_bindgen::JsValue::from).unwrap_or_default();
    js_sys::Reflect::get(&target, &"value".into()).ok().and_then(|v| v.as_string()).unwrap_or_default()
}

/// Moves focus to the element `css` finds in the shadow root where `ev` happened (Escape back
/// to the launcher, "Chat with us" to the message box).
pub fn focus_near(ev: &Event, css: &str) {
    let root = ev.target().and_then(|t| t.dyn_into::<Node>().ok()).map(|n| n.get_root_node());
    let found = root
        .and_then(|r| r.dyn_into::<web_sys::ShadowRoot>().ok())
        .and_then(|r| r.query_selector(css).ok().flatten())
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(found) = found {
        let _ = found.focus();
    }
}

/// Sets or removes an attribute.
pub fn set_attr(element: &Element, name: &str, value: Option<&str>) {
    let _ = match value {
        Some(value) => element.set_attribute(name, value),
        None => element.remove_attribute(name),
    };
}

impl El {
    /// Sets the `class` attribute.
    pub fn class(self, class: &str) -> El {
        self.attr("class", class)
    }

    /// Sets an attribute.
    pub fn attr(self, name: &str, value: &str) -> El {
        let _ = self.0.set_attribute(name, value);
        self
    }

    /// Appends text (a text node: whatever it says is never read as HTML).
    pub fn text(self, text: &str) -> El {
        let _ = self.0.append_with_str_1(text);
        self
    }

    /// Appends a child element.
    pub fn child(self, child: El) -> El {
        let _ = self.0.append_child(&child.0);
        self
    }

    /// Calls `f` on every `event` at this element.
    pub fn on(self, event: &str, f: impl FnMut(Event) + 'static) -> El {
        listen(&self.0, event, Box::new(f));
        self
    }

    /// Keeps something about this element up to date: `f` runs now and whenever a signal it
    /// read changes.
    pub fn bind(self, f: impl Fn(&Element) + 'static) -> El {
        let element = self.0.clone();
        watch_boxed(Box::new(move || f(&element)));
        self
    }

    /// Has the class `class` exactly while `when` says so.
    pub fn class_when(self, class: &'static str, when: impl Fn() -> bool + 'static) -> El {
        self.bind(move |e| {
            let _ = e.class_list().toggle_with_force(class, when());
        })
    }

    /// Keeps an attribute at what `value` says (`None` removes it).
    pub fn attr_with(self, name: &'static str, value: impl Fn() -> Option<String> + 'static) -> El {
        self.bind(move |e| set_attr(e, name, value().as_deref()))
    }

    /// Keeps the element's text at what `text` says.
    pub fn text_with(self, text: impl Fn() -> String + 'static) -> El {
        self.bind(move |e| e.set_text_content(Some(&text())))
    }

    /// Appends a text node kept at what `text` says (beside other children).
    pub fn text_node_with(self, text: impl Fn() -> String + 'static) -> El {
        let node = document().create_text_node("");
        let _ = self.0.append_child(&node);
        watch(move || node.set_data(&text()));
        self
    }

    /// Has `child` at this point of the children exactly while `when` says so (built once).
    pub fn show(self, child: El, when: impl Fn() -> bool + 'static) -> El {
        let marker = self.marker();
        let child = child.0;
        watch(move || {
            if when() {
                if child.parent_node().is_none() {
                    let _ = marker.parent_node().map(|p| p.insert_before(&child, Some(&marker)));
                }
            } else {
                child.remove();
            }
        });
        self
    }

    /// Has at this point of the children what `build` makes, made anew whenever a signal it
    /// read changes (what it makes must be static: see the module doc).
    pub fn slot(self, build: impl Fn() -> Option<El> + 'static) -> El {
        let marker = self.marker();
        let shown = std::cell::RefCell::new(None::<Element>);
        watch(move || {
            if let Some(old) = shown.borrow_mut().take() {
                old.remove();
            }
            if let Some(new) = build() {
                let _ = marker.parent_node().map(|p| p.insert_before(&new.0, Some(&marker)));
                *shown.borrow_mut() = Some(new.0);
            }
        });
        self
    }

    /// An empty comment appended here, marking a place among the children.
    pub fn marker(&self) -> Node {
        let marker: Node = document().create_comment("").unchecked_into();
        let _ = self.0.append_child(&marker);
        marker
    }
}

/// A button of `type="button"` with this class and text.
pub fn button(class: &str, text: &str) -> El {
    el("button").attr("type", "button").class(class).text(text)
}

/// The close icon (an ×), as in the header and the open launcher.
pub fn close_icon(size: &str) -> El {
    icon(size).child(
        svg("path")
            .attr("fill", "none")
            .attr("stroke", "currentColor")
            .attr("stroke-width", "2.5")
            .attr("stroke-linecap", "round")
            .attr("d", "M6 6l12 12M18 6L6 18"),
    )
}

/// An empty icon of `size` pixels, hidden from screen readers.
pub fn icon(size: &str) -> El {
    svg("svg").attr("width", size).attr("height", size).attr("viewBox", "0 0 24 24").attr("aria-hidden", "true")
}

/// The `data-i` of the element a click landed in (lists answer their items' clicks in one
/// handler: the item's index in what the list shows).
pub fn clicked_index(ev: &Event) -> Option<usize> {
    let target: Element = ev.target()?.dyn_into().ok()?;
    target.closest("[data-i]").ok()??.get_attribute("data-i")?.parse().ok()
}

/// Empties an element.
pub fn clear(element: &Element) {
    element.set_text_content(None);
}

/// For each of `new` items of a list about to be shown, which of the `old` elements already on
/// screen it keeps (`same(old, new)` says whether they show the same), so that a keyed list
/// builds only the items that changed. Each old element is kept at most once; lines mostly keep
/// their order, so the search starts after the last find.
pub fn keep(old: usize, new: usize, same: impl Fn(usize, usize) -> bool) -> Vec<Option<usize>> {
    let mut taken = vec![false; old];
    let mut hint = 0;
    (0..new)
        .map(|item| {
            let free = |at: &usize| !taken[*at] && same(*at, item);
            let at = Some(hint).filter(|h| *h < old && free(h)).or_else(|| (0..old).find(free))?;
            taken[at] = true;
            hint = at + 1;
            Some(at)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::keep;

    fn plan(old: &[&str], new: &[&str]) -> Vec<Option<usize>> {
        keep(old.len(), new.len(), |o, n| old[o] == new[n])
    }

    #[test]
    fn a_keyed_list_keeps_what_did_not_change_and_builds_the_rest() {
        // A message arrives: every line on screen stays.
        assert_eq!(plan(&["a", "b"], &["a", "b", "c"]), [Some(0), Some(1), None]);
        // A message sending becomes stored (a new key): only it is built anew.
        assert_eq!(plan(&["a", "b", "p"], &["a", "b", "s"]), [Some(0), Some(1), None]);
        // History arrives before what was on screen: the old lines keep their elements.
        assert_eq!(plan(&["c", "d"], &["a", "b", "c", "d"]), [None, None, Some(0), Some(1)]);
        // Moved lines are found wherever they are; a repeated key takes each old element once.
        assert_eq!(plan(&["a", "b", "c"], &["c", "a", "b"]), [Some(2), Some(0), Some(1)]);
        assert_eq!(plan(&["a"], &["a", "a"]), [Some(0), None]);
        assert_eq!(plan(&[], &["a"]), [None]);
    }
}
