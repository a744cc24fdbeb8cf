//! J1: the one job queue. A claim is exclusive, a lapsed lease passes the job on, and a
//! worker that lost its lease cannot overwrite the outcome of the worker that took over
//! (fenced by the attempt its claim recorded).

use std::collections::HashSet;
use std::time::Duration;

use chrono::Utc;
use roster::jobs::{self, NewJob};
use roster::store::entity::jobs as job_rows;
use sea_orm::{DatabaseConnection, EntityTrait};
use serde_json::json;

use crate::util::TestDb;

fn system_job() -> NewJob {
    NewJob {
        tenant: None,
        kind: "test.noop",
        payload: json!({}),
        run_at: Utc::now(),
        dedup_key: None,
    }
}

async fn row(db: &DatabaseConnection, id: uuid::Uuid) -> job_rows::Model {
    job_rows::Entity::find_by_id(id)
        .one(db)
        .await
        .expect("read")
        .expect("job")
}

#[tokio::test]
async fn j1_a_lapsed_lease_passes_the_job_on_and_the_old_worker_cannot_overwrite_it() {
    let t = TestDb::new().await;
    let id = jobs::enqueue(&t.db, system_job()).await.expect("enqueue");

    let first = jobs::claim(&t.db, "worker-a", Duration::from_millis(500))
        .await
        .expect("claim")
        .expect("a job");
    assert_eq!(first.id, id);
    // While the lease holds nobody else gets the job.
    let held = jobs::claim(&t.db, "worker-b", Duration::from_secs(60))
        .await
        .expect("claim");
    assert!(held.is_none(), "a held lease is exclusive");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let second = jobs::claim(&t.db, "worker-b", Duration::from_secs(60))
        .await
        .expect("claim")
        .expect("the lapsed job is claimed again");
    assert_eq!(second.id, id);
    assert_eq!(second.attempts, first.attempts + 1);

    // Worker A comes back and reports: neither success nor failure may touch B's claim.
    jobs::complete(&t.db, &first).await.expect("complete");
    jobs::fail(&t.db, &first, "late failure")
        .await
        .expect("fail");
    let now = row(&t.db, id).await;
    assert_eq!(now.state, "running");
    assert_eq!(now.locked_by.as_deref(), Some("worker-b"));
    assert_eq!(now.last_error, None);

    jobs::complete(&t.db, &second).await.expect("complete");
    let done = row(&t.db, id).await;
    assert_eq!(done.state, "done");
    assert_eq!(done.locked_by, None);
}

#[tokio::test]
async fn j1_a_failure_is_retried_later_then_given_up_after_max_attempts() {
    let t = TestDb::new().await;
    let id = jobs::enqueue(&t.db, system_job()).await.expect("enqueue");
    let job = jobs::claim(&t.db, "w", Duration::from_secs(60))
        .await
        .expect("claim")
        .expect("job");
    jobs::fail(&t.db, &job, "boom").await.expect("fail");
    let retried = row(&t.db, id).await;
    assert_eq!(retried.state, "queued");
    assert_eq!(retried.last_error.as_deref(), Some("boom"));
    assert!(retried.run_at > Utc::now(), "backoff puts the retry later");
    assert!(
        jobs::claim(&t.db, "w", Duration::from_secs(60))
            .await
            .expect("claim")
            .is_none(),
        "not due before its backoff"
    );
    // Each retry is claimed again (made due now) and fails, until max_attempts: then final.
    let mut claims = 1;
    loop {
        assert!(jobs::run_now(&t.db, id).await.expect("run now"));
        let job = jobs::claim(&t.db, "w", Duration::from_secs(60))
            .await
            .expect("claim")
            .expect("due again");
        claims += 1;
        jobs::fail(&t.db, &job, "boom again").await.expect("fail");
        if row(&t.db, id).await.state != "queued" {
            break;
        }
        assert!(claims < 20, "retries must end");
    }
    let failed = row(&t.db, id).await;
    assert_eq!(failed.attempts, failed.max_attempts);
    assert_eq!(claims, failed.max_attempts);
    assert_eq!(row(&t.db, id).await.state, "failed");
}

/// PostgreSQL: claimers run concurrently (`FOR UPDATE SKIP LOCKED`); SQLite has one writer
/// and one claiming worker per database (docs/operations.md).
#[tokio::test]
async fn j1_concurrent_workers_never_claim_the_same_job() {
    if std::env::var("ROSTER_TEST_DATABASE_URL").is_err() {
        return;
    }
    let t = TestDb::new().await;
    for _ in 0..40 {
        jobs::enqueue(&t.db, system_job()).await.expect("enqueue");
    }
    let work = |name: &'static str| {
        let db = t.db.clone();
        async move {
            let mut got = Vec::new();
            while let Some(job) = jobs::claim(&db, name, Duration::from_secs(60))
                .await
                .expect("claim")
            {
                got.push(job.id);
                jobs::complete(&db, &job).await.expect("complete");
            }
            got
        }
    };
    let (a, b, c) = tokio::join!(work("a"), work("b"), work("c"));
    let all: Vec<_> = a.iter().chain(&b).chain(&c).copied().collect();
    let distinct: HashSet<_> = all.iter().copied().collect();
    assert_eq!(
        all.len(),
        40,
        "every job claimed once: {} {} {}",
        a.len(),
        b.len(),
        c.len()
    );
    assert_eq!(distinct.len(), 40);
}

/// J1: a job that runs longer than its lease keeps it while its worker is on it (the worker
/// extends it as it goes); nobody else claims it meanwhile. Without the extension the lease
/// would have lapsed after 2 s (the lapsed-lease test above shows the job is then taken over).
#[tokio::test]
async fn j1_a_job_running_longer_than_its_lease_is_not_taken_over() {
    let t = TestDb::new().await;
    let id = jobs::enqueue(&t.db, system_job()).await.expect("enqueue");
    let lease = Duration::from_secs(2);
    let job = jobs::claim(&t.db, "worker-a", lease)
        .await
        .expect("claim")
        .expect("a job");
    assert_eq!(job.id, id);
    let probe = async {
        let mut stolen = Vec::new();
        for _ in 0..3 {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            stolen.extend(jobs::claim(&t.db, "worker-b", lease).await.expect("claim"));
        }
        stolen
    };
    let work = tokio::time::sleep(Duration::from_millis(5000));
    let (stolen, ()) = tokio::join!(probe, jobs::holding(&t.db, &job, "worker-a", lease, work));
    assert!(stolen.is_empty(), "taken over while running: {stolen:?}");
    jobs::complete(&t.db, &job).await.expect("complete");
    assert_eq!(row(&t.db, id).await.state, "done");
}
