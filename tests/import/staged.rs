//! I9 (staged imports through the job queue, J1), I8 (report CSV and report mail, J2), and
//! the durability promise: a worker killed mid-import loses nothing and duplicates nothing.

use std::time::Duration;

use chrono::Utc;
use roster::import::staged::{self, StageRequest};
use roster::store::entity::{backoffice_accounts, import_rows, imports, users};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, QueryFilter};
use uuid::Uuid;

use super::kit::{HEADER, Kit, csv, fingerprint, std_row};

/// A file with creates, an update, errors, a superior named before it appears, and a
/// department created and re-parented (HR columns are not in it: the standard format).
fn file() -> String {
    let mut rows: Vec<String> = vec![
        ";L1;Lea;Learner;l@example.org;;;;;;;;;;;;;;;;;S1;;".into(),
        std_row("E1", "Ann", "Lee", "a@example.org"),
        std_row("E2", "Bad", "Mail", "not-an-address"),
    ];
    for i in 3..=22 {
        rows.push(std_row(
            &format!("E{i}"),
            "Nn",
            &format!("User{i}"),
            &format!("u{i}@example.org"),
        ));
    }
    rows.push(";S1;Sam;Superior;s@example.org;;;;;;;;;;;;;;;;True;;;".into());
    rows.push(std_row("E1", "Ann", "Lee", "a@example.org"));
    let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    csv(HEADER, &refs)
}

fn request(content: &str, mail_report: bool) -> StageRequest {
    StageRequest {
        file_name: "users.csv".into(),
        content: content.as_bytes().to_vec(),
        config: None,
        format: None,
        catalog: None,
        mail_report,
        interval: Duration::from_secs(900),
    }
}

/// The lines the stored report rows of import `id` cover (a run covers `line_no` to
/// `last_line_no`), with their outcomes, in line order.
async fn covered_lines(k: &Kit, id: Uuid) -> Vec<(i32, String)> {
    let mut lines: Vec<(i32, String)> = k
        .tenant
        .find::<import_rows::Entity>()
        .filter(import_rows::Column::ImportId.eq(id))
        .all(&k.t.db)
        .await
        .expect("rows")
        .into_iter()
        .flat_map(|r| {
            let last = r.last_line_no.unwrap_or(r.line_no);
            assert_eq!(
                last - r.line_no + 1,
                r.line_count,
                "a run's count is its lines"
            );
            (r.line_no..=last).map(move |l| (l, r.outcome.clone()))
        })
        .collect();
    lines.sort();
    lines
}

async fn report_lines(k: &Kit, id: Uuid) -> Vec<(i32, String)> {
    let mut rows: Vec<(i32, String)> = k
        .tenant
        .find::<import_rows::Entity>()
        .filter(import_rows::Column::ImportId.eq(id))
        .all(&k.t.db)
        .await
        .expect("rows")
        .into_iter()
        .map(|r| (r.line_no, r.outcome))
        .collect();
    rows.sort();
    rows
}

#[tokio::test]
async fn i9_staged_import_waits_for_its_tick_runs_now_and_reports() {
    let k = Kit::new().await;
    let (state, _) = k.app();
    let before = Utc::now();
    let staged = staged::stage(&k.t.db, &k.permit(), request(&file(), false))
        .await
        .expect("stage");
    assert_eq!(
        staged.run_at.timestamp() % 900,
        0,
        "the next tick of the interval"
    );
    assert!(staged.run_at > before);
    let info = staged::get(&k.t.db, &k.permit(), staged.id)
        .await
        .expect("get");
    assert_eq!(info.state, "staged");
    assert_eq!(info.run_at, Some(staged.run_at));
    assert_eq!(
        roster::jobs::worker::drain(&state).await.expect("drain"),
        0,
        "not due yet"
    );
    assert!(
        staged::run_now(&k.t.db, &k.permit(), staged.id)
            .await
            .expect("run now")
    );
    assert!(roster::jobs::worker::drain(&state).await.expect("drain") >= 1);
    let info = staged::get(&k.t.db, &k.permit(), staged.id)
        .await
        .expect("get");
    assert_eq!(info.state, "done");
    assert_eq!(
        (
            info.total,
            info.created,
            info.updated,
            info.unchanged,
            info.errors
        ),
        (25, 23, 0, 0, 2)
    );
    assert!(info.duration_ms.is_some());
    assert_eq!(
        staged::list(&k.t.db, &k.permit(), 10)
            .await
            .expect("list")
            .len(),
        1
    );
    assert!(
        !staged::run_now(&k.t.db, &k.permit(), staged.id)
            .await
            .expect("run now")
    );
    // The learner's superior came later in the file and is linked.
    assert_eq!(
        k.by_ext("L1").await.superior_id,
        Some(k.by_ext("S1").await.id)
    );

    let report = staged::report_csv(&k.t.db, &k.permit(), staged.id)
        .await
        .expect("report");
    let golden = include_str!("../golden/import_report.csv");
    assert_eq!(String::from_utf8(report).expect("utf-8"), golden);
}

#[tokio::test]
async fn i9_a_rejected_staged_file_fails_with_its_reason() {
    let k = Kit::new().await;
    let (state, _) = k.app();
    let text = csv(
        "ExternalId;FirstName;LastName;Email;Colour",
        &["E1;A;B;a@example.org;red"],
    );
    let staged = staged::stage(&k.t.db, &k.permit(), request(&text, false))
        .await
        .expect("stage");
    staged::run_now(&k.t.db, &k.permit(), staged.id)
        .await
        .expect("run now");
    roster::jobs::worker::drain(&state).await.expect("drain");
    let info = staged::get(&k.t.db, &k.permit(), staged.id)
        .await
        .expect("get");
    assert_eq!(info.state, "failed");
    assert_eq!(
        info.error.as_deref(),
        Some(
            "line 1, column E: unknown column `Colour`; column names are fixed, see docs/import.md"
        )
    );
    assert_eq!(k.users().await, 0);
}

#[tokio::test]
async fn i9_kill_and_resume_ends_in_the_same_state_with_one_report_row_per_line() {
    // A run that is not interrupted, for reference.
    let clean = Kit::new().await;
    let (clean_state, _) = clean.app();
    let s = staged::stage(&clean.t.db, &clean.permit(), request(&file(), false))
        .await
        .expect("stage");
    staged::execute_for_test(&clean_state, clean.tenant, s.id, 5, None)
        .await
        .expect("clean run");

    let k = Kit::new().await;
    let (state, _) = k.app();
    let s = staged::stage(&k.t.db, &k.permit(), request(&file(), false))
        .await
        .expect("stage");
    // The worker dies after writing two batches of five rows.
    let crash = staged::execute_for_test(&state, k.tenant, s.id, 5, Some(2)).await;
    assert!(crash.is_err());
    assert_eq!(
        staged::get(&k.t.db, &k.permit(), s.id)
            .await
            .expect("get")
            .state,
        "running"
    );
    assert_eq!(covered_lines(&k, s.id).await.len(), 10);
    // Its retry (a smaller batch, to shift every boundary) resumes and finishes.
    let resumed = staged::execute_for_test(&state, k.tenant, s.id, 3, None)
        .await
        .expect("resume")
        .expect("ran");
    assert!(resumed.rejected.is_none());

    let lines = covered_lines(&k, s.id).await;
    let mut distinct: Vec<i32> = lines.iter().map(|(l, _)| *l).collect();
    distinct.dedup();
    assert_eq!(lines.len(), 25, "every line reported once");
    assert_eq!(distinct.len(), 25, "every line reported once");
    assert_eq!(lines, covered_lines(&clean, clean_id(&clean).await).await);
    assert_eq!(
        fingerprint(&k.t.db, k.tenant).await,
        fingerprint(&clean.t.db, clean.tenant).await
    );
    assert_eq!(
        k.by_ext("L1").await.superior_id,
        Some(k.by_ext("S1").await.id)
    );
    let mut mailed = k.set_password_mail_users().await;
    assert_eq!(mailed.len(), 23, "no mail queued twice: {mailed:?}");
    mailed.sort();
    mailed.dedup();
    assert_eq!(mailed.len(), 23, "no user queued twice");
    let info = staged::get(&k.t.db, &k.permit(), s.id).await.expect("get");
    assert_eq!(
        (info.state.as_str(), info.total, info.created),
        ("done", 25, 23)
    );
}

/// I8, I9: a re-import reports each run of consecutive unchanged rows as one report row.
/// Killed and resumed with other batch boundaries, it reports every line once, as an
/// uninterrupted run does: the resumed run finds the users of recorded runs again by their
/// key, so a user named twice in the file is still an error the second time.
#[tokio::test]
async fn i8_i9_runs_of_unchanged_rows_are_one_report_row_and_survive_kill_and_resume() {
    let row = |i: usize, first: &str| {
        std_row(
            &format!("E{i}"),
            first,
            &format!("User{i}"),
            &format!("u{i}@example.org"),
        )
    };
    let base: Vec<String> = (1..=12).map(|i| row(i, "Nn")).collect();
    let mut again = base.clone();
    again[4] = row(5, "Changed");
    again.push(row(3, "Nn"));
    again.push(row(13, "Nn"));
    let refs = |rows: &[String]| csv(HEADER, &rows.iter().map(String::as_str).collect::<Vec<_>>());
    let prepare = || async {
        let k = Kit::new().await;
        assert!(k.import(&refs(&base)).await.summary.errors == 0);
        let s = staged::stage(&k.t.db, &k.permit(), request(&refs(&again), false))
            .await
            .expect("stage");
        (k, s.id)
    };

    let ((clean, clean_import), (k, id)) = clean_and_resumed(prepare).await;

    // Batches of 5: a run of 4, E5 updated, a run of 5, then a run of 2, E3 again, E13.
    assert_eq!(
        report_lines(&clean, clean_import).await,
        [
            (2, "unchanged"),
            (6, "updated"),
            (7, "unchanged"),
            (12, "unchanged"),
            (14, "error"),
            (15, "created")
        ]
        .map(|(l, o)| (l, o.to_owned()))
    );
    let clean_report = report(&clean, clean_import).await;
    assert_eq!(clean_report.lines().count(), 1 + 14, "{clean_report}");
    assert!(
        clean_report.contains("\n3;unchanged;ExternalId;"),
        "{clean_report}"
    );
    assert!(clean_report.contains("\n14;error;"), "{clean_report}");
    assert_eq!(report(&k, id).await, clean_report);
    for (k, id) in [(&clean, clean_import), (&k, id)] {
        let info = staged::get(&k.t.db, &k.permit(), id).await.expect("get");
        assert_eq!(
            (info.state.as_str(), info.total, info.created, info.updated),
            ("done", 14, 1, 1)
        );
        assert_eq!((info.unchanged, info.errors), (11, 1));
    }
    assert_eq!(
        fingerprint(&k.t.db, k.tenant).await,
        fingerprint(&clean.t.db, clean.tenant).await
    );
}

/// I8/I9: consecutive created rows whose users have external ids are one report row too; a
/// resumed import finds those users again by external id, so superiors named across the
/// kill (created before it, linked after it) end up as in an uninterrupted run. A created row
/// without an external id keeps a report row of its own.
#[tokio::test]
async fn i8_i9_runs_of_created_rows_survive_kill_and_resume_with_their_superiors() {
    let row = |uid: &str, ext: &str, superior: bool, of: &str| {
        let mut c = vec![""; 24];
        let (first, last, email) = (
            format!("F{ext}{uid}"),
            format!("L{ext}{uid}"),
            format!("{ext}{uid}@example.org"),
        );
        c[0] = uid;
        c[1] = ext;
        c[2] = &first;
        c[3] = &last;
        c[4] = &email;
        c[20] = if superior { "True" } else { "" };
        c[21] = of;
        c.join(";")
    };
    let rows = [
        row("", "S1", true, ""),
        row("", "E2", false, "S1"),
        row("", "E3", false, "S9"),
        row("", "E4", false, ""),
        row("u5", "", false, ""),
        row("", "E6", false, "S1"),
        row("", "E7", false, ""),
        row("", "E8", false, ""),
        row("", "S9", true, ""),
        row("", "E10", false, ""),
        row("", "E11", false, "S9"),
        row("", "E12", false, "S1"),
    ];
    let text = csv(HEADER, &rows.iter().map(String::as_str).collect::<Vec<_>>());
    let prepare = || async {
        let k = Kit::new().await;
        let s = staged::stage(&k.t.db, &k.permit(), request(&text, false))
            .await
            .expect("stage");
        (k, s.id)
    };
    let ((clean, clean_import), (k, id)) = clean_and_resumed(prepare).await;

    // Batches of 5: a run of 4, u5 alone, a run of 5; then (resumed in batches of 3) a run of 2.
    for (k, id) in [(&clean, clean_import), (&k, id)] {
        assert_eq!(
            report_lines(k, id).await,
            [
                (2, "created"),
                (6, "created"),
                (7, "created"),
                (12, "created")
            ]
            .map(|(l, o)| (l, o.to_owned()))
        );
        let info = staged::get(&k.t.db, &k.permit(), id).await.expect("get");
        assert_eq!(
            (info.state.as_str(), info.total, info.created, info.errors),
            ("done", 12, 12, 0)
        );
    }
    let superiors = |k: &Kit| {
        let (db, tenant) = (k.t.db.clone(), k.tenant);
        async move {
            let users = tenant
                .find::<users::Entity>()
                .all(&db)
                .await
                .expect("users");
            let ext = |id| {
                users
                    .iter()
                    .find(|u| u.id == id)
                    .and_then(|u| u.external_id.clone())
            };
            let mut out: Vec<(String, Option<String>)> = users
                .iter()
                .map(|u| (u.login.clone(), u.superior_id.and_then(ext)))
                .collect();
            out.sort();
            out
        }
    };
    let linked = superiors(&k).await;
    assert_eq!(linked, superiors(&clean).await);
    let of = |login: &str| {
        linked
            .iter()
            .find(|(l, _)| l == login)
            .and_then(|(_, s)| s.clone())
    };
    assert_eq!(of("fe3.le3"), Some("S9".to_owned()), "{linked:?}");
    assert_eq!(of("fe12.le12"), Some("S1".to_owned()), "{linked:?}");
    assert_eq!(report(&k, id).await, report(&clean, clean_import).await);
    assert_eq!(
        fingerprint(&k.t.db, k.tenant).await,
        fingerprint(&clean.t.db, clean.tenant).await
    );
}

/// Stages what `prepare` makes twice: runs one import through in batches of five, and kills
/// the other after two batches, then resumes it in batches of three (every boundary moved).
/// Returns both kits with their import ids, the uninterrupted one first.
async fn clean_and_resumed<F, Fut>(prepare: F) -> ((Kit, Uuid), (Kit, Uuid))
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = (Kit, Uuid)>,
{
    let (clean, clean_import) = prepare().await;
    let (clean_state, _) = clean.app();
    staged::execute_for_test(&clean_state, clean.tenant, clean_import, 5, None)
        .await
        .expect("clean run");
    let (k, id) = prepare().await;
    let (state, _) = k.app();
    let crash = staged::execute_for_test(&state, k.tenant, id, 5, Some(2)).await;
    assert!(crash.is_err());
    staged::execute_for_test(&state, k.tenant, id, 3, None)
        .await
        .expect("resume")
        .expect("ran");
    ((clean, clean_import), (k, id))
}

async fn report(k: &Kit, id: Uuid) -> String {
    String::from_utf8(
        staged::report_csv(&k.t.db, &k.permit(), id)
            .await
            .expect("report"),
    )
    .expect("utf-8")
}

async fn clean_id(k: &Kit) -> Uuid {
    k.tenant
        .find::<imports::Entity>()
        .one(&k.t.db)
        .await
        .expect("query")
        .expect("import")
        .id
}

#[tokio::test]
async fn i8_the_report_is_mailed_to_the_importer_in_their_language() {
    let k = Kit::new().await;
    let (state, mails) = k.app();
    let now = Utc::now();
    let account = Uuid::now_v7();
    backoffice_accounts::ActiveModel {
        id: Set(account),
        tenant_id: Set(k.tenant.0),
        login: Set("importer".into()),
        first_name: Set("Ina".into()),
        last_name: Set("Importer".into()),
        email: Set(Some("ina@example.org".into())),
        password_hash: Set(None),
        must_change_password: Set(false),
        is_administrator: Set(true),
        course_system_role: Set(None),
        all_catalogs: Set(true),
        active: Set(true),
        user_id: Set(None),
        language: Set(Some("de".into())),
        last_login_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&k.t.db)
    .await
    .expect("account");
    let importer = roster::authz::Permit::for_principal(
        roster::auth::principal::Principal {
            tenant_id: k.tenant.0,
            tenant_slug: "acme".into(),
            kind: roster::auth::principal::PrincipalKind::Backoffice,
            id: account,
            login: "importer".into(),
            must_change_password: false,
            via_token: false,
        },
        vec![roster::authz::Right::Imports],
        roster::domain::Source::Web,
        None,
    );
    let s = staged::stage(&k.t.db, &importer, request(&file(), true))
        .await
        .expect("stage");
    staged::run_now(&k.t.db, &importer, s.id)
        .await
        .expect("run now");
    roster::jobs::worker::drain(&state).await.expect("drain");
    let mails = mails.lock().expect("mails").clone();
    let report = mails
        .iter()
        .find(|m| m.to == "ina@example.org")
        .expect("report mail");
    assert_eq!(report.subject, "Import-Bericht: users.csv (Acme)");
    assert!(report.text.contains("Angelegt:      23"), "{}", report.text);
    assert_eq!(report.attachments.len(), 1);
    assert_eq!(report.attachments[0].filename, "users-report.csv");
    let golden = include_str!("../golden/import_report.csv");
    assert_eq!(
        String::from_utf8_lossy(&report.attachments[0].content),
        golden
    );
    // The changes are audited as the importer's.
    let audits = k.audits().await;
    assert!(
        audits
            .iter()
            .all(|a| a.actor_id == Some(account) && a.source == "import")
    );
    let id = clean_id(&k).await;
    assert_eq!(covered_lines(&k, id).await.len(), 25);
}
