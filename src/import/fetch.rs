//! Loads stored users with the relations a file's columns compare against, for one batch of
//! rows at a time: one query per table per few hundred users, never one per row. The export
//! loads its pages the same way.

use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QuerySelect, QueryTrait};
use uuid::Uuid;

use super::fields::ImportField as F;
use super::layout::Layout;
use super::values::Stored;
use crate::store::entity::{
    employments, extended_properties, personal_budgets, user_catalogs, user_enrollment_profiles,
    user_group_members, users,
};
use crate::store::{TenantId, TenantOwned};

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

/// Adds to each of `out`'s users (those among `ids`, within `range` when given) the ids it is
/// linked to in link table `E`, into the list `field` picks. SQLite is told to use the
/// table's `(tenant_id, user_id, …)` index, `index`: with statistics sampled by
/// `analysis_limit` it estimated a tenant's links at ~1,000 rows and, for each 500 users,
/// scanned all of a 1,000,000-user tenant's links through the `(tenant_id, other)` index
/// instead (0.11 s against 0.001 s; the export of 1,000,000 users took minutes).
#[allow(clippy::too_many_arguments)]
async fn links<C: ConnectionTrait, E: TenantOwned + Default>(
    db: &C,
    tenant: TenantId,
    (user, other): (E::Column, E::Column),
    index: &str,
    ids: impl Iterator<Item = Uuid>,
    range: Option<(Uuid, Uuid)>,
    out: &mut HashMap<Uuid, Stored>,
    field: fn(&mut Stored) -> &mut Vec<Uuid>,
) -> crate::Result<()> {
    let backend = db.get_database_backend();
    let mut q = tenant
        .find::<E>()
        .select_only()
        .column(user)
        .column(other)
        .filter(user.is_in(ids))
        .apply_if(
            range.map(|(lo, hi)| user.between(lo, hi)),
            QueryFilter::filter,
        )
        .build(backend);
    if backend == sea_orm::DatabaseBackend::Sqlite {
        let from = format!(r#"FROM "{}""#, E::default().table_name());
        debug_assert!(q.sql.contains(&from), "{}", q.sql);
        q.sql = q
            .sql
            .replacen(&from, &format!(r#"{from} INDEXED BY "{index}""#), 1);
    }
    for row in db.query_all_raw(q).await? {
        let (id, linked): (Uuid, Uuid) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
        if let Some(s) = out.get_mut(&id) {
            field(s).push(linked);
        }
    }
    Ok(())
}

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
            .find_listed::<users::Entity>(db.get_database_backend())
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
            links::<_, user_group_members::Entity>(
                db,
                tenant,
                (
                    user_group_members::Column::UserId,
                    user_group_members::Column::UserGroupId,
                ),
                "ix_user_group_members_tenant_id_user_id",
                chunk.clone(),
                ranged.then_some((lo, hi)),
                out,
                |s| &mut s.groups,
            )
            .await?;
        }
        if needs.profiles {
            links::<_, user_enrollment_profiles::Entity>(
                db,
                tenant,
                (
                    user_enrollment_profiles::Column::UserId,
                    user_enrollment_profiles::Column::EnrollmentProfileId,
                ),
                "ux_user_enrollment_profiles_tenant_user_profile",
                chunk.clone(),
                ranged.then_some((lo, hi)),
                out,
                |s| &mut s.profiles,
            )
            .await?;
        }
        if needs.catalogs {
            links::<_, user_catalogs::Entity>(
                db,
                tenant,
                (
                    user_catalogs::Column::UserId,
                    user_catalogs::Column::CatalogId,
                ),
                "ux_user_catalogs_tenant_id_user_id_catalog_id",
                chunk.clone(),
                ranged.then_some((lo, hi)),
                out,
                |s| &mut s.catalogs,
            )
            .await?;
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
                .find_listed::<users::Entity>(db.get_database_backend())
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
