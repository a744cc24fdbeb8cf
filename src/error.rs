//! One error type for the whole service. The API renders it as RFC 9457 problem+json;
//! internal failures are logged once and shown only as the request id.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A problem with one field of a request, for 422 answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's name as the client sent it.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// Everything that can go wrong while serving a request or running a command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// No valid credentials.
    #[error("authentication required")]
    Unauthenticated,
    /// Authenticated, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// Nothing there (or nothing the caller may know exists).
    #[error("{0} not found")]
    NotFound(String),
    /// The request conflicts with stored data.
    #[error("{0}")]
    Conflict(String),
    /// Field-level validation failed.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// A dependency (database, Redis) is not available.
    #[error("{0} unavailable")]
    Unavailable(String),
    /// Database failure.
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    /// Anything else unexpected.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<FieldError>,
}

impl Error {
    /// The HTTP status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Unauthenticated => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Db(_) | Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        let (detail, errors) = match self {
            Error::Db(e) => {
                tracing::error!(error = %e, "database error");
                (
                    Some("internal error; see the server log for this request id".into()),
                    vec![],
                )
            }
            Error::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                (
                    Some("internal error; see the server log for this request id".into()),
                    vec![],
                )
            }
            Error::Validation(errors) => (Some("one or more fields are invalid".into()), errors),
            other => (Some(other.to_string()), vec![]),
        };
        problem_response(status, detail, errors)
    }
}

/// The content type of every API error answer.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem answer with `status` and `detail` (no field entries).
pub fn problem(status: StatusCode, detail: String) -> Response {
    problem_response(status, Some(detail), vec![])
}

fn problem_response(
    status: StatusCode,
    detail: Option<String>,
    errors: Vec<FieldError>,
) -> Response {
    let body = Problem {
        kind: "about:blank",
        title: status.canonical_reason().unwrap_or("Error"),
        status: status.as_u16(),
        detail,
        errors,
    };
    let mut response = (status, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    response
}
