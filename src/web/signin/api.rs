//! The JSON twin of sign-in for API clients that use a session cookie (R7, U6):
//! `POST /api/v1/{tenant}/session` signs in, `GET` says who is signed in, `DELETE` signs out.
//! Refusals are RFC 9457 problem+json: 401 for any wrong credential, 429 with `Retry-After`
//! when throttled.

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;

use super::{ClientAddr, current, end, establish};
use crate::app::AppState;
use crate::auth::principal::PrincipalKind;
use crate::auth::signin::{self, Attempt, Refusal, principal_for};
use crate::auth::throttle::Throttle;
use crate::error::Error;

/// Body of `POST /api/v1/{tenant}/session`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInBody {
    login: String,
    password: String,
    /// `backoffice` or `user` (default).
    #[serde(default)]
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
pub async fn sign_in(
    State(state): State<AppState>,
    Extension(throttle): Extension<Arc<Throttle>>,
    session: Session,
    addr: ClientAddr,
    Path(slug): Path<String>,
    body: Result<Json<SignInBody>, JsonRejection>,
) -> Result<Response, Error> {
    let Json(body) = body.map_err(|e| Error::BadRequest(e.body_text()))?;
    let tenant = signin::tenant_by_slug(&state.db, &slug).await?;
    let attempt = Attempt {
        kind: body.kind.unwrap_or(PrincipalKind::User),
        login: body.login,
        password: body.password,
        address: addr.0,
    };
    match signin::sign_in(&state, &throttle, &tenant, attempt).await? {
        Ok(principal) => {
            establish(&session, &principal).await?;
            Ok(Json(principal).into_response())
        }
        Err(Refusal::BadCredentials) => Ok(problem(
            StatusCode::UNAUTHORIZED,
            "the login name or password is not correct, or this account cannot sign in",
        )),
        Err(Refusal::Throttled(wait)) => {
            let seconds = wait.as_secs().max(1);
            let mut response = problem(
                StatusCode::TOO_MANY_REQUESTS,
                &format!("too many failed sign-ins; try again in {seconds} seconds"),
            );
            if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Ok(response)
        }
    }
}

/// `GET /api/v1/{tenant}/session`: the principal signed in to this tenant, or 401.
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
pub async fn sign_out(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
) -> Result<StatusCode, Error> {
    signin::tenant_by_slug(&state.db, &slug).await?;
    end(&session).await?;
    Ok(StatusCode::NO_CONTENT)
}
