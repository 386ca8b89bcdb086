//! JSON request bodies answered in the relay's own error shape: a body that is not JSON, lacks a
//! field, has one of the wrong kind or comes without `Content-Type: application/json` gets
//! `{"error":{"code":"malformed","message":…}}` (with axum's status: 400, 415 or 422), like a
//! malformed frame on a socket, instead of a plain-text rejection clients cannot parse.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use axum::Json;
use protocol::ErrorCode;

/// A JSON body of type `T`; use it in handlers where `Json<T>` would go.
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => {
                // axum's status says which: 400 not JSON, 415 no JSON content type, 422 wrong
                // fields. The code is `malformed` for all three.
                let body = crate::error::body(ErrorCode::Malformed, &rejection.body_text());
                Err((rejection.status(), Json(body)).into_response())
            }
        }
    }
}
