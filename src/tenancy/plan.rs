//! X9: what applying a descriptor would change, computed before anything is written.
//!
//! [`plan`] reads the tenant's rows and compares them with the descriptor, object by object
//! (matched by code): created, changed (each field before → after), unchanged, kept (made at
//! run time, not in the descriptor), released (no longer in the descriptor) or in conflict (a
//! run-time object holds a code the descriptor declares). `tenant apply` executes exactly this
//! plan ([`super::apply`]), so `tenant plan` and `apply` can never disagree.
//!
//! Who owns what: a row whose `managed_by` names a descriptor file is the descriptor's; apply
//! keeps it as declared. A row with no `managed_by` was made at run time and apply never
//! writes it. Rows written by an apply before ownership existed are recognised by the
//! descriptor the tenant last applied (stored with the tenant) and adopted.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

mod render;
mod tables;

pub(crate) use render::render;
use tables::{code_of, same, uuid_of};

use super::descriptor::TenantDescriptor;
use crate::store::TenantId;
use crate::store::entity::{role_rights, tenants};

/// What applying does (or did) to one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The object did not exist.
    Created,
    /// These fields change.
    Updated(Vec<String>),
    /// Already as described.
    Unchanged,
    /// Made at run time and not in the descriptor; apply leaves it alone.
    Kept,
    /// Managed by the descriptor before, no longer in it: left in place (users may refer to
    /// it) and handed over to the runtime, where administrators may now edit it.
    Released,
    /// The descriptor declares it, but an object made at run time holds the code; apply
    /// leaves the run-time object alone.
    Conflict,
}

/// One field of an object, before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// Column (or `rights`, or a tenant setting).
    pub field: String,
    /// Stored value.
    pub before: Value,
    /// Declared value.
    pub after: Value,
}

/// One line of a plan or an apply report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportLine {
    /// Object kind (`tenant`, `catalog`, `role` …).
    pub kind: &'static str,
    /// Its code (the slug for the tenant).
    pub code: String,
    /// What happens.
    pub outcome: Outcome,
    /// For [`Outcome::Updated`]: each field before → after.
    pub changes: Vec<FieldChange>,
}

impl ReportLine {
    /// Whether this line writes something.
    pub fn is_change(&self) -> bool {
        !matches!(self.outcome, Outcome::Unchanged | Outcome::Kept)
    }
}

impl fmt::Display for ReportLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: ", self.kind, self.code)?;
        match &self.outcome {
            Outcome::Created => f.write_str("created"),
            Outcome::Updated(fields) => write!(f, "updated ({})", fields.join(", ")),
            Outcome::Unchanged => f.write_str("unchanged"),
            Outcome::Kept => f.write_str("not in descriptor, made at run time (kept)"),
            Outcome::Released => {
                f.write_str("no longer in descriptor (kept, editable at run time from now on)")
            }
            Outcome::Conflict => write!(
                f,
                "conflict: a {} `{}` made at run time holds this code; apply leaves it alone (rename one of them)",
                self.kind, self.code
            ),
        }
    }
}

/// The tables of descriptor-declared objects, in the order apply writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Table {
    Catalogs,
    Organisations,
    Departments,
    Units,
    Roles,
    Groups,
    Profiles,
    Imports,
    Activities,
    Executions,
}

/// How to write one row.
#[derive(Debug, Clone)]
pub(crate) enum Write {
    /// Insert this row (every column); `parent` is set once every new row exists.
    Insert {
        row: Map<String, Value>,
        parent: Option<Uuid>,
    },
    /// Set these columns.
    Update { id: Uuid, patch: Map<String, Value> },
}

/// One write of the plan.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub table: Table,
    pub write: Write,
}

/// A role's rights to bring in line.
#[derive(Debug, Clone)]
pub(crate) struct RightsStep {
    pub role: Uuid,
    pub add: Vec<String>,
    pub remove: Vec<String>,
}

/// What applying a descriptor would do, per object; [`super::apply::execute`] does it.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The tenant (its id is chosen in advance when it does not exist yet).
    pub tenant: TenantId,
    /// The descriptor's slug.
    pub slug: String,
    /// The descriptor file; objects it declares are managed by it.
    pub file: String,
    /// One line per object.
    pub lines: Vec<ReportLine>,
    pub(crate) tenant_row: Option<super::apply::TenantWrite>,
    pub(crate) steps: Vec<Step>,
    pub(crate) rights: Vec<RightsStep>,
    pub(crate) bump_policy: bool,
}

impl Plan {
    /// Whether applying would change nothing (`tenant plan` exits 0).
    pub fn is_unchanged(&self) -> bool {
        !self.lines.iter().any(ReportLine::is_change)
    }
}

/// Computes what applying `d`, declared in `file`, would change in the database.
pub async fn plan<C: ConnectionTrait>(
    db: &C,
    d: &TenantDescriptor,
    file: &str,
) -> crate::Result<Plan> {
    let existing = tenants::Entity::find()
        .filter(tenants::Column::Slug.eq(&d.slug))
        .one(db)
        .await?;
    let (tenant, previous) = match &existing {
        // Rows from before ownership are adopted only while no row of the tenant has an owner
        // yet: afterwards a row without one was made at run time, even when its code is in
        // the descriptor applied last (a conflict reported then).
        Some(row) if !Table::any_owned(db, TenantId(row.id)).await? => {
            (TenantId(row.id), row.descriptor.clone())
        }
        Some(row) => (TenantId(row.id), Value::Null),
        None => (TenantId(Uuid::now_v7()), Value::Null),
    };
    let mut p = Planner {
        tenant,
        file: file.to_owned(),
        previous,
        lines: Vec::new(),
        steps: Vec::new(),
        now: json!(Utc::now()),
    };
    let (tenant_row, line) = super::apply::tenant_step(existing, d, tenant)?;
    p.lines.push(line);

    let rows = d
        .catalogs
        .iter()
        .map(|c| (c.code.clone(), obj([("name", json!(c.name))]), None))
        .collect();
    let catalog_ids = p.objects(db, Table::Catalogs, rows).await?;

    let rows = d
        .organisations
        .iter()
        .map(|o| (o.code.clone(), obj([("name", json!(o.name))]), None))
        .collect();
    let orgs = p.objects(db, Table::Organisations, rows).await?;

    let rows = d
        .organisations
        .iter()
        .flat_map(|o| o.departments.iter().map(move |dep| (o, dep)))
        .map(|(o, dep)| {
            let org_id = orgs.get(&o.code).copied().unwrap_or_default();
            (
                dep.code.clone(),
                obj([
                    ("name", json!(dep.name)),
                    ("organisation_id", json!(org_id)),
                ]),
                Some(dep.parent.clone()),
            )
        })
        .collect();
    p.objects(db, Table::Departments, rows).await?;

    let rows = d
        .organisation_units
        .iter()
        .map(|u| {
            (
                u.code.clone(),
                obj([
                    ("name", json!(u.name)),
                    ("is_sub_tenant", json!(u.sub_tenant)),
                ]),
                Some(u.parent.clone()),
            )
        })
        .collect();
    p.objects(db, Table::Units, rows).await?;

    let rows = d
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
                None,
            )
        })
        .collect();
    let mark = p.lines.len();
    let role_ids = p.objects(db, Table::Roles, rows).await?;
    let rights = p.rights(db, d, &role_ids, mark).await?;
    let bump_policy = p.lines[mark..].iter().any(ReportLine::is_change);

    let rows = d
        .user_groups
        .iter()
        .map(|g| (g.code.clone(), obj([("name", json!(g.name))]), None))
        .collect();
    p.objects(db, Table::Groups, rows).await?;

    let rows = d
        .enrollment_profiles
        .iter()
        .map(|e| {
            (
                e.code.clone(),
                obj([
                    ("name", json!(e.name)),
                    ("description", json!(e.description)),
                ]),
                None,
            )
        })
        .collect();
    p.objects(db, Table::Profiles, rows).await?;

    let rows = d
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
                None,
            )
        })
        .collect();
    p.objects(db, Table::Imports, rows).await?;

    // R5: learning activities, then their executions (codes unique in the tenant).
    let rows = d
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
                None,
            )
        })
        .collect();
    let activity_ids = p.objects(db, Table::Activities, rows).await?;
    let rows = d
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
                None,
            )
        })
        .collect();
    p.objects(db, Table::Executions, rows).await?;

    Ok(Plan {
        tenant,
        slug: d.slug.clone(),
        file: p.file,
        lines: p.lines,
        tenant_row,
        steps: p.steps,
        rights,
        bump_policy,
    })
}

pub(crate) fn obj<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

pub(crate) fn line(kind: &'static str, code: &str, outcome: Outcome) -> ReportLine {
    ReportLine {
        kind,
        code: code.to_owned(),
        outcome,
        changes: Vec::new(),
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hash stored with the tenant: of the descriptor as applied.
pub(crate) fn descriptor_hash(descriptor: &Value) -> String {
    hex(&Sha256::digest(descriptor.to_string().as_bytes()))
}

/// A declared row: code, columns, and for trees `Some(parent code)`.
type Declared = (String, Map<String, Value>, Option<Option<String>>);

struct Planner {
    tenant: TenantId,
    file: String,
    /// The descriptor the tenant last applied (JSON), to adopt rows from before ownership;
    /// `null` once the tenant has owned rows.
    previous: Value,
    lines: Vec<ReportLine>,
    steps: Vec<Step>,
    now: Value,
}

impl Planner {
    /// Plans the rows of `table` named by `declared` and returns the id of every row of the
    /// table by code (new rows get their id now).
    async fn objects<C: ConnectionTrait>(
        &mut self,
        db: &C,
        table: Table,
        declared: Vec<Declared>,
    ) -> crate::Result<HashMap<String, Uuid>> {
        let kind = table.kind();
        let mut by_code: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
        for row in table.rows(db, self.tenant).await? {
            by_code.insert(code_of(&row), row);
        }
        // Ids first, so a parent declared further down the file (or new) resolves.
        let mut ids: HashMap<String, Uuid> = by_code
            .iter()
            .map(|(c, r)| (c.clone(), uuid_of(r)))
            .collect();
        for (code, _, _) in &declared {
            ids.entry(code.clone()).or_insert_with(Uuid::now_v7);
        }
        let adoptable = table.codes_in(&self.previous);
        let mut named = BTreeSet::new();
        for (code, mut fields, parent) in declared {
            named.insert(code.clone());
            if let Some(parent) = &parent {
                let parent_id = parent.as_ref().and_then(|p| ids.get(p).copied());
                fields.insert("parent_id".into(), json!(parent_id));
            }
            fields.insert("managed_by".into(), json!(self.file));
            let Some(old) = by_code.remove(&code) else {
                let id = ids[&code];
                // A new row goes in without its parent; execute sets parents once every new
                // row exists, so the file's order does not matter.
                let parent_id = match fields.remove("parent_id") {
                    Some(Value::String(p)) => p.parse().ok(),
                    _ => None,
                };
                if parent.is_some() {
                    fields.insert("parent_id".into(), Value::Null);
                }
                let mut row = fields;
                row.insert("id".into(), json!(id));
                row.insert("tenant_id".into(), json!(self.tenant.0));
                row.insert("code".into(), json!(code));
                row.insert("created_at".into(), self.now.clone());
                row.insert("updated_at".into(), self.now.clone());
                self.steps.push(Step {
                    table,
                    write: Write::Insert {
                        row,
                        parent: parent_id,
                    },
                });
                self.lines.push(line(kind, &code, Outcome::Created));
                continue;
            };
            let runtime = old.get("managed_by").is_none_or(Value::is_null);
            if runtime && !adoptable.contains(&code) {
                self.lines.push(line(kind, &code, Outcome::Conflict));
                continue;
            }
            let changes: Vec<FieldChange> = fields
                .iter()
                .filter(|(k, v)| !same(old.get(*k), v))
                .map(|(k, v)| FieldChange {
                    field: k.clone(),
                    before: old.get(k).cloned().unwrap_or(Value::Null),
                    after: v.clone(),
                })
                .collect();
            if changes.is_empty() {
                self.lines.push(line(kind, &code, Outcome::Unchanged));
                continue;
            }
            let mut patch: Map<String, Value> = changes
                .iter()
                .map(|c| (c.field.clone(), c.after.clone()))
                .collect();
            patch.insert("updated_at".into(), self.now.clone());
            self.steps.push(Step {
                table,
                write: Write::Update {
                    id: uuid_of(&old),
                    patch,
                },
            });
            self.lines.push(ReportLine {
                kind,
                code: code.clone(),
                outcome: Outcome::Updated(changes.iter().map(|c| c.field.clone()).collect()),
                changes,
            });
        }
        for (code, old) in by_code {
            if named.contains(&code) {
                continue;
            }
            if old.get("managed_by").is_none_or(Value::is_null) {
                self.lines.push(line(kind, &code, Outcome::Kept));
            } else {
                self.steps.push(Step {
                    table,
                    write: Write::Update {
                        id: uuid_of(&old),
                        patch: obj([
                            ("managed_by", Value::Null),
                            ("updated_at", self.now.clone()),
                        ]),
                    },
                });
                self.lines.push(line(kind, &code, Outcome::Released));
            }
        }
        Ok(ids)
    }

    /// Plans each declared role's rights; a difference is folded into the role's line as the
    /// field `rights`. Roles apply does not write (conflicts) keep theirs.
    async fn rights<C: ConnectionTrait>(
        &mut self,
        db: &C,
        d: &TenantDescriptor,
        role_ids: &HashMap<String, Uuid>,
        role_lines_from: usize,
    ) -> crate::Result<Vec<RightsStep>> {
        let existing = self.tenant.find::<role_rights::Entity>().all(db).await?;
        let mut held: HashMap<Uuid, BTreeSet<String>> = HashMap::new();
        for row in &existing {
            held.entry(row.role_id)
                .or_default()
                .insert(row.right.clone());
        }
        let mut steps = Vec::new();
        for role in &d.roles {
            let Some(role_id) = role_ids.get(&role.code).copied() else {
                continue;
            };
            let Some(l) = self.lines[role_lines_from..]
                .iter_mut()
                .find(|l| l.kind == "role" && l.code == role.code)
            else {
                continue;
            };
            if l.outcome == Outcome::Conflict {
                continue;
            }
            let want: BTreeSet<String> = role.rights.iter().cloned().collect();
            let have = held.remove(&role_id).unwrap_or_default();
            if want == have {
                continue;
            }
            steps.push(RightsStep {
                role: role_id,
                add: want.difference(&have).cloned().collect(),
                remove: have.difference(&want).cloned().collect(),
            });
            let change = FieldChange {
                field: "rights".into(),
                before: json!(have),
                after: json!(want),
            };
            match &mut l.outcome {
                Outcome::Updated(fields) => {
                    fields.push("rights".into());
                    l.changes.push(change);
                }
                o @ Outcome::Unchanged => {
                    *o = Outcome::Updated(vec!["rights".into()]);
                    l.changes.push(change);
                }
                _ => {}
            }
        }
        Ok(steps)
    }
}
