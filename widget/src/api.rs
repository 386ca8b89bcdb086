//! The widget's side of `window.Parley`, the shop's JavaScript API (made by the loader, see
//! docs/embedding.md): what the shop said about the shopper (`identify`, `setAttributes`),
//! read when it is needed, and the events the shop's handlers hear (`Parley.on`).

use std::collections::BTreeMap;

use protocol::Identity;
use wasm_bindgen::{JsCast, JsValue};

fn parley() -> JsValue {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &JsValue::from_str("Parley")).ok())
        .unwrap_or(JsValue::UNDEFINED)
}

/// `object[key]`, `undefined` when there is no such object or key.
fn get(object: &JsValue, key: &str) -> JsValue {
    if !object.is_object() {
        return JsValue::UNDEFINED;
    }
    js_sys::Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn complain(what: &str) {
    web_sys::console::error_1(&format!("Parley: {what}").into());
}

/// A value the shop gave, as text: strings as they are, finite numbers and booleans written
/// out as JavaScript writes them. The values come straight from the shop's objects (no JSON
/// decoder in the widget for them).
fn as_text(value: &JsValue) -> Option<String> {
    if let Some(text) = value.as_string() {
        return Some(text);
    }
    if let Some(number) = value.as_f64().filter(|n| n.is_finite()) {
        return js_sys::Number::from(number).to_string_with_radix(10).ok().map(String::from);
    }
    value.as_bool().map(|b| b.to_string())
}

/// Who the shop last said the shopper is (`Parley.identify`), if it did with an id.
pub fn identity() -> Option<Identity> {
    let given = get(&parley(), "_id");
    if given.is_null() || given.is_undefined() {
        return None;
    }
    let text = |key: &str| as_text(&get(&given, key));
    let Some(id) = text("id") else {
        complain("identify needs an id (text or a number)");
        return None;
    };
    Some(Identity { id, email: text("email"), name: text("name"), signature: text("signature") })
}

/// The attributes the shop set on this page (`Parley.setAttributes`): text, numbers and
/// booleans as text, `null` (or a number that is not finite, as JSON would have it) as ""
/// (which removes one), `undefined` skipped; anything else is refused with a message.
pub fn attributes() -> BTreeMap<String, String> {
    let given = get(&parley(), "_attrs");
    let Some(given) = given.dyn_ref::<js_sys::Object>().filter(|_| !js_sys::Array::is_array(&given)) else {
        return BTreeMap::new();
    };
    let mut attributes = BTreeMap::new();
    for entry in js_sys::Object::entries(given).iter() {
        let (Some(name), value) = (get(&entry, "0").as_string(), get(&entry, "1")) else { continue };
        if value.is_undefined() {
            continue;
        }
        if value.is_null() || value.as_f64().is_some_and(|n| !n.is_finite()) {
            attributes.insert(name, String::new());
        } else if let Some(text) = as_text(&value) {
            attributes.insert(name, text);
        } else {
            complain(&format!("attribute \"{name}\" must be text"));
        }
    }
    attributes
}

/// Tells the shop's handlers of an event (`ready`, `open`, `close`, `message`, `unread`).
pub fn emit(event: &str, detail: &JsValue) {
    let global = parley();
    let emit = js_sys::Reflect::get(&global, &JsValue::from_str("_emit")).unwrap_or(JsValue::UNDEFINED);
    if let Some(emit) = emit.dyn_ref::<js_sys::Function>() {
        let _ = emit.call2(&global, &JsValue::from_str(event), detail);
    }
}

/// `message`'s detail: `{ text, author: { role, name } }`.
pub fn message_detail(text: &str, role: &str, name: Option<&str>) -> JsValue {
    let set = |object: &js_sys::Object, key: &str, value: &JsValue| {
        let _ = js_sys::Reflect::set(object, &JsValue::from_str(key), value);
    };
    let author = js_sys::Object::new();
    set(&author, "role", &JsValue::from_str(role));
    set(&author, "name", &name.map_or(JsValue::NULL, JsValue::from_str));
    let detail = js_sys::Object::new();
    set(&detail, "text", &JsValue::from_str(text));
    set(&detail, "author", &author);
    detail.into()
}
