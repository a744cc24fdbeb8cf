//! The first administrator of a tenant, so an operator can sign in to a freshly applied
//! tenant without a browser step. Created once, when the tenant has no back-office account;
//! the password is temporary and must be changed at the first sign-in (U3, B6).

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, PaginatorTrait,
    QueryFilter, QueryOrder,
};
use serde_json::json;
use uuid::Uuid;

use crate::store::TenantId;
use crate::store::entity::{audit_events, backoffice_accounts, role_assignments, roles};

/// Sign-in details of a newly created first administrator.
#[derive(Debug, Clone)]
pub struct FirstAdmin {
    /// Login name.
    pub login: String,
    /// Temporary password, shown once.
    pub password: String,
    /// Code of the administrator role given.
    pub role: String,
}

/// Creates the tenant's first administrator when it has no back-office account yet.
pub async fn ensure_first_admin(
    db: &DatabaseConnection,
    tenant: TenantId,
    slug: &str,
) -> crate::Result<Option<FirstAdmin>> {
    let accounts = tenant
        .find::<backoffice_accounts::Entity>()
        .count(db)
        .await?;
    if accounts > 0 {
        return Ok(None);
    }
    let Some(role) = tenant
        .find::<roles::Entity>()
        .filter(roles::Column::IsAdministrator.eq(true))
        .filter(roles::Column::Kind.eq("backoffice"))
        .order_by_asc(roles::Column::Code)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let login = format!("{slug}-admin");
    let password = super::password::generate(16);
    let hash = super::password::hash(password.clone()).await?;
    let now = Utc::now();
    let id = Uuid::now_v7();
    let txn = crate::store::begin_write(db).await?;
    backoffice_accounts::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant.0),
        login: Set(login.clone()),
        first_name: Set("First".into()),
        last_name: Set("Administrator".into()),
        email: Set(None),
        password_hash: Set(Some(hash)),
        must_change_password: Set(true),
        is_administrator: Set(true),
        course_system_role: Set(None),
        all_catalogs: Set(true),
        active: Set(true),
        user_id: Set(None),
        language: Set(None),
        last_login_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    role_assignments::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant.0),
        role_id: Set(role.id),
        user_id: Set(None),
        backoffice_account_id: Set(Some(id)),
        organisation_unit_id: Set(None),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit_events::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant.0),
        occurred_at: Set(now),
        actor_kind: Set("system".into()),
        actor_id: Set(None),
        actor_label: Set(Some("roster serve".into())),
        source: Set("cli".into()),
        entity: Set("backoffice_account".into()),
        entity_id: Set(Some(id)),
        action: Set("create".into()),
        before: Set(None),
        after: Set(Some(json!({
            "login": login,
            "is_administrator": true,
            "all_catalogs": true,
            "role": role.code,
        }))),
        request_id: Set(None),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(Some(FirstAdmin {
        login,
        password,
        role: role.code,
    }))
}
