//! T2: applying a validated descriptor to the database, idempotently.
//!
//! Applying is computing the [`Plan`] (X9, [`super::plan`]) and executing it, in one
//! transaction: each object the descriptor names (catalog, organisation, department, unit,
//! role, group, profile, import configuration, learning activity, execution) is matched to its
//! row by code and created, updated (only the fields that differ) or left unchanged. Objects
//! made at run time are never written; objects the descriptor no longer names are kept (users
//! may refer to them) and handed over to the runtime. The report is the plan's lines.

use chrono::Utc;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, IdenStatic, IntoActiveModel, Iterable, QueryFilter,
    TryIntoModel,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::context::TenantSettings;
use super::descriptor::TenantDescriptor;
use super::plan::{Table, Write, descriptor_hash, line, obj};
use crate::store::entity::{
    catalogs, departments, enrollment_profiles, executions, import_configurations,
    learning_activities, organisation_units, organisations, role_rights, roles, tenants,
    user_groups,
};
use crate::store::{TenantId, TenantOwned};

pub use super::plan::{FieldChange, Outcome, Plan, ReportLine};

/// The result of applying one descriptor: the lines of the plan it executed.
#[derive(Debug, Clone)]
pub struct ApplyReport {
    /// The tenant.
    pub tenant: TenantId,
    /// The tenant's slug.
    pub slug: String,
    /// The descriptor file that manages what was applied.
    pub file: String,
    /// One line per object.
    pub lines: Vec<ReportLine>,
}

/// Rendered like the [`Plan`] it executed.
impl std::fmt::Display for ApplyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        super::plan::render(f, &self.slug, &self.file, &self.lines)
    }
}

impl ApplyReport {
    /// Whether applying changed nothing.
    pub fn is_unchanged(&self) -> bool {
        !self.lines.iter().any(ReportLine::is_change)
    }
}

/// Applies `d` (already validated), declared in `tenants/<slug>.yaml`, in one transaction.
pub async fn apply(db: &DatabaseConnection, d: &TenantDescriptor) -> crate::Result<ApplyReport> {
    apply_file(db, d, &format!("tenants/{}.yaml", d.slug)).await
}

/// Applies `d` (already validated), declared in `file`, in one transaction: plans, then
/// executes exactly that plan. Objects it creates or updates are managed by `file` (X9).
pub async fn apply_file(
    db: &DatabaseConnection,
    d: &TenantDescriptor,
    file: &str,
) -> crate::Result<ApplyReport> {
    let txn = crate::store::begin_write(db).await?;
    let plan = super::plan::plan(&txn, d, file).await?;
    if !plan.is_unchanged() {
        tracing::info!(tenant.slug = %d.slug, "applying the plan of {file}:\n{plan}");
    }
    let report = execute(&txn, plan).await?;
    txn.commit().await?;
    Ok(report)
}

/// How the tenant row is written.
#[derive(Debug, Clone)]
pub(crate) enum TenantWrite {
    Insert(tenants::ActiveModel),
    Update(tenants::ActiveModel),
}

/// Writes what `plan` says, in its order; the caller owns the transaction.
pub async fn execute(txn: &DatabaseTransaction, plan: Plan) -> crate::Result<ApplyReport> {
    match plan.tenant_row {
        Some(TenantWrite::Insert(am)) => {
            am.insert(txn).await?;
        }
        Some(TenantWrite::Update(am)) => {
            am.update(txn).await?;
        }
        None => {}
    }
    // Rows first without parents, then parents, so any order in the file works; then updates.
    let mut parents = Vec::new();
    for step in &plan.steps {
        if let Write::Insert { row, parent } = &step.write {
            insert(txn, step.table, row.clone()).await?;
            if let Some(parent) = parent {
                let id = row.get("id").cloned().unwrap_or_default();
                parents.push((step.table, id, *parent));
            }
        }
    }
    for (table, id, parent) in parents {
        let id: Uuid = serde_json::from_value(id).map_err(anyhow::Error::from)?;
        update(
            txn,
            table,
            plan.tenant,
            id,
            obj([("parent_id", json!(parent))]),
        )
        .await?;
    }
    for step in &plan.steps {
        if let Write::Update { id, patch } = &step.write {
            update(txn, step.table, plan.tenant, *id, patch.clone()).await?;
        }
    }
    let now = Utc::now();
    for r in &plan.rights {
        for right in &r.add {
            role_rights::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(plan.tenant.0),
                role_id: Set(r.role),
                right: Set(right.clone()),
                created_at: Set(now),
            }
            .insert(txn)
            .await?;
        }
        if !r.remove.is_empty() {
            plan.tenant
                .delete_many::<role_rights::Entity>()
                .filter(role_rights::Column::RoleId.eq(r.role))
                .filter(role_rights::Column::Right.is_in(r.remove.clone()))
                .exec(txn)
                .await?;
        }
    }
    if plan.bump_policy {
        // Instances compare this version to know their cached policy is stale.
        let row = tenants::Entity::find_by_id(plan.tenant.0)
            .one(txn)
            .await?
            .ok_or_else(|| anyhow::anyhow!("tenant vanished during apply"))?;
        let version = row.policy_version + 1;
        let mut am = row.into_active_model();
        am.policy_version = Set(version);
        am.update(txn).await?;
    }
    Ok(ApplyReport {
        tenant: plan.tenant,
        slug: plan.slug,
        file: plan.file,
        lines: plan.lines,
    })
}

async fn insert(
    txn: &DatabaseTransaction,
    table: Table,
    row: Map<String, Value>,
) -> crate::Result<()> {
    match table {
        Table::Catalogs => insert_row::<catalogs::Entity>(txn, row).await,
        Table::Organisations => insert_row::<organisations::Entity>(txn, row).await,
        Table::Departments => insert_row::<departments::Entity>(txn, row).await,
        Table::Units => insert_row::<organisation_units::Entity>(txn, row).await,
        Table::Roles => insert_row::<roles::Entity>(txn, row).await,
        Table::Groups => insert_row::<user_groups::Entity>(txn, row).await,
        Table::Profiles => insert_row::<enrollment_profiles::Entity>(txn, row).await,
        Table::Imports => insert_row::<import_configurations::Entity>(txn, row).await,
        Table::Activities => insert_row::<learning_activities::Entity>(txn, row).await,
        Table::Executions => insert_row::<executions::Entity>(txn, row).await,
    }
}

async fn update(
    txn: &DatabaseTransaction,
    table: Table,
    tenant: TenantId,
    id: Uuid,
    patch: Map<String, Value>,
) -> crate::Result<()> {
    match table {
        Table::Catalogs => update_row::<catalogs::Entity>(txn, tenant, id, patch).await,
        Table::Organisations => update_row::<organisations::Entity>(txn, tenant, id, patch).await,
        Table::Departments => update_row::<departments::Entity>(txn, tenant, id, patch).await,
        Table::Units => update_row::<organisation_units::Entity>(txn, tenant, id, patch).await,
        Table::Roles => update_row::<roles::Entity>(txn, tenant, id, patch).await,
        Table::Groups => update_row::<user_groups::Entity>(txn, tenant, id, patch).await,
        Table::Profiles => update_row::<enrollment_profiles::Entity>(txn, tenant, id, patch).await,
        Table::Imports => update_row::<import_configurations::Entity>(txn, tenant, id, patch).await,
        Table::Activities => {
            update_row::<learning_activities::Entity>(txn, tenant, id, patch).await
        }
        Table::Executions => update_row::<executions::Entity>(txn, tenant, id, patch).await,
    }
}

async fn insert_row<E>(txn: &DatabaseTransaction, row: Map<String, Value>) -> crate::Result<()>
where
    E: TenantOwned,
    E::Model: Serialize + DeserializeOwned + IntoActiveModel<E::ActiveModel>,
    E::ActiveModel:
        ActiveModelTrait<Entity = E> + ActiveModelBehavior + TryIntoModel<E::Model> + Send,
{
    E::ActiveModel::from_json(Value::Object(row))?
        .insert(txn)
        .await?;
    Ok(())
}

async fn update_row<E>(
    txn: &DatabaseTransaction,
    tenant: TenantId,
    id: Uuid,
    patch: Map<String, Value>,
) -> crate::Result<()>
where
    E: TenantOwned,
    E::Model: Serialize + DeserializeOwned + IntoActiveModel<E::ActiveModel>,
    E::ActiveModel:
        ActiveModelTrait<Entity = E> + ActiveModelBehavior + TryIntoModel<E::Model> + Send,
{
    let model = tenant
        .find_by_id::<E>(id)
        .one(txn)
        .await?
        .ok_or_else(|| anyhow::anyhow!("a row vanished during apply"))?;
    patched::<E>(model, patch)?.update(txn).await?;
    Ok(())
}

/// Plans the tenant row itself: its name, languages, activity and settings (field by field),
/// and the stored descriptor the next plan adopts rows by.
pub(crate) fn tenant_step(
    existing: Option<tenants::Model>,
    d: &TenantDescriptor,
    tenant: TenantId,
) -> crate::Result<(Option<TenantWrite>, ReportLine)> {
    let descriptor = serde_json::to_value(d).map_err(anyhow::Error::from)?;
    let hash = descriptor_hash(&descriptor);
    let settings = serde_json::to_value(TenantSettings::of(d)).map_err(anyhow::Error::from)?;
    let languages = json!(d.languages);
    let now = Utc::now();
    let Some(row) = existing else {
        let am = tenants::ActiveModel {
            id: Set(tenant.0),
            slug: Set(d.slug.clone()),
            name: Set(d.name.clone()),
            default_language: Set(d.default_language.clone()),
            languages: Set(languages),
            settings: Set(settings),
            descriptor: Set(descriptor),
            descriptor_hash: Set(hash),
            policy_version: Set(1),
            active: Set(d.active),
            created_at: Set(now),
            updated_at: Set(now),
        };
        return Ok((
            Some(TenantWrite::Insert(am)),
            line("tenant", &d.slug, Outcome::Created),
        ));
    };
    let mut changes = Vec::new();
    let mut change = |field: &str, before: Value, after: Value| {
        if before != after {
            changes.push(FieldChange {
                field: field.to_owned(),
                before,
                after,
            });
        }
    };
    change("name", json!(row.name), json!(d.name));
    change(
        "default_language",
        json!(row.default_language),
        json!(d.default_language),
    );
    change("languages", row.languages.clone(), languages.clone());
    change("active", json!(row.active), json!(d.active));
    if let (Value::Object(old), Value::Object(new)) = (&row.settings, &settings) {
        for (key, value) in new {
            change(
                key,
                old.get(key).cloned().unwrap_or(Value::Null),
                value.clone(),
            );
        }
        // Optional settings (`branding`) are left out when absent: removing one is a change.
        for (key, value) in old.iter().filter(|(k, _)| !new.contains_key(*k)) {
            change(key, value.clone(), Value::Null);
        }
    } else {
        change("settings", row.settings.clone(), settings.clone());
    }
    if changes.is_empty() && row.descriptor_hash == hash {
        return Ok((None, line("tenant", &d.slug, Outcome::Unchanged)));
    }
    let mut am = row.into_active_model();
    am.name = Set(d.name.clone());
    am.default_language = Set(d.default_language.clone());
    am.languages = Set(languages);
    am.settings = Set(settings);
    am.descriptor = Set(descriptor);
    am.descriptor_hash = Set(hash);
    am.active = Set(d.active);
    am.updated_at = Set(now);
    let line = if changes.is_empty() {
        // Only parts kept in their own tables changed; those get their own lines.
        line("tenant", &d.slug, Outcome::Unchanged)
    } else {
        ReportLine {
            kind: "tenant",
            code: d.slug.clone(),
            outcome: Outcome::Updated(changes.iter().map(|c| c.field.clone()).collect()),
            changes,
        }
    };
    Ok((Some(TenantWrite::Update(am)), line))
}

/// An active model of `model` with only the columns in `patch` set to their new values, so an
/// update writes just what changed. (sea-orm's `set_from_json` fills absent columns with dummy
/// values that do not round-trip for timestamps.)
fn patched<E>(model: E::Model, patch: Map<String, Value>) -> crate::Result<E::ActiveModel>
where
    E: EntityTrait,
    E::Model: Serialize + DeserializeOwned + IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E>,
{
    let Value::Object(mut full) = serde_json::to_value(&model).map_err(anyhow::Error::from)? else {
        return Err(anyhow::anyhow!("a row did not serialize to an object").into());
    };
    for (k, v) in &patch {
        full.insert(k.clone(), v.clone());
    }
    let updated: E::Model =
        serde_json::from_value(Value::Object(full)).map_err(anyhow::Error::from)?;
    let updated = updated.into_active_model();
    let mut am = model.into_active_model();
    for col in E::Column::iter() {
        if patch.contains_key(col.as_str())
            && let Some(value) = updated.get(col).into_value()
        {
            am.set(col, value);
        }
    }
    Ok(am)
}
