//! Sign-in, sign-out and password pages and their JSON twins (R7, U3, B6, U6). Handlers are
//! thin: they resolve the tenant, call `auth::signin` / `auth::recovery`, keep the session and
//! render. The routes:
//!
//! | route | what |
//! |---|---|
//! | `GET/POST /t/{tenant}/login`, `/t/{tenant}/backoffice/login` | sign-in of portal users / back-office accounts |
//! | `POST /t/{tenant}/logout` | sign-out |
//! | `GET/POST /t/{tenant}/password/change` | the (forced) password change |
//! | `GET/POST /t/{tenant}/password/set?token=…` | set-password and reset links |
//! | `GET/POST /t/{tenant}/password/forgot` | ask for a reset link |
//! | `POST/GET/DELETE /api/v1/{tenant}/session` | the JSON twin of sign-in, `whoami` and sign-out |
//! | `PUT /api/v1/{tenant}/session/password` | the JSON twin of the password change |

pub(crate) mod api;
mod forms;
mod password;

pub(crate) use password::account_lang;

use std::net::{IpAddr, SocketAddr};

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::routing::{get, post};
use tower_sessions::Session;

use crate::app::AppState;
use crate::auth::account;
use crate::auth::principal::{Principal, PrincipalKind, SESSION_KEY, STAMP_KEY};

use crate::error::Error;
use crate::store::TenantId;

/// R7, U3, B6, U6: the pages of the sign-in flows; their JSON twins are in the API route table
/// (`web::api::routes`), and `web::router` gives both one throttle.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/t/{tenant}/login",
            get(forms::user_form).post(forms::user_submit),
        )
        .route(
            "/t/{tenant}/backoffice/login",
            get(forms::backoffice_form).post(forms::backoffice_submit),
        )
        .route("/t/{tenant}/logout", post(forms::logout))
        .route(
            "/t/{tenant}/password/change",
            get(password::change_form).post(password::change_submit),
        )
        .route(
            "/t/{tenant}/password/set",
            get(password::set_form).post(password::set_submit),
        )
        .route(
            "/t/{tenant}/password/forgot",
            get(password::forgot_form).post(password::forgot_submit),
        )
}

/// R7: the client's address for throttling: the socket peer, or — only when the
/// `trust_forwarded_for` setting says a proxy sets it — the last `X-Forwarded-For` entry
/// (the one our proxy appended; earlier entries are whatever the client claimed).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        if !state.settings.auth.trust_forwarded_for {
            return Ok(Self(peer));
        }
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .rev()
            .find_map(|s| s.trim().parse::<IpAddr>().ok());
        Ok(Self(forwarded.or(peer)))
    }
}

/// The request id set by the outer layer, for the audit trail.
fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn session_error(e: tower_sessions::session::Error) -> Error {
    tracing::warn!(error = %e, "session store failed");
    Error::Unavailable("session store".into())
}

/// The principal signed in to this session, whichever tenant it belongs to.
async fn current(session: &Session) -> Result<Option<Principal>, Error> {
    session
        .get::<Principal>(SESSION_KEY)
        .await
        .map_err(session_error)
}

/// Starts a signed-in session: a new session id first, so an id planted or seen before the
/// sign-in is worthless afterwards (session fixation). The session keeps the stamp of the
/// account's password as it is now (R7: a later change elsewhere ends this session).
async fn establish(
    state: &AppState,
    session: &Session,
    principal: &Principal,
) -> Result<(), Error> {
    let stamp = account::by_id(
        &state.db,
        TenantId(principal.tenant_id),
        principal.kind,
        principal.id,
    )
    .await?
    .ok_or(Error::Unauthenticated)?
    .credential_stamp();
    session.cycle_id().await.map_err(session_error)?;
    session
        .insert(SESSION_KEY, principal)
        .await
        .map_err(session_error)?;
    session
        .insert(STAMP_KEY, stamp)
        .await
        .map_err(session_error)
}

/// Ends the session: its data and its id are gone from the store, and the cookie is removed.
async fn end(session: &Session) -> Result<(), Error> {
    session.flush().await.map_err(session_error)
}

/// Where an account lands after signing in.
fn home(slug: &str, kind: PrincipalKind) -> String {
    match kind {
        PrincipalKind::Backoffice => format!("/t/{slug}/backoffice"),
        PrincipalKind::User => format!("/t/{slug}/portal"),
    }
}

/// The sign-in page of an account kind.
fn login_url(slug: &str, kind: PrincipalKind) -> String {
    match kind {
        PrincipalKind::Backoffice => format!("/t/{slug}/backoffice/login"),
        PrincipalKind::User => format!("/t/{slug}/login"),
    }
}

/// Percent-encodes a value for a query string.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Whole minutes to wait, rounded up, for messages.
fn minutes(wait: std::time::Duration) -> u64 {
    wait.as_secs().div_ceil(60).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_keeps_paths_readable() {
        assert_eq!(encode("/t/acme/a b?c=d"), "/t/acme/a%20b%3Fc%3Dd");
    }
}
