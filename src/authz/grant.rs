//! Grant only within what you hold (B3, B4, B5): the one rule every front door uses when an
//! actor hands out power — API, back office, import and CLI all reach it through the domain.
//!
//! - A role is granted only where the granter itself holds each of the role's rights: the units
//!   the grant reaches (the anchor's sub-tree, the anchor alone, or the whole tenant) lie inside
//!   the granter's reach for that right. Administrator roles are granted by administrators only.
//! - Catalogs granted lie inside the granter's own; "every catalog" only by one who has it.
//! - Rights put on or taken off a role: only by one who holds each of them tenant-wide, since a
//!   role may be held anywhere in the tenant.
//! - A back-office account is visible and changeable only when the actor could have made it:
//!   every grant and catalog it holds lies within the actor's.
//! - Nobody widens their own roles, anchors or catalogs: that follows from the rules above, which
//!   hold for oneself as for anyone (a grant reaches per right at most what the granter reaches
//!   with that right), so no sequence of grants ever reaches beyond what the first holder had.
//!
//! The operator ([`Permit::operator`]) passes every rule.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};
use uuid::Uuid;

use super::permit::{subtree, unit_children};
use super::{Permit, Right, Scope};
use crate::error::Error;
use crate::store::entity::{
    backoffice_accounts, catalog_access, role_assignments, role_rights, roles,
};

/// A unit tree: parent → children.
type Children = HashMap<Uuid, Vec<Uuid>>;

/// A role held at an anchor (`None` for tenant-wide roles).
pub type RoleAt = (roles::Model, Option<Uuid>);

/// What one actor holds, loaded once per decision.
pub struct Holdings {
    operator: bool,
    administrator: bool,
    /// Per right asked about so far: the users reached (filled on demand).
    reach: Mutex<HashMap<Right, Scope>>,
    /// The tenant's unit tree (parent → children), loaded at the first sub-tree question.
    children: Mutex<Option<Arc<Children>>>,
    /// The actor's catalogs (`None` = every catalog).
    catalogs: Option<BTreeSet<Uuid>>,
}

impl Holdings {
    /// Loads what `permit` holds.
    pub async fn of<C: ConnectionTrait>(db: &C, permit: &Permit) -> crate::Result<Self> {
        if permit.is_operator() {
            return Ok(Self {
                operator: true,
                administrator: true,
                reach: Mutex::default(),
                children: Mutex::default(),
                catalogs: None,
            });
        }
        let tenant = permit.tenant();
        let (administrator, catalogs) = match permit.account() {
            Some(id) => {
                let held = tenant
                    .find::<role_assignments::Entity>()
                    .filter(role_assignments::Column::BackofficeAccountId.eq(id))
                    .all(db)
                    .await?;
                let administrator = !tenant
                    .find::<roles::Entity>()
                    .filter(roles::Column::Id.is_in(held.iter().map(|a| a.role_id)))
                    .filter(roles::Column::IsAdministrator.eq(true))
                    .all(db)
                    .await?
                    .is_empty();
                let account = tenant
                    .find_by_id::<backoffice_accounts::Entity>(id)
                    .one(db)
                    .await?;
                let catalogs = if account.is_some_and(|a| a.all_catalogs) {
                    None
                } else {
                    Some(account_catalogs(db, permit.tenant(), id).await?)
                };
                (administrator, catalogs)
            }
            // Portal users hold no catalog access of their own.
            None => (false, Some(BTreeSet::new())),
        };
        Ok(Self {
            operator: false,
            administrator,
            reach: Mutex::default(),
            children: Mutex::default(),
            catalogs,
        })
    }

    /// Whether the actor is the operator or holds an administrator role (B5 customer admin).
    pub fn is_administrator(&self) -> bool {
        self.administrator
    }

    /// The users the actor reaches through `right`; `None` when it does not hold the right.
    async fn reach<C: ConnectionTrait>(
        &self,
        db: &C,
        permit: &Permit,
        right: Right,
    ) -> crate::Result<Option<Scope>> {
        if self.operator {
            return Ok(Some(Scope::tenant()));
        }
        if !permit.has(right) {
            return Ok(None);
        }
        if let Some(known) = self.known(right) {
            return Ok(Some(known));
        }
        let scope = permit.scope(db, right).await?;
        if let Ok(mut reach) = self.reach.lock() {
            reach.insert(right, scope.clone());
        }
        Ok(Some(scope))
    }

    /// `unit` and every unit below it, from the tree loaded once per decision.
    async fn below<C: ConnectionTrait>(
        &self,
        db: &C,
        permit: &Permit,
        unit: Uuid,
    ) -> crate::Result<HashSet<Uuid>> {
        let loaded = self.children.lock().ok().and_then(|c| c.clone());
        let children = match loaded {
            Some(children) => children,
            None => {
                let children = Arc::new(unit_children(db, permit.tenant()).await?);
                if let Ok(mut slot) = self.children.lock() {
                    *slot = Some(Arc::clone(&children));
                }
                children
            }
        };
        Ok(subtree(&children, &[unit]))
    }

    fn known(&self, right: Right) -> Option<Scope> {
        self.reach.lock().ok()?.get(&right).cloned()
    }

    /// Whether the actor holds `right` over every unit (catalogs aside).
    async fn tenant_wide<C: ConnectionTrait>(
        &self,
        db: &C,
        permit: &Permit,
        right: Right,
    ) -> crate::Result<bool> {
        Ok(self
            .reach(db, permit, right)
            .await?
            .is_some_and(|s| s.units.is_none() && s.superior.is_none() && s.user.is_none()))
    }

    /// The rights the actor may put on or take off roles: those it holds tenant-wide (B3).
    pub async fn changeable_rights<C: ConnectionTrait>(
        &self,
        db: &C,
        permit: &Permit,
    ) -> crate::Result<Vec<Right>> {
        let mut out = Vec::new();
        for right in Right::ALL {
            if self.tenant_wide(db, permit, right).await? {
                out.push(right);
            }
        }
        Ok(out)
    }

    /// Why the actor may not grant `role` at `unit`, if it may not.
    pub async fn refuse_role<C: ConnectionTrait>(
        &self,
        db: &C,
        permit: &Permit,
        role: &roles::Model,
        unit: Option<Uuid>,
    ) -> crate::Result<Option<String>> {
        if self.operator {
            return Ok(None);
        }
        if role.is_administrator {
            return Ok((!self.administrator).then(|| {
                format!(
                    "only an administrator may grant an administrator role: {}",
                    role.code
                )
            }));
        }
        let rights = rights_of_role(db, permit, role.id).await?;
        let reached: Option<HashSet<Uuid>> = match (role.scope.as_str(), unit) {
            ("subtree", Some(u)) => Some(self.below(db, permit, u).await?),
            ("own_ou", Some(u)) => Some(HashSet::from([u])),
            ("tenant", _) => None,
            // Portal kinds (self, assigned learners) reach no units of their own.
            _ => Some(HashSet::new()),
        };
        for right in rights {
            let Some(held) = self.reach(db, permit, right).await? else {
                return Ok(Some(format!(
                    "the role carries a right you do not hold: {} ({right})",
                    role.code
                )));
            };
            let inside = match (&held.units, &reached) {
                (None, _) => held.superior.is_none() && held.user.is_none(),
                (Some(mine), Some(theirs)) => theirs.iter().all(|u| mine.contains(u)),
                (Some(_), None) => false,
            };
            if !inside {
                return Ok(Some(match unit {
                    Some(_) => format!(
                        "anchored there, the role would reach users outside your reach: {} ({right})",
                        role.code
                    ),
                    None => format!(
                        "the role reaches the whole tenant, more than you hold: {} ({right})",
                        role.code
                    ),
                }));
            }
        }
        Ok(None)
    }

    /// Refuses (403) the role grants the actor may not give.
    pub async fn check_roles<C: ConnectionTrait>(
        &self,
        db: &C,
        permit: &Permit,
        grants: &[RoleAt],
    ) -> crate::Result<()> {
        for (role, unit) in grants {
            if let Some(why) = self.refuse_role(db, permit, role, *unit).await? {
                return Err(Error::Forbidden(why));
            }
        }
        Ok(())
    }

    /// Refuses (403) catalog access beyond the actor's own (B4).
    pub fn check_catalogs(&self, all: bool, ids: &[Uuid]) -> crate::Result<()> {
        match &self.catalogs {
            None => Ok(()),
            Some(_) if all => Err(Error::Forbidden(
                "you cannot grant access to every catalog: you do not have it yourself".into(),
            )),
            Some(mine) if ids.iter().all(|c| mine.contains(c)) => Ok(()),
            Some(_) => Err(Error::Forbidden(
                "you can grant only catalogs you have access to yourself".into(),
            )),
        }
    }

    /// Refuses (403) changing `rights` of a role unless each is held tenant-wide (B3).
    pub async fn check_rights<C: ConnectionTrait>(
        &self,
        db: &C,
        permit: &Permit,
        role: &str,
        is_administrator: bool,
        changed: &[Right],
    ) -> crate::Result<()> {
        if self.operator {
            return Ok(());
        }
        if is_administrator {
            return Err(Error::Forbidden(format!(
                "an administrator role holds every right and is not edited: {role}"
            )));
        }
        for r in changed {
            if !self.tenant_wide(db, permit, *r).await? {
                return Err(Error::Forbidden(format!(
                    "you can put on or take off a role only rights you hold over the whole tenant: {r}"
                )));
            }
        }
        Ok(())
    }

    /// Whether the actor could have made `account`: every grant and catalog within its own
    /// (B5). Outside accounts do not exist for the actor (404, as for users).
    pub async fn check_account<C: ConnectionTrait>(
        &self,
        db: &C,
        permit: &Permit,
        account: &backoffice_accounts::Model,
    ) -> crate::Result<()> {
        if self.operator || self.administrator {
            return Ok(());
        }
        let hidden = || Error::NotFound("back-office account".into());
        if account.is_administrator {
            return Err(hidden());
        }
        for (role, unit) in grants_of(db, permit, account.id).await? {
            if self.refuse_role(db, permit, &role, unit).await?.is_some() {
                return Err(hidden());
            }
        }
        let catalogs: Vec<Uuid> = account_catalogs(db, permit.tenant(), account.id)
            .await?
            .into_iter()
            .collect();
        self.check_catalogs(account.all_catalogs, &catalogs)
            .map_err(|_| hidden())
    }
}

/// The role grants an account holds.
pub async fn grants_of<C: ConnectionTrait>(
    db: &C,
    permit: &Permit,
    account: Uuid,
) -> crate::Result<Vec<RoleAt>> {
    let tenant = permit.tenant();
    let held = tenant
        .find::<role_assignments::Entity>()
        .filter(role_assignments::Column::BackofficeAccountId.eq(account))
        .all(db)
        .await?;
    let roles: HashMap<Uuid, roles::Model> = tenant
        .find::<roles::Entity>()
        .filter(roles::Column::Id.is_in(held.iter().map(|a| a.role_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    Ok(held
        .into_iter()
        .filter_map(|a| Some((roles.get(&a.role_id)?.clone(), a.organisation_unit_id)))
        .collect())
}

/// The catalogs listed for an account (whatever its "every catalog" flag says).
pub async fn account_catalogs<C: ConnectionTrait>(
    db: &C,
    tenant: crate::store::TenantId,
    account: Uuid,
) -> crate::Result<BTreeSet<Uuid>> {
    Ok(tenant
        .find::<catalog_access::Entity>()
        .filter(catalog_access::Column::BackofficeAccountId.eq(account))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.catalog_id)
        .collect())
}

async fn rights_of_role<C: ConnectionTrait>(
    db: &C,
    permit: &Permit,
    role: Uuid,
) -> crate::Result<Vec<Right>> {
    Ok(permit
        .tenant()
        .find::<role_rights::Entity>()
        .filter(role_rights::Column::RoleId.eq(role))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|r| r.right.parse::<Right>().ok())
        .collect())
}
