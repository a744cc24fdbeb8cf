//! J1: the durable job queue. Jobs live in the `jobs` table, enqueued in the same transaction
//! as the data they act on; workers claim them with a lease, so several workers on several
//! instances never run one job twice at once, and a crashed worker's job is claimed again
//! when its lease runs out. Handlers must therefore be idempotent.

pub mod handlers;
pub mod worker;

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, LockBehavior, LockType, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend,
    DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use serde_json::Value;
use uuid::Uuid;

use crate::store::TenantId;
use crate::store::entity::jobs;

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// The tenant it works for; `None` for system jobs.
    pub tenant: Option<TenantId>,
    /// Handler name, e.g. `mail.set_password`.
    pub kind: &'static str,
    /// Handler input.
    pub payload: Value,
    /// Not before this time.
    pub run_at: DateTime<Utc>,
    /// Enqueuing the same kind and key again returns the existing job instead.
    pub dedup_key: Option<String>,
}

impl NewJob {
    /// A job of `kind` for `tenant`, due now.
    pub fn now(tenant: TenantId, kind: &'static str, payload: Value) -> Self {
        Self {
            tenant: Some(tenant),
            kind,
            payload,
            run_at: Utc::now(),
            dedup_key: None,
        }
    }
}

/// Enqueues `job` on `db` (pass the transaction that writes the data it acts on).
pub async fn enqueue<C: ConnectionTrait>(db: &C, job: NewJob) -> crate::Result<Uuid> {
    if let Some(key) = &job.dedup_key
        && let Some(existing) = jobs::Entity::find()
            .filter(jobs::Column::Kind.eq(job.kind))
            .filter(jobs::Column::DedupKey.eq(key.as_str()))
            .one(db)
            .await?
    {
        return Ok(existing.id);
    }
    let id = Uuid::now_v7();
    queued(id, job).insert(db).await?;
    Ok(id)
}

/// The queue row of a new job.
fn queued(id: Uuid, job: NewJob) -> jobs::ActiveModel {
    let now = Utc::now();
    jobs::ActiveModel {
        id: Set(id),
        tenant_id: Set(job.tenant.map(|t| t.0)),
        kind: Set(job.kind.to_owned()),
        payload: Set(job.payload),
        state: Set("queued".into()),
        priority: Set(0),
        attempts: Set(0),
        max_attempts: Set(5),
        run_at: Set(job.run_at),
        locked_by: Set(None),
        locked_until: Set(None),
        last_error: Set(None),
        dedup_key: Set(job.dedup_key),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// The statements that enqueue many jobs at once (set-based, for the transaction that writes
/// the data they act on); a job whose kind and key are queued already is skipped.
pub fn enqueue_statements(
    backend: sea_orm::DatabaseBackend,
    jobs_to_queue: Vec<NewJob>,
) -> Vec<sea_orm::Statement> {
    // 15 columns per row: 3750 bind variables per statement keep prepared statements small.
    let mut rows = jobs_to_queue
        .into_iter()
        .map(|job| queued(Uuid::now_v7(), job))
        .peekable();
    let mut out = Vec::new();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(250).collect();
        out.push(
            jobs::Entity::insert_many(chunk)
                .on_conflict(
                    OnConflict::columns([jobs::Column::Kind, jobs::Column::DedupKey])
                        .do_nothing()
                        .to_owned(),
                )
                .build(backend),
        );
    }
    out
}

/// Records a running job's progress in its payload (`payload.next = next`), so a worker that
/// takes the job over after a crash resumes there. Fenced like [`complete`]: only the claim
/// that still holds the job writes.
pub async fn record_progress(
    db: &DatabaseConnection,
    job: &jobs::Model,
    next: i64,
) -> crate::Result<()> {
    let payload = match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            Expr::cust_with_values("jsonb_set(payload, '{next}', to_jsonb($1::bigint))", [next])
        }
        _ => Expr::cust_with_values("json_set(payload, '$.next', ?)", [next]),
    };
    jobs::Entity::update_many()
        .col_expr(jobs::Column::Payload, payload)
        .col_expr(jobs::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(jobs::Column::Id.eq(job.id))
        .filter(jobs::Column::Attempts.eq(job.attempts))
        .exec(db)
        .await?;
    Ok(())
}

/// Claims the next due job for `worker`, holding it for `lease`.
pub async fn claim(
    db: &DatabaseConnection,
    worker: &str,
    lease: Duration,
) -> crate::Result<Option<jobs::Model>> {
    let now = Utc::now();
    let due = Condition::any()
        .add(
            Condition::all()
                .add(jobs::Column::State.eq("queued"))
                .add(jobs::Column::RunAt.lte(now)),
        )
        .add(
            // A lease ran out: its worker died or hung.
            Condition::all()
                .add(jobs::Column::State.eq("running"))
                .add(jobs::Column::LockedUntil.lt(now)),
        );
    let txn = crate::store::begin_write(db).await?;
    let mut select = jobs::Entity::find()
        .filter(due.clone())
        .order_by_desc(jobs::Column::Priority)
        .order_by_asc(jobs::Column::RunAt)
        .limit(1);
    if db.get_database_backend() == DatabaseBackend::Postgres {
        select = select.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let Some(job) = select.one(&txn).await? else {
        txn.commit().await?;
        return Ok(None);
    };
    let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(5));
    // The guard makes the claim safe where rows cannot be locked (SQLite): only one
    // claimer's update matches.
    let claimed = jobs::Entity::update_many()
        .col_expr(jobs::Column::State, Expr::value("running"))
        .col_expr(jobs::Column::LockedBy, Expr::value(worker))
        .col_expr(jobs::Column::LockedUntil, Expr::value(until))
        .col_expr(jobs::Column::Attempts, Expr::value(job.attempts + 1))
        .col_expr(jobs::Column::UpdatedAt, Expr::value(now))
        .filter(jobs::Column::Id.eq(job.id))
        .filter(jobs::Column::Attempts.eq(job.attempts))
        .filter(due)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    if claimed.rows_affected != 1 {
        return Ok(None);
    }
    Ok(jobs::Entity::find_by_id(job.id).one(db).await?)
}

/// Runs `work` for a claimed job while holding its lease: every third of `lease` the lease is
/// extended, so a job that runs longer than one lease (a large staged import) is never
/// claimed by a second worker while the first is still on it. A worker that dies stops
/// extending, and the job passes on once the last lease runs out.
pub async fn holding<F: std::future::Future>(
    db: &DatabaseConnection,
    job: &jobs::Model,
    worker: &str,
    lease: Duration,
    work: F,
) -> F::Output {
    let work = std::pin::pin!(work);
    let mut work = work;
    let mut beat = tokio::time::interval(lease / 3);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    beat.tick().await; // the first tick is immediate: the claim has just set the lease
    loop {
        tokio::select! {
            out = &mut work => return out,
            _ = beat.tick() => {
                if let Err(e) = extend_lease(db, job, worker, lease).await {
                    tracing::warn!(error = %e, job = %job.id, "could not extend the job's lease");
                }
            }
        }
    }
}

/// Extends the lease of a long job that is still being worked on.
pub async fn extend_lease(
    db: &DatabaseConnection,
    job: &jobs::Model,
    worker: &str,
    lease: Duration,
) -> crate::Result<()> {
    let until =
        Utc::now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(5));
    jobs::Entity::update_many()
        .col_expr(jobs::Column::LockedUntil, Expr::value(until))
        .filter(jobs::Column::Id.eq(job.id))
        .filter(jobs::Column::LockedBy.eq(worker))
        // Fenced like `finish`: only the claim that is still the job's own extends it.
        .filter(jobs::Column::Attempts.eq(job.attempts))
        .filter(jobs::Column::State.eq("running"))
        .exec(db)
        .await?;
    Ok(())
}

/// Marks a claimed job done.
pub async fn complete(db: &DatabaseConnection, job: &jobs::Model) -> crate::Result<()> {
    finish(db, job, "done", None, None).await
}

/// Records a failure: the job is retried with exponential backoff until `max_attempts`.
pub async fn fail(db: &DatabaseConnection, job: &jobs::Model, error: &str) -> crate::Result<()> {
    if job.attempts >= job.max_attempts {
        finish(db, job, "failed", Some(error), None).await
    } else {
        let backoff = 10i64 * (1i64 << job.attempts.clamp(0, 10));
        let retry_at = Utc::now() + chrono::Duration::seconds(backoff);
        finish(db, job, "queued", Some(error), Some(retry_at)).await
    }
}

async fn finish(
    db: &DatabaseConnection,
    job: &jobs::Model,
    state: &str,
    error: Option<&str>,
    run_at: Option<DateTime<Utc>>,
) -> crate::Result<()> {
    let mut update = jobs::Entity::update_many()
        .col_expr(jobs::Column::State, Expr::value(state))
        .col_expr(jobs::Column::LockedBy, Expr::value(Option::<String>::None))
        .col_expr(
            jobs::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(jobs::Column::UpdatedAt, Expr::value(Utc::now()));
    if let Some(e) = error {
        let e: String = e.chars().take(2000).collect();
        update = update.col_expr(jobs::Column::LastError, Expr::value(e));
    }
    if let Some(at) = run_at {
        update = update.col_expr(jobs::Column::RunAt, Expr::value(at));
    }
    // Fenced by the claim: a worker whose lease ran out while it worked must not overwrite
    // what the worker that took the job over records. Each claim raises `attempts`.
    let result = update
        .filter(jobs::Column::Id.eq(job.id))
        .filter(jobs::Column::State.eq("running"))
        .filter(jobs::Column::Attempts.eq(job.attempts))
        .filter(match &job.locked_by {
            Some(worker) => jobs::Column::LockedBy.eq(worker.as_str()),
            None => jobs::Column::LockedBy.is_null(),
        })
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        tracing::warn!(
            job.id = %job.id,
            job.kind = %job.kind,
            outcome = state,
            "job lease lost: another worker took the job over; its outcome stands"
        );
    }
    Ok(())
}

/// Moves a queued job's start to now ("run now").
pub async fn run_now(db: &DatabaseConnection, id: Uuid) -> crate::Result<bool> {
    let result = jobs::Entity::update_many()
        .col_expr(jobs::Column::RunAt, Expr::value(Utc::now()))
        .filter(jobs::Column::Id.eq(id))
        .filter(jobs::Column::State.eq("queued"))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
