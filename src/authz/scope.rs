//! Which users an actor may see and touch, as a SQL condition (B4, B5, U7).
//!
//! Scope is applied inside the query, so paging, counts and search stay right; it is never a
//! filter over a fetched page. The tenant condition comes from [`crate::store::TenantId`]; this
//! narrows within the tenant.

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition};
use uuid::Uuid;

use crate::store::entity::{user_catalogs, users};

/// The part of a tenant's users an actor reaches. Every restriction present must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Users whose organisation unit is one of these (a sub-tree already expanded);
    /// `None` means every unit, users without a unit included.
    pub units: Option<Vec<Uuid>>,
    /// B4: users whose catalogs are all among these; `None` means access to every catalog.
    pub catalogs: Option<Vec<Uuid>>,
    /// U7: only the learners whose superior is this user.
    pub superior: Option<Uuid>,
    /// Only this user (a learner's own record).
    pub user: Option<Uuid>,
}

impl Scope {
    /// Every user of the tenant.
    pub fn tenant() -> Self {
        Self::default()
    }

    /// Whether this scope reaches every user of the tenant.
    pub fn is_tenant_wide(&self) -> bool {
        *self == Self::default()
    }

    /// The condition on `users` rows that this scope allows.
    pub fn users_condition(&self) -> Condition {
        let mut cond = Condition::all();
        if let Some(units) = &self.units {
            cond = cond.add(users::Column::OrganisationUnitId.is_in(units.iter().copied()));
        }
        if let Some(catalogs) = &self.catalogs {
            // Visible when no catalog of the user lies outside the actor's catalogs.
            let outside = Query::select()
                .expr(Expr::val(1))
                .from(user_catalogs::Entity)
                // The tenant column lets the (tenant_id, user_id, catalog_id) index serve the
                // probe; without it each user row scans the whole link table.
                .and_where(
                    Expr::col((user_catalogs::Entity, user_catalogs::Column::TenantId))
                        .equals((users::Entity, users::Column::TenantId)),
                )
                .and_where(
                    Expr::col((user_catalogs::Entity, user_catalogs::Column::UserId))
                        .equals((users::Entity, users::Column::Id)),
                )
                .and_where(
                    Expr::col((user_catalogs::Entity, user_catalogs::Column::CatalogId))
                        .is_not_in(catalogs.iter().copied()),
                )
                .to_owned();
            cond = cond.add(Expr::exists(outside).not());
        }
        if let Some(superior) = self.superior {
            cond = cond.add(users::Column::SuperiorId.eq(superior));
        }
        if let Some(user) = self.user {
            cond = cond.add(users::Column::Id.eq(user));
        }
        cond
    }
}
