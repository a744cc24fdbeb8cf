//! I2/U8/U9: the built-in configurations besides the standard format — personal budget
//! (POB), extended properties, HR with employments and the parent-department column AE.

use roster::import::Outcome;
use roster::store::entity::{departments, employments, extended_properties, personal_budgets};
use sea_orm::{ColumnTrait, QueryFilter};

use super::kit::{Kit, csv};

async fn seed(k: &Kit) {
    let users = csv(
        "ExternalId;FirstName;LastName;Email;PersonnelNumber",
        &[
            "E1;Ann;Lee;a@example.org;P-1",
            "E2;Bo;Lee;b@example.org;P-2",
        ],
    );
    assert_eq!(k.import(&users).await.summary.created, 2);
}

#[tokio::test]
async fn u9_pob_sets_personal_budgets_of_existing_users_by_user_number() {
    let k = Kit::new().await;
    let users = csv(
        "Uid;FirstName;LastName;Email",
        &["rstienstra@conclusion.nl;R;Stienstra;r@example.org"],
    );
    k.import(&users).await;
    // The user number of the seed's example is an e-mail address.
    let u = k.user("rstienstra@conclusion.nl").await;
    k.tenant
        .update_many::<roster::store::entity::users::Entity>()
        .col_expr(
            roster::store::entity::users::Column::UserNumber,
            sea_orm::sea_query::Expr::value("rstienstra@conclusion.nl"),
        )
        .filter(roster::store::entity::users::Column::Id.eq(u.id))
        .exec(&k.t.db)
        .await
        .expect("number");
    let file = "Gebruikersnummer;Persoonlijk budget\nrstienstra@conclusion.nl;1234\nnobody;10\n";
    let run = k
        .run(file.as_bytes(), Some("POB"), None, Default::default())
        .await;
    assert_eq!(
        run.outcomes(),
        [Outcome::Updated, Outcome::Error],
        "{:#?}",
        run.rows
    );
    assert_eq!(
        run.message(3),
        "line 3: no user with UserNumber `nobody`; this import changes existing users only"
    );
    assert_eq!(
        run.line(2).message_text(),
        "PersonalBudget: (empty) → 1234.00"
    );
    let budget = k
        .tenant
        .find::<personal_budgets::Entity>()
        .one(&k.t.db)
        .await
        .expect("query")
        .expect("budget");
    assert_eq!(budget.amount_cents, 123_400);
    let again = "Gebruikersnummer;Persoonlijk budget\nrstienstra@conclusion.nl;1.234,00\n";
    let run = k
        .run(again.as_bytes(), Some("POB"), None, Default::default())
        .await;
    assert_eq!(run.outcomes(), [Outcome::Unchanged]);
}

#[tokio::test]
async fn u9_extended_properties_one_row_per_user_property_and_value() {
    let k = Kit::new().await;
    seed(&k).await;
    let file = "P-1;BIG-registratienummer;123\nP-1;Functie;Verpleegkundige\nP-2;Functie;Arts\nP-1;Functie;Dubbel\nP-9;Functie;X\n";
    let run = k
        .run(file.as_bytes(), Some("PROPS"), None, Default::default())
        .await;
    assert_eq!(
        run.outcomes(),
        [
            Outcome::Updated,
            Outcome::Updated,
            Outcome::Updated,
            Outcome::Error,
            Outcome::Error
        ],
        "{:#?}",
        run.rows
    );
    assert_eq!(
        run.message(4),
        "line 4: property `Functie` of this user is already on line 2"
    );
    assert_eq!(
        run.line(1).matched_by.map(|m| m.as_str()),
        Some("PersonnelNumber")
    );
    let props = k
        .tenant
        .find::<extended_properties::Entity>()
        .all(&k.t.db)
        .await
        .expect("props");
    assert_eq!(props.len(), 3);
    // An empty value removes the property; the same value again changes nothing.
    let file = "P-1;BIG-registratienummer;\nP-2;Functie;Arts\n";
    let run = k
        .run(file.as_bytes(), Some("PROPS"), None, Default::default())
        .await;
    assert_eq!(run.outcomes(), [Outcome::Updated, Outcome::Unchanged]);
    assert_eq!(
        k.tenant
            .find::<extended_properties::Entity>()
            .all(&k.t.db)
            .await
            .expect("props")
            .len(),
        2
    );
}

/// An HR file in the Dutch layout: columns A–J, nothing in K–AD, the parent code in AE.
fn hr(rows: &[[&str; 11]]) -> String {
    let mut out = String::new();
    let mut header: Vec<String> = (0..31)
        .map(roster::import::fields::column_letters)
        .collect();
    header[0] = "Personeelsnummer".into();
    out.push_str(&header.join(";"));
    out.push('\n');
    for r in rows {
        let mut cells = vec![""; 31];
        cells[..10].copy_from_slice(&r[..10]);
        cells[30] = r[10];
        out.push_str(&cells.join(";"));
        out.push('\n');
    }
    out
}

async fn employments_of(k: &Kit, personnel: &str) -> Vec<employments::Model> {
    let u = k
        .tenant
        .find::<roster::store::entity::users::Entity>()
        .filter(roster::store::entity::users::Column::PersonnelNumber.eq(personnel))
        .one(&k.t.db)
        .await
        .expect("query")
        .expect("user");
    k.tenant
        .find::<employments::Entity>()
        .filter(employments::Column::UserId.eq(u.id))
        .all(&k.t.db)
        .await
        .expect("employments")
}

#[tokio::test]
async fn u8_a_new_employment_ends_the_old_one_where_the_switch_is_on() {
    let k = Kit::new().await;
    let first = hr(&[[
        "M1",
        "Mia",
        "Mol",
        "m@example.org",
        "ACME",
        "D1",
        "",
        "Nurse",
        "2025-01-01",
        "",
        "",
    ]]);
    let run = k
        .run(first.as_bytes(), Some("HR"), None, Default::default())
        .await;
    assert_eq!(run.outcomes(), [Outcome::Created], "{:#?}", run.rows);
    let moved = hr(&[[
        "M1",
        "Mia",
        "Mol",
        "m@example.org",
        "ACME",
        "D2",
        "",
        "Nurse",
        "01-03-2026",
        "",
        "D1",
    ]]);
    let run = k
        .run(moved.as_bytes(), Some("HR"), None, Default::default())
        .await;
    assert_eq!(run.line(2).message_text(), "Employment: ACME/D1 → ACME/D2");
    let all = employments_of(&k, "M1").await;
    assert_eq!(all.len(), 2);
    let active: Vec<_> = all.iter().filter(|e| e.active).collect();
    assert_eq!(active.len(), 1, "exactly one active employment");
    let old = all.iter().find(|e| !e.active).expect("ended");
    assert_eq!(
        old.ends_on.map(|d| d.to_string()).as_deref(),
        Some("2026-02-28")
    );
    // The same file again changes nothing.
    let run = k
        .run(moved.as_bytes(), Some("HR"), None, Default::default())
        .await;
    assert_eq!(run.outcomes(), [Outcome::Unchanged]);
}

#[tokio::test]
async fn u8_without_the_switch_old_employments_stay() {
    let k = Kit::with(&super::kit::DESCRIPTOR.replace(
        "auto_end_old_employments: true",
        "auto_end_old_employments: false",
    ))
    .await;
    for d in ["D1", "D2"] {
        let f = hr(&[[
            "M1",
            "Mia",
            "Mol",
            "",
            "ACME",
            d,
            "",
            "",
            "2025-01-01",
            "",
            "",
        ]]);
        k.run(f.as_bytes(), Some("HR"), None, Default::default())
            .await;
    }
    let all = employments_of(&k, "M1").await;
    assert_eq!(all.iter().filter(|e| e.active).count(), 2);
}

#[tokio::test]
async fn i2_hr_column_ae_builds_the_extra_organisation_layer() {
    let k = Kit::new().await;
    let f = hr(&[
        [
            "M1",
            "Mia",
            "Mol",
            "",
            "ACME",
            "TEAM-N",
            "Team Noord",
            "",
            "",
            "",
            "D1",
        ],
        [
            "M2", "Max", "Mol", "", "ACME", "TEAM-N", "", "", "", "", "D1",
        ],
        ["M3", "Moe", "Mol", "", "OTHER", "D1", "", "", "", "", ""],
    ]);
    let run = k
        .run(f.as_bytes(), Some("HR"), None, Default::default())
        .await;
    assert_eq!(
        run.outcomes(),
        [Outcome::Created, Outcome::Created, Outcome::Error],
        "{:#?}",
        run.rows
    );
    assert_eq!(
        run.message(4),
        "line 4: department `D1` belongs to organisation `ACME`, not `OTHER`"
    );
    let all = k
        .tenant
        .find::<departments::Entity>()
        .all(&k.t.db)
        .await
        .expect("departments");
    let team = all.iter().find(|d| d.code == "TEAM-N").expect("created");
    let d1 = all.iter().find(|d| d.code == "D1").expect("stored");
    assert_eq!(team.name, "Team Noord");
    assert_eq!(team.parent_id, Some(d1.id));
}

#[tokio::test]
async fn i2_cyclic_departments_are_errors() {
    let k = Kit::new().await;
    // D2's parent is D1 (descriptor); making D1 a child of D2 closes a loop.
    let f = hr(&[
        ["M1", "Mia", "Mol", "", "ACME", "D1", "", "", "", "", "D2"],
        [
            "M2", "Max", "Mol", "", "ACME", "NEW", "", "", "", "", "GHOST",
        ],
    ]);
    let run = k
        .run(f.as_bytes(), Some("HR"), None, Default::default())
        .await;
    assert_eq!(run.outcomes(), [Outcome::Error, Outcome::Error]);
    assert_eq!(
        run.message(2),
        "line 2: cyclic departments: `D1` → `D2` → `D1`"
    );
    assert_eq!(
        run.message(3),
        "line 3: unknown parent department `GHOST` of department `NEW`"
    );
    assert_eq!(k.users().await, 0);
}

/// X9: a department the descriptor declares is managed by it: an HR file naming it otherwise,
/// or giving it another parent, leaves it as declared (apply would put it back) and does not
/// report a change; departments the import itself made are still renamed and re-parented.
#[tokio::test]
async fn x9_hr_import_leaves_descriptor_departments_as_declared() {
    let k = Kit::new().await;
    let f = hr(&[
        [
            "M1", "Mia", "Mol", "", "ACME", "D2", "Renamed", "", "", "", "",
        ],
        [
            "M2", "Max", "Mol", "", "ACME", "TEAM-N", "Team", "", "", "", "D1",
        ],
    ]);
    let run = k
        .run(f.as_bytes(), Some("HR"), None, Default::default())
        .await;
    assert_eq!(
        run.outcomes(),
        [Outcome::Created, Outcome::Created],
        "{:#?}",
        run.rows
    );
    let again = hr(&[
        [
            "M1", "Mia", "Mol", "", "ACME", "D2", "Renamed", "", "", "", "",
        ],
        [
            "M2",
            "Max",
            "Mol",
            "",
            "ACME",
            "TEAM-N",
            "Team Noord",
            "",
            "",
            "",
            "D2",
        ],
    ]);
    let run = k
        .run(again.as_bytes(), Some("HR"), None, Default::default())
        .await;
    assert_eq!(
        run.outcomes(),
        [Outcome::Unchanged, Outcome::Updated],
        "{:#?}",
        run.rows
    );
    let all = k
        .tenant
        .find::<departments::Entity>()
        .all(&k.t.db)
        .await
        .expect("departments");
    let d1 = all.iter().find(|d| d.code == "D1").expect("D1");
    let d2 = all.iter().find(|d| d.code == "D2").expect("D2");
    assert_eq!(d2.name, "Team two", "declared name kept");
    assert_eq!(d2.parent_id, Some(d1.id), "declared parent kept");
    let team = all.iter().find(|d| d.code == "TEAM-N").expect("TEAM-N");
    assert_eq!(team.name, "Team Noord");
    assert_eq!(team.parent_id, Some(d2.id));
}
