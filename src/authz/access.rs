//! What a signed-in principal may do: its rights (from casbin) and, per right, which users it
//! reaches (B4 catalogs, B5 units, U7 assigned learners) as a [`Scope`].

use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, DatabaseConnection, QueryFilter};
use uuid::Uuid;

use super::{Right, Scope};
use crate::auth::principal::{Principal, PrincipalKind};
use crate::domain::{Actor, ActorKind, Ctx, Source};
use crate::store::TenantId;
use crate::store::entity::{
    backoffice_accounts, catalog_access, organisation_units, role_assignments, role_rights, roles,
};

/// A permit: a principal that passed authentication, with the rights it holds. Handlers get
/// it from the route guard; domain functions take it (or its [`Ctx`]) as proof.
#[derive(Debug, Clone)]
pub struct Access {
    /// Who.
    pub principal: Principal,
    /// The tenant (always the principal's own).
    pub tenant: TenantId,
    /// Rights held, in menu order.
    pub rights: Vec<Right>,
    /// Context for domain calls and the audit trail.
    pub ctx: Ctx,
}

impl Access {
    /// Builds the permit for `principal` with `rights`, acting through `source`.
    pub fn new(
        principal: Principal,
        rights: Vec<Right>,
        source: Source,
        request_id: Option<String>,
    ) -> Self {
        let tenant = TenantId(principal.tenant_id);
        let kind = match (principal.kind, principal.via_token) {
            (PrincipalKind::Backoffice, true) => ActorKind::Token,
            (PrincipalKind::Backoffice, false) => ActorKind::Backoffice,
            (PrincipalKind::User, _) => ActorKind::User,
        };
        let ctx = Ctx {
            tenant,
            actor: Actor {
                kind,
                id: Some(principal.id),
                label: principal.login.clone(),
            },
            source,
            request_id,
        };
        Self {
            principal,
            tenant,
            rights,
            ctx,
        }
    }

    /// Whether the principal holds `right`.
    pub fn has(&self, right: Right) -> bool {
        self.rights.contains(&right)
    }

    /// Which users `right` reaches for this principal.
    pub async fn scope(&self, db: &DatabaseConnection, right: Right) -> crate::Result<Scope> {
        scope_for(db, &self.principal, right).await
    }
}

/// Computes the users `principal` reaches through `right` (B4, B5, U7).
pub async fn scope_for(
    db: &DatabaseConnection,
    principal: &Principal,
    right: Right,
) -> crate::Result<Scope> {
    let tenant = TenantId(principal.tenant_id);
    let assignments = match principal.kind {
        PrincipalKind::Backoffice => {
            tenant
                .find::<role_assignments::Entity>()
                .filter(role_assignments::Column::BackofficeAccountId.eq(principal.id))
                .all(db)
                .await?
        }
        PrincipalKind::User => {
            tenant
                .find::<role_assignments::Entity>()
                .filter(role_assignments::Column::UserId.eq(principal.id))
                .all(db)
                .await?
        }
    };
    let role_ids: Vec<Uuid> = assignments.iter().map(|a| a.role_id).collect();
    let roles: HashMap<Uuid, roles::Model> = tenant
        .find::<roles::Entity>()
        .filter(roles::Column::Id.is_in(role_ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let granting: HashSet<Uuid> = tenant
        .find::<role_rights::Entity>()
        .filter(role_rights::Column::RoleId.is_in(role_ids))
        .filter(role_rights::Column::Right.eq(right.as_str()))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.role_id)
        .collect();

    let mut tenant_wide = false;
    let mut anchors_subtree = Vec::new();
    let mut anchors_own = Vec::new();
    let mut learners = false;
    let mut own = false;
    for a in &assignments {
        let Some(role) = roles.get(&a.role_id) else {
            continue;
        };
        if !(role.is_administrator || granting.contains(&role.id)) {
            continue;
        }
        match role.scope.as_str() {
            "tenant" => tenant_wide = true,
            "subtree" => anchors_subtree.extend(a.organisation_unit_id),
            "own_ou" => anchors_own.extend(a.organisation_unit_id),
            "assigned_learners" => learners = true,
            _ => own = true,
        }
    }

    let mut scope = Scope::tenant();
    if !tenant_wide {
        if !anchors_subtree.is_empty() || !anchors_own.is_empty() {
            let mut units: HashSet<Uuid> = anchors_own.into_iter().collect();
            if !anchors_subtree.is_empty() {
                units.extend(descendants(db, tenant, &anchors_subtree).await?);
            }
            let mut units: Vec<Uuid> = units.into_iter().collect();
            units.sort();
            scope.units = Some(units);
        } else if learners {
            scope.superior = Some(principal.id);
        } else if own {
            scope.user = Some(principal.id);
        } else {
            // No role reaches any user with this right.
            scope.units = Some(Vec::new());
        }
    }
    if principal.kind == PrincipalKind::Backoffice && right.is_catalog_scoped() {
        let account = tenant
            .find_by_id::<backoffice_accounts::Entity>(principal.id)
            .one(db)
            .await?;
        if !account.is_some_and(|a| a.all_catalogs) {
            let mut catalogs: Vec<Uuid> = tenant
                .find::<catalog_access::Entity>()
                .filter(catalog_access::Column::BackofficeAccountId.eq(principal.id))
                .all(db)
                .await?
                .into_iter()
                .map(|c| c.catalog_id)
                .collect();
            catalogs.sort();
            scope.catalogs = Some(catalogs);
        }
    }
    Ok(scope)
}

/// The given units and every unit below them (T3 tree).
pub async fn descendants(
    db: &DatabaseConnection,
    tenant: TenantId,
    roots: &[Uuid],
) -> crate::Result<HashSet<Uuid>> {
    let units = tenant.find::<organisation_units::Entity>().all(db).await?;
    let mut children: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for u in &units {
        if let Some(p) = u.parent_id {
            children.entry(p).or_default().push(u.id);
        }
    }
    let mut out: HashSet<Uuid> = HashSet::new();
    let mut stack: Vec<Uuid> = roots.to_vec();
    while let Some(id) = stack.pop() {
        if out.insert(id)
            && let Some(kids) = children.get(&id)
        {
            stack.extend(kids.iter().copied());
        }
    }
    Ok(out)
}

/// Loads the rights of `principal` from its tenant's enforcer.
pub async fn rights_of(
    state: &crate::app::AppState,
    principal: &Principal,
    policy_version: Option<i64>,
) -> crate::Result<Vec<Right>> {
    let policy = state
        .authz
        .policy_at(&state.db, TenantId(principal.tenant_id), policy_version)
        .await?;
    let subject = match principal.kind {
        PrincipalKind::Backoffice => super::enforcer::account_subject(principal.id),
        PrincipalKind::User => super::enforcer::user_subject(principal.id),
    };
    Ok(policy.rights_of(&subject))
}
