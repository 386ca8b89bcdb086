//! JSON in the widget through the browser's own `JSON.parse` and `JSON.stringify`, with
//! serde-wasm-bindgen between JavaScript values and Rust types. The browser already has a JSON
//! parser; compiling serde_json's (number and string parsing, its value tree, error text)
//! into the wasm cost kilobytes of a widget that every product page downloads.

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::JsValue;

/// Reads `text` as a `T`; `None` when it is not JSON or not of that shape.
pub fn parse<T: DeserializeOwned>(text: &str) -> Option<T> {
    from_js(js_sys::JSON::parse(text).ok()?)
}

/// Reads a JavaScript value (parsed JSON, or the shop's own objects) as a `T`.
pub fn from_js<T: DeserializeOwned>(value: JsValue) -> Option<T> {
    serde_wasm_bindgen::from_value(value).ok()
}

/// Writes `value` as JSON text the relay reads: maps as objects, `None` as `null`.
pub fn write<T: Serialize + ?Sized>(value: &T) -> Option<String> {
    let value = value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).ok()?;
    js_sys::JSON::stringify(&value).ok()?.as_string()
}
