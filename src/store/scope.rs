//! T4: tenant-owned rows are reached only through a [`TenantId`]. Every query built here is
//! filtered by the tenant, so code holding one tenant cannot read or change another's rows.
//! Code outside `store` and `tenancy::apply` goes through this door, never through `Entity::find`.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseBackend, DeleteMany, EntityTrait, IdenStatic, QueryFilter, Select,
    UpdateMany,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::entity;

/// The tenant a request, command or job acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TenantId(pub Uuid);

/// An entity whose rows belong to one tenant.
pub trait TenantOwned: EntityTrait {
    /// The `tenant_id` column.
    fn tenant_column() -> Self::Column;
    /// The `id` column.
    fn id_column() -> Self::Column;
}

impl TenantId {
    /// All rows of `E` that belong to this tenant.
    pub fn find<E: TenantOwned>(self) -> Select<E> {
        E::find().filter(E::tenant_column().eq(self.0))
    }

    /// All rows of `E` that belong to this tenant, for a query that picks them by a list of
    /// ids. On SQLite the tenant condition is written `+tenant_id = ?`, which no index can
    /// serve, so each id is sought by primary key: with statistics sampled by
    /// `analysis_limit`, SQLite estimated a tenant of 1,000,000 users at ~1,000 rows and
    /// scanned all of them for a page of 1,000 ids (0.38 s against 0.009 s).
    pub fn find_listed<E: TenantOwned + Default>(self, backend: DatabaseBackend) -> Select<E> {
        match backend {
            DatabaseBackend::Sqlite => E::find().filter(Expr::cust_with_values(
                format!(
                    r#"+"{}"."{}" = ?"#,
                    E::default().table_name(),
                    E::tenant_column().as_str()
                ),
                [self.0],
            )),
            _ => self.find::<E>(),
        }
    }

    /// The row of `E` with `id`, if it belongs to this tenant.
    pub fn find_by_id<E: TenantOwned>(self, id: Uuid) -> Select<E> {
        self.find::<E>().filter(E::id_column().eq(id))
    }

    /// Updates rows of `E` of this tenant only.
    pub fn update_many<E: TenantOwned>(self) -> UpdateMany<E> {
        E::update_many().filter(E::tenant_column().eq(self.0))
    }

    /// Deletes rows of `E` of this tenant only.
    pub fn delete_many<E: TenantOwned>(self) -> DeleteMany<E> {
        E::delete_many().filter(E::tenant_column().eq(self.0))
    }
}

macro_rules! tenant_owned {
    ($($table:ident),* $(,)?) => {
        $(
            impl TenantOwned for entity::$table::Entity {
                fn tenant_column() -> Self::Column {
                    entity::$table::Column::TenantId
                }
                fn id_column() -> Self::Column {
                    entity::$table::Column::Id
                }
            }
        )*
    };
}

tenant_owned!(
    catalogs,
    organisations,
    departments,
    organisation_units,
    users,
    user_catalogs,
    employments,
    backoffice_accounts,
    roles,
    role_rights,
    role_assignments,
    catalog_access,
    user_groups,
    user_group_members,
    enrollment_profiles,
    learning_activities,
    enrollment_profile_activities,
    user_enrollment_profiles,
    executions,
    enrollments,
    personal_budgets,
    extended_properties,
    dynamic_groups,
    dynamic_group_members,
    import_configurations,
    imports,
    import_rows,
    jobs,
    audit_events,
    single_use_tokens,
    api_tokens,
    casbin_rules,
);
