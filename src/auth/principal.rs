//! Who is signed in. The sign-in flow stores a [`Principal`] in the session under
//! [`SESSION_KEY`]; bearer tokens produce one per request. Authorization (`crate::web::guard`)
//! reads it and never trusts anything else about the caller.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Session key holding the signed-in principal.
pub const SESSION_KEY: &str = "roster.principal";

/// R7 (ASVS 7.4.3): session key holding the [`credential_stamp`] of the password the session
/// was signed in (or last re-established) with. A session whose stamp no longer matches the
/// account's password ends at its next request (`web::sessions::end_stale`): a password
/// change, reset, set-password link or temporary password ends every other session of the
/// account, in whichever store they live; the session that changed it is re-established
/// with the new stamp and continues.
pub const STAMP_KEY: &str = "roster.credential";

/// R7: a short digest of an account's password hash (a new hash, new salt: a new stamp). The
/// session holds only this, never the hash.
pub fn credential_stamp(password_hash: Option<&str>) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("roster-session:{}", password_hash.unwrap_or("")));
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// What kind of account is signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// A back-office account (`backoffice_accounts`).
    Backoffice,
    /// A portal user (`users`).
    User,
}

/// A signed-in account, bound to one tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// The tenant the account belongs to; requests for another tenant are refused.
    pub tenant_id: Uuid,
    /// That tenant's slug.
    pub tenant_slug: String,
    /// Account kind.
    pub kind: PrincipalKind,
    /// Account id.
    pub id: Uuid,
    /// Login name (for logs and the audit trail).
    pub login: String,
    /// U3/B6: the password must be changed before anything else.
    pub must_change_password: bool,
    /// Authenticated by an API token rather than a session.
    #[serde(default)]
    pub via_token: bool,
}
