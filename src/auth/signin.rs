//! Sign-in of back-office accounts and portal users (R7, U6, U3/B6), free of HTTP: the web
//! pages and the JSON API both call [`sign_in`].
//!
//! Every refusal looks the same to the caller (wrong login, wrong password, deactivated or
//! unfinished account), and an unknown login costs the same argon2 work as a known one, so
//! neither the answer nor its timing tells which logins exist.

use std::net::IpAddr;
use std::time::Duration;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use tokio::sync::OnceCell;

use super::account::{self, Account};
use super::principal::{Principal, PrincipalKind};
use super::throttle::{Keys, Limits, Throttle};
use crate::app::AppState;
use crate::error::Error;
use crate::store::TenantId;
use crate::store::entity::tenants;

/// R7: the longest password accepted, in characters. Far above the 64 that must be allowed;
/// the cap only bounds the work an anonymous request can cause.
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// The longest login name looked up (U1 allows 100; e-mail addresses may be 255).
pub const MAX_LOGIN_CHARS: usize = 255;

/// Why a sign-in was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Wrong login or password, or an account that may not sign in (U6): one answer for all.
    BadCredentials,
    /// R7: too many failures; sign-in is refused for this long, whatever the password.
    Throttled(Duration),
}

/// One sign-in attempt, as typed.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// Which table the login belongs to.
    pub kind: PrincipalKind,
    /// Login name, exactly as typed.
    pub login: String,
    /// Password, exactly as typed (R7: no trimming, no normalisation).
    pub password: String,
    /// The client's address, when known (for the per-address counter).
    pub address: Option<IpAddr>,
}

/// The active tenant with this slug (T4); unknown and inactive slugs are not found.
pub async fn tenant_by_slug<C: ConnectionTrait>(
    db: &C,
    slug: &str,
) -> crate::Result<tenants::Model> {
    tenants::Entity::find()
        .filter(tenants::Column::Slug.eq(slug))
        .filter(tenants::Column::Active.eq(true))
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("tenant".into()))
}

/// A hash no password matches, verified when the login is unknown so that the answer takes
/// as long as for a known login.
async fn dummy_hash() -> crate::Result<&'static str> {
    static DUMMY: OnceCell<String> = OnceCell::const_new();
    let hash = DUMMY
        .get_or_try_init(|| super::password::hash(super::password::generate(32)))
        .await?;
    Ok(hash.as_str())
}

/// Checks `password` against `account`'s hash (or the dummy one), off the async threads.
pub(crate) async fn password_matches(
    account: Option<&Account>,
    password: &str,
) -> crate::Result<bool> {
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return Ok(false);
    }
    let stored = account.and_then(|a| a.password_hash.clone());
    let (stored, real) = match stored {
        Some(h) => (h, true),
        None => (dummy_hash().await?.to_owned(), false),
    };
    let ok = super::password::verify(password.to_owned(), stored).await?;
    Ok(ok && real)
}

/// R7, U6: signs `attempt` in to `tenant`. On success the account's failure counter is
/// cleared and `last_login_at` set; the caller stores the principal in a fresh session.
pub async fn sign_in(
    state: &AppState,
    throttle: &Throttle,
    tenant: &tenants::Model,
    attempt: Attempt,
) -> crate::Result<Result<Principal, Refusal>> {
    throttle.attach(state.redis.as_ref());
    let limits = Limits::from(&state.settings.auth);
    let keys = Keys::new(tenant.id, attempt.kind, &attempt.login, attempt.address);
    if let Some(wait) = throttle.check(&limits, &keys).await {
        tracing::info!(tenant.slug = %tenant.slug, "sign-in refused: throttled");
        return Ok(Err(Refusal::Throttled(wait)));
    }
    let account = if attempt.login.chars().count() > MAX_LOGIN_CHARS {
        None
    } else {
        account::by_login(&state.db, TenantId(tenant.id), attempt.kind, &attempt.login).await?
    };
    let matches = password_matches(account.as_ref(), &attempt.password).await?;
    let account = match account {
        Some(a) if matches && a.may_sign_in => a,
        other => {
            throttle.failed(&limits, &keys).await;
            tracing::info!(
                tenant.slug = %tenant.slug,
                account.id = ?other.as_ref().map(|a| a.id),
                reason = match &other {
                    None => "unknown login",
                    Some(_) if !matches => "wrong password",
                    Some(_) => "account may not sign in",
                },
                "sign-in refused"
            );
            return Ok(Err(Refusal::BadCredentials));
        }
    };
    throttle.succeeded(&keys).await;
    account::touch_last_login(&state.db, &account).await?;
    tracing::info!(tenant.slug = %tenant.slug, account.id = %account.id, "signed in");
    Ok(Ok(account.principal(tenant)))
}

/// The principal of a session, if it belongs to `tenant` (T4: another tenant's sign-in does
/// not count here).
pub fn principal_for(principal: Option<Principal>, tenant: &tenants::Model) -> Option<Principal> {
    principal.filter(|p| p.tenant_id == tenant.id && !p.via_token)
}
