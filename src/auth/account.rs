//! The sign-in view of an account: back-office accounts and portal users share the fields that
//! authentication needs, read and written here through the tenant-scoped store (T4).

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::principal::{Principal, PrincipalKind};
use crate::store::TenantId;
use crate::store::entity::{backoffice_accounts, tenants, users};

/// Registration state of a user who may sign in (R3).
pub const ACTIVE_REGISTRATION: &str = "active";

/// R7, U6: what authentication knows about one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Table it lives in.
    pub kind: PrincipalKind,
    /// Its id.
    pub id: Uuid,
    /// Its tenant.
    pub tenant: TenantId,
    /// Login name.
    pub login: String,
    /// E-mail address, needed for reset links (B1).
    pub email: Option<String>,
    /// argon2id PHC string; `None` until a password is set.
    pub password_hash: Option<String>,
    /// U3, B6: the password must be changed at the next sign-in.
    pub must_change_password: bool,
    /// U6, R3: active, and (for users) with a finished registration.
    pub may_sign_in: bool,
}

impl Account {
    fn from_backoffice(a: backoffice_accounts::Model) -> Self {
        Self {
            kind: PrincipalKind::Backoffice,
            id: a.id,
            tenant: TenantId(a.tenant_id),
            login: a.login,
            email: a.email,
            password_hash: a.password_hash,
            must_change_password: a.must_change_password,
            may_sign_in: a.active,
        }
    }

    fn from_user(u: users::Model) -> Self {
        Self {
            kind: PrincipalKind::User,
            id: u.id,
            tenant: TenantId(u.tenant_id),
            login: u.login,
            email: u.email,
            password_hash: u.password_hash,
            must_change_password: u.must_change_password,
            may_sign_in: u.active && u.registration_state == ACTIVE_REGISTRATION,
        }
    }

    /// The principal a session holds once this account has signed in.
    pub fn principal(&self, tenant: &tenants::Model) -> Principal {
        Principal {
            tenant_id: tenant.id,
            tenant_slug: tenant.slug.clone(),
            kind: self.kind,
            id: self.id,
            login: self.login.clone(),
            must_change_password: self.must_change_password,
            via_token: false,
        }
    }

    /// R7: the stamp of this account's current password (see [`super::principal::STAMP_KEY`]).
    pub fn credential_stamp(&self) -> String {
        super::principal::credential_stamp(self.password_hash.as_deref())
    }

    /// The account kind's name in the audit trail (X3).
    pub fn audit_entity(&self) -> &'static str {
        match self.kind {
            PrincipalKind::Backoffice => "backoffice_account",
            PrincipalKind::User => "user",
        }
    }
}

/// R7: the account of `kind` with exactly this login name (as typed: no trimming, no case
/// folding).
pub async fn by_login<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    kind: PrincipalKind,
    login: &str,
) -> crate::Result<Option<Account>> {
    Ok(match kind {
        PrincipalKind::Backoffice => tenant
            .find::<backoffice_accounts::Entity>()
            .filter(backoffice_accounts::Column::Login.eq(login))
            .one(db)
            .await?
            .map(Account::from_backoffice),
        PrincipalKind::User => tenant
            .find::<users::Entity>()
            .filter(users::Column::Login.eq(login))
            .one(db)
            .await?
            .map(Account::from_user),
    })
}

/// R7: the account of `kind` with `id`.
pub async fn by_id<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    kind: PrincipalKind,
    id: Uuid,
) -> crate::Result<Option<Account>> {
    Ok(match kind {
        PrincipalKind::Backoffice => tenant
            .find_by_id::<backoffice_accounts::Entity>(id)
            .one(db)
            .await?
            .map(Account::from_backoffice),
        PrincipalKind::User => tenant
            .find_by_id::<users::Entity>(id)
            .one(db)
            .await?
            .map(Account::from_user),
    })
}

/// R7 (reset requests): accounts of `kind` whose login is `login_or_email`, or whose e-mail
/// address is it (ignoring case); at most `limit`.
pub async fn by_login_or_email<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    kind: PrincipalKind,
    login_or_email: &str,
    limit: u64,
) -> crate::Result<Vec<Account>> {
    let email = login_or_email.to_lowercase();
    Ok(match kind {
        PrincipalKind::Backoffice => tenant
            .find::<backoffice_accounts::Entity>()
            .filter(
                Condition::any()
                    .add(backoffice_accounts::Column::Login.eq(login_or_email))
                    .add(lower_eq(backoffice_accounts::Column::Email, email)),
            )
            .limit(limit)
            .all(db)
            .await?
            .into_iter()
            .map(Account::from_backoffice)
            .collect(),
        PrincipalKind::User => tenant
            .find::<users::Entity>()
            .filter(
                Condition::any()
                    .add(users::Column::Login.eq(login_or_email))
                    .add(lower_eq(users::Column::Email, email)),
            )
            .limit(limit)
            .all(db)
            .await?
            .into_iter()
            .map(Account::from_user)
            .collect(),
    })
}

/// `lower(column) = value` (value already lower-case).
fn lower_eq<C: ColumnTrait>(column: C, value: String) -> sea_orm::sea_query::SimpleExpr {
    ExprTrait::eq(Expr::expr(Func::lower(Expr::col(column))), value)
}

/// R7: records a successful sign-in in `last_login_at`.
pub async fn touch_last_login<C: ConnectionTrait>(db: &C, account: &Account) -> crate::Result<()> {
    let now = Utc::now();
    match account.kind {
        PrincipalKind::Backoffice => {
            account
                .tenant
                .update_many::<backoffice_accounts::Entity>()
                .col_expr(backoffice_accounts::Column::LastLoginAt, Expr::value(now))
                .filter(backoffice_accounts::Column::Id.eq(account.id))
                .exec(db)
                .await?;
        }
        PrincipalKind::User => {
            account
                .tenant
                .update_many::<users::Entity>()
                .col_expr(users::Column::LastLoginAt, Expr::value(now))
                .filter(users::Column::Id.eq(account.id))
                .exec(db)
                .await?;
        }
    }
    Ok(())
}

/// Stores a new password hash and clears the forced change (U3, B6). Pass the transaction that
/// also writes the audit record.
pub async fn store_password<C: ConnectionTrait>(
    db: &C,
    account: &Account,
    hash: String,
) -> crate::Result<()> {
    let now = Utc::now();
    match account.kind {
        PrincipalKind::Backoffice => {
            account
                .tenant
                .update_many::<backoffice_accounts::Entity>()
                .col_expr(backoffice_accounts::Column::PasswordHash, Expr::value(hash))
                .col_expr(
                    backoffice_accounts::Column::MustChangePassword,
                    Expr::value(false),
                )
                .col_expr(backoffice_accounts::Column::UpdatedAt, Expr::value(now))
                .filter(backoffice_accounts::Column::Id.eq(account.id))
                .exec(db)
                .await?;
        }
        PrincipalKind::User => {
            account
                .tenant
                .update_many::<users::Entity>()
                .col_expr(users::Column::PasswordHash, Expr::value(hash))
                .col_expr(users::Column::MustChangePassword, Expr::value(false))
                .col_expr(users::Column::UpdatedAt, Expr::value(now))
                .filter(users::Column::Id.eq(account.id))
                .exec(db)
                .await?;
        }
    }
    Ok(())
}
