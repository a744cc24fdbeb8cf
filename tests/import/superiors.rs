//! I5/U7: superiors by `SuperiorExternalId`, resolved across the whole file.

use roster::import::Outcome;

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
