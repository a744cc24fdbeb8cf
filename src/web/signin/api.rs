//! The JSON twin of sign-in for API clients that use a session cookie (R7, U6, U3/B6):
//! `POST /api/v1/{tenant}/session` signs in, `GET` says who is signed in, `DELETE` signs out,
//! `PUT /api/v1/{tenant}/session/password` changes the password (the way out of a forced
//! change). Refusals are RFC 9457 problem+json: 401 for any wrong credential, 422 with field
//! errors for an unacceptable password, 429 with `Retry-After` when throttled.

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;

use super::{ClientAddr, current, end, establish, request_id};
use crate::app::AppState;
use crate::auth::principal::PrincipalKind;
use crate::auth::recovery::{self, ChangeRefusal, NewPassword, PasswordProblem};
use crate::auth::signin::{self, Attempt, Refusal, principal_for};
use crate::auth::throttle::Throttle;
use crate::domain::ctx::Source;
use crate::error::{Error, FieldError};

/// Body of `POST /api/v1/{tenant}/session`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInBody {
    login: String,
    password: String,
    /// `backoffice` or `user` (default).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    kind: Option<PrincipalKind>,
}

fn problem(status: StatusCode, detail: &str) -> Response {
    let body = json!({
        "type": "about:blank",
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
    });
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

/// `POST /api/v1/{tenant}/session`: signs in and answers the principal; the session cookie
/// comes with a fresh id.
#[utoipa::path(post, path = "/api/v1/{tenant}/session", tag = "session", operation_id = "session_sign_in",
    params(("tenant" = String, Path, description = "Tenant slug")),
    request_body = SignInBody,
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = serde_json::Value),
        (status = 401, description = "Not signed in, or wrong credentials", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, one entry per field", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts; see Retry-After", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn sign_in(
    State(state): State<AppState>,
    Extension(throttle): Extension<Arc<Throttle>>,
    session: Session,
    addr: ClientAddr,
    Path(slug): Path<String>,
    body: Result<Json<SignInBody>, JsonRejection>,
) -> Result<Response, Error> {
    let Json(body) = body.map_err(crate::web::api::body_error)?;
    let tenant = signin::tenant_by_slug(&state.db, &slug).await?;
    let attempt = Attempt {
        kind: body.kind.unwrap_or(PrincipalKind::User),
        login: body.login,
        password: body.password,
        address: addr.0,
    };
    match signin::sign_in(&state, &throttle, &tenant, attempt).await? {
        Ok(principal) => {
            establish(&state, &session, &principal).await?;
            Ok(Json(principal).into_response())
        }
        Err(Refusal::BadCredentials) => Ok(problem(
            StatusCode::UNAUTHORIZED,
            "the login name or password is not correct, or this account cannot sign in",
        )),
        Err(Refusal::Throttled(wait)) => Ok(throttled(wait)),
    }
}

fn throttled(wait: std::time::Duration) -> Response {
    let seconds = wait.as_secs().max(1);
    let mut response = problem(
        StatusCode::TOO_MANY_REQUESTS,
        &format!("too many failed attempts; try again in {seconds} seconds"),
    );
    if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

/// Body of `PUT /api/v1/{tenant}/session/password`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeBody {
    current: String,
    new: String,
}

fn field_error(p: &PasswordProblem) -> FieldError {
    let message = match p {
        PasswordProblem::TooShort { min } => format!("needs at least {min} characters"),
        PasswordProblem::TooLong { max } => format!("may have at most {max} characters"),
        PasswordProblem::NeedsLetter => "needs a letter".into(),
        PasswordProblem::NeedsDigit => "needs a digit".into(),
        PasswordProblem::NeedsSymbol => "needs a character that is neither letter nor digit".into(),
        PasswordProblem::Mismatch => "the two passwords differ".into(),
        PasswordProblem::SameAsCurrent => "must differ from the current password".into(),
    };
    FieldError {
        field: "new".into(),
        message,
    }
}

/// `PUT /api/v1/{tenant}/session/password`: U3, B6 — the signed-in account replaces its
/// password (clearing a forced change); 204 on success.
#[utoipa::path(put, path = "/api/v1/{tenant}/session/password", tag = "session", operation_id = "session_change_password",
    params(("tenant" = String, Path, description = "Tenant slug")),
    request_body = ChangeBody,
    responses(
        (status = 204, description = "Changed"),
        (status = 401, description = "Not signed in, or wrong credentials", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, one entry per field", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts; see Retry-After", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn change_password(
    State(state): State<AppState>,
    Extension(throttle): Extension<Arc<Throttle>>,
    session: Session,
    headers: HeaderMap,
    Path(slug): Path<String>,
    body: Result<Json<ChangeBody>, JsonRejection>,
) -> Result<Response, Error> {
    let Json(body) = body.map_err(crate::web::api::body_error)?;
    let tenant = signin::tenant_by_slug(&state.db, &slug).await?;
    let Some(mut principal) = principal_for(current(&session).await?, &tenant) else {
        return Ok(problem(StatusCode::UNAUTHORIZED, "not signed in"));
    };
    let change = NewPassword {
        current: body.current,
        repeat: body.new.clone(),
        new: body.new,
    };
    let outcome = recovery::change_password(
        &state,
        &throttle,
        &tenant,
        &principal,
        change,
        Source::Api,
        request_id(&headers),
    )
    .await?;
    match outcome {
        Ok(()) => {
            principal.must_change_password = false;
            establish(&state, &session, &principal).await?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        Err(ChangeRefusal::WrongCurrent) => Err(Error::Validation(vec![FieldError {
            field: "current".into(),
            message: "is not the current password".into(),
        }])),
        Err(ChangeRefusal::Throttled(wait)) => Ok(throttled(wait)),
        Err(ChangeRefusal::Invalid(problems)) => Err(Error::Validation(
            problems.iter().map(field_error).collect(),
        )),
    }
}

/// `GET /api/v1/{tenant}/session`: the principal signed in to this tenant, or 401.
#[utoipa::path(get, path = "/api/v1/{tenant}/session", tag = "session", operation_id = "session_whoami",
    params(("tenant" = String, Path, description = "Tenant slug")),
    responses(
        (status = 200, description = "The principal signed in to this tenant", body = serde_json::Value),
        (status = 401, description = "Not signed in, or wrong credentials", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn whoami(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
) -> Result<Response, Error> {
    let tenant = signin::tenant_by_slug(&state.db, &slug).await?;
    match principal_for(current(&session).await?, &tenant) {
        Some(p) => Ok(Json(p).into_response()),
        None => Ok(problem(StatusCode::UNAUTHORIZED, "not signed in")),
    }
}

/// `DELETE /api/v1/{tenant}/session`: signs out (idempotent).
#[utoipa::path(delete, path = "/api/v1/{tenant}/session", tag = "session", operation_id = "session_sign_out",
    params(("tenant" = String, Path, description = "Tenant slug")),
    responses(
        (status = 204, description = "Signed out (idempotent)"),
    ))]
pub async fn sign_out(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
) -> Result<StatusCode, Error> {
    signin::tenant_by_slug(&state.db, &slug).await?;
    end(&session).await?;
    Ok(StatusCode::NO_CONTENT)
}
