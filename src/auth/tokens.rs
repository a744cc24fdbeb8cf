//! API bearer tokens: act as one back-office account with exactly its rights and scope.
//! Shown once at issue, stored as SHA-256, revocable, listed per account.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;

use super::links::{new_token, token_hash};
use super::principal::{Principal, PrincipalKind};
use crate::store::TenantId;
use crate::store::entity::{api_tokens, backoffice_accounts, tenants};

/// Prefix that makes a Roster token recognisable (e.g. to secret scanners).
pub const PREFIX: &str = "rst_";

/// Issues a token for `account`; returns its id and the secret (shown once).
pub async fn issue(
    db: &DatabaseConnection,
    tenant: TenantId,
    account: Uuid,
    name: &str,
) -> crate::Result<(Uuid, String)> {
    let secret = format!("{PREFIX}{}", new_token());
    let id = Uuid::now_v7();
    api_tokens::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant.0),
        backoffice_account_id: Set(account),
        name: Set(name.to_owned()),
        token_hash: Set(token_hash(&secret)),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok((id, secret))
}

/// Revokes one token of the tenant; false when there was no such live token.
pub async fn revoke(db: &DatabaseConnection, tenant: TenantId, id: Uuid) -> crate::Result<bool> {
    let r = tenant
        .update_many::<api_tokens::Entity>()
        .col_expr(api_tokens::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(api_tokens::Column::Id.eq(id))
        .filter(api_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// The tokens of one account, newest first.
pub async fn list(
    db: &DatabaseConnection,
    tenant: TenantId,
    account: Uuid,
) -> crate::Result<Vec<api_tokens::Model>> {
    Ok(tenant
        .find::<api_tokens::Entity>()
        .filter(api_tokens::Column::BackofficeAccountId.eq(account))
        .order_by_desc(api_tokens::Column::CreatedAt)
        .all(db)
        .await?)
}

/// The principal a bearer secret stands for, if the token is live and its account active.
pub async fn resolve(db: &DatabaseConnection, secret: &str) -> crate::Result<Option<Principal>> {
    if !secret.starts_with(PREFIX) {
        return Ok(None);
    }
    // Looked up by hash before the tenant is known (the one global index on this table).
    let Some(token) = api_tokens::Entity::find()
        .filter(api_tokens::Column::TokenHash.eq(token_hash(secret)))
        .filter(api_tokens::Column::RevokedAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let tenant = TenantId(token.tenant_id);
    let Some(account) = tenant
        .find_by_id::<backoffice_accounts::Entity>(token.backoffice_account_id)
        .one(db)
        .await?
        .filter(|a| a.active)
    else {
        return Ok(None);
    };
    let Some(t) = tenants::Entity::find_by_id(tenant.0).one(db).await? else {
        return Ok(None);
    };
    tenant
        .update_many::<api_tokens::Entity>()
        .col_expr(api_tokens::Column::LastUsedAt, Expr::value(Utc::now()))
        .filter(api_tokens::Column::Id.eq(token.id))
        .exec(db)
        .await?;
    Ok(Some(Principal {
        tenant_id: tenant.0,
        tenant_slug: t.slug,
        kind: PrincipalKind::Backoffice,
        id: account.id,
        login: account.login,
        must_change_password: false,
        via_token: true,
    }))
}
