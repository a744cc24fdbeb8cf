//! The [`Permit`]: what a principal (or the operator) may do in one tenant — its rights (from
//! casbin) and, per right, which users it reaches (B4 catalogs, B5 units, U7 assigned learners)
//! as a [`Scope`].

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use futures_util::future::BoxFuture;

use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};
use uuid::Uuid;

use super::{Right, Scope};
use crate::auth::principal::{Principal, PrincipalKind};
use crate::domain::{Actor, ActorKind, Ctx, Source};
use crate::store::TenantId;
use crate::store::entity::{
    backoffice_accounts, catalog_access, organisation_units, role_assignments, role_rights, roles,
};
use crate::tenancy::Tenant;

/// Who holds a permit: a signed-in principal, or the operator (CLI, jobs).
#[derive(Debug, Clone)]
enum Holder {
    /// A back-office account or portal user that passed the guard.
    Principal(Principal),
    /// The operator at the command line or a background job: every right, the whole tenant.
    Operator,
}

/// The only way into a domain operation: who acts, for which tenant, with which rights. Made by
/// the request guard ([`Permit::for_principal`]) or, for the CLI and jobs, explicitly by
/// [`Permit::operator`] / [`Permit::job`] (easy to grep). The domain asks the permit for the
/// reach it needs ([`Permit::scope`]); no caller passes a scope of its own.
#[derive(Debug, Clone)]
pub struct Permit {
    holder: Holder,
    tenant: TenantId,
    rights: Vec<Right>,
    ctx: Ctx,
    announcer: Option<Announcer>,
    /// The tenant context the guard loaded for this request; the CLI and jobs load theirs on
    /// first use ([`Permit::tenant_context`]).
    context: Option<Arc<Tenant>>,
}

/// Tells this instance and the others that a tenant's policy changed (drop the cached
/// enforcer, publish on Redis). The guard hands it to the permit; the domain calls it after the
/// commit that moved the policy version ([`Permit::policy_changed`]).
#[derive(Clone)]
pub struct Announcer(Arc<dyn Fn(TenantId) -> BoxFuture<'static, ()> + Send + Sync>);

impl Announcer {
    /// An announcer running `f` for the changed tenant.
    pub fn new(f: impl Fn(TenantId) -> BoxFuture<'static, ()> + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }
}

impl std::fmt::Debug for Announcer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Announcer")
    }
}

impl Permit {
    /// The permit of `principal` holding `rights`, acting through `source` (the guard).
    pub fn for_principal(
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
            holder: Holder::Principal(principal),
            tenant,
            rights,
            ctx,
            announcer: None,
            context: None,
        }
    }

    /// The same permit, announcing policy changes through `announcer`.
    pub fn announcing(mut self, announcer: Announcer) -> Self {
        self.announcer = Some(announcer);
        self
    }

    /// The same permit, carrying `tenant` (the guard's context of this request's tenant row).
    pub fn with_tenant(mut self, tenant: Arc<Tenant>) -> Self {
        debug_assert_eq!(tenant.id, self.tenant, "a permit carries its own tenant");
        self.context = Some(tenant);
        self
    }

    /// The tenant context (typed settings, languages, policy version): the one the guard
    /// loaded with the permit, else read and parsed now. A bad stored setting is an error.
    pub async fn tenant_context<C: ConnectionTrait>(&self, db: &C) -> crate::Result<Arc<Tenant>> {
        match &self.context {
            Some(t) => Ok(t.clone()),
            None => Ok(Arc::new(Tenant::load(db, self.tenant).await?)),
        }
    }

    /// After a committed change of roles, rights or assignments: tells every instance at once.
    /// Without an announcer (the CLI, jobs) the other instances' once-a-second version check
    /// picks the change up.
    pub async fn policy_changed(&self) {
        if let Some(a) = &self.announcer {
            (a.0)(self.tenant).await;
        }
    }

    /// The operator at the command line: every right over the whole tenant.
    pub fn operator(tenant: TenantId, label: impl Into<String>) -> Self {
        Self {
            holder: Holder::Operator,
            tenant,
            rights: Right::ALL.to_vec(),
            ctx: Ctx::operator(tenant, label),
            announcer: None,
            context: None,
        }
    }

    /// A background job or Roster's own flows (registration, imports staged by an operator):
    /// every right over the whole tenant, recorded as `source`.
    pub fn job(tenant: TenantId, source: Source) -> Self {
        Self {
            holder: Holder::Operator,
            tenant,
            rights: Right::ALL.to_vec(),
            ctx: Ctx::system(tenant, source),
            announcer: None,
            context: None,
        }
    }

    /// The tenant everything happens in.
    pub fn tenant(&self) -> TenantId {
        self.tenant
    }

    /// What the audit trail records of this permit.
    pub fn ctx(&self) -> &Ctx {
        &self.ctx
    }

    /// The same permit, recorded as acting through `source`.
    pub fn through(mut self, source: Source) -> Self {
        self.ctx.source = source;
        self
    }

    /// The signed-in principal; `None` for the operator and jobs.
    pub fn principal(&self) -> Option<&Principal> {
        match &self.holder {
            Holder::Principal(p) => Some(p),
            Holder::Operator => None,
        }
    }

    /// The signed-in principal, for handlers behind the guard (which always has one).
    pub fn signed_in(&self) -> crate::Result<&Principal> {
        self.principal().ok_or_else(|| {
            crate::Error::Internal(anyhow::anyhow!("an operator permit reached a web handler"))
        })
    }

    /// The tenant's slug as the signed-in principal knows it (`""` for the operator).
    pub fn tenant_slug(&self) -> &str {
        self.principal().map_or("", |p| p.tenant_slug.as_str())
    }

    /// The actor's login name (or the operator's label).
    pub fn login(&self) -> &str {
        &self.ctx.actor.label
    }

    /// Whether this is the operator's (or a job's) permit.
    pub fn is_operator(&self) -> bool {
        matches!(self.holder, Holder::Operator)
    }

    /// The acting back-office account, if a back-office account acts.
    pub fn account(&self) -> Option<Uuid> {
        self.principal()
            .filter(|p| p.kind == PrincipalKind::Backoffice)
            .map(|p| p.id)
    }

    /// Rights held, in menu order.
    pub fn rights(&self) -> &[Right] {
        &self.rights
    }

    /// Whether the holder holds `right`.
    pub fn has(&self, right: Right) -> bool {
        self.rights.contains(&right)
    }

    /// 403 unless the holder holds `right`: every domain operation demands its own right, so
    /// no caller can reach it by a route guarded with another.
    pub fn require(&self, right: Right) -> crate::Result<()> {
        if self.has(right) {
            Ok(())
        } else {
            Err(crate::Error::Forbidden(format!(
                "this needs the right `{right}`, which your roles do not grant"
            )))
        }
    }

    /// Which users `right` reaches for this holder (B4, B5, U7); 403 without the right.
    pub async fn scope<C: ConnectionTrait>(&self, db: &C, right: Right) -> crate::Result<Scope> {
        self.require(right)?;
        match &self.holder {
            Holder::Operator => Ok(Scope::tenant()),
            Holder::Principal(p) => scope_for(db, p, right).await,
        }
    }
}

/// Computes the users `principal` reaches through `right` (B4, B5, U7).
pub async fn scope_for<C: ConnectionTrait>(
    db: &C,
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
pub async fn descendants<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    roots: &[Uuid],
) -> crate::Result<HashSet<Uuid>> {
    Ok(subtree(&unit_children(db, tenant).await?, roots))
}

/// The tenant's unit tree as parent → children.
pub async fn unit_children<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
) -> crate::Result<HashMap<Uuid, Vec<Uuid>>> {
    let mut children: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for u in tenant.find::<organisation_units::Entity>().all(db).await? {
        if let Some(p) = u.parent_id {
            children.entry(p).or_default().push(u.id);
        }
    }
    Ok(children)
}

/// `roots` and every unit below them in `children`.
pub fn subtree(children: &HashMap<Uuid, Vec<Uuid>>, roots: &[Uuid]) -> HashSet<Uuid> {
    let mut out: HashSet<Uuid> = HashSet::new();
    let mut stack: Vec<Uuid> = roots.to_vec();
    while let Some(id) = stack.pop() {
        if out.insert(id)
            && let Some(kids) = children.get(&id)
        {
            stack.extend(kids.iter().copied());
        }
    }
    out
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
