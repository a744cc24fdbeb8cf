//! Reading and managing portal users within an actor's scope (U5, U6, B4, B5). Every query
//! carries the tenant and the scope's SQL condition, so a user outside the scope is simply not
//! found (404), and lists, counts and search stay right with paging.

use crate::authz::{Permit, Right};
use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::audit::{self, Change};
use crate::authz::Scope;
use crate::error::{Error, FieldError};
use crate::store::TenantId;
use crate::store::entity::{user_group_members, user_groups, users};

/// A list request.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Query {
    /// U5: every word must begin a word of a name, the e-mail or the login.
    #[serde(default)]
    pub q: Option<String>,
    /// U5: only members of this user group (code or id).
    #[serde(default)]
    pub group: Option<String>,
    /// Include deactivated users (default true: administrators see everyone in scope).
    #[serde(default)]
    pub active: Option<bool>,
    /// 1-based page.
    #[serde(default)]
    pub page: Option<u64>,
    /// Page size, 1–200 (default 50).
    #[serde(default)]
    pub per_page: Option<u64>,
}

/// One page of users.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    /// Users on this page.
    pub items: Vec<users::Model>,
    /// Matches in all pages.
    pub total: u64,
    /// This page.
    pub page: u64,
    /// Page size.
    pub per_page: u64,
}

fn escape_like(term: &str) -> String {
    term.chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}

/// U5: the condition "every term begins some word of a name, the e-mail or the login".
pub fn search_condition(q: &str) -> Condition {
    let mut all = Condition::all();
    for term in q.split_whitespace() {
        let t = escape_like(&term.to_lowercase());
        let mut any = Condition::any();
        for col in [
            users::Column::FirstName,
            users::Column::MiddleName,
            users::Column::LastName,
            users::Column::Email,
            users::Column::Login,
        ] {
            let lower = Func::lower(Expr::col((users::Entity, col)));
            any = any.add(
                Expr::expr(lower.clone())
                    .like(sea_orm::sea_query::LikeExpr::new(format!("{t}%")).escape('\\')),
            );
            for sep in [' ', '-', '.', '@', '_'] {
                any =
                    any.add(Expr::expr(lower.clone()).like(
                        sea_orm::sea_query::LikeExpr::new(format!("%{sep}{t}%")).escape('\\'),
                    ));
            }
        }
        all = all.add(any);
    }
    all
}

/// U5: a page of the users `scope` reaches, searched and filtered in the database.
pub async fn list(db: &DatabaseConnection, permit: &Permit, query: &Query) -> crate::Result<Page> {
    let scope = permit.scope(db, Right::Users).await?;
    list_in(db, permit.tenant(), &scope, query).await
}

/// U7: the learners the actor reports on (a superior's own learners), searched like [`list`].
pub async fn learners(
    db: &DatabaseConnection,
    permit: &Permit,
    query: &Query,
) -> crate::Result<Page> {
    let scope = permit.scope(db, Right::Reports).await?;
    list_in(db, permit.tenant(), &scope, query).await
}

async fn list_in(
    db: &DatabaseConnection,
    tenant: TenantId,
    scope: &Scope,
    query: &Query,
) -> crate::Result<Page> {
    let per_page = std::cmp::Ord::clamp(query.per_page.unwrap_or(50), 1, 200);
    let page = std::cmp::Ord::max(query.page.unwrap_or(1), 1);
    let mut select = tenant
        .find::<users::Entity>()
        .filter(scope.users_condition());
    if let Some(q) = query.q.as_deref().filter(|q| !q.trim().is_empty()) {
        select = select.filter(search_condition(q));
    }
    if let Some(active) = query.active {
        select = select.filter(users::Column::Active.eq(active));
    }
    if let Some(code) = query
        .group
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty())
    {
        // U5/G1: a group by its code, or by its id.
        let by = match code.parse::<Uuid>() {
            Ok(id) => Condition::any()
                .add(user_groups::Column::Id.eq(id))
                .add(user_groups::Column::Code.eq(code)),
            Err(_) => Condition::all().add(user_groups::Column::Code.eq(code)),
        };
        let group = tenant
            .find::<user_groups::Entity>()
            .filter(by)
            .one(db)
            .await?
            .ok_or_else(|| {
                Error::Validation(vec![FieldError {
                    field: "group".into(),
                    message: format!("unknown user group `{code}`"),
                }])
            })?;
        let members = sea_orm::sea_query::Query::select()
            .column(user_group_members::Column::UserId)
            .from(user_group_members::Entity)
            .and_where(user_group_members::Column::UserGroupId.eq(group.id))
            .to_owned();
        select = select.filter(users::Column::Id.in_subquery(members));
    }
    let total = select.clone().count(db).await?;
    let items = select
        .order_by_asc(users::Column::LastName)
        .order_by_asc(users::Column::FirstName)
        .order_by_asc(users::Column::Id)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .all(db)
        .await?;
    Ok(Page {
        items,
        total,
        page,
        per_page,
    })
}

/// One user within scope; another tenant's or an out-of-scope user is "not found".
pub async fn get(
    db: &DatabaseConnection,
    permit: &Permit,
    id: Uuid,
) -> crate::Result<users::Model> {
    let scope = permit.scope(db, Right::Users).await?;
    get_in(db, permit.tenant(), &scope, id).await
}

/// The acting portal user's own record.
pub async fn own(db: &DatabaseConnection, permit: &Permit) -> crate::Result<users::Model> {
    let me = permit
        .principal()
        .filter(|p| p.kind == crate::auth::principal::PrincipalKind::User)
        .ok_or_else(|| Error::NotFound("user".into()))?;
    get_in(db, permit.tenant(), &Scope::tenant(), me.id).await
}

/// One user within `scope` (another right's reach, e.g. the audit trail's).
pub(crate) async fn get_in(
    db: &DatabaseConnection,
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

/// U6: deactivates or reactivates a user within scope.
pub async fn set_active(
    db: &DatabaseConnection,
    permit: &Permit,
    id: Uuid,
    active: bool,
) -> crate::Result<users::Model> {
    let ctx = permit.ctx();
    let scope = &permit.scope(db, Right::Users).await?;
    let txn = crate::store::begin_write(db).await?;
    let user = ctx
        .tenant
        .find_by_id::<users::Entity>(id)
        .filter(scope.users_condition())
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound("user".into()))?;
    if user.active == active {
        return Ok(user);
    }
    let mut am = user.into_active_model();
    am.active = Set(active);
    am.updated_at = Set(Utc::now());
    let user = am.update(&txn).await?;
    audit::record(
        &txn,
        ctx,
        Change {
            entity: "user",
            entity_id: Some(id),
            action: if active { "reactivate" } else { "deactivate" },
            before: Some(json!({"active": !active})),
            after: Some(json!({"active": active})),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

/// Deletes a user within scope (their memberships and enrollments go with them).
pub async fn delete(db: &DatabaseConnection, permit: &Permit, id: Uuid) -> crate::Result<()> {
    let ctx = permit.ctx();
    let scope = &permit.scope(db, Right::Users).await?;
    let txn = crate::store::begin_write(db).await?;
    let user = ctx
        .tenant
        .find_by_id::<users::Entity>(id)
        .filter(scope.users_condition())
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound("user".into()))?;
    audit::delete::<users::Entity, _>(&txn, ctx, "user", id, json!({"login": user.login})).await?;
    txn.commit().await?;
    Ok(())
}
