//! The API's JSON body: `axum::Json`, except that a body that is not JSON, or not the JSON
//! the operation takes, answers the documented 422 problem with an entry on the field `body`
//! (axum's own rejection is a 400/415 in plain text).

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, FieldError};

/// A JSON request body (422 on `body` when malformed) or response.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

/// The 422 problem for a body axum could not read as the operation's JSON.
pub fn body_error(e: JsonRejection) -> Error {
    Error::Validation(vec![FieldError {
        field: "body".into(),
        message: e.body_text(),
    }])
}

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Json::<T>::from_request(req, state)
            .await
            .map(|axum::Json(v)| Json(v))
            .map_err(body_error)
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}
