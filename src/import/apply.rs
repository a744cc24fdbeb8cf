//! Apply: one batch of planned rows written in the caller's transaction, together with the
//! audit events (X3) and the report rows (I8, I9) of the batch: new users with one
//! `insert_many` per table (chunked under the bind-variable limits), changed users with one
//! `UPDATE` each, relations added and removed in a statement per table, set-password mails
//! queued (U3). Unchanged rows cost no query here.
//!
//! The statements of a batch are built before it takes the connection ([`statements`]), so
//! the executor can plan and build the next batch while this one is written (on SQLite the
//! database works on a thread of its own; building the SQL took about a third of a create).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait,
    IntoActiveModel, QueryFilter, QueryTrait, Statement,
};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use super::diff::{Ops, SetOps};
use super::hr;
use super::refs::Refs;
use super::report::FieldChange;
use crate::domain::Ctx;
use crate::store::entity::{
    audit_events, extended_properties, import_rows, personal_budgets, role_assignments,
    user_catalogs, user_enrollment_profiles, user_group_members, users,
};
use crate::store::{TenantId, TenantOwned};

/// Bind variables per insert statement. Far below the limits (SQLite 32766, PostgreSQL
/// 65535) on purpose: the driver caches each prepared statement per connection, and SQLite's
/// program for a 30,000-variable insert holds megabytes; a few thousand keep the cache small
/// at no measurable cost in speed.
const BINDS_PER_INSERT: usize = 4096;

/// PostgreSQL: a statement's message must fit the socket's send buffer (16 KB by default on
/// Linux) so the driver writes it in one go. The driver (sqlx 0.9.0, transact-rs/sqlx#4335)
/// no longer sets `TCP_NODELAY`, so a second write waits for the server's delayed ACK:
/// ~40 ms per statement, which made creating users 20× slower. 500 binds keep messages
/// under ~10 KB; rows with large values (audit events) are capped by [`PG_LARGE_ROWS`].
const PG_BINDS_PER_INSERT: usize = 500;

/// PostgreSQL: rows per insert of rows carrying a few hundred bytes each (see above).
const PG_LARGE_ROWS: usize = 20;

/// Rows per insert for an entity of `columns` columns on `backend`.
fn rows_per_insert(backend: sea_orm::DatabaseBackend, columns: usize) -> usize {
    let binds = match backend {
        sea_orm::DatabaseBackend::Postgres => PG_BINDS_PER_INSERT,
        _ => BINDS_PER_INSERT,
    };
    (binds / columns.max(1)).max(1)
}

/// The writes of one row.
#[derive(Debug, Clone)]
pub struct Writes {
    /// The user.
    pub user_id: Uuid,
    /// What to write.
    pub ops: Ops,
    /// U7: the superior to set now (`Some(None)` clears).
    pub superior_id: Option<Option<Uuid>>,
    /// The new password hash.
    pub password_hash: Option<String>,
    /// The changes, for the audit trail.
    pub changes: Vec<FieldChange>,
}

/// Refreshes SQLite's planner statistics (bounded, approximate `ANALYZE`) where tables
/// changed much: without them SQLite answers `tenant_id = ? AND id IN (…)` through the
/// tenant index, scanning every user of the tenant per batch. Run before and after imports.
pub async fn optimize<C: ConnectionTrait>(db: &C) -> crate::Result<()> {
    if db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
        db.execute_unprepared("PRAGMA optimize=0x10002").await?;
    }
    Ok(())
}

/// An audit event for one imported row.
pub fn audit(ctx: &Ctx, w: &Writes, now: DateTime<Utc>) -> audit_events::ActiveModel {
    let created = w.ops.insert.is_some();
    let mut before = Map::new();
    let mut after = Map::new();
    for c in &w.changes {
        if !created {
            before.insert(c.field.clone(), Json::String(c.old.clone()));
        }
        after.insert(c.field.clone(), Json::String(c.new.clone()));
    }
    audit_events::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant.0),
        occurred_at: Set(now),
        actor_kind: Set(ctx.actor.kind.as_str().to_owned()),
        actor_id: Set(ctx.actor.id),
        actor_label: Set(Some(ctx.actor.label.clone())),
        source: Set(ctx.source.as_str().to_owned()),
        entity: Set("user".into()),
        entity_id: Set(Some(w.user_id)),
        action: Set(if created { "create" } else { "update" }.into()),
        before: Set((!created).then_some(Json::Object(before))),
        after: Set(Some(Json::Object(after))),
        request_id: Set(ctx.request_id.clone()),
    }
}

/// The inserts of `rows`, chunked under the bind-variable limits.
fn insert_chunked<A, E>(out: &mut Statements, rows: Vec<A>)
where
    E: EntityTrait,
    A: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    insert_chunks(out, rows, usize::MAX);
}

/// [`insert_chunked`] with at most `large` rows per statement on PostgreSQL.
fn insert_chunks<A, E>(out: &mut Statements, rows: Vec<A>, large: usize)
where
    E: EntityTrait,
    A: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    let backend = out.backend;
    let mut per = rows_per_insert(backend, <E::Column as sea_orm::Iterable>::iter().count());
    if backend == DatabaseBackend::Postgres {
        per = per.min(large);
    }
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(per).collect();
        out.push(&E::insert_many(chunk));
    }
}

/// The statements of a batch, in the order they run.
pub struct Statements {
    backend: DatabaseBackend,
    /// The statements.
    pub list: Vec<Statement>,
}

impl Statements {
    fn new(backend: DatabaseBackend) -> Self {
        Self {
            backend,
            list: Vec::new(),
        }
    }

    fn push(&mut self, q: &impl QueryTrait) {
        let mut statement = q.build(self.backend);
        if self.backend == DatabaseBackend::Sqlite {
            encode_ahead(&mut statement);
        }
        self.list.push(statement);
    }
}

/// SQLite: binds JSON and timestamps as the text the driver would make of them. The driver
/// clones every value of a statement and encodes it on the writing side, between two
/// statements of the batch's write; done here, it happens while the batch before is
/// written (a JSON value was a tree of maps cloned and serialised on the write's path).
fn encode_ahead(statement: &mut Statement) {
    use sea_orm::sea_query::Value;
    let Some(values) = statement.values.as_mut() else {
        return;
    };
    for v in values.0.iter_mut() {
        match v {
            // `serde_json::to_string`, as the driver's `Json` encoding.
            Value::Json(j) => *v = Value::String(j.as_ref().map(|j| j.to_string())),
            // The driver's `DateTime` encoding.
            Value::ChronoDateTimeUtc(t) => {
                *v = Value::String(
                    t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)),
                );
            }
            _ => {}
        }
    }
}

/// Runs `statements` in `txn`, in order.
pub async fn execute<C: ConnectionTrait>(txn: &C, statements: Vec<Statement>) -> crate::Result<()> {
    for s in statements {
        txn.execute_raw(s).await?;
    }
    Ok(())
}

/// Writes `rows` (planned writes) and `report` (import rows) in `txn`.
pub async fn write<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    refs: &Refs,
    departments: &mut HashMap<String, Uuid>,
    rows: &[Writes],
    report: Vec<import_rows::ActiveModel>,
) -> crate::Result<()> {
    let now = Utc::now();
    let list = statements(txn.get_database_backend(), ctx, refs, rows, report, now);
    execute(txn, list).await?;
    hr::write(txn, ctx.tenant, refs, departments, rows, now).await
}

/// Whether writing `rows` needs the database's answers on the way (HR rows look up and
/// create departments), so that their statements cannot all be built beforehand.
pub fn reads_while_writing(rows: &[Writes]) -> bool {
    rows.iter().any(|w| w.ops.hr.is_some())
}

/// The statements that write `rows` (planned writes, all but their HR part: see
/// [`reads_while_writing`]) and `report` (import rows), at time `now`.
pub fn statements(
    backend: DatabaseBackend,
    ctx: &Ctx,
    refs: &Refs,
    rows: &[Writes],
    report: Vec<import_rows::ActiveModel>,
    now: DateTime<Utc>,
) -> Vec<Statement> {
    let mut out = Statements::new(backend);
    let tenant = ctx.tenant;
    let superior_role = refs.superior_role;
    let new_users: Vec<users::ActiveModel> = rows
        .iter()
        .filter_map(|w| {
            w.ops.insert.clone().map(|mut u| {
                u.id = w.user_id;
                u.password_hash = w.password_hash.clone();
                if let Some(Some(s)) = w.superior_id {
                    u.superior_id = Some(s);
                }
                u.into_active_model()
            })
        })
        .collect();
    insert_chunked(&mut out, new_users);
    for w in rows.iter().filter(|w| w.ops.insert.is_none()) {
        let mut update = tenant
            .update_many::<users::Entity>()
            .filter(users::Column::Id.eq(w.user_id));
        let mut any = false;
        for (col, v) in &w.ops.columns {
            update = update.col_expr(*col, Expr::value(v.clone()));
            any = true;
        }
        if let Some(hash) = &w.password_hash {
            update = update.col_expr(users::Column::PasswordHash, Expr::value(hash.clone()));
            any = true;
        }
        if let Some(s) = w.superior_id {
            update = update.col_expr(users::Column::SuperiorId, Expr::value(s));
            any = true;
        }
        if any {
            out.push(&update.col_expr(users::Column::UpdatedAt, Expr::value(now)));
        }
    }
    relations(&mut out, tenant, superior_role, rows, now);
    let mails: Vec<Uuid> = rows
        .iter()
        .filter(|w| w.ops.set_password_mail)
        .map(|w| w.user_id)
        .collect();
    out.list
        .extend(crate::domain::users::set_password_mail_statements(
            backend, tenant, &mails,
        ));
    let audits = rows.iter().map(|w| audit(ctx, w, now)).collect();
    insert_chunks(&mut out, audits, PG_LARGE_ROWS);
    insert_chunked(&mut out, report);
    out.list
}

/// Adds and removes the links of one relation (`other` is the linked object's column).
fn link<E, A>(
    out: &mut Statements,
    tenant: TenantId,
    rows: &[Writes],
    pick: impl Fn(&Ops) -> &SetOps,
    user: E::Column,
    other: E::Column,
    make: impl Fn(Uuid, Uuid) -> A,
) where
    E: TenantOwned,
    A: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    let mut add = Vec::new();
    let mut remove = Condition::any();
    let mut any_remove = false;
    for w in rows {
        let ops = pick(&w.ops);
        add.extend(ops.add.iter().map(|id| make(w.user_id, *id)));
        if !ops.remove.is_empty() {
            any_remove = true;
            remove = remove.add(
                Condition::all()
                    .add(user.eq(w.user_id))
                    .add(other.is_in(ops.remove.iter().copied())),
            );
        }
    }
    if any_remove {
        out.push(&tenant.delete_many::<E>().filter(remove));
    }
    insert_chunked(out, add);
}

fn relations(
    out: &mut Statements,
    tenant: TenantId,
    superior_role: Option<Uuid>,
    rows: &[Writes],
    now: DateTime<Utc>,
) {
    link(
        out,
        tenant,
        rows,
        |o| &o.groups,
        user_group_members::Column::UserId,
        user_group_members::Column::UserGroupId,
        |user, group| user_group_members::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tenant.0),
            user_group_id: Set(group),
            user_id: Set(user),
            created_at: Set(now),
        },
    );
    link(
        out,
        tenant,
        rows,
        |o| &o.profiles,
        user_enrollment_profiles::Column::UserId,
        user_enrollment_profiles::Column::EnrollmentProfileId,
        |user, profile| user_enrollment_profiles::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tenant.0),
            user_id: Set(user),
            enrollment_profile_id: Set(profile),
            created_at: Set(now),
        },
    );
    link(
        out,
        tenant,
        rows,
        |o| &o.catalogs,
        user_catalogs::Column::UserId,
        user_catalogs::Column::CatalogId,
        |user, catalog| user_catalogs::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tenant.0),
            user_id: Set(user),
            catalog_id: Set(catalog),
            created_at: Set(now),
        },
    );

    // U7/I5: the superior role is the one role an import grants or revokes.
    let grant: Vec<role_assignments::ActiveModel> = rows
        .iter()
        .filter(|w| w.ops.superior_role == Some(true))
        .filter_map(|w| superior_role.map(|role| (w.user_id, role)))
        .map(|(user, role)| role_assignments::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tenant.0),
            role_id: Set(role),
            user_id: Set(Some(user)),
            backoffice_account_id: Set(None),
            organisation_unit_id: Set(None),
            created_at: Set(now),
        })
        .collect();
    insert_chunked(out, grant);
    let revoke: Vec<(Uuid, Uuid)> = rows
        .iter()
        .filter(|w| w.ops.superior_role == Some(false))
        .filter_map(|w| superior_role.map(|role| (w.user_id, role)))
        .collect();
    if let Some((_, role)) = revoke.first() {
        out.push(
            &tenant
                .delete_many::<role_assignments::Entity>()
                .filter(role_assignments::Column::RoleId.eq(*role))
                .filter(role_assignments::Column::UserId.is_in(revoke.iter().map(|(u, _)| *u))),
        );
    }

    // U9: personal budgets and extended properties, upserted.
    let budgets: Vec<personal_budgets::ActiveModel> = rows
        .iter()
        .filter_map(|w| match w.ops.budget {
            Some(Some(cents)) => Some(personal_budgets::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(tenant.0),
                user_id: Set(w.user_id),
                amount_cents: Set(cents),
                currency: Set("EUR".into()),
                created_at: Set(now),
                updated_at: Set(now),
            }),
            _ => None,
        })
        .collect();
    if !budgets.is_empty() {
        out.push(
            &personal_budgets::Entity::insert_many(budgets).on_conflict(
                OnConflict::columns([
                    personal_budgets::Column::TenantId,
                    personal_budgets::Column::UserId,
                ])
                .update_columns([
                    personal_budgets::Column::AmountCents,
                    personal_budgets::Column::UpdatedAt,
                ])
                .to_owned(),
            ),
        );
    }
    let no_budget: Vec<Uuid> = rows
        .iter()
        .filter(|w| w.ops.budget == Some(None))
        .map(|w| w.user_id)
        .collect();
    if !no_budget.is_empty() {
        out.push(
            &tenant
                .delete_many::<personal_budgets::Entity>()
                .filter(personal_budgets::Column::UserId.is_in(no_budget)),
        );
    }
    let mut props = Vec::new();
    let mut drop = Condition::any();
    let mut any_drop = false;
    for w in rows {
        match &w.ops.property {
            Some((name, Some(value))) => props.push(extended_properties::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(tenant.0),
                user_id: Set(w.user_id),
                name: Set(name.clone()),
                value: Set(value.clone()),
                created_at: Set(now),
                updated_at: Set(now),
            }),
            Some((name, None)) => {
                any_drop = true;
                drop = drop.add(
                    Condition::all()
                        .add(extended_properties::Column::UserId.eq(w.user_id))
                        .add(extended_properties::Column::Name.eq(name.clone())),
                );
            }
            None => {}
        }
    }
    if any_drop {
        out.push(
            &tenant
                .delete_many::<extended_properties::Entity>()
                .filter(drop),
        );
    }
    for chunk in props.chunks(rows_per_insert(out.backend, 7)) {
        out.push(
            &extended_properties::Entity::insert_many(chunk.to_vec()).on_conflict(
                OnConflict::columns([
                    extended_properties::Column::TenantId,
                    extended_properties::Column::UserId,
                    extended_properties::Column::Name,
                ])
                .update_columns([
                    extended_properties::Column::Value,
                    extended_properties::Column::UpdatedAt,
                ])
                .to_owned(),
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::sea_query::{Alias, Query, SqliteQueryBuilder, Value};
    use sea_orm::{ConnectionTrait, Database};

    use super::*;

    /// The values `encode_ahead` binds are stored exactly as the driver stores the originals
    /// (timestamps are compared as text on SQLite, so a different spelling would reorder them).
    #[tokio::test]
    async fn encoded_ahead_values_are_stored_as_the_driver_stores_them() {
        let db = Database::connect("sqlite::memory:").await.expect("sqlite");
        db.execute_unprepared("CREATE TABLE t (at TEXT, doc TEXT)")
            .await
            .expect("table");
        let at = DateTime::parse_from_rfc3339("2026-12-03T18:59:01.123456789Z")
            .expect("time")
            .with_timezone(&Utc);
        let doc = serde_json::json!({"b": [1, "x\"y"], "a": {"c": null}});
        for ahead in [false, true] {
            let insert = Query::insert()
                .into_table(Alias::new("t"))
                .columns([Alias::new("at"), Alias::new("doc")])
                .values_panic([Value::from(at).into(), Value::from(doc.clone()).into()])
                .to_owned();
            let (sql, values) = insert.build(SqliteQueryBuilder);
            let mut statement =
                Statement::from_sql_and_values(DatabaseBackend::Sqlite, sql, values);
            if ahead {
                encode_ahead(&mut statement);
            }
            db.execute_raw(statement).await.expect("insert");
        }
        let rows = db
            .query_all_raw(Statement::from_string(
                DatabaseBackend::Sqlite,
                "SELECT typeof(at), at, typeof(doc), doc FROM t",
            ))
            .await
            .expect("select");
        let stored: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                (0..4)
                    .map(|i| r.try_get_by_index::<String>(i).expect("text"))
                    .collect()
            })
            .collect();
        assert_eq!(stored.len(), 2);
        assert_eq!(stored[0], stored[1]);
        assert_eq!(stored[0][1], "2026-12-03T18:59:01.123456789+00:00");
    }
}
