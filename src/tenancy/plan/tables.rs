//! X9: the tables of descriptor-declared objects as the planner reads them: JSON rows, and the
//! codes each kind had in the descriptor the tenant last applied.

use std::collections::BTreeSet;

use sea_orm::sea_query::{Alias, Expr, ExprTrait};
use sea_orm::{ConnectionTrait, PaginatorTrait, QueryFilter};
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::Table;
use crate::store::entity::{
    catalogs, departments, enrollment_profiles, executions, import_configurations,
    learning_activities, organisation_units, organisations, roles, user_groups,
};
use crate::store::{TenantId, TenantOwned};

impl Table {
    pub(super) fn kind(self) -> &'static str {
        match self {
            Table::Catalogs => "catalog",
            Table::Organisations => "organisation",
            Table::Departments => "department",
            Table::Units => "organisation unit",
            Table::Roles => "role",
            Table::Groups => "user group",
            Table::Profiles => "enrollment profile",
            Table::Imports => "import configuration",
            Table::Activities => "learning activity",
            Table::Executions => "execution",
        }
    }

    /// The codes of this kind in a descriptor as stored with the tenant (JSON).
    pub(super) fn codes_in(self, descriptor: &Value) -> BTreeSet<String> {
        let list = |v: &Value, key: &str| -> Vec<Value> {
            v.get(key)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        let nested = |outer: &str, inner: &str| -> Vec<Value> {
            list(descriptor, outer)
                .iter()
                .flat_map(|o| list(o, inner))
                .collect()
        };
        let items = match self {
            Table::Catalogs => list(descriptor, "catalogs"),
            Table::Organisations => list(descriptor, "organisations"),
            Table::Departments => nested("organisations", "departments"),
            Table::Units => list(descriptor, "organisation_units"),
            Table::Roles => list(descriptor, "roles"),
            Table::Groups => list(descriptor, "user_groups"),
            Table::Profiles => list(descriptor, "enrollment_profiles"),
            Table::Imports => list(descriptor, "imports"),
            Table::Activities => list(descriptor, "learning_activities"),
            Table::Executions => nested("learning_activities", "executions"),
        };
        items
            .iter()
            .filter_map(|i| i.get("code").and_then(Value::as_str).map(str::to_owned))
            .collect()
    }

    /// Every table, in the order apply writes them.
    const ALL: [Table; 10] = [
        Table::Catalogs,
        Table::Organisations,
        Table::Departments,
        Table::Units,
        Table::Roles,
        Table::Groups,
        Table::Profiles,
        Table::Imports,
        Table::Activities,
        Table::Executions,
    ];

    /// Whether any row of `tenant` in any of these tables has an owner (`managed_by`).
    pub(super) async fn any_owned<C: ConnectionTrait>(
        db: &C,
        tenant: TenantId,
    ) -> crate::Result<bool> {
        for table in Table::ALL {
            let owned = match table {
                Table::Catalogs => owned_of::<catalogs::Entity, _>(db, tenant).await?,
                Table::Organisations => owned_of::<organisations::Entity, _>(db, tenant).await?,
                Table::Departments => owned_of::<departments::Entity, _>(db, tenant).await?,
                Table::Units => owned_of::<organisation_units::Entity, _>(db, tenant).await?,
                Table::Roles => owned_of::<roles::Entity, _>(db, tenant).await?,
                Table::Groups => owned_of::<user_groups::Entity, _>(db, tenant).await?,
                Table::Profiles => owned_of::<enrollment_profiles::Entity, _>(db, tenant).await?,
                Table::Imports => owned_of::<import_configurations::Entity, _>(db, tenant).await?,
                Table::Activities => owned_of::<learning_activities::Entity, _>(db, tenant).await?,
                Table::Executions => owned_of::<executions::Entity, _>(db, tenant).await?,
            };
            if owned {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Every row of this table in the tenant, as JSON objects.
    pub(super) async fn rows<C: ConnectionTrait>(
        self,
        db: &C,
        tenant: TenantId,
    ) -> crate::Result<Vec<Map<String, Value>>> {
        match self {
            Table::Catalogs => rows_of::<catalogs::Entity, _>(db, tenant).await,
            Table::Organisations => rows_of::<organisations::Entity, _>(db, tenant).await,
            Table::Departments => rows_of::<departments::Entity, _>(db, tenant).await,
            Table::Units => rows_of::<organisation_units::Entity, _>(db, tenant).await,
            Table::Roles => rows_of::<roles::Entity, _>(db, tenant).await,
            Table::Groups => rows_of::<user_groups::Entity, _>(db, tenant).await,
            Table::Profiles => rows_of::<enrollment_profiles::Entity, _>(db, tenant).await,
            Table::Imports => rows_of::<import_configurations::Entity, _>(db, tenant).await,
            Table::Activities => rows_of::<learning_activities::Entity, _>(db, tenant).await,
            Table::Executions => rows_of::<executions::Entity, _>(db, tenant).await,
        }
    }
}

async fn owned_of<E, C>(db: &C, tenant: TenantId) -> crate::Result<bool>
where
    E: TenantOwned,
    E::Model: Sync,
    C: ConnectionTrait,
{
    let owned = tenant
        .find::<E>()
        .filter(Expr::col(Alias::new("managed_by")).is_not_null());
    let n = PaginatorTrait::count(owned, db).await?;
    Ok(n > 0)
}

async fn rows_of<E, C>(db: &C, tenant: TenantId) -> crate::Result<Vec<Map<String, Value>>>
where
    E: TenantOwned,
    E::Model: Serialize,
    C: ConnectionTrait,
{
    let mut out = Vec::new();
    for model in tenant.find::<E>().all(db).await? {
        if let Value::Object(fields) = serde_json::to_value(&model).map_err(anyhow::Error::from)? {
            out.push(fields);
        }
    }
    Ok(out)
}

pub(super) fn uuid_of(fields: &Map<String, Value>) -> Uuid {
    fields
        .get("id")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .unwrap_or_default()
}

pub(super) fn code_of(fields: &Map<String, Value>) -> String {
    fields
        .get("code")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// JSON values as stored may differ in representation from the desired ones (e.g. a JSON
/// column holding `null` versus a missing value); compare them as values.
pub(super) fn same(old: Option<&Value>, new: &Value) -> bool {
    match old {
        Some(old) => old == new,
        None => new.is_null(),
    }
}
