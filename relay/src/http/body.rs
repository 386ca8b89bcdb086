//! JSON request bodies answered in the relay's own error shape: a body that is not JSON, lacks a
//! field, has one of the wrong kind or comes without `Content-Type: application/json` gets
//! `{"error":{"code":"malformed","message":…}}` (with axum's status: 400, 415 or 422), like a
//! malformed frame on a socket, instead of a plain-text rejection clients cannot parse.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::response::Response;
use axum::Json;
use protocol::ErrorCode;

use super::api_error;

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
            Err(rejection) => Err(api_error(rejection.status(), ErrorCode::Malformed, rejection.body_text())),
        }
    }
}
