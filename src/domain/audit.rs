//! X3: the audit trail. Every change records who, when, which tenant, which entity, the fields
//! before and after, and the source. Written in the same transaction as the change.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter};
use serde_json::Value;
use uuid::Uuid;

use super::ctx::Ctx;
use crate::store::entity::audit_events;
use crate::store::scope::TenantOwned;

/// One change to record.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    /// Entity kind (`user`, `backoffice_account`, `role` …).
    pub entity: &'a str,
    /// Its id.
    pub entity_id: Option<Uuid>,
    /// `create`, `update`, `deactivate`, `delete` …
    pub action: &'a str,
    /// Changed fields before (only those that changed), or `None` for a creation.
    pub before: Option<Value>,
    /// Changed fields after, or `None` for a deletion.
    pub after: Option<Value>,
}

/// Records `change` made in `ctx`, on `db` (pass the transaction that makes the change).
pub async fn record<C: ConnectionTrait>(
    db: &C,
    ctx: &Ctx,
    change: Change<'_>,
) -> crate::Result<()> {
    audit_events::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant.0),
        occurred_at: Set(Utc::now()),
        actor_kind: Set(ctx.actor.kind.as_str().to_owned()),
        actor_id: Set(ctx.actor.id),
        actor_label: Set(Some(ctx.actor.label.clone())),
        source: Set(ctx.source.as_str().to_owned()),
        entity: Set(change.entity.to_owned()),
        entity_id: Set(change.entity_id),
        action: Set(change.action.to_owned()),
        before: Set(change.before),
        after: Set(change.after),
        request_id: Set(ctx.request_id.clone()),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Deletes row `id` of `E` in `ctx`'s tenant and records the deletion of `entity` with its
/// `before` fields, on `db` (pass the transaction that makes the change).
pub async fn delete<E: TenantOwned, C: ConnectionTrait>(
    db: &C,
    ctx: &Ctx,
    entity: &str,
    id: Uuid,
    before: Value,
) -> crate::Result<()> {
    ctx.tenant
        .delete_many::<E>()
        .filter(E::id_column().eq(id))
        .exec(db)
        .await?;
    record(
        db,
        ctx,
        Change {
            entity,
            entity_id: Some(id),
            action: "delete",
            before: Some(before),
            after: None,
        },
    )
    .await
}
