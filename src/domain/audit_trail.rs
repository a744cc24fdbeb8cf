//! X3: reading the audit trail of a user. Who may read it: a principal holding the `audit`
//! right, and only for users within the scope that right gives them (B4/B5) — a user outside
//! it is "not found", exactly like a read of the user itself. The trail lists every event
//! recorded on the user (`entity = user`, including employments, budget, properties, group and
//! catalog membership, which are recorded on the user), newest first, with before/after values
//! and the source (web, API, import, SCIM, job, CLI).

use crate::authz::{Permit, Right};
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::store::entity::audit_events;

/// Paging of a trail.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TrailQuery {
    /// 1-based page.
    pub page: Option<u64>,
    /// Page size, 1–200 (default 50).
    pub per_page: Option<u64>,
}

/// One recorded change.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Event id.
    pub id: Uuid,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// `backoffice`, `token`, `user`, `system`, `operator`.
    pub actor_kind: String,
    /// The actor's login (never an e-mail address).
    pub actor_label: Option<String>,
    /// Actor id, when there is one.
    pub actor_id: Option<Uuid>,
    /// `web`, `api`, `import`, `scim`, `job`, `cli`.
    pub source: String,
    /// The entity kind (`user`).
    pub entity: String,
    /// Its id.
    pub entity_id: Option<Uuid>,
    /// `create`, `update`, `deactivate` …
    pub action: String,
    /// Changed fields before.
    pub before: Option<Value>,
    /// Changed fields after.
    pub after: Option<Value>,
    /// The HTTP request id, when there was one.
    pub request_id: Option<String>,
}

/// A page of a trail.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrailPage {
    /// Entries on this page, newest first.
    pub items: Vec<AuditEntry>,
    /// Entries in all pages.
    pub total: u64,
    /// This page.
    pub page: u64,
    /// Page size.
    pub per_page: u64,
}

impl From<audit_events::Model> for AuditEntry {
    fn from(e: audit_events::Model) -> Self {
        Self {
            id: e.id,
            occurred_at: e.occurred_at,
            actor_kind: e.actor_kind,
            actor_label: e.actor_label,
            actor_id: e.actor_id,
            source: e.source,
            entity: e.entity,
            entity_id: e.entity_id,
            action: e.action,
            before: e.before,
            after: e.after,
            request_id: e.request_id,
        }
    }
}

/// The user whose trail the actor may read (its `audit` reach; 404 outside it).
pub async fn subject(
    db: &DatabaseConnection,
    permit: &Permit,
    user: Uuid,
) -> crate::Result<crate::store::entity::users::Model> {
    let scope = permit.scope(db, Right::Audit).await?;
    super::user_directory::get_in(db, permit.tenant(), &scope, user).await
}

/// X3: the trail of user `user`, when the actor's `audit` reach includes the user (else
/// `NotFound`). A deleted user's trail is kept but not readable here (the user is no longer in
/// anyone's scope).
pub async fn of_user(
    db: &DatabaseConnection,
    permit: &Permit,
    user: Uuid,
    q: &TrailQuery,
) -> crate::Result<TrailPage> {
    let tenant = permit.tenant();
    subject(db, permit, user).await?;
    let per_page = q.per_page.unwrap_or(50).clamp(1, 200);
    let page = q.page.unwrap_or(1).max(1);
    let select = tenant
        .find::<audit_events::Entity>()
        .filter(audit_events::Column::Entity.eq("user"))
        .filter(audit_events::Column::EntityId.eq(user));
    let total = select.clone().count(db).await?;
    let items = select
        .order_by_desc(audit_events::Column::OccurredAt)
        .order_by_desc(audit_events::Column::Id)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .all(db)
        .await?
        .into_iter()
        .map(AuditEntry::from)
        .collect();
    Ok(TrailPage {
        items,
        total,
        page,
        per_page,
    })
}
