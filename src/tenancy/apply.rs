//! T2: applying a validated descriptor to the database, idempotently.
//!
//! Each object the descriptor names (catalog, organisation, department, unit, role, group,
//! profile, import configuration) is matched to its row by code and created, updated (only the
//! fields that differ) or left unchanged; the report says which, per object. Objects in the
//! database that the descriptor no longer names are kept (users may refer to them) and
//! reported, so an operator sees the drift. Everything runs in one transaction.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use chrono::Utc;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, IdenStatic, IntoActiveModel, Iterable, QueryFilter,
    TryIntoModel,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::descriptor::{
    Branding, Features, Login, MailSettings, PasswordPolicy, Registration, TenantDescriptor,
};
use crate::store::entity::{
    catalogs, departments, enrollment_profiles, executions, import_configurations,
    learning_activities, organisation_units, organisations, role_rights, roles, tenants,
    user_groups,
};
use crate::store::{TenantId, TenantOwned};

/// What applying did to one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The object did not exist.
    Created,
    /// These fields changed.
    Updated(Vec<String>),
    /// Already as described.
    Unchanged,
    /// In the database but no longer in the descriptor; left in place.
    Kept,
}

/// One line of an apply report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportLine {
    /// Object kind (`tenant`, `catalog`, `role` …).
    pub kind: &'static str,
    /// Its code (the slug for the tenant).
    pub code: String,
    /// What happened.
    pub outcome: Outcome,
}

impl fmt::Display for ReportLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: ", self.kind, self.code)?;
        match &self.outcome {
            Outcome::Created => f.write_str("created"),
            Outcome::Updated(fields) => write!(f, "updated ({})", fields.join(", ")),
            Outcome::Unchanged => f.write_str("unchanged"),
            Outcome::Kept => f.write_str("not in descriptor (kept)"),
        }
    }
}

/// The result of applying one descriptor.
#[derive(Debug, Clone)]
pub struct ApplyReport {
    /// The tenant.
    pub tenant: TenantId,
    /// One line per object.
    pub lines: Vec<ReportLine>,
}

impl ApplyReport {
    /// Whether applying changed nothing.
    pub fn is_unchanged(&self) -> bool {
        self.lines
            .iter()
            .all(|l| matches!(l.outcome, Outcome::Unchanged | Outcome::Kept))
    }
}

/// Tenant behaviour stored with the tenant row (everything not kept in its own table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantSettings {
    /// I6.
    pub user_quota: Option<u32>,
    /// Feature switches.
    pub features: Features,
    /// R1.
    pub login: Login,
    /// R1: colours of the sign-in and portal pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branding: Option<Branding>,
    /// R2–R6.
    pub registration: Registration,
    /// R7.
    pub password_policy: PasswordPolicy,
    /// J2.
    pub mail: MailSettings,
}

impl TenantSettings {
    fn of(d: &TenantDescriptor) -> Self {
        Self {
            user_quota: d.user_quota,
            features: d.features.clone(),
            login: d.login.clone(),
            branding: d.branding,
            registration: d.registration.clone(),
            password_policy: d.password_policy.clone(),
            mail: d.mail.clone(),
        }
    }
}

/// Applies `d` (already validated) in one transaction.
pub async fn apply(db: &DatabaseConnection, d: &TenantDescriptor) -> crate::Result<ApplyReport> {
    let txn = crate::store::begin_write(db).await?;
    let mut lines = Vec::new();
    let (tenant, roles_changed) = {
        let (tenant, line) = sync_tenant(&txn, d).await?;
        lines.push(line);
        let mut sync = Sync {
            txn: &txn,
            tenant,
            lines: &mut lines,
        };

        let catalog_rows = d
            .catalogs
            .iter()
            .map(|c| (c.code.clone(), obj([("name", json!(c.name))])))
            .collect();
        let catalog_ids = sync
            .objects::<catalogs::Entity>("catalog", catalog_rows)
            .await?;

        let org_rows = d
            .organisations
            .iter()
            .map(|o| (o.code.clone(), obj([("name", json!(o.name))])))
            .collect();
        let orgs = sync
            .objects::<organisations::Entity>("organisation", org_rows)
            .await?;

        // Trees: rows first (without parents), then parents, so any order in the file works.
        let departments: Vec<_> = d
            .organisations
            .iter()
            .flat_map(|o| o.departments.iter().map(move |dep| (o, dep)))
            .collect();
        sync.tree::<departments::Entity>(
            "department",
            departments
                .iter()
                .map(|(o, dep)| {
                    let org_id = orgs.get(&o.code).copied().unwrap_or_default();
                    (
                        dep.code.clone(),
                        obj([
                            ("name", json!(dep.name)),
                            ("organisation_id", json!(org_id)),
                        ]),
                        dep.parent.clone(),
                    )
                })
                .collect(),
        )
        .await?;
        sync.tree::<organisation_units::Entity>(
            "organisation unit",
            d.organisation_units
                .iter()
                .map(|u| {
                    (
                        u.code.clone(),
                        obj([
                            ("name", json!(u.name)),
                            ("is_sub_tenant", json!(u.sub_tenant)),
                        ]),
                        u.parent.clone(),
                    )
                })
                .collect(),
        )
        .await?;

        let role_rows = d
            .roles
            .iter()
            .map(|r| {
                (
                    r.code.clone(),
                    obj([
                        ("name", json!(r.name)),
                        ("kind", json!(r.kind.as_str())),
                        ("scope", json!(r.scope.as_str())),
                        ("is_administrator", json!(r.administrator)),
                        ("is_builtin", json!(true)),
                        ("description", json!(r.description)),
                    ]),
                )
            })
            .collect();
        let mark = sync.lines.len();
        let role_ids = sync.objects::<roles::Entity>("role", role_rows).await?;
        sync.rights(d, &role_ids, mark).await?;
        let roles_changed = sync.lines[mark..]
            .iter()
            .any(|l| !matches!(l.outcome, Outcome::Unchanged | Outcome::Kept));

        let group_rows = d
            .user_groups
            .iter()
            .map(|g| (g.code.clone(), obj([("name", json!(g.name))])))
            .collect();
        sync.objects::<user_groups::Entity>("user group", group_rows)
            .await?;

        let profile_rows = d
            .enrollment_profiles
            .iter()
            .map(|p| {
                (
                    p.code.clone(),
                    obj([
                        ("name", json!(p.name)),
                        ("description", json!(p.description)),
                    ]),
                )
            })
            .collect();
        sync.objects::<enrollment_profiles::Entity>("enrollment profile", profile_rows)
            .await?;

        let import_rows = d
            .imports
            .iter()
            .map(|i| {
                (
                    i.code.clone(),
                    obj([
                        ("name", json!(i.name)),
                        ("kind", json!(i.kind.as_str())),
                        ("format", json!(i.format.as_str())),
                        ("delimiter", json!(i.delimiter)),
                        ("has_header", json!(i.header)),
                        ("mapping", json!(i.columns)),
                        ("options", json!({ "catalog": i.catalog })),
                    ]),
                )
            })
            .collect();
        sync.objects::<import_configurations::Entity>("import configuration", import_rows)
            .await?;

        // R5: learning activities, then their executions (codes unique in the tenant).
        let activity_rows = d
            .learning_activities
            .iter()
            .map(|a| {
                let catalog = a.catalog.as_ref().and_then(|c| catalog_ids.get(c));
                (
                    a.code.clone(),
                    obj([
                        ("title", json!(a.title)),
                        ("catalog_id", json!(catalog)),
                        ("description", json!(a.description)),
                    ]),
                )
            })
            .collect();
        let activity_ids = sync
            .objects::<learning_activities::Entity>("learning activity", activity_rows)
            .await?;
        let execution_rows = d
            .learning_activities
            .iter()
            .flat_map(|a| a.executions.iter().map(move |e| (a, e)))
            .map(|(a, e)| {
                let activity = activity_ids.get(&a.code).copied().unwrap_or_default();
                (
                    e.code.clone(),
                    obj([
                        ("learning_activity_id", json!(activity)),
                        ("title", json!(e.title)),
                        ("starts_at", json!(e.starts_at)),
                        ("ends_at", json!(e.ends_at)),
                        ("location", json!(e.location)),
                        ("capacity", json!(e.capacity)),
                    ]),
                )
            })
            .collect();
        sync.objects::<executions::Entity>("execution", execution_rows)
            .await?;
        (tenant, roles_changed)
    };
    if roles_changed {
        // Instances compare this version to know their cached policy is stale.
        let row = tenants::Entity::find_by_id(tenant.0)
            .one(&txn)
            .await?
            .ok_or_else(|| anyhow::anyhow!("tenant vanished during apply"))?;
        let version = row.policy_version + 1;
        let mut am = row.into_active_model();
        am.policy_version = Set(version);
        am.update(&txn).await?;
    }
    txn.commit().await?;
    Ok(ApplyReport { tenant, lines })
}

fn obj<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

async fn sync_tenant(
    txn: &DatabaseTransaction,
    d: &TenantDescriptor,
) -> crate::Result<(TenantId, ReportLine)> {
    let descriptor = serde_json::to_value(d).map_err(anyhow::Error::from)?;
    let hash = hex(&Sha256::digest(descriptor.to_string().as_bytes()));
    let settings = serde_json::to_value(TenantSettings::of(d)).map_err(anyhow::Error::from)?;
    let languages = json!(d.languages);
    let now = Utc::now();
    let existing = tenants::Entity::find()
        .filter(tenants::Column::Slug.eq(&d.slug))
        .one(txn)
        .await?;
    let Some(row) = existing else {
        let id = Uuid::now_v7();
        tenants::ActiveModel {
            id: Set(id),
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
        }
        .insert(txn)
        .await?;
        return Ok((TenantId(id), line("tenant", &d.slug, Outcome::Created)));
    };
    let mut changed = Vec::new();
    if row.name != d.name {
        changed.push("name".to_owned());
    }
    if row.default_language != d.default_language {
        changed.push("default_language".to_owned());
    }
    if row.languages != languages {
        changed.push("languages".to_owned());
    }
    if row.active != d.active {
        changed.push("active".to_owned());
    }
    if let (Value::Object(old), Value::Object(new)) = (&row.settings, &settings) {
        for (key, value) in new {
            if old.get(key) != Some(value) {
                changed.push(key.clone());
            }
        }
        // Optional settings (`branding`) are left out when absent: removing one is a change.
        changed.extend(old.keys().filter(|k| !new.contains_key(*k)).cloned());
    } else if row.settings != settings {
        changed.push("settings".to_owned());
    }
    let id = TenantId(row.id);
    let outcome = if changed.is_empty() && row.descriptor_hash == hash {
        Outcome::Unchanged
    } else {
        let mut am = row.into_active_model();
        am.name = Set(d.name.clone());
        am.default_language = Set(d.default_language.clone());
        am.languages = Set(languages);
        am.settings = Set(settings);
        am.descriptor = Set(descriptor);
        am.descriptor_hash = Set(hash);
        am.active = Set(d.active);
        am.updated_at = Set(now);
        am.update(txn).await?;
        if changed.is_empty() {
            // Only parts kept in their own tables changed; those get their own lines.
            Outcome::Unchanged
        } else {
            Outcome::Updated(changed)
        }
    };
    Ok((id, line("tenant", &d.slug, outcome)))
}

fn line(kind: &'static str, code: &str, outcome: Outcome) -> ReportLine {
    ReportLine {
        kind,
        code: code.to_owned(),
        outcome,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

struct Sync<'a> {
    txn: &'a DatabaseTransaction,
    tenant: TenantId,
    lines: &'a mut Vec<ReportLine>,
}

impl Sync<'_> {
    /// Creates or updates the rows of `E` named by `desired` (code → field values) and
    /// returns the id of every row by code.
    async fn objects<E>(
        &mut self,
        kind: &'static str,
        desired: Vec<(String, Map<String, Value>)>,
    ) -> crate::Result<HashMap<String, Uuid>>
    where
        E: TenantOwned,
        E::Model: Serialize + DeserializeOwned + IntoActiveModel<E::ActiveModel>,
        E::ActiveModel:
            ActiveModelTrait<Entity = E> + ActiveModelBehavior + TryIntoModel<E::Model> + Send,
    {
        let existing = self.tenant.find::<E>().all(self.txn).await?;
        let mut by_code: BTreeMap<String, (Map<String, Value>, E::Model)> = BTreeMap::new();
        for model in existing {
            let Value::Object(fields) =
                serde_json::to_value(&model).map_err(anyhow::Error::from)?
            else {
                continue;
            };
            let code = fields
                .get("code")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            by_code.insert(code, (fields, model));
        }
        let now = json!(Utc::now());
        let mut ids = HashMap::new();
        let mut named = BTreeSet::new();
        for (code, fields) in desired {
            named.insert(code.clone());
            match by_code.remove(&code) {
                Some((old, model)) => {
                    ids.insert(code.clone(), uuid_of(&old));
                    let changed: Vec<String> = fields
                        .iter()
                        .filter(|(k, v)| !same(old.get(*k), v))
                        .map(|(k, _)| k.clone())
                        .collect();
                    if changed.is_empty() {
                        self.lines.push(line(kind, &code, Outcome::Unchanged));
                        continue;
                    }
                    let mut patch = fields;
                    patch.insert("updated_at".into(), now.clone());
                    patched::<E>(model, patch)?.update(self.txn).await?;
                    self.lines
                        .push(line(kind, &code, Outcome::Updated(changed)));
                }
                None => {
                    let id = Uuid::now_v7();
                    let mut row = fields;
                    row.insert("id".into(), json!(id));
                    row.insert("tenant_id".into(), json!(self.tenant.0));
                    row.insert("code".into(), json!(code));
                    row.insert("created_at".into(), now.clone());
                    row.insert("updated_at".into(), now.clone());
                    E::ActiveModel::from_json(Value::Object(row))?
                        .insert(self.txn)
                        .await?;
                    ids.insert(code.clone(), id);
                    self.lines.push(line(kind, &code, Outcome::Created));
                }
            }
        }
        for (code, (old, _)) in by_code {
            ids.insert(code.clone(), uuid_of(&old));
            if !named.contains(&code) {
                self.lines.push(line(kind, &code, Outcome::Kept));
            }
        }
        Ok(ids)
    }

    /// Like [`Self::objects`] for rows with a `parent_id` given by parent code.
    async fn tree<E>(
        &mut self,
        kind: &'static str,
        desired: Vec<(String, Map<String, Value>, Option<String>)>,
    ) -> crate::Result<HashMap<String, Uuid>>
    where
        E: TenantOwned,
        E::Model: Serialize + DeserializeOwned + IntoActiveModel<E::ActiveModel>,
        E::ActiveModel:
            ActiveModelTrait<Entity = E> + ActiveModelBehavior + TryIntoModel<E::Model> + Send,
    {
        // Known ids: existing rows plus ones about to be created, so parents resolve in one pass.
        let existing = self.tenant.find::<E>().all(self.txn).await?;
        let mut ids: HashMap<String, Uuid> = HashMap::new();
        for model in &existing {
            if let Value::Object(f) = serde_json::to_value(model).map_err(anyhow::Error::from)? {
                let code = f.get("code").and_then(Value::as_str).unwrap_or_default();
                ids.insert(code.to_owned(), uuid_of(&f));
            }
        }
        // A row whose parent is not there yet (new, or further down the file) gets it after
        // every row exists.
        let mut first_pass = Vec::new();
        let mut later = Vec::new();
        for (code, mut fields, parent) in desired {
            match parent.as_ref().map(|p| ids.get(p).copied()) {
                None => {
                    fields.insert("parent_id".into(), Value::Null);
                }
                Some(Some(parent_id)) => {
                    fields.insert("parent_id".into(), json!(parent_id));
                }
                Some(None) => later.push((code.clone(), parent.unwrap_or_default())),
            }
            if !ids.contains_key(&code) && !fields.contains_key("parent_id") {
                fields.insert("parent_id".into(), Value::Null);
            }
            first_pass.push((code, fields));
        }
        let from = self.lines.len();
        let ids = self.objects::<E>(kind, first_pass).await?;
        for (code, parent) in later {
            let (Some(id), Some(parent_id)) = (ids.get(&code).copied(), ids.get(&parent).copied())
            else {
                continue;
            };
            let model = self
                .tenant
                .find_by_id::<E>(id)
                .one(self.txn)
                .await?
                .ok_or_else(|| anyhow::anyhow!("{kind} {code} vanished during apply"))?;
            let Value::Object(old) = serde_json::to_value(&model).map_err(anyhow::Error::from)?
            else {
                continue;
            };
            if same(old.get("parent_id"), &json!(parent_id)) {
                continue;
            }
            let patch = obj([("parent_id", json!(parent_id))]);
            patched::<E>(model, patch)?.update(self.txn).await?;
            if let Some(l) = self.lines[from..]
                .iter_mut()
                .find(|l| l.kind == kind && l.code == code)
            {
                match &mut l.outcome {
                    Outcome::Updated(fields) => fields.push("parent_id".into()),
                    o @ Outcome::Unchanged => *o = Outcome::Updated(vec!["parent_id".into()]),
                    _ => {}
                }
            }
        }
        Ok(ids)
    }

    /// Brings each described role's rights in line with the descriptor.
    async fn rights(
        &mut self,
        d: &TenantDescriptor,
        role_ids: &HashMap<String, Uuid>,
        role_lines_from: usize,
    ) -> crate::Result<()> {
        let existing = self
            .tenant
            .find::<role_rights::Entity>()
            .all(self.txn)
            .await?;
        let mut held: HashMap<Uuid, BTreeSet<String>> = HashMap::new();
        for row in &existing {
            held.entry(row.role_id)
                .or_default()
                .insert(row.right.clone());
        }
        let now = Utc::now();
        for role in &d.roles {
            let Some(role_id) = role_ids.get(&role.code).copied() else {
                continue;
            };
            let want: BTreeSet<String> = role.rights.iter().cloned().collect();
            let have = held.remove(&role_id).unwrap_or_default();
            if want == have {
                continue;
            }
            for right in want.difference(&have) {
                role_rights::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    tenant_id: Set(self.tenant.0),
                    role_id: Set(role_id),
                    right: Set(right.clone()),
                    created_at: Set(now),
                }
                .insert(self.txn)
                .await?;
            }
            let removed: Vec<String> = have.difference(&want).cloned().collect();
            if !removed.is_empty() {
                self.tenant
                    .delete_many::<role_rights::Entity>()
                    .filter(role_rights::Column::RoleId.eq(role_id))
                    .filter(role_rights::Column::Right.is_in(removed))
                    .exec(self.txn)
                    .await?;
            }
            // Fold "rights" into the role's own report line.
            if let Some(l) = self.lines[role_lines_from..]
                .iter_mut()
                .find(|l| l.kind == "role" && l.code == role.code)
            {
                match &mut l.outcome {
                    Outcome::Updated(fields) => fields.push("rights".into()),
                    o @ Outcome::Unchanged => *o = Outcome::Updated(vec!["rights".into()]),
                    _ => {}
                }
            }
        }
        Ok(())
    }
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

fn uuid_of(fields: &Map<String, Value>) -> Uuid {
    fields
        .get("id")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .unwrap_or_default()
}

/// JSON values as stored may differ in representation from the desired ones (e.g. a JSON
/// column holding `null` versus a missing value); compare them as values.
fn same(old: Option<&Value>, new: &Value) -> bool {
    match old {
        Some(old) => old == new,
        None => new.is_null(),
    }
}
