//! Loads stored users with the relations a file's columns compare against, for one batch of
//! rows at a time: one query per table per few hundred users, never one per row. The export
//! loads its pages the same way.

use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QuerySelect, QueryTrait};
use uuid::Uuid;

use super::fields::ImportField as F;
use super::layout::Layout;
use super::values::Stored;
use crate::store::TenantId;
use crate::store::entity::{
    employments, extended_properties, personal_budgets, user_catalogs, user_enrollment_profiles,
    user_group_members, users,
};

/// Which relations to load.
#[derive(Debug, Clone, Copy, Default)]
pub struct Needs {
    /// User groups.
    pub groups: bool,
    /// Enrollment profiles.
    pub profiles: bool,
    /// Catalogs.
    pub catalogs: bool,
    /// The superior's external id.
    pub superior_ext: bool,
    /// Personal budget.
    pub budget: bool,
    /// Extended properties.
    pub properties: bool,
    /// Active employments.
    pub employments: bool,
}

impl Needs {
    /// What the columns of `layout` compare against.
    pub fn of(layout: &Layout) -> Self {
        let has = |f| layout.slot(f).is_some();
        Self {
            groups: has(F::UserGroups),
            profiles: has(F::EnrollmentProfiles),
            catalogs: has(F::Catalogs),
            superior_ext: has(F::SuperiorExternalId),
            budget: has(F::PersonalBudget),
            properties: has(F::PropertyName),
            employments: has(F::OrganisationCode) || has(F::DepartmentCode),
        }
    }

    /// Everything the standard format shows (the export).
    pub fn standard() -> Self {
        Self {
            groups: true,
            profiles: true,
            catalogs: false,
            superior_ext: true,
            budget: false,
            properties: false,
            employments: false,
        }
    }
}

const IN_CHUNK: usize = 500;

/// The users `ids` of `tenant` with the relations in `needs`; `superiors` are the holders
/// of the superior role; `property_names` limits the extended properties loaded.
pub async fn stored<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    ids: &[Uuid],
    needs: Needs,
    superiors: &HashSet<Uuid>,
    property_names: &[String],
) -> crate::Result<HashMap<Uuid, Stored>> {
    let mut out: HashMap<Uuid, Stored> = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(IN_CHUNK) {
        let rows = tenant
            .find::<users::Entity>()
            .filter(users::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        for u in rows {
            let mut s = Stored::bare(u);
            s.is_superior = superiors.contains(&s.user.id);
            out.insert(s.user.id, s);
        }
    }
    let dense = false;
    attach(db, tenant, &mut out, needs, property_names, dense).await?;
    Ok(out)
}

/// Loads the relations in `needs` for users already in `out`; `dense` when they are
/// consecutive users in id order (a page of the export), not ids from all over the tenant.
pub async fn attach<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    out: &mut HashMap<Uuid, Stored>,
    needs: Needs,
    property_names: &[String],
    dense: bool,
) -> crate::Result<()> {
    // Sorted, so that each chunk also gives an id range: the `(tenant_id, user_id)` indexes
    // serve the range, where PostgreSQL plans a long `IN` list alone as a scan of the whole
    // tenant. A page of the export (consecutive ids) then reads only its own rows.
    // For scattered ids (an import's batch) SQLite answers the `IN` list best, one seek per
    // id, and would walk the whole range instead when both are given: there the range is
    // for PostgreSQL only. A dense page reads its range on both.
    let ranged = dense || db.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
    let mut ids: Vec<Uuid> = out.keys().copied().collect();
    ids.sort_unstable();
    for chunk in ids.chunks(IN_CHUNK) {
        let (Some(lo), Some(hi)) = (chunk.first().copied(), chunk.last().copied()) else {
            continue;
        };
        let range = |col: sea_orm::sea_query::SimpleExpr| ranged.then_some(col);
        let chunk = chunk.iter().copied();
        if needs.groups {
            let rows: Vec<(Uuid, Uuid)> = tenant
                .find::<user_group_members::Entity>()
                .select_only()
                .column(user_group_members::Column::UserId)
                .column(user_group_members::Column::UserGroupId)
                .filter(user_group_members::Column::UserId.is_in(chunk.clone()))
                .apply_if(
                    range(user_group_members::Column::UserId.between(lo, hi)),
                    QueryFilter::filter,
                )
                .into_tuple()
                .all(db)
                .await?;
            for (user, group) in rows {
                if let Some(s) = out.get_mut(&user) {
                    s.groups.push(group);
                }
            }
        }
        if needs.profiles {
            let rows: Vec<(Uuid, Uuid)> = tenant
                .find::<user_enrollment_profiles::Entity>()
                .select_only()
                .column(user_enrollment_profiles::Column::UserId)
                .column(user_enrollment_profiles::Column::EnrollmentProfileId)
                .filter(user_enrollment_profiles::Column::UserId.is_in(chunk.clone()))
                .apply_if(
                    range(user_enrollment_profiles::Column::UserId.between(lo, hi)),
                    QueryFilter::filter,
                )
                .into_tuple()
                .all(db)
                .await?;
            for (user, profile) in rows {
                if let Some(s) = out.get_mut(&user) {
                    s.profiles.push(profile);
                }
            }
        }
        if needs.catalogs {
            let rows: Vec<(Uuid, Uuid)> = tenant
                .find::<user_catalogs::Entity>()
                .select_only()
                .column(user_catalogs::Column::UserId)
                .column(user_catalogs::Column::CatalogId)
                .filter(user_catalogs::Column::UserId.is_in(chunk.clone()))
                .apply_if(
                    range(user_catalogs::Column::UserId.between(lo, hi)),
                    QueryFilter::filter,
                )
                .into_tuple()
                .all(db)
                .await?;
            for (user, catalog) in rows {
                if let Some(s) = out.get_mut(&user) {
                    s.catalogs.push(catalog);
                }
            }
        }
        if needs.budget {
            let rows: Vec<(Uuid, i64)> = tenant
                .find::<personal_budgets::Entity>()
                .select_only()
                .column(personal_budgets::Column::UserId)
                .column(personal_budgets::Column::AmountCents)
                .filter(personal_budgets::Column::UserId.is_in(chunk.clone()))
                .apply_if(
                    range(personal_budgets::Column::UserId.between(lo, hi)),
                    QueryFilter::filter,
                )
                .into_tuple()
                .all(db)
                .await?;
            for (user, cents) in rows {
                if let Some(s) = out.get_mut(&user) {
                    s.budget = Some(cents);
                }
            }
        }
        if needs.properties && !property_names.is_empty() {
            let rows: Vec<(Uuid, String, String)> = tenant
                .find::<extended_properties::Entity>()
                .select_only()
                .column(extended_properties::Column::UserId)
                .column(extended_properties::Column::Name)
                .column(extended_properties::Column::Value)
                .filter(extended_properties::Column::UserId.is_in(chunk.clone()))
                .apply_if(
                    range(extended_properties::Column::UserId.between(lo, hi)),
                    QueryFilter::filter,
                )
                .filter(extended_properties::Column::Name.is_in(property_names.iter().cloned()))
                .into_tuple()
                .all(db)
                .await?;
            for (user, name, value) in rows {
                if let Some(s) = out.get_mut(&user) {
                    s.properties.insert(name, value);
                }
            }
        }
        if needs.employments {
            let rows = tenant
                .find::<employments::Entity>()
                .filter(employments::Column::UserId.is_in(chunk.clone()))
                .apply_if(
                    range(employments::Column::UserId.between(lo, hi)),
                    QueryFilter::filter,
                )
                .filter(employments::Column::Active.eq(true))
                .all(db)
                .await?;
            for e in rows {
                if let Some(s) = out.get_mut(&e.user_id) {
                    s.employments.push(e);
                }
            }
        }
    }
    if needs.superior_ext {
        let superior_ids: Vec<Uuid> = out
            .values()
            .filter_map(|s| s.user.superior_id)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut ext_of: HashMap<Uuid, Option<String>> = HashMap::new();
        for chunk in superior_ids.chunks(IN_CHUNK) {
            let rows: Vec<(Uuid, Option<String>)> = tenant
                .find::<users::Entity>()
                .select_only()
                .column(users::Column::Id)
                .column(users::Column::ExternalId)
                .filter(users::Column::Id.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(db)
                .await?;
            ext_of.extend(rows);
        }
        for s in out.values_mut() {
            s.superior_ext = s
                .user
                .superior_id
                .and_then(|id| ext_of.get(&id).cloned().flatten());
        }
    }
    Ok(())
}
