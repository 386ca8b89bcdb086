//! The widget's side of `window.Parley`, the shop's JavaScript API (made by the loader, see
//! docs/embedding.md): what the shop said about the shopper (`identify`, `setAttributes`),
//! read when it is needed, and the events the shop's handlers hear (`Parley.on`).

use std::collections::BTreeMap;

use protocol::Identity;
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};

fn parley() -> JsValue {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &JsValue::from_str("Parley")).ok())
        .unwrap_or(JsValue::UNDEFINED)
}

/// A field of `window.Parley` as JSON, decoded; `None` when absent or not of that shape.
fn field_as<T: serde::de::DeserializeOwned>(name: &str) -> Option<T> {
    let value = js_sys::Reflect::get(&parley(), &JsValue::from_str(name)).ok()?;
    if value.is_null() || value.is_undefined() {
        return None;
    }
    let json = js_sys::JSON::stringify(&value).ok()?.as_string()?;
    serde_json::from_str(&json).ok()
}

fn complain(what: &str) {
    web_sys::console::error_1(&format!("Parley: {what}").into());
}

/// A value the shop gave, as text: strings as they are, numbers and booleans written out.
fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Who the shop last said the shopper is (`Parley.identify`), if it did with an id.
pub fn identity() -> Option<Identity> {
    let given: Value = field_as("_id")?;
    let text = |key: &str| given.get(key).and_then(as_text);
    let Some(id) = text("id") else {
        complain("identify needs an id (text or a number)");
        return None;
    };
    Some(Identity { id, email: text("email"), name: text("name"), signature: text("signature") })
}

/// The attributes the shop set on this page (`Parley.setAttributes`): text, numbers and
/// booleans as text, `null` as "" (which removes one); anything else is refused with a message.
pub fn attributes() -> BTreeMap<String, String> {
    let Some(Value::Object(given)) = field_as::<Value>("_attrs") else { return BTreeMap::new() };
    given
        .into_iter()
        .filter_map(|(name, value)| match value {
            Value::Null => Some((name, String::new())),
            other => match as_text(&other) {
                Some(text) => Some((name, text)),
                None => {
                    complain(&format!("attribute \"{name}\" must be text"));
                    None
                }
            },
        })
        .collect()
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
