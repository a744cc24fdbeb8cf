//! I3–I5, I7, I8, U1–U4: the semantics of the standard user import.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use roster::app::AppState;
use roster::auth::links::{self, Holder, Purpose};
use roster::authz::scope::Scope;
use roster::config::{Settings, SettingsArgs};
use roster::domain::users::queue_set_password_mails;
use roster::import::report::MatchedBy;
use roster::import::{Options, Outcome, RowReport};
use roster::mail::{Mail, Mailer};
use roster::store::entity::{jobs, users};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use uuid::Uuid;

use super::kit::{HEADER, Kit, csv, std_row};

/// The outcome and message of every row, for comparing runs.
fn outcomes(rows: &[RowReport]) -> Vec<(u64, Outcome, Option<String>, Vec<String>)> {
    rows.iter()
        .map(|r| {
            (
                r.line,
                r.outcome,
                r.message.clone(),
                r.changes
                    .iter()
                    .map(|c| format!("{}: {} → {}", c.field, c.old, c.new))
                    .collect(),
            )
        })
        .collect()
}

#[tokio::test]
async fn i3_absent_column_keeps_value() {
    let k = Kit::new().await;
    let full = format!(
        "{HEADER}\n;E1;Ann;Lee;ann@example.org;;Dr.;;HR;P-7;;ACME;North;;CC1;G1;d1;;;en;;;;\n"
    );
    assert_eq!(k.import(&full).await.outcomes(), [Outcome::Created]);
    let partial = csv(
        "ExternalId;FirstName;LastName;Email",
        &["E1;Ann;Lee;ann@example.org"],
    );
    let run = k.import(&partial).await;
    assert_eq!(run.outcomes(), [Outcome::Unchanged], "{:#?}", run.rows);
    let u = k.by_ext("E1").await;
    assert_eq!(u.title.as_deref(), Some("Dr."));
    assert_eq!(u.personnel_number.as_deref(), Some("P-7"));
    assert_eq!(u.cost_centre.as_deref(), Some("CC1"));
    assert_eq!(u.language.as_deref(), Some("en"));
    assert!(u.organisation_unit_id.is_some() && u.organisation_id.is_some());
    assert_eq!(k.groups_of(u.id).await, 1);
}

#[tokio::test]
async fn i3_present_empty_cell_clears_value() {
    let k = Kit::new().await;
    let full = format!("{HEADER}\n;E1;Ann;Lee;ann@example.org;;Dr.;;HR;P-7;;;;;;G1;d1;;;en;;;;\n");
    k.import(&full).await;
    let cleared = csv(
        "ExternalId;FirstName;LastName;Email;Title;DataField01;UserGroups;Language",
        &["E1;Ann;Lee;ann@example.org;;;;"],
    );
    let run = k.import(&cleared).await;
    assert_eq!(run.outcomes(), [Outcome::Updated]);
    let fields: Vec<&str> = run.rows[0]
        .changes
        .iter()
        .map(|c| c.field.as_str())
        .collect();
    // In the order of the standard format.
    assert_eq!(fields, ["Title", "UserGroups", "DataField01", "Language"]);
    let u = k.by_ext("E1").await;
    assert_eq!((u.title, u.data_field_01, u.language), (None, None, None));
    assert_eq!(k.groups_of(u.id).await, 0);
    assert_eq!(u.personnel_number.as_deref(), Some("P-7"), "absent: kept");
}

#[tokio::test]
async fn i3_a_required_field_cannot_be_cleared() {
    let k = Kit::new().await;
    k.import(&csv(
        HEADER,
        &[&std_row("E1", "Ann", "Lee", "ann@example.org")],
    ))
    .await;
    let run = k
        .import(&csv(
            "ExternalId;FirstName;LastName;Email",
            &["E1;;Lee;ann@example.org"],
        ))
        .await;
    assert_eq!(run.message(2), "line 2: FirstName is required");
    assert_eq!(k.by_ext("E1").await.first_name, "Ann");
}

#[tokio::test]
async fn i8_report_names_changed_fields_old_and_new() {
    let k = Kit::new().await;
    k.import(&csv(
        HEADER,
        &[&std_row("E1", "Ann", "Lee", "ann@example.org")],
    ))
    .await;
    let run = k
        .import(&csv(
            "ExternalId;FirstName;LastName;Email;Title",
            &["E1;Anna;Lee;anna@example.org;Dr."],
        ))
        .await;
    let r = run.line(2);
    assert_eq!(r.outcome, Outcome::Updated);
    assert_eq!(r.matched_by, Some(MatchedBy::ExternalId));
    assert_eq!(
        r.message_text(),
        "FirstName: Ann → Anna; Email: ann@example.org → anna@example.org; Title: (empty) → Dr."
    );
    let audit = k.audits().await;
    let update = audit
        .iter()
        .find(|a| a.action == "update")
        .expect("audited");
    assert_eq!(update.source, "import");
    assert_eq!(update.before.as_ref().expect("before")["FirstName"], "Ann");
    assert_eq!(update.after.as_ref().expect("after")["FirstName"], "Anna");
}

#[tokio::test]
async fn u1_login_of_100_characters_is_imported_101_is_an_error() {
    let k = Kit::new().await;
    let ok = "ü".repeat(100);
    let long = "l".repeat(101);
    let text = csv(
        "Uid;FirstName;LastName;Email",
        &[
            &format!("{ok};A;B;a@example.org"),
            &format!("{long};C;D;c@example.org"),
        ],
    );
    let run = k.import(&text).await;
    assert_eq!(run.outcomes(), [Outcome::Created, Outcome::Error]);
    assert_eq!(
        run.message(3),
        "line 3, column A (Uid): login name has 101 characters, at most 100 are allowed"
    );
    assert_eq!(k.user(&ok).await.first_name, "A");
    assert!(k.find(&long).await.is_none());
}

#[tokio::test]
async fn u1_invalid_email_characters_name_line_and_column() {
    let k = Kit::new().await;
    let text = csv(
        HEADER,
        &[&std_row("E1", "Ann", "Lee", "ann+tag@example.org")],
    );
    let run = k.import(&text).await;
    assert_eq!(
        run.message(2),
        "line 2, column E (Email): invalid e-mail address: character `+` is not allowed (only letters, digits and _ - . @)"
    );
    assert_eq!(k.users().await, 0, "a bad row writes nothing");
}

#[tokio::test]
async fn u1_names_longer_than_50_are_errors_and_all_problems_are_reported() {
    let k = Kit::new().await;
    let name = "n".repeat(51);
    let text = csv(HEADER, &[&std_row("E1", &name, &name, "bad")]);
    let m = k.import(&text).await.message(2);
    assert!(
        m.contains("column C (FirstName): first name has 51 characters"),
        "{m}"
    );
    assert!(
        m.contains("column D (LastName): last name has 51 characters"),
        "{m}"
    );
    assert!(
        m.contains("column E (Email): invalid e-mail address"),
        "{m}"
    );
}

#[tokio::test]
async fn u4_external_id_first_then_uid_then_email() {
    let k = Kit::new().await;
    let seed = csv(
        "Uid;ExternalId;FirstName;LastName;Email",
        &[
            "ann;E1;Ann;A;ann@example.org",
            "bob;;Bob;B;bob@example.org",
            "cy;;Cy;C;cy@example.org",
        ],
    );
    k.import(&seed).await;
    let text = csv(
        "Uid;ExternalId;FirstName;LastName;Email",
        &[
            "ann;E1;Ann;A;ann@example.org",
            "bob;E2;Bob;B;bob@example.org",
            ";;Cy;C;CY@example.org",
        ],
    );
    let run = k.import(&text).await;
    let by: Vec<_> = run.rows.iter().map(|r| r.matched_by).collect();
    assert_eq!(
        by,
        [
            Some(MatchedBy::ExternalId),
            Some(MatchedBy::Uid),
            Some(MatchedBy::Email)
        ]
    );
    assert_eq!(run.line(3).outcome, Outcome::Updated, "E2 given to bob");
    assert_eq!(k.user("bob").await.external_id.as_deref(), Some("E2"));
    assert_eq!(
        run.line(4).message_text(),
        "Email: cy@example.org → CY@example.org",
        "e-mail matches in any case"
    );
}

#[tokio::test]
async fn u4_a_uid_whose_user_has_another_external_id_is_an_error() {
    let k = Kit::new().await;
    k.import(&csv(
        "Uid;ExternalId;FirstName;LastName;Email",
        &["ann;E1;Ann;A;ann@example.org"],
    ))
    .await;
    let run = k
        .import(&csv(
            "Uid;ExternalId;FirstName;LastName;Email",
            &["ann;E9;Ann;A;ann@example.org"],
        ))
        .await;
    assert_eq!(
        run.message(2),
        "line 2: Uid `ann` belongs to a user with another ExternalId; the ExternalId identifies first"
    );
}

#[tokio::test]
async fn i4_missing_uid_is_generated_unique() {
    let k = Kit::new().await;
    let text = csv(
        HEADER,
        &[
            &std_row("E1", "Jörg", "Müller", "j1@example.org"),
            &std_row("E2", "Jörg", "Müller", "j2@example.org"),
        ],
    );
    let run = k.import(&text).await;
    assert_eq!(run.outcomes(), [Outcome::Created, Outcome::Created]);
    assert_eq!(k.by_ext("E1").await.login, "joerg.mueller");
    assert_eq!(k.by_ext("E2").await.login, "joerg.mueller2");
    // Unique system-wide: another tenant's user holds the next candidate.
    let beta = k.other_tenant("beta").await;
    let taken = csv(
        "Uid;FirstName;LastName;Email",
        &["joerg.mueller3;J;M;j@example.org"],
    );
    assert_eq!(beta.import(&taken).await.outcomes(), [Outcome::Created]);
    let third = k
        .import(&csv(
            HEADER,
            &[&std_row("E3", "Jörg", "Müller", "j3@example.org")],
        ))
        .await;
    assert_eq!(third.outcomes(), [Outcome::Created]);
    assert_eq!(k.by_ext("E3").await.login, "joerg.mueller4");
}

#[tokio::test]
async fn u2_a_taken_uid_is_an_error_with_a_free_suggestion() {
    let k = Kit::new().await;
    let text = csv(
        "Uid;ExternalId;FirstName;LastName;Email",
        &[
            "jdoe;E1;J;Doe;j@example.org",
            "jdoe;E2;J;Doe;j2@example.org",
        ],
    );
    let run = k.import(&text).await;
    assert_eq!(
        run.message(3),
        "line 3: Uid `jdoe` is already given on line 2"
    );
    let again = k
        .import(&csv(
            "Uid;ExternalId;FirstName;LastName;Email",
            &["jdoe;E3;J;Doe;j3@example.org"],
        ))
        .await;
    assert_eq!(
        again.message(2),
        "line 2: Uid `jdoe` belongs to a user with another ExternalId; the ExternalId identifies first"
    );
}

#[tokio::test]
async fn u2_login_cannot_change_unless_the_tenant_allows_it() {
    let k = Kit::new().await;
    k.import(&csv(
        "Uid;ExternalId;FirstName;LastName;Email",
        &["ann;E1;Ann;A;a@example.org"],
    ))
    .await;
    let run = k
        .import(&csv(
            "Uid;ExternalId;FirstName;LastName;Email",
            &["anna;E1;Ann;A;a@example.org"],
        ))
        .await;
    assert_eq!(
        run.message(2),
        "line 2: Uid cannot be changed in this tenant (the user's Uid is `ann`)"
    );

    let open = Kit::with(
        &super::kit::DESCRIPTOR.replace("editable_login_name: false", "editable_login_name: true"),
    )
    .await;
    open.import(&csv(
        "Uid;ExternalId;FirstName;LastName;Email",
        &["bea;E1;Bea;B;b@example.org"],
    ))
    .await;
    let run = open
        .import(&csv(
            "Uid;ExternalId;FirstName;LastName;Email",
            &["bea2;E1;Bea;B;b@example.org"],
        ))
        .await;
    assert_eq!(run.line(2).message_text(), "Uid: bea → bea2");
    assert!(open.find("bea2").await.is_some());
}

#[tokio::test]
async fn same_user_twice_in_one_file_is_an_error() {
    let k = Kit::new().await;
    let text = csv(
        HEADER,
        &[
            &std_row("E1", "Ann", "Lee", "a@example.org"),
            &std_row("E1", "Ann", "Lee", "a@example.org"),
        ],
    );
    let run = k.import(&text).await;
    assert_eq!(run.outcomes(), [Outcome::Created, Outcome::Error]);
    assert_eq!(
        run.message(3),
        "line 3: the same user as line 2 (same ExternalId `E1`); a user may appear only once per file"
    );
    // Stored users too, whichever key finds them.
    let text = csv(
        "Uid;ExternalId;FirstName;LastName;Email",
        &[
            ";E1;Ann;Lee;a@example.org",
            "ann.lee;;Ann;Lee;a@example.org",
        ],
    );
    let run = k.import(&text).await;
    assert_eq!(
        run.message(3),
        "line 3: the same user as line 2; a user may appear only once per file"
    );
}

#[tokio::test]
async fn i5_user_groups_must_exist() {
    let k = Kit::new().await;
    let text = csv(
        "ExternalId;FirstName;LastName;Email;UserGroups",
        &["E1;Ann;Lee;a@example.org;G1,NOPE"],
    );
    let run = k.import(&text).await;
    assert_eq!(
        run.message(2),
        "line 2, column E (UserGroups): unknown user group `NOPE` (user groups must exist; an import never creates them)"
    );
    assert_eq!(k.users().await, 0);
}

#[tokio::test]
async fn i5_enrollment_profiles_by_code_comma_separated() {
    let k = Kit::new().await;
    let text = csv(
        "ExternalId;FirstName;LastName;Email;EnrollmentProfiles",
        &[
            "E1;Ann;Lee;a@example.org;DS-KR-001-DE,DS-COC-001-EN",
            "E2;Bo;Lee;b@example.org;DS-XX-999",
        ],
    );
    let run = k.import(&text).await;
    assert_eq!(run.outcomes(), [Outcome::Created, Outcome::Error]);
    assert_eq!(
        run.message(3),
        "line 3, column E (EnrollmentProfiles): unknown enrollment profile `DS-XX-999`"
    );
    assert_eq!(k.profiles_of(k.by_ext("E1").await.id).await, 2);
    let same = csv(
        "ExternalId;FirstName;LastName;Email;EnrollmentProfiles",
        &["E1;Ann;Lee;a@example.org;DS-COC-001-EN,DS-KR-001-DE"],
    );
    assert_eq!(
        k.import(&same).await.outcomes(),
        [Outcome::Unchanged],
        "order does not matter"
    );
}

#[tokio::test]
async fn i5_superior_flag_is_the_only_role_an_import_sets() {
    let k = Kit::new().await;
    let text = csv(
        "ExternalId;FirstName;LastName;Email;Superior",
        &[
            "E1;Ann;Lee;a@example.org;True",
            "E2;Bo;Lee;b@example.org;",
            "E3;Cy;Lee;c@example.org;Admin",
        ],
    );
    let run = k.import(&text).await;
    assert_eq!(
        run.outcomes(),
        [Outcome::Created, Outcome::Created, Outcome::Error]
    );
    assert_eq!(
        run.message(4),
        "line 4, column E (Superior): `Admin` is not True or False"
    );
    assert_eq!(k.roles_of(k.by_ext("E1").await.id).await, 1);
    assert_eq!(
        k.roles_of(k.by_ext("E2").await.id).await,
        0,
        "default False"
    );
    let revoke = csv(
        "ExternalId;FirstName;LastName;Email;Superior",
        &["E1;Ann;Lee;a@example.org;False"],
    );
    assert_eq!(
        k.import(&revoke).await.line(2).message_text(),
        "Superior: True → False"
    );
    assert_eq!(k.roles_of(k.by_ext("E1").await.id).await, 0);
}

#[tokio::test]
async fn i6_quota_exceeded_by_one_refuses_the_file_also_in_simulation() {
    let k = Kit::with(&super::kit::DESCRIPTOR.replace("user_quota: 50", "user_quota: 3")).await;
    k.import(&csv(HEADER, &[&std_row("E1", "A", "A", "a@example.org")]))
        .await;
    let rows: Vec<String> = (2..=4)
        .map(|i| std_row(&format!("E{i}"), "N", "N", &format!("n{i}@example.org")))
        .collect();
    let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    let text = csv(HEADER, &refs);
    let expected = "the tenant's user quota of 3 would be exceeded by 1: 3 new users, 2 seats left";
    assert_eq!(k.simulate(&text).await.rejection(), expected);
    assert_eq!(k.import(&text).await.rejection(), expected);
    assert_eq!(k.users().await, 1);
    // Exactly at the quota is fine.
    assert_eq!(k.import(&csv(HEADER, &refs[..2])).await.summary.created, 2);
}

#[tokio::test]
async fn i7_simulation_writes_nothing_and_reports_what_the_run_does() {
    let k = Kit::new().await;
    k.import(&csv(
        HEADER,
        &[&std_row("E1", "Ann", "Lee", "a@example.org")],
    ))
    .await;
    let text = csv(
        "ExternalId;FirstName;LastName;Email;UserGroups;Superior;SuperiorExternalId",
        &[
            "E1;Anna;Lee;a@example.org;G1;True;",
            "E2;Bo;Lee;b@example.org;;False;E1",
            "E3;Cy;Lee;bad;;;",
            "E4;Di;Lee;d@example.org;;;E2",
            "E1;Ann;Lee;a@example.org;;;",
        ],
    );
    let before = super::kit::fingerprint(&k.t.db, k.tenant).await;
    let sim = k.simulate(&text).await;
    assert!(sim.summary.simulate);
    assert_eq!(
        super::kit::fingerprint(&k.t.db, k.tenant).await,
        before,
        "nothing written"
    );
    assert!(
        k.jobs("mail.set_password").await.len() == 1,
        "only the first import's mail"
    );
    let run = k.import(&text).await;
    assert_eq!(outcomes(&sim.rows), outcomes(&run.rows));
    assert_eq!(
        run.outcomes(),
        [
            Outcome::Updated,
            Outcome::Created,
            Outcome::Error,
            Outcome::Error,
            Outcome::Error
        ]
    );
}

#[tokio::test]
async fn u3_new_users_without_password_get_a_queued_set_password_mail() {
    let k = Kit::new().await;
    let text = csv(
        "ExternalId;FirstName;LastName;Email;Password",
        &[
            "E1;Ann;Lee;a@example.org;",
            "E2;Bo;Lee;b@example.org;s3cret-enough",
        ],
    );
    k.import(&text).await;
    let ann = k.by_ext("E1").await;
    let bo = k.by_ext("E2").await;
    assert!(ann.password_hash.is_none());
    let stored = bo.password_hash.clone().expect("hashed");
    assert!(stored.starts_with("$argon2id$"));
    let mails = k.jobs("mail.set_password").await;
    assert_eq!(mails.len(), 1, "one user: a job of its own");
    assert_eq!(mails[0].payload["user_id"], ann.id.to_string());
    assert!(k.jobs("mail.set_password_batch").await.is_empty());
    // The same password again is no change; an empty one keeps it.
    let again = csv(
        "ExternalId;FirstName;LastName;Email;Password",
        &[
            "E1;Ann;Lee;a@example.org;",
            "E2;Bo;Lee;b@example.org;s3cret-enough",
        ],
    );
    assert_eq!(
        k.import(&again).await.outcomes(),
        [Outcome::Unchanged, Outcome::Unchanged]
    );
    let new = csv(
        "ExternalId;FirstName;LastName;Email;Password",
        &["E2;Bo;Lee;b@example.org;an0ther-one!"],
    );
    let run = k.import(&new).await;
    assert_eq!(run.line(2).message_text(), "Password: (empty) → (changed)");
    assert_ne!(k.by_ext("E2").await.password_hash, Some(stored));
    assert_eq!(k.jobs("mail.set_password").await.len(), 1, "queued once");
}

/// A kit whose quota allows big imports.
async fn roomy() -> Kit {
    Kit::with(&super::kit::DESCRIPTOR.replace("user_quota: 50", "user_quota: 5000")).await
}

/// Imports `n` new users without password (`E1`…, mail `u{i}@example.org`) in one batch.
async fn import_new(k: &Kit, n: usize) {
    let rows: Vec<String> = (1..=n)
        .map(|i| format!("E{i};Nn;User{i};u{i}@example.org"))
        .collect();
    let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    let text = csv("ExternalId;FirstName;LastName;Email", &refs);
    let options = Options {
        batch_size: n,
        ..Options::default()
    };
    let run = k.run(text.as_bytes(), None, None, options).await;
    assert_eq!(run.summary.created, n as u64, "{:#?}", run.rows);
}

/// The token of the set-password link in a mail.
fn token_in(mail: &Mail) -> String {
    let at = mail.text.find("/password/set?token=").expect("a link") + 20;
    mail.text[at..]
        .split_whitespace()
        .next()
        .expect("token")
        .to_owned()
}

/// The user ids of the batch job `job`, and how far it got.
fn batch_of(job: &jobs::Model) -> (Vec<String>, u64) {
    let ids = job.payload["user_ids"]
        .as_array()
        .expect("user_ids")
        .iter()
        .map(|v| v.as_str().expect("id").to_owned())
        .collect();
    (ids, job.payload["next"].as_u64().expect("next"))
}

#[tokio::test]
async fn u3_an_import_queues_one_set_password_job_per_thousand_users_and_mails_each_once() {
    let k = roomy().await;
    import_new(&k, 1500).await;
    assert!(k.jobs("mail.set_password").await.is_empty());
    let mut batches = k.jobs("mail.set_password_batch").await;
    batches.sort_by_key(|j| j.payload["user_ids"].as_array().map_or(0, Vec::len));
    let sizes: Vec<(usize, u64)> = batches
        .iter()
        .map(|j| {
            let (ids, next) = batch_of(j);
            (ids.len(), next)
        })
        .collect();
    assert_eq!(sizes, [(500, 0), (1000, 0)], "ceil(1500 / 1000) jobs");

    let (state, mails) = k.app();
    roster::jobs::worker::drain(&state).await.expect("drain");
    for job in k.jobs("mail.set_password_batch").await {
        let (ids, next) = batch_of(&job);
        assert_eq!((job.state.as_str(), next), ("done", ids.len() as u64));
    }
    let mails = mails.lock().expect("mails").clone();
    assert_eq!(mails.len(), 1500);
    let by_mail: HashMap<String, Uuid> = k
        .tenant
        .find::<users::Entity>()
        .all(&k.t.db)
        .await
        .expect("users")
        .into_iter()
        .map(|u| (u.email.expect("e-mail"), u.id))
        .collect();
    let mut mailed = HashSet::new();
    for mail in &mails {
        let user = by_mail[&mail.to];
        assert!(mailed.insert(user), "{} mailed twice", mail.to);
        let prefix = format!("{}/t/acme/password/set?token=", state.settings.public_url);
        assert!(mail.text.contains(&prefix), "{}", mail.text);
        let link = links::peek(&k.t.db, k.tenant, Purpose::SetPassword, &token_in(mail))
            .await
            .expect("a valid link");
        assert_eq!(
            link.holder,
            Holder::User(user),
            "the link is the recipient's"
        );
    }
    // A link works, once.
    let token = token_in(&mails[0]);
    links::consume(&k.t.db, k.tenant, Purpose::SetPassword, &token)
        .await
        .expect("works");
    assert!(
        links::consume(&k.t.db, k.tenant, Purpose::SetPassword, &token)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn u3_a_set_password_batch_run_again_does_not_resend_the_mails_it_sent() {
    let k = roomy().await;
    import_new(&k, 40).await;
    let (state, mails) = k.app();
    // A worker that dies in the middle of the batch (its task dropped, as a crash would).
    let worker = tokio::spawn({
        let state = state.clone();
        async move { roster::jobs::worker::run_once(&state, "doomed").await }
    });
    while mails.lock().expect("mails").len() < 3 && !worker.is_finished() {
        tokio::task::yield_now().await;
    }
    worker.abort();
    let _ = worker.await;
    let sent_before: Vec<String> = mails
        .lock()
        .expect("mails")
        .iter()
        .map(|m| m.to.clone())
        .collect();
    let job = k.jobs("mail.set_password_batch").await.remove(0);
    let (ids, next) = batch_of(&job);
    assert_eq!(job.state, "running");
    assert!(next < 40, "stopped mid-batch");
    let next = next as usize;
    assert!(
        sent_before.len() == next || sent_before.len() == next + 1,
        "progress is recorded after every mail: {} sent, next {next}",
        sent_before.len()
    );
    // Its lease runs out; another worker takes the job over and finishes it.
    let mut lapsed: jobs::ActiveModel = job.into();
    lapsed.locked_until = Set(Some(Utc::now() - chrono::Duration::seconds(1)));
    lapsed.update(&k.t.db).await.expect("lapse");
    roster::jobs::worker::drain(&state).await.expect("drain");

    let all: Vec<String> = mails
        .lock()
        .expect("mails")
        .iter()
        .map(|m| m.to.clone())
        .collect();
    let expected: HashSet<String> = (1..=40).map(|i| format!("u{i}@example.org")).collect();
    assert_eq!(
        all.iter().cloned().collect::<HashSet<_>>(),
        expected,
        "everyone mailed"
    );
    let again: Vec<&String> = all[sent_before.len()..]
        .iter()
        .filter(|to| sent_before.contains(to))
        .collect();
    assert!(again.len() <= 1, "only the mail in flight again: {again:?}");
    let by_id: HashMap<Uuid, String> = k
        .tenant
        .find::<users::Entity>()
        .all(&k.t.db)
        .await
        .expect("users")
        .into_iter()
        .map(|u| (u.id, u.email.expect("e-mail")))
        .collect();
    for id in &ids[..next] {
        let to = &by_id[&id.parse::<Uuid>().expect("id")];
        assert_eq!(
            all.iter().filter(|m| *m == to).count(),
            1,
            "{to} before `next`"
        );
    }
    let job = k.jobs("mail.set_password_batch").await.remove(0);
    assert_eq!((job.state.as_str(), batch_of(&job).1), ("done", 40));

    // Run once more after it finished (a worker dying before it could mark it done): nothing.
    let mut rerun: jobs::ActiveModel = job.into();
    rerun.state = Set("queued".into());
    rerun.update(&k.t.db).await.expect("requeue");
    roster::jobs::worker::drain(&state).await.expect("drain");
    assert_eq!(mails.lock().expect("mails").len(), all.len());
}

#[tokio::test]
async fn u3_a_user_whose_set_password_mail_fails_gets_a_job_of_its_own_and_the_batch_goes_on() {
    let k = roomy().await;
    import_new(&k, 5).await;
    let mut broken: users::ActiveModel = k.by_ext("E2").await.into();
    let broken_id = broken.id.clone().unwrap();
    // Stored before the address rules, say: the mailer refuses it.
    broken.email = Set(Some("no address".into()));
    broken.update(&k.t.db).await.expect("break the address");
    let mut no_mail: users::ActiveModel = k.by_ext("E4").await.into();
    no_mail.email = Set(None);
    no_mail.update(&k.t.db).await.expect("no address");

    // The file mailer (`.eml` files in the outbox), which checks addresses.
    let data = tempfile::tempdir().expect("tempdir");
    let mut settings = Settings::resolve(&SettingsArgs::default()).expect("settings");
    settings.database_url = k.t.url.clone();
    settings.data_dir = data.path().to_path_buf();
    let mailer = Mailer::from_settings(&settings).expect("outbox mailer");
    let outbox = settings.outbox_dir();
    let state = AppState::with_mailer(settings, k.t.db.clone(), mailer).expect("state");
    roster::jobs::worker::drain(&state).await.expect("drain");

    let batch = k.jobs("mail.set_password_batch").await.remove(0);
    assert_eq!((batch.state.as_str(), batch_of(&batch).1), ("done", 5));
    let mut sent: Vec<String> = std::fs::read_dir(&outbox)
        .expect("outbox")
        .map(|e| std::fs::read_to_string(e.expect("entry").path()).expect("eml"))
        .map(|eml| {
            eml.lines()
                .find_map(|l| l.strip_prefix("To: "))
                .expect("To")
                .to_owned()
        })
        .collect();
    sent.sort();
    assert_eq!(
        sent,
        ["u1@example.org", "u3@example.org", "u5@example.org"],
        "the others are mailed; no address, no mail"
    );
    let own = k.jobs("mail.set_password").await;
    assert_eq!(own.len(), 1, "only the failed mail is queued on its own");
    assert_eq!(own[0].payload["user_id"], broken_id.to_string());
    assert_eq!(
        own[0].dedup_key.as_deref(),
        Some(format!("set_password:{broken_id}").as_str())
    );
    // It is an ordinary job: tried, failed, retried later with backoff.
    assert_eq!((own[0].state.as_str(), own[0].attempts), ("queued", 1));
    assert!(own[0].run_at > Utc::now());
    let error = own[0].last_error.clone().unwrap_or_default();
    assert!(error.contains("invalid recipient address"), "{error}");
}

#[tokio::test]
async fn u3_one_user_keeps_its_own_set_password_job_and_no_call_queues_twice() {
    let k = roomy().await;
    import_new(&k, 3).await;
    let ids = [k.by_ext("E1").await.id, k.by_ext("E2").await.id];
    let [one, _] = ids;
    let db = &k.t.db;
    // The import's own batch job, and nothing more when its call is repeated.
    let all: Vec<Uuid> = k.set_password_mail_users().await;
    queue_set_password_mails(db, k.tenant, &all)
        .await
        .expect("again");
    assert_eq!(k.jobs("mail.set_password_batch").await.len(), 1);
    // One user: a `mail.set_password` job with `user_id`, as the API and registrations queue.
    queue_set_password_mails(db, k.tenant, &[one])
        .await
        .expect("one");
    queue_set_password_mails(db, k.tenant, &[one])
        .await
        .expect("one again");
    let own = k.jobs("mail.set_password").await;
    assert_eq!(own.len(), 1);
    assert_eq!(own[0].payload, serde_json::json!({ "user_id": one }));
    assert_eq!(own[0].dedup_key, Some(format!("set_password:{one}")));
    // Two: a batch.
    queue_set_password_mails(db, k.tenant, &ids)
        .await
        .expect("two");
    queue_set_password_mails(db, k.tenant, &ids)
        .await
        .expect("two again");
    let batches = k.jobs("mail.set_password_batch").await;
    assert_eq!(batches.len(), 2);
    assert!(batches.iter().any(
        |j| j.payload == serde_json::json!({ "user_ids": ids, "next": 0 })
            && j.dedup_key == Some(format!("set_password_batch:{one}:2"))
    ));
    queue_set_password_mails(db, k.tenant, &[])
        .await
        .expect("none");
    assert_eq!(k.jobs("mail.set_password").await.len(), 1);
    assert_eq!(k.jobs("mail.set_password_batch").await.len(), 2);
}

#[tokio::test]
async fn t3_external_ids_are_unique_per_namespace() {
    let k = Kit::new().await;
    let text = csv(
        "ExternalId;FirstName;LastName;Email;OrganisationUnit",
        &[
            "X1;Ann;Root;a@example.org;HR",
            "X1;Sub;User;s@example.org;SUB-A",
            "X1;Dup;User;d@example.org;ROOT",
        ],
    );
    let run = k.import(&text).await;
    assert_eq!(
        run.outcomes(),
        [Outcome::Created, Outcome::Created, Outcome::Error]
    );
    assert_eq!(
        run.message(4),
        "line 4: the same user as line 2 (same ExternalId `X1`); a user may appear only once per file"
    );
    assert!(!k.user("sub.user").await.external_id_scope.is_empty());
    // Without the unit column the id is ambiguous.
    let run = k
        .import(&csv(
            "ExternalId;FirstName;LastName;Email",
            &["X1;Ann;Root;a@example.org"],
        ))
        .await;
    assert_eq!(
        run.message(2),
        "line 2: ExternalId `X1` is used in several sub-tenants; add the OrganisationUnit column to say which"
    );
}

#[tokio::test]
async fn b4_users_outside_the_importers_scope_are_not_touched() {
    let k = Kit::new().await;
    k.import(&csv(
        "ExternalId;FirstName;LastName;Email;OrganisationUnit",
        &["E1;Ann;Lee;a@example.org;HR"],
    ))
    .await;
    let sub = roster::import::refs::Refs::load(&k.t.db, k.tenant)
        .await
        .expect("refs");
    let scope = Scope {
        units: Some(vec![sub.units.id("SUB").expect("unit")]),
        ..Scope::default()
    };
    let run = k
        .import_scoped(
            &csv(
                "ExternalId;FirstName;LastName;Email",
                &["E1;Eve;Lee;a@example.org"],
            ),
            scope,
        )
        .await;
    assert_eq!(
        run.message(2),
        "line 2: the user found by ExternalId is outside the part of the tenant you manage"
    );
    assert_eq!(k.by_ext("E1").await.first_name, "Ann");
}

#[tokio::test]
async fn i10_neutralised_cells_are_restored() {
    let k = Kit::new().await;
    let text = csv(
        "ExternalId;FirstName;LastName;Email;DataField01;DataField02",
        &["E1;Ann;Lee;a@example.org;'=SUM(A1);'hand-typed"],
    );
    k.import(&text).await;
    let u = k.by_ext("E1").await;
    assert_eq!(u.data_field_01.as_deref(), Some("=SUM(A1)"));
    assert_eq!(u.data_field_02.as_deref(), Some("'hand-typed"));
}

#[tokio::test]
async fn i8_report_csv_holds_outcome_message_and_original_row() {
    let k = Kit::new().await;
    k.import(&csv(
        "ExternalId;FirstName;LastName;Email;Title",
        &["E1;Ann;Lee;a@example.org;", "E2;Bo;Lee;b@example.org;Dr."],
    ))
    .await;
    let text = csv(
        "ExternalId;FirstName;LastName;Email;Title;Password;DataField01",
        &[
            "E1;Ann;Lee;a@example.org;Prof.;secret-pass-1;=1+1",
            "E2;Bo;Lee;b@example.org;Dr.;;",
            "E3;Cy;;c@example.org;;;",
        ],
    );
    let layout = roster::import::Layout::standard(Default::default());
    let mut report = roster::import::CsvReport::new(Vec::new());
    roster::import::run_now(
        &k.t.db,
        &k.ctx,
        &roster::import::Input::Bytes(text.into_bytes().into()),
        &layout,
        &Default::default(),
        "users.csv",
        &mut report,
        &roster::import::Quiet,
    )
    .await
    .expect("import");
    let out = String::from_utf8(report.finish().expect("finish")).expect("utf-8");
    assert_eq!(out, include_str!("../golden/import_report_changes.csv"));
}
