//! I2 HR / U8: a row's employment in a department of an existing organisation. An active
//! employment in the same organisation and department is updated; otherwise a new one
//! starts, and — where the tenant's switch `auto_end_old_employments` is on — the user's
//! other active employments end the day before, so a user always has exactly one active
//! employment (seed 000's first paragraph is the bug this prevents). A department the
//! organisation does not have yet is created by the first row naming it; its parent
//! (column AE) is set across the file by `departments`.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::apply::Writes;
use super::diff::{Diff, Env};
use super::fields::ImportField as F;
use super::refs::Refs;
use super::report::FieldChange;
use super::row::{Cell, Row, Val};
use super::values::Stored;
use crate::store::TenantId;
use crate::store::entity::{departments, employments};

/// The employment a row writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmploymentOp {
    /// Changes to an active employment in the same organisation and department.
    Update {
        /// The employment.
        id: Uuid,
        /// New job title.
        job_title: Option<Option<String>>,
        /// New first day.
        starts_on: Option<Option<NaiveDate>>,
        /// New last day, and whether it is still active.
        ends_on: Option<(Option<NaiveDate>, bool)>,
    },
    /// A new employment.
    Create {
        /// Organisation.
        organisation_id: Uuid,
        /// Job title.
        job_title: Option<String>,
        /// First day.
        starts_on: Option<NaiveDate>,
        /// Last day.
        ends_on: Option<NaiveDate>,
        /// U8: the user's other active employments end on this day.
        end_others: Vec<(Uuid, NaiveDate)>,
    },
}

/// Employment and department writes of one HR row.
#[derive(Debug, Clone, Default)]
pub struct HrOps {
    /// The department's code and organisation, and its name when the row gives one.
    pub department: Option<(String, Uuid, Option<String>)>,
    /// The employment.
    pub employment: Option<EmploymentOp>,
}

/// Whether `field` belongs to the employment rather than the user.
pub fn is_hr_field(field: F) -> bool {
    matches!(
        field,
        F::OrganisationCode
            | F::DepartmentCode
            | F::DepartmentName
            | F::ParentDepartmentCode
            | F::JobTitle
            | F::EmploymentStart
            | F::EmploymentEnd
    )
}

fn date(row: &Row, f: F) -> Option<NaiveDate> {
    match row.get(f) {
        Cell::Value(Val::Date(d)) => Some(*d),
        _ => None,
    }
}

fn place(refs: &Refs, org: Uuid, dept: Option<&str>) -> String {
    let org = refs.organisations.code(org).unwrap_or_default();
    match dept {
        Some(d) => format!("{org}/{d}"),
        None => org.to_owned(),
    }
}

fn change(d: &mut Diff, field: &str, old: String, new: String) {
    d.changes.push(FieldChange {
        field: field.to_owned(),
        old,
        new,
    });
}

/// Plans the employment of a row about stored user `s` (or a new user, `s` = `None`).
fn plan(row: &Row, s: Option<&Stored>, env: &Env<'_>, d: &mut Diff) -> Result<(), String> {
    let refs = env.refs;
    let Cell::Value(Val::Id(org)) = row.get(F::OrganisationCode) else {
        return Ok(());
    };
    let org = *org;
    let code = row.text(F::DepartmentCode).map(str::to_owned);
    let stored_dept = code.as_deref().and_then(|c| refs.departments.get(c));
    if let (Some(c), Some(dept)) = (&code, stored_dept)
        && dept.organisation_id != org
    {
        return Err(format!(
            "department `{c}` belongs to organisation `{}`, not `{}`",
            refs.organisations.code(dept.organisation_id).unwrap_or("?"),
            refs.organisations.code(org).unwrap_or("?")
        ));
    }
    let mut ops = HrOps::default();
    // X9: a department a descriptor manages keeps its declared name and parent; the import
    // leaves them (and does not report them as changes).
    let managed = stored_dept.is_some_and(|x| x.managed);
    if let Some(c) = &code {
        let name = row.text(F::DepartmentName).map(str::to_owned);
        if let (Some(n), Some(dept)) = (&name, stored_dept)
            && *n != dept.name
            && !managed
        {
            change(d, "DepartmentName", dept.name.clone(), n.clone());
        }
        ops.department = Some((c.clone(), org, name));
        if let Cell::Value(_) | Cell::Empty = row.get(F::ParentDepartmentCode)
            && !managed
        {
            let old = stored_dept
                .and_then(|x| x.parent_id)
                .and_then(|id| refs.department_codes.get(&id))
                .cloned()
                .unwrap_or_default();
            let new = row
                .text(F::ParentDepartmentCode)
                .unwrap_or_default()
                .to_owned();
            if old != new {
                change(d, "ParentDepartmentCode", old, new);
            }
        }
    }
    let job_title = row.text(F::JobTitle).map(str::to_owned);
    let starts_on = date(row, F::EmploymentStart);
    let ends_on = date(row, F::EmploymentEnd);
    let today = env.now.date_naive();
    let active = ends_on.is_none_or(|e| e >= today);
    let same = s.and_then(|s| {
        s.employments
            .iter()
            .find(|e| e.organisation_id == org && e.department_id == stored_dept.map(|x| x.id))
    });
    match same {
        Some(e) if stored_dept.is_some() || code.is_none() => {
            let text = |v: &Option<NaiveDate>| v.map(|d| d.to_string()).unwrap_or_default();
            let mut job = None;
            let mut start = None;
            let mut end = None;
            if row.get(F::JobTitle).present() && e.job_title != job_title {
                change(
                    d,
                    "JobTitle",
                    e.job_title.clone().unwrap_or_default(),
                    job_title.clone().unwrap_or_default(),
                );
                job = Some(job_title);
            }
            if row.get(F::EmploymentStart).present() && e.starts_on != starts_on {
                change(d, "EmploymentStart", text(&e.starts_on), text(&starts_on));
                start = Some(starts_on);
            }
            if row.get(F::EmploymentEnd).present() && (e.ends_on != ends_on || e.active != active) {
                change(d, "EmploymentEnd", text(&e.ends_on), text(&ends_on));
                end = Some((ends_on, active));
            }
            if job.is_some() || start.is_some() || end.is_some() {
                ops.employment = Some(EmploymentOp::Update {
                    id: e.id,
                    job_title: job,
                    starts_on: start,
                    ends_on: end,
                });
            }
        }
        _ => {
            let old = s
                .and_then(|s| s.employments.first())
                .map(|e| {
                    let dept = e
                        .department_id
                        .and_then(|id| refs.department_codes.get(&id))
                        .map(String::as_str);
                    place(refs, e.organisation_id, dept)
                })
                .unwrap_or_default();
            change(d, "Employment", old, place(refs, org, code.as_deref()));
            let mut end_others = Vec::new();
            if refs.settings.features.auto_end_old_employments && active {
                let last_day = starts_on.and_then(|s| s.pred_opt()).unwrap_or(today);
                for e in s.map(|s| s.employments.as_slice()).unwrap_or_default() {
                    end_others.push((e.id, last_day));
                }
            }
            ops.employment = Some(EmploymentOp::Create {
                organisation_id: org,
                job_title,
                starts_on,
                ends_on,
                end_others,
            });
        }
    }
    d.ops.hr = Some(ops);
    Ok(())
}

/// Plans the employment of stored user `s`.
pub fn plan_existing(row: &Row, s: &Stored, env: &Env<'_>, d: &mut Diff) -> Result<(), String> {
    plan(row, Some(s), env, d)
}

/// Plans the employment of a new user.
pub fn plan_new(row: &Row, env: &Env<'_>, d: &mut Diff) -> Result<(), String> {
    plan(row, None, env, d)
}

/// The id of department `code`: stored, created earlier in this import, or created now.
async fn department<C: ConnectionTrait>(
    txn: &C,
    tenant: TenantId,
    refs: &Refs,
    created: &mut HashMap<String, Uuid>,
    (code, org, name): &(String, Uuid, Option<String>),
    now: DateTime<Utc>,
) -> crate::Result<Uuid> {
    if let Some(d) = refs.departments.get(code) {
        if let Some(n) = name
            && *n != d.name
        {
            tenant
                .update_many::<departments::Entity>()
                .col_expr(departments::Column::Name, Expr::value(n.clone()))
                .col_expr(departments::Column::UpdatedAt, Expr::value(now))
                .filter(departments::Column::Id.eq(d.id))
                // X9: a department a descriptor declares is managed by it; imports leave it.
                .filter(departments::Column::ManagedBy.is_null())
                .exec(txn)
                .await?;
        }
        return Ok(d.id);
    }
    if let Some(id) = created.get(code) {
        return Ok(*id);
    }
    let id = Uuid::now_v7();
    departments::Entity::insert(departments::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant.0),
        organisation_id: Set(*org),
        code: Set(code.clone()),
        name: Set(name.clone().unwrap_or_else(|| code.clone())),
        parent_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        managed_by: Set(None),
    })
    .exec_without_returning(txn)
    .await?;
    created.insert(code.clone(), id);
    Ok(id)
}

/// Writes the employment and department changes of `rows`.
pub async fn write<C: ConnectionTrait>(
    txn: &C,
    tenant: TenantId,
    refs: &Refs,
    created: &mut HashMap<String, Uuid>,
    rows: &[Writes],
    now: DateTime<Utc>,
) -> crate::Result<()> {
    for w in rows {
        let Some(ops) = &w.ops.hr else { continue };
        let dept = match &ops.department {
            Some(d) => Some(department(txn, tenant, refs, created, d, now).await?),
            None => None,
        };
        match &ops.employment {
            None => {}
            Some(EmploymentOp::Update {
                id,
                job_title,
                starts_on,
                ends_on,
            }) => {
                let mut q = tenant
                    .update_many::<employments::Entity>()
                    .col_expr(employments::Column::UpdatedAt, Expr::value(now))
                    .filter(employments::Column::Id.eq(*id));
                if let Some(v) = job_title {
                    q = q.col_expr(employments::Column::JobTitle, Expr::value(v.clone()));
                }
                if let Some(v) = starts_on {
                    q = q.col_expr(employments::Column::StartsOn, Expr::value(*v));
                }
                if let Some((end, active)) = ends_on {
                    q = q
                        .col_expr(employments::Column::EndsOn, Expr::value(*end))
                        .col_expr(employments::Column::Active, Expr::value(*active));
                }
                q.exec(txn).await?;
            }
            Some(EmploymentOp::Create {
                organisation_id,
                job_title,
                starts_on,
                ends_on,
                end_others,
            }) => {
                for (id, last_day) in end_others {
                    tenant
                        .update_many::<employments::Entity>()
                        .col_expr(employments::Column::EndsOn, Expr::value(*last_day))
                        .col_expr(employments::Column::Active, Expr::value(false))
                        .col_expr(employments::Column::UpdatedAt, Expr::value(now))
                        .filter(employments::Column::Id.eq(*id))
                        .exec(txn)
                        .await?;
                }
                let active = ends_on.is_none_or(|e| e >= now.date_naive());
                employments::Entity::insert(employments::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    tenant_id: Set(tenant.0),
                    user_id: Set(w.user_id),
                    organisation_id: Set(*organisation_id),
                    department_id: Set(dept),
                    job_title: Set(job_title.clone()),
                    starts_on: Set(*starts_on),
                    ends_on: Set(*ends_on),
                    active: Set(active),
                    created_at: Set(now),
                    updated_at: Set(now),
                })
                .exec_without_returning(txn)
                .await?;
            }
        }
    }
    Ok(())
}
