//! Who is signed in. The sign-in flow stores a [`Principal`] in the session under
//! [`SESSION_KEY`]; bearer tokens produce one per request. Authorization (`crate::web::guard`)
//! reads it and never trusts anything else about the caller.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Session key holding the signed-in principal.
pub const SESSION_KEY: &str = "roster.principal";

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
    /// R7: a stamp of the password the session signed in with ([`credential_stamp`]). When
    /// the account's password changes anywhere else (a reset link, an administrator, another
    /// session), the stamps differ and this session ends. `None`: not tied to a password
    /// (API tokens, sessions from before stamps existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// R7: a short, one-way stamp of a stored password hash (16 hex digits of its SHA-256), so a
/// session can tell that the password it signed in with is no longer the account's without
/// holding the hash itself.
pub fn credential_stamp(password_hash: Option<&str>) -> Option<String> {
    use sha2::{Digest, Sha256};
    let hash = password_hash?;
    let digest = Sha256::digest(hash.as_bytes());
    Some(digest[..8].iter().map(|b| format!("{b:02x}")).collect())
}

impl Principal {
    /// Whether the session still holds the account's current password (always true for
    /// principals not tied to one).
    pub fn holds_password(&self, current_hash: Option<&str>) -> bool {
        match &self.credential {
            None => true,
            Some(stamp) => credential_stamp(current_hash).as_deref() == Some(stamp.as_str()),
        }
    }
}
