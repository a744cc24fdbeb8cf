//! I5/U7: superiors by `SuperiorExternalId`, resolved across the whole file.

use roster::import::{Options, Outcome};
use sea_orm::{ConnectionTrait, DatabaseBackend};

use super::kit::{Kit, csv};

const H: &str = "ExternalId;FirstName;LastName;Email;Superior;SuperiorExternalId";

#[tokio::test]
async fn i5_superior_external_id_links_a_superior_later_in_the_file() {
    let k = Kit::new().await;
    let text = csv(
        H,
        &[
            "L1;Lea;Learner;l@example.org;;S1",
            "S1;Sam;Superior;s@example.org;True;",
        ],
    );
    let run = k.import(&text).await;
    assert_eq!(
        run.outcomes(),
        [Outcome::Created, Outcome::Created],
        "{:#?}",
        run.rows
    );
    assert_eq!(
        k.by_ext("L1").await.superior_id,
        Some(k.by_ext("S1").await.id)
    );
    assert_eq!(
        k.import(&text).await.outcomes(),
        [Outcome::Unchanged, Outcome::Unchanged]
    );
}

#[tokio::test]
async fn i5_superior_stored_before() {
    let k = Kit::new().await;
    k.import(&csv(H, &["S1;Sam;Superior;s@example.org;True;"]))
        .await;
    let run = k
        .import(&csv(
            "ExternalId;FirstName;LastName;Email;SuperiorExternalId",
            &["L1;Lea;L;l@example.org;S1"],
        ))
        .await;
    assert_eq!(run.outcomes(), [Outcome::Created]);
    assert_eq!(
        k.by_ext("L1").await.superior_id,
        Some(k.by_ext("S1").await.id)
    );
    let cleared = k
        .import(&csv(
            "ExternalId;FirstName;LastName;Email;SuperiorExternalId",
            &["L1;Lea;L;l@example.org;"],
        ))
        .await;
    assert_eq!(
        cleared.line(2).message_text(),
        "SuperiorExternalId: S1 → (empty)"
    );
    assert_eq!(k.by_ext("L1").await.superior_id, None);
}

#[tokio::test]
async fn i5_superior_neither_in_the_file_nor_stored_is_an_error() {
    let k = Kit::new().await;
    let run = k.import(&csv(H, &["L1;Lea;L;l@example.org;;GHOST"])).await;
    assert_eq!(
        run.message(2),
        "line 2: superior `GHOST` is neither in the file nor stored"
    );
    assert_eq!(k.users().await, 0);
}

#[tokio::test]
async fn u7_a_superior_must_hold_the_superior_role() {
    let k = Kit::new().await;
    let run = k
        .import(&csv(
            H,
            &[
                "P1;Pat;Plain;p@example.org;False;",
                "L1;Lea;L;l@example.org;;P1",
            ],
        ))
        .await;
    assert_eq!(
        run.message(3),
        "line 3: superior `P1` does not hold the superior role; set Superior to True on line 2"
    );
}

#[tokio::test]
async fn u7_a_row_whose_superior_fails_fails_too() {
    let k = Kit::new().await;
    let run = k
        .import(&csv(
            H,
            &["S1;Sam;S;bad-mail;True;", "L1;Lea;L;l@example.org;;S1"],
        ))
        .await;
    assert_eq!(run.outcomes(), [Outcome::Error, Outcome::Error]);
    assert_eq!(run.message(3), "line 3: superior `S1` (line 2) has errors");
}

#[tokio::test]
async fn u7_cyclic_superiors_are_errors() {
    let k = Kit::new().await;
    let run = k
        .import(&csv(
            H,
            &[
                "A;Ann;A;a@example.org;True;B",
                "B;Bob;B;b@example.org;True;C",
                "C;Cy;C;c@example.org;True;A",
                "D;Di;D;d@example.org;True;A",
                "E;Ed;E;e@example.org;True;E",
            ],
        ))
        .await;
    assert_eq!(
        run.outcomes(),
        [
            Outcome::Error,
            Outcome::Error,
            Outcome::Error,
            Outcome::Error,
            Outcome::Error
        ]
    );
    assert_eq!(
        run.message(2),
        "line 2: cyclic superiors: `B` → `C` → `A` → `B`"
    );
    assert_eq!(run.message(5), "line 5: superior `A` (line 2) has errors");
    assert_eq!(run.message(6), "line 6: cyclic superiors: `E` → `E`");
    assert_eq!(k.users().await, 0);
}

#[tokio::test]
async fn u7_a_cycle_through_stored_links_is_an_error() {
    let k = Kit::new().await;
    k.import(&csv(
        H,
        &[
            "A;Ann;A;a@example.org;True;",
            "B;Bob;B;b@example.org;True;A",
        ],
    ))
    .await;
    // B's superior is A (stored); making A report to B closes the loop.
    let run = k
        .import(&csv(
            "ExternalId;FirstName;LastName;Email;SuperiorExternalId",
            &["A;Ann;A;a@example.org;B"],
        ))
        .await;
    assert!(
        run.message(2).starts_with("line 2: cyclic superiors"),
        "{}",
        run.message(2)
    );
    assert_eq!(k.by_ext("A").await.superior_id, None);
}

/// The stored links are read in pages of 1,024 on SQLite: a cycle through a link on the
/// second page is found as well as one on the first.
#[tokio::test]
async fn u7_a_cycle_through_stored_links_past_the_first_page_is_an_error() {
    let descriptor = super::kit::DESCRIPTOR.replace("user_quota: 50", "user_quota: 2000");
    let k = Kit::with(&descriptor).await;
    let mut rows = vec!["S0;Sam;S;s0@example.org;True;".to_owned()];
    rows.extend((1..1090).map(|i| format!("U{i};Uma;U{i};u{i}@example.org;;S0")));
    rows.push("A;Ann;A;a@example.org;True;".to_owned());
    rows.push("B;Bob;B;b@example.org;True;A".to_owned());
    let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    let run = k.import(&csv(H, &refs)).await;
    assert_eq!(run.summary.created, 1092, "{:?}", run.summary);
    // B's stored link to A is the 1,090th of the tenant's links.
    let run = k
        .import(&csv(
            "ExternalId;FirstName;LastName;Email;SuperiorExternalId",
            &["A;Ann;A;a@example.org;B"],
        ))
        .await;
    assert!(
        run.message(2).starts_with("line 2: cyclic superiors"),
        "{:?}",
        run.rows
    );
    assert_eq!(k.by_ext("A").await.superior_id, None);
}

/// Makes the database refuse to insert the user with external id `ext` (as a constraint or
/// a lost connection would), so that planning accepts the row and writing it fails.
async fn refuse_insert_of(k: &Kit, ext: &str) {
    let db = &k.t.db;
    let sql = match db.get_database_backend() {
        DatabaseBackend::Postgres => format!(
            "CREATE FUNCTION refuse_user() RETURNS trigger AS $$ BEGIN \
             IF NEW.external_id = '{ext}' THEN RAISE EXCEPTION 'refused by a test trigger'; END IF; \
             RETURN NEW; END $$ LANGUAGE plpgsql; \
             CREATE TRIGGER refuse_user BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION refuse_user();"
        ),
        _ => format!(
            "CREATE TRIGGER refuse_user BEFORE INSERT ON users WHEN NEW.external_id = '{ext}' \
             BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END;"
        ),
    };
    db.execute_unprepared(&sql).await.expect("trigger");
}

#[tokio::test]
async fn i8_a_row_the_database_refuses_fails_alone_and_a_later_batch_loses_only_its_superior() {
    let k = Kit::new().await;
    refuse_insert_of(&k, "S1").await;
    let text = csv(
        H,
        &[
            "A1;Ann;A;a1@example.org;;",
            "S1;Sam;S;s@example.org;True;",
            "L1;Lea;L;l@example.org;;S1",
            "A2;Abe;A;a2@example.org;;",
        ],
    );
    // Batches of two: the second is planned (naming S1's new id) while the first is written.
    let options = Options {
        batch_size: 2,
        ..Options::default()
    };
    let run = k.run(text.as_bytes(), None, None, options).await;
    assert_eq!(
        run.outcomes(),
        [
            Outcome::Created,
            Outcome::Error,
            Outcome::Created,
            Outcome::Created
        ],
        "{:#?}",
        run.rows
    );
    let message = run.message(3);
    assert!(
        message.starts_with("line 3: could not be saved: ")
            && message.contains("refused by a test trigger"),
        "{message}"
    );
    assert_eq!(k.users().await, 3, "A1, L1 and A2; nothing of S1");
    assert_eq!(k.by_ext("L1").await.superior_id, None);
    assert_eq!(run.summary.created, 3);
    assert_eq!(run.summary.errors, 1);
}
