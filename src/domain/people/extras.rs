//! A user's employments (U8), personal budget and extended properties (U9), managed by an
//! administrator within scope. Changes are audited on the user (X3), so the user's trail
//! shows them.
//!
//! U8's rule — where the tenant switch `auto_end_old_employments` is on, a new active
//! employment ends the user's other active ones the day before it starts — is
//! [`last_day_of_old`], the same rule the HR import applies (`import::hr`).

use crate::authz::{Permit, Right};
use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::refs::{self, Problems};
use crate::authz::Scope;
use crate::domain::audit::{self, Change};
use crate::domain::ctx::Ctx;
use crate::domain::users::TEXT_MAX;
use crate::error::Error;
use crate::store::TenantId;
use crate::store::entity::{
    departments, employments, extended_properties, organisations, personal_budgets, users,
};

/// A new employment (U8). Dates as `2026-03-01` (also `01-03-2026`, `01.03.2026`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct NewEmployment {
    /// Organisation code (required).
    pub organisation: String,
    /// Department code of that organisation.
    pub department: Option<String>,
    /// Up to 255.
    pub job_title: Option<String>,
    /// First day.
    pub starts_on: Option<String>,
    /// Last day; absent while it lasts.
    pub ends_on: Option<String>,
}

/// Ending an employment.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct EndEmployment {
    /// Last day (default today).
    pub ends_on: Option<String>,
}

/// An employment as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct EmploymentView {
    /// Id.
    pub id: Uuid,
    /// Organisation code.
    pub organisation: String,
    /// Organisation name.
    pub organisation_name: String,
    /// Department code.
    pub department: Option<String>,
    /// Department name.
    pub department_name: Option<String>,
    /// Job title.
    pub job_title: Option<String>,
    /// First day.
    pub starts_on: Option<NaiveDate>,
    /// Last day.
    pub ends_on: Option<NaiveDate>,
    /// Still running.
    pub active: bool,
}

/// U9: a personal budget as entered.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct BudgetInput {
    /// `1234`, `1234,50`, `1234.50` or `1.234,50`.
    pub amount: String,
    /// ISO 4217 code, default `EUR`.
    pub currency: Option<String>,
}

/// U9: a personal budget as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BudgetView {
    /// In the currency's minor unit.
    pub amount_cents: i64,
    /// `1234.50`.
    pub amount: String,
    /// ISO 4217 code.
    pub currency: String,
}

/// U8: the last day of the older active employments when a new one starts on `starts_on`
/// (the day before it), or `today` when the new one has no start date.
pub fn last_day_of_old(starts_on: Option<NaiveDate>, today: NaiveDate) -> NaiveDate {
    starts_on.and_then(|s| s.pred_opt()).unwrap_or(today)
}

fn date(p: &mut Problems, field: &str, v: Option<&str>) -> Option<NaiveDate> {
    let v = v.map(str::trim).filter(|v| !v.is_empty())?;
    match crate::import::row::parse_date(v) {
        Ok(d) => Some(d),
        Err(e) => {
            p.add(field, e);
            None
        }
    }
}

fn budget_view(amount_cents: i64, currency: String) -> BudgetView {
    BudgetView {
        amount_cents,
        amount: format!("{}.{:02}", amount_cents / 100, amount_cents % 100),
        currency,
    }
}

/// U9: checks a budget; `None` (and a problem on `budget`) when it is not acceptable.
pub fn parse_budget(p: &mut Problems, b: &BudgetInput) -> Option<(i64, String)> {
    let cents = match crate::import::row::parse_amount(&b.amount) {
        Ok(c) => Some(c),
        Err(e) => {
            p.add("budget", e);
            None
        }
    };
    let currency = b
        .currency
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .unwrap_or("EUR")
        .to_ascii_uppercase();
    if currency.len() != 3 || !currency.bytes().all(|c| c.is_ascii_uppercase()) {
        p.add(
            "budget",
            format!("currency `{currency}` is not a three-letter ISO code"),
        );
        return None;
    }
    cents.map(|c| (c, currency))
}

async fn in_scope<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    scope: &Scope,
    id: Uuid,
) -> crate::Result<users::Model> {
    tenant
        .find_by_id::<users::Entity>(id)
        .filter(scope.users_condition())
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("user".into()))
}

/// U8: the employments of user `user` (no scope check: callers checked it), newest first.
pub async fn list_employments<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    user: Uuid,
) -> crate::Result<Vec<EmploymentView>> {
    let rows = tenant
        .find::<employments::Entity>()
        .filter(employments::Column::UserId.eq(user))
        .order_by_desc(employments::Column::Active)
        .order_by_desc(employments::Column::StartsOn)
        .order_by_desc(employments::Column::CreatedAt)
        .all(db)
        .await?;
    let orgs: std::collections::HashMap<Uuid, organisations::Model> = tenant
        .find::<organisations::Entity>()
        .filter(organisations::Column::Id.is_in(rows.iter().map(|r| r.organisation_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let depts: std::collections::HashMap<Uuid, departments::Model> = tenant
        .find::<departments::Entity>()
        .filter(departments::Column::Id.is_in(rows.iter().filter_map(|r| r.department_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    Ok(rows
        .into_iter()
        .map(|e| {
            let o = orgs.get(&e.organisation_id);
            let d = e.department_id.and_then(|d| depts.get(&d));
            EmploymentView {
                id: e.id,
                organisation: o.map(|o| o.code.clone()).unwrap_or_default(),
                organisation_name: o.map(|o| o.name.clone()).unwrap_or_default(),
                department: d.map(|d| d.code.clone()),
                department_name: d.map(|d| d.name.clone()),
                job_title: e.job_title,
                starts_on: e.starts_on,
                ends_on: e.ends_on,
                active: e.active,
            }
        })
        .collect())
}

/// U8: the employments of a user within scope.
pub async fn employments(
    db: &DatabaseConnection,
    permit: &Permit,
    user: Uuid,
) -> crate::Result<Vec<EmploymentView>> {
    let tenant = permit.tenant();
    let scope = &permit.scope(db, Right::Users).await?;
    in_scope(db, tenant, scope, user).await?;
    list_employments(db, tenant, user).await
}

/// U8: adds an employment to a user within scope; where the tenant switch is on, the user's
/// other active employments end (see [`last_day_of_old`]). Answers all the user's employments.
pub async fn add_employment(
    db: &DatabaseConnection,
    permit: &Permit,
    user: Uuid,
    new: NewEmployment,
) -> crate::Result<Vec<EmploymentView>> {
    let ctx = permit.ctx();
    let scope = &permit.scope(db, Right::Users).await?;
    let tenant = ctx.tenant;
    let info = permit.tenant_context(db).await?;
    let txn = crate::store::begin_write(db).await?;
    in_scope(&txn, tenant, scope, user).await?;
    let mut p = Problems::default();
    if new.organisation.trim().is_empty() {
        p.add("organisation", "organisation is required");
    }
    let org = refs::organisation(
        &txn,
        tenant,
        &mut p,
        "organisation",
        Some(&new.organisation),
    )
    .await?;
    let mut dept = None;
    if let (Some(o), Some(code)) = (
        &org,
        new.department
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty()),
    ) {
        dept = tenant
            .find::<departments::Entity>()
            .filter(departments::Column::OrganisationId.eq(o.id))
            .filter(departments::Column::Code.eq(code))
            .one(&txn)
            .await?;
        if dept.is_none() {
            p.add(
                "department",
                format!("organisation `{}` has no department `{code}`", o.code),
            );
        }
    }
    let job_title = refs::optional_text(&mut p, "job_title", new.job_title.as_deref(), TEXT_MAX);
    let starts_on = date(&mut p, "starts_on", new.starts_on.as_deref());
    let ends_on = date(&mut p, "ends_on", new.ends_on.as_deref());
    if let (Some(s), Some(e)) = (starts_on, ends_on)
        && e < s
    {
        p.add("ends_on", "the last day lies before the first day");
    }
    let existing = tenant
        .find::<employments::Entity>()
        .filter(employments::Column::UserId.eq(user))
        .filter(employments::Column::Active.eq(true))
        .all(&txn)
        .await?;
    if let Some(o) = &org
        && existing
            .iter()
            .any(|e| e.organisation_id == o.id && e.department_id == dept.as_ref().map(|d| d.id))
    {
        p.add(
            "organisation",
            "the user already has an active employment in this organisation and department",
        );
    }
    p.into_result()?;
    let Some(org) = org else {
        return Err(Error::Internal(anyhow::anyhow!(
            "validated organisation missing"
        )));
    };
    let now = Utc::now();
    let today = now.date_naive();
    let active = ends_on.is_none_or(|e| e >= today);
    let mut ended = Vec::new();
    if info.settings.features.auto_end_old_employments && active {
        let last_day = last_day_of_old(starts_on, today);
        for e in &existing {
            tenant
                .update_many::<employments::Entity>()
                .col_expr(employments::Column::EndsOn, Expr::value(last_day))
                .col_expr(employments::Column::Active, Expr::value(false))
                .col_expr(employments::Column::UpdatedAt, Expr::value(now))
                .filter(employments::Column::Id.eq(e.id))
                .exec(&txn)
                .await?;
            ended.push(json!({"id": e.id, "ends_on": last_day}));
        }
    }
    let id = Uuid::now_v7();
    employments::Entity::insert(employments::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant.0),
        user_id: Set(user),
        organisation_id: Set(org.id),
        department_id: Set(dept.as_ref().map(|d| d.id)),
        job_title: Set(job_title.clone()),
        starts_on: Set(starts_on),
        ends_on: Set(ends_on),
        active: Set(active),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(&txn)
    .await?;
    audit::record(
        &txn,
        ctx,
        Change {
            entity: "user",
            entity_id: Some(user),
            action: "add_employment",
            before: (!ended.is_empty()).then(|| json!({"ended_employments": ended})),
            after: Some(json!({"employment": {
                "id": id,
                "organisation": org.code,
                "department": dept.map(|d| d.code),
                "job_title": job_title,
                "starts_on": starts_on,
                "ends_on": ends_on,
                "active": active,
            }})),
        },
    )
    .await?;
    txn.commit().await?;
    list_employments(db, tenant, user).await
}

/// U8: ends an employment of a user within scope on `ends_on` (default today).
pub async fn end_employment(
    db: &DatabaseConnection,
    permit: &Permit,
    user: Uuid,
    employment: Uuid,
    end: EndEmployment,
) -> crate::Result<EmploymentView> {
    let ctx = permit.ctx();
    let scope = &permit.scope(db, Right::Users).await?;
    let tenant = ctx.tenant;
    let txn = crate::store::begin_write(db).await?;
    in_scope(&txn, tenant, scope, user).await?;
    let e = tenant
        .find_by_id::<employments::Entity>(employment)
        .filter(employments::Column::UserId.eq(user))
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound("employment".into()))?;
    let mut p = Problems::default();
    let now = Utc::now();
    let today = now.date_naive();
    let ends_on = date(&mut p, "ends_on", end.ends_on.as_deref()).unwrap_or(today);
    if e.starts_on.is_some_and(|s| ends_on < s) {
        p.add("ends_on", "the last day lies before the first day");
    }
    p.into_result()?;
    let active = ends_on >= today;
    tenant
        .update_many::<employments::Entity>()
        .col_expr(employments::Column::EndsOn, Expr::value(ends_on))
        .col_expr(employments::Column::Active, Expr::value(active))
        .col_expr(employments::Column::UpdatedAt, Expr::value(now))
        .filter(employments::Column::Id.eq(employment))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        ctx,
        Change {
            entity: "user",
            entity_id: Some(user),
            action: "end_employment",
            before: Some(
                json!({"employment": {"id": employment, "ends_on": e.ends_on, "active": e.active}}),
            ),
            after: Some(
                json!({"employment": {"id": employment, "ends_on": ends_on, "active": active}}),
            ),
        },
    )
    .await?;
    txn.commit().await?;
    list_employments(db, tenant, user)
        .await?
        .into_iter()
        .find(|v| v.id == employment)
        .ok_or_else(|| Error::NotFound("employment".into()))
}

/// U9: the user's budget.
pub async fn budget_of<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    user: Uuid,
) -> crate::Result<Option<BudgetView>> {
    Ok(tenant
        .find::<personal_budgets::Entity>()
        .filter(personal_budgets::Column::UserId.eq(user))
        .one(db)
        .await?
        .map(|b| budget_view(b.amount_cents, b.currency)))
}

/// U9: the user's extended properties.
pub async fn properties_of<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    user: Uuid,
) -> crate::Result<BTreeMap<String, String>> {
    Ok(tenant
        .find::<extended_properties::Entity>()
        .filter(extended_properties::Column::UserId.eq(user))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.name, p.value))
        .collect())
}

/// Writes (or with `None` removes) the budget of `user`, audited; no scope check.
pub(super) async fn write_budget<C: ConnectionTrait>(
    db: &C,
    ctx: &Ctx,
    user: Uuid,
    budget: Option<(i64, String)>,
) -> crate::Result<Option<BudgetView>> {
    let tenant = ctx.tenant;
    let old = budget_of(db, tenant, user).await?;
    let new = budget.map(|(c, cur)| budget_view(c, cur));
    if old == new {
        return Ok(new);
    }
    tenant
        .delete_many::<personal_budgets::Entity>()
        .filter(personal_budgets::Column::UserId.eq(user))
        .exec(db)
        .await?;
    if let Some(b) = &new {
        let now = Utc::now();
        personal_budgets::Entity::insert(personal_budgets::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tenant.0),
            user_id: Set(user),
            amount_cents: Set(b.amount_cents),
            currency: Set(b.currency.clone()),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(db)
        .await?;
    }
    audit::record(
        db,
        ctx,
        Change {
            entity: "user",
            entity_id: Some(user),
            action: "set_budget",
            before: Some(json!({ "budget": old })),
            after: Some(json!({ "budget": new })),
        },
    )
    .await?;
    Ok(new)
}

/// Replaces the extended properties of `user`, audited (changed names only); no scope check.
pub(super) async fn write_properties<C: ConnectionTrait>(
    db: &C,
    ctx: &Ctx,
    user: Uuid,
    props: &BTreeMap<String, String>,
) -> crate::Result<BTreeMap<String, String>> {
    let tenant = ctx.tenant;
    let props: BTreeMap<String, String> = props
        .iter()
        .map(|(k, v)| (k.trim().to_owned(), v.clone()))
        .collect();
    let old = properties_of(db, tenant, user).await?;
    if old == props {
        return Ok(props);
    }
    let mut before = serde_json::Map::new();
    let mut after = serde_json::Map::new();
    for k in old.keys().chain(props.keys()) {
        let (o, n) = (old.get(k), props.get(k));
        if o != n {
            before.insert(k.clone(), json!(o));
            after.insert(k.clone(), json!(n));
        }
    }
    tenant
        .delete_many::<extended_properties::Entity>()
        .filter(extended_properties::Column::UserId.eq(user))
        .exec(db)
        .await?;
    let now = Utc::now();
    for (name, value) in &props {
        extended_properties::Entity::insert(extended_properties::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tenant.0),
            user_id: Set(user),
            name: Set(name.clone()),
            value: Set(value.clone()),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(db)
        .await?;
    }
    audit::record(
        db,
        ctx,
        Change {
            entity: "user",
            entity_id: Some(user),
            action: "set_properties",
            before: Some(json!({ "properties": before })),
            after: Some(json!({ "properties": after })),
        },
    )
    .await?;
    Ok(props)
}

/// U9: sets (or with `None` removes) the personal budget of a user within scope.
pub async fn set_budget(
    db: &DatabaseConnection,
    permit: &Permit,
    user: Uuid,
    budget: Option<BudgetInput>,
) -> crate::Result<Option<BudgetView>> {
    let ctx = permit.ctx();
    let scope = &permit.scope(db, Right::Users).await?;
    let mut p = Problems::default();
    let parsed = budget.as_ref().and_then(|b| parse_budget(&mut p, b));
    p.into_result()?;
    let txn = crate::store::begin_write(db).await?;
    in_scope(&txn, ctx.tenant, scope, user).await?;
    let view = write_budget(&txn, ctx, user, parsed).await?;
    txn.commit().await?;
    Ok(view)
}

/// U9: replaces the extended properties of a user within scope.
pub async fn set_properties(
    db: &DatabaseConnection,
    permit: &Permit,
    user: Uuid,
    props: BTreeMap<String, String>,
) -> crate::Result<BTreeMap<String, String>> {
    let ctx = permit.ctx();
    let scope = &permit.scope(db, Right::Users).await?;
    let mut p = Problems::default();
    refs::properties(&mut p, &props);
    p.into_result()?;
    let txn = crate::store::begin_write(db).await?;
    in_scope(&txn, ctx.tenant, scope, user).await?;
    let out = write_properties(&txn, ctx, user, &props).await?;
    txn.commit().await?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn u8_old_employments_end_the_day_before_the_new_one_starts() {
        let today = day(2026, 12, 1);
        assert_eq!(
            last_day_of_old(Some(day(2026, 3, 1)), today),
            day(2026, 2, 28)
        );
        assert_eq!(last_day_of_old(None, today), today);
    }

    #[test]
    fn u9_budget_amounts_and_currency() {
        let mut p = Problems::default();
        let b = parse_budget(
            &mut p,
            &BudgetInput {
                amount: "1.234,50".into(),
                currency: Some("eur".into()),
            },
        );
        assert_eq!(b, Some((123_450, "EUR".into())));
        assert!(
            parse_budget(
                &mut p,
                &BudgetInput {
                    amount: "12".into(),
                    currency: Some("EURO".into()),
                },
            )
            .is_none()
        );
        assert!(
            parse_budget(
                &mut p,
                &BudgetInput {
                    amount: "abc".into(),
                    currency: None,
                },
            )
            .is_none()
        );
        assert_eq!(p.0.len(), 2);
        assert_eq!(budget_view(123_405, "EUR".into()).amount, "1234.05");
    }
}
