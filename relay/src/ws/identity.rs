//! Who a `hello` is: the visitor its token proves, changed by what `Parley.identify` says.
//!
//! A verified customer always gets their own visitor, on every device. Nothing of a customer's
//! visitor carries over to anyone else: a browser that was customer A and says hello as B (the
//! shop forgot `reset()`), or with a signature that fails, gets a different visitor, so A's
//! conversations never show. An anonymous visitor that identifies becomes the customer's when
//! the customer has no visitor yet, keeping the chat begun before signing in.

use std::collections::BTreeMap;

use protocol::{
    ErrorCode, Identity, MAX_ATTRIBUTES, MAX_ATTRIBUTE_NAME_BYTES, MAX_ATTRIBUTE_VALUE_CHARS, MAX_CUSTOMER_ID_BYTES,
};

use super::socket::Out;
use crate::auth::{new_visitor_id, verify_identity};
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::StoreRecord;

/// The visitor a `hello` continues as, and the customer when the identity was verified.
pub(super) struct Resolved {
    pub visitor_id: String,
    pub customer_id: Option<String>,
}

/// Resolves a `hello`: `known` is the visitor its token proved (if any). Refusals of the
/// identity are told on `out` and leave the visitor anonymous.
pub(super) async fn resolve(
    state: &AppState,
    store: &StoreRecord,
    known: Option<String>,
    identity: Option<Identity>,
    out: &Out,
) -> Result<Resolved> {
    let db = &state.store;
    let known_customer = match &known {
        Some(v) => db.customer_of(v).await?,
        None => None,
    };
    let Some(identity) = identity else {
        // No identify on this page: the browser's own visitor, customer or not (the shop
        // calls reset() on sign-out).
        let visitor_id = match known {
            Some(v) => v,
            None => fresh_visitor(state, store).await?,
        };
        return Ok(Resolved { visitor_id, customer_id: known_customer });
    };
    // Anyone but the customer a visitor already is starts elsewhere.
    let anonymous = |known: Option<String>| known.filter(|_| known_customer.is_none());
    let (email, name) = (contact(identity.email.as_deref()), contact(identity.name.as_deref()));
    if let Err(why) = check_customer_id(&identity.id) {
        out.error(ErrorCode::InvalidValue, why, None).await;
        return anonymous_visitor(state, store, anonymous(known), None).await;
    }
    let settings = db.identity_settings(store.id).await?;
    match identity.signature.as_deref() {
        Some(signature) if verify_identity(&settings.secret, &identity.id, signature) => {
            let visitor_id = match db.customer_visitor(store.id, &identity.id).await? {
                Some(theirs) => theirs,
                None => match anonymous(known) {
                    Some(v) => v,
                    None => fresh_visitor(state, store).await?,
                },
            };
            let visitor_id = db.link_customer(store.id, &identity.id, &visitor_id, email, name).await?;
            Ok(Resolved { visitor_id, customer_id: Some(identity.id) })
        }
        Some(_) => {
            let why =
                "identify: the signature does not verify with this store's identity secret; the visitor is anonymous";
            out.error(ErrorCode::BadSignature, why, None).await;
            anonymous_visitor(state, store, anonymous(known), None).await
        }
        None if settings.required => {
            let why = "identify: this store takes verified identities only and the call had no signature; the visitor is anonymous";
            out.error(ErrorCode::IdentityRequired, why, None).await;
            anonymous_visitor(state, store, anonymous(known), None).await
        }
        None => {
            let why = "identify without a signature: kept as unverified contact details; the visitor is anonymous";
            out.error(ErrorCode::BadSignature, why, None).await;
            anonymous_visitor(state, store, anonymous(known), Some((email, name))).await
        }
    }
}

/// An anonymous visitor: `known` or a new one, with the contact an unsigned identify claimed.
async fn anonymous_visitor(
    state: &AppState,
    store: &StoreRecord,
    known: Option<String>,
    claimed: Option<(Option<&str>, Option<&str>)>,
) -> Result<Resolved> {
    let visitor_id = match known {
        Some(v) => v,
        None => fresh_visitor(state, store).await?,
    };
    if let Some((email, name)) = claimed.filter(|(e, n)| e.is_some() || n.is_some()) {
        state.store.set_claimed_contact(&visitor_id, email, name).await?;
    }
    Ok(Resolved { visitor_id, customer_id: None })
}

async fn fresh_visitor(state: &AppState, store: &StoreRecord) -> Result<String> {
    let id = new_visitor_id();
    state.store.add_visitor(store.id, &id).await?;
    Ok(id)
}

fn check_customer_id(id: &str) -> std::result::Result<(), String> {
    if id.is_empty() || id.len() > MAX_CUSTOMER_ID_BYTES || id.chars().any(char::is_control) {
        return Err(format!("identify: id must be 1 to {MAX_CUSTOMER_ID_BYTES} bytes of text"));
    }
    Ok(())
}

/// An email or name as kept: trimmed, non-empty, cut to size.
fn contact(value: Option<&str>) -> Option<&str> {
    let value = value?.trim();
    let end = value.char_indices().nth(MAX_ATTRIBUTE_VALUE_CHARS).map_or(value.len(), |(i, _)| i);
    Some(&value[..end]).filter(|v| !v.is_empty())
}

/// Checks an `attributes` frame: all of it is taken, or none.
pub(super) fn check_attributes(attributes: &BTreeMap<String, String>) -> Result<()> {
    let bad = |why: String| Err(Error::new(ErrorCode::InvalidValue, why));
    if attributes.len() > MAX_ATTRIBUTES {
        return bad(format!("at most {MAX_ATTRIBUTES} attributes"));
    }
    for (name, value) in attributes {
        if name.trim().is_empty() || name.len() > MAX_ATTRIBUTE_NAME_BYTES || name.chars().any(char::is_control) {
            return bad(format!("attribute names are 1 to {MAX_ATTRIBUTE_NAME_BYTES} bytes of text"));
        }
        if value.chars().count() > MAX_ATTRIBUTE_VALUE_CHARS {
            return bad(format!("attribute {name:?} is over {MAX_ATTRIBUTE_VALUE_CHARS} characters"));
        }
    }
    Ok(())
}

/// Merges checked attributes into the visitor's.
pub(super) async fn merge_attributes(
    state: &AppState,
    visitor_id: &str,
    attributes: &BTreeMap<String, String>,
) -> Result<()> {
    check_attributes(attributes)?;
    if !state.store.merge_attributes(visitor_id, attributes, MAX_ATTRIBUTES).await? {
        return Err(Error::new(ErrorCode::InvalidValue, format!("a visitor has at most {MAX_ATTRIBUTES} attributes")));
    }
    Ok(())
}
