//! B3: casbin decides which rights an account holds, with one enforcer per tenant (a check
//! costs microseconds against one tenant's rules, see STACK.md), loaded lazily from the role
//! tables and dropped when the tenant's `policy_version` moves.
//!
//! Propagation: the instance that changes a policy drops its enforcer at once and publishes
//! the tenant on Redis (`roster:policy`); every instance also compares versions every second,
//! which covers a missing Redis, a Redis restart and lost messages. On top of that the route
//! guard, which reads the tenant row anyway, reloads when the row's version differs from the
//! loaded one, so a request never runs on a policy older than the tenant row it read.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use casbin::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
};
use tokio::sync::RwLock;
use uuid::Uuid;

use super::Right;
use crate::store::TenantId;
use crate::store::entity::{role_assignments, role_rights, roles, tenants};

const MODEL: &str = include_str!("../../policies/model.conf");
/// Redis channel on which policy changes are announced.
pub const CHANNEL: &str = "roster:policy";
const ACTION: &str = "use";

/// One tenant's loaded policy.
pub struct TenantPolicy {
    /// The version it was loaded at.
    pub version: i64,
    enforcer: Enforcer,
    tenant: String,
}

impl TenantPolicy {
    /// Whether `subject` (`account:<id>` / `user:<id>`) holds `right`.
    pub fn allows(&self, subject: &str, right: Right) -> bool {
        self.enforcer
            .enforce((subject, self.tenant.as_str(), right.as_str(), ACTION))
            .unwrap_or(false)
    }

    /// Every right `subject` holds, in menu order.
    pub fn rights_of(&self, subject: &str) -> Vec<Right> {
        Right::ALL
            .into_iter()
            .filter(|r| self.allows(subject, *r))
            .collect()
    }
}

/// Subject name of a back-office account.
pub fn account_subject(id: Uuid) -> String {
    format!("account:{id}")
}

/// Subject name of a portal user.
pub fn user_subject(id: Uuid) -> String {
    format!("user:{id}")
}

/// The per-tenant enforcers of this instance.
#[derive(Default)]
pub struct Registry {
    loaded: RwLock<HashMap<Uuid, Arc<TenantPolicy>>>,
}

impl Registry {
    /// The tenant's policy, loading it when absent.
    pub async fn policy(
        &self,
        db: &DatabaseConnection,
        tenant: TenantId,
    ) -> crate::Result<Arc<TenantPolicy>> {
        self.policy_at(db, tenant, None).await
    }

    /// The tenant's policy, reloading it unless it was loaded at `version` (when the caller
    /// has just read the tenant row, a change is seen on the very next request).
    pub async fn policy_at(
        &self,
        db: &DatabaseConnection,
        tenant: TenantId,
        version: Option<i64>,
    ) -> crate::Result<Arc<TenantPolicy>> {
        if let Some(p) = self.loaded.read().await.get(&tenant.0)
            && version.is_none_or(|v| v == p.version)
        {
            return Ok(p.clone());
        }
        let policy = Arc::new(load(db, tenant).await?);
        self.loaded.write().await.insert(tenant.0, policy.clone());
        Ok(policy)
    }

    /// Whether this instance holds a loaded enforcer for `tenant`.
    pub async fn is_loaded(&self, tenant: Uuid) -> bool {
        self.loaded.read().await.contains_key(&tenant)
    }

    /// Drops a tenant's enforcer; the next check reloads it.
    pub async fn invalidate(&self, tenant: Uuid) {
        self.loaded.write().await.remove(&tenant);
    }

    /// Drops every enforcer whose tenant's version moved.
    pub async fn refresh_stale(&self, db: &DatabaseConnection) -> crate::Result<usize> {
        let ids: Vec<Uuid> = self.loaded.read().await.keys().copied().collect();
        if ids.is_empty() {
            return Ok(0);
        }
        let current: Vec<(Uuid, i64)> = tenants::Entity::find()
            .select_only()
            .column(tenants::Column::Id)
            .column(tenants::Column::PolicyVersion)
            .filter(tenants::Column::Id.is_in(ids))
            .into_tuple()
            .all(db)
            .await?;
        let current: HashMap<Uuid, i64> = current.into_iter().collect();
        let mut loaded = self.loaded.write().await;
        let before = loaded.len();
        loaded.retain(|id, p| current.get(id) == Some(&p.version));
        Ok(before - loaded.len())
    }
}

async fn load(db: &DatabaseConnection, tenant: TenantId) -> crate::Result<TenantPolicy> {
    let version = tenants::Entity::find_by_id(tenant.0)
        .one(db)
        .await?
        .map(|t| t.policy_version)
        .ok_or_else(|| crate::Error::NotFound("tenant".into()))?;
    let dom = tenant.0.to_string();
    let roles = tenant.find::<roles::Entity>().all(db).await?;
    let rights = tenant.find::<role_rights::Entity>().all(db).await?;
    let assignments = tenant.find::<role_assignments::Entity>().all(db).await?;
    let code_of: HashMap<Uuid, &str> = roles.iter().map(|r| (r.id, r.code.as_str())).collect();

    let mut p: Vec<Vec<String>> = Vec::new();
    for role in &roles {
        if role.is_administrator {
            // B1 "is administrator": every right.
            for right in Right::ALL {
                p.push(rule(&role.code, &dom, right.as_str()));
            }
        }
    }
    for r in &rights {
        if let Some(code) = code_of.get(&r.role_id)
            && r.right.parse::<Right>().is_ok()
        {
            p.push(rule(code, &dom, &r.right));
        }
    }
    let g: Vec<Vec<String>> = assignments
        .iter()
        .filter_map(|a| {
            let code = code_of.get(&a.role_id)?;
            let subject = match (a.backoffice_account_id, a.user_id) {
                (Some(id), _) => account_subject(id),
                (None, Some(id)) => user_subject(id),
                (None, None) => return None,
            };
            Some(vec![subject, format!("role:{code}"), dom.clone()])
        })
        .collect();

    let model = DefaultModel::from_str(MODEL)
        .await
        .map_err(|e| anyhow::anyhow!("casbin model: {e}"))?;
    let mut enforcer = Enforcer::new(model, MemoryAdapter::default())
        .await
        .map_err(|e| anyhow::anyhow!("casbin enforcer: {e}"))?;
    p.sort();
    p.dedup();
    if !p.is_empty() {
        enforcer
            .add_named_policies("p", p)
            .await
            .map_err(|e| anyhow::anyhow!("casbin policies: {e}"))?;
    }
    if !g.is_empty() {
        enforcer
            .add_named_grouping_policies("g", g)
            .await
            .map_err(|e| anyhow::anyhow!("casbin groupings: {e}"))?;
    }
    Ok(TenantPolicy {
        version,
        enforcer,
        tenant: dom,
    })
}

fn rule(role: &str, dom: &str, right: &str) -> Vec<String> {
    vec![
        format!("role:{role}"),
        dom.to_owned(),
        right.to_owned(),
        ACTION.to_owned(),
    ]
}

/// Records that a tenant's policy changed: bumps its version on `db` (pass the transaction
/// that made the change). Call [`announce`] after the commit.
pub async fn bump_version<C: ConnectionTrait>(db: &C, tenant: TenantId) -> crate::Result<()> {
    tenants::Entity::update_many()
        .col_expr(
            tenants::Column::PolicyVersion,
            Expr::col(tenants::Column::PolicyVersion).add(1),
        )
        .filter(tenants::Column::Id.eq(tenant.0))
        .exec(db)
        .await?;
    Ok(())
}

/// After a committed policy change: drop the local enforcer and tell other instances.
pub async fn announce(state: &crate::app::AppState, tenant: TenantId) {
    state.authz.invalidate(tenant.0).await;
    state.tenants.invalidate(tenant.0).await;
    if let Some(client) = &state.redis {
        let publish = async {
            let mut conn = client.get_multiplexed_async_connection().await?;
            redis::cmd("PUBLISH")
                .arg(CHANNEL)
                .arg(tenant.0.to_string())
                .query_async::<i64>(&mut conn)
                .await
        };
        if let Err(e) = tokio::time::timeout(Duration::from_secs(2), publish)
            .await
            .map_err(|_| "timed out".to_string())
            .and_then(|r| r.map_err(|e| e.to_string()))
        {
            // The periodic version check still carries the change within a second.
            tracing::warn!(error = %e, "could not publish policy change");
        }
    }
}

/// Starts the version check (always) and the Redis subscriber (when configured).
pub fn spawn_watchers(state: crate::app::AppState) {
    let checker = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            if let Err(e) = checker.authz.refresh_stale(&checker.db).await {
                tracing::warn!(error = %e, "policy version check failed");
            }
        }
    });
    if let Some(client) = state.redis.clone() {
        tokio::spawn(async move {
            loop {
                if let Err(e) = subscribe(&state, &client).await {
                    tracing::warn!(error = %e, "policy subscription lost; reconnecting");
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
}

async fn subscribe(state: &crate::app::AppState, client: &redis::Client) -> anyhow::Result<()> {
    use futures_util::StreamExt;
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(CHANNEL).await?;
    // Anything announced while we were away is caught by the version check.
    let mut messages = pubsub.on_message();
    while let Some(msg) = messages.next().await {
        let payload: String = msg.get_payload()?;
        if let Ok(id) = payload.parse::<Uuid>() {
            state.authz.invalidate(id).await;
            state.tenants.invalidate(id).await;
        }
    }
    anyhow::bail!("subscription stream ended")
}
