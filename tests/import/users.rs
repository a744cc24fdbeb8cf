//! I3–I5, I7, I8, U1–U4: the semantics of the standard user import.

use roster::authz::scope::Scope;
use roster::import::report::MatchedBy;
use roster::import::{Outcome, RowReport};

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
    let expected = "the tenant's user quota would be exceeded by 1: the file creates 3 users, the tenant has 1 of at most 3";
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
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].payload["user_id"], ann.id.to_string());
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
