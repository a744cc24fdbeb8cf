//! T2: `tenant apply` is idempotent and changes only what changed.

use std::path::Path;

use roster::store::entity::{catalogs, organisation_units, role_rights, roles, tenants};
use roster::tenancy::apply::{Outcome, apply};
use roster::tenancy::parse_descriptor;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::util::{MINIMAL, TestDb};

fn descriptor(text: &str) -> roster::tenancy::TenantDescriptor {
    parse_descriptor(Path::new("acme.yaml"), text).expect("valid descriptor")
}

fn outcome_of<'a>(
    report: &'a roster::tenancy::apply::ApplyReport,
    kind: &str,
    code: &str,
) -> &'a Outcome {
    &report
        .lines
        .iter()
        .find(|l| l.kind == kind && l.code == code)
        .unwrap_or_else(|| panic!("no line for {kind} {code}: {:#?}", report.lines))
        .outcome
}

#[tokio::test]
async fn t2_apply_twice_reports_everything_unchanged() {
    let t = TestDb::new().await;
    let d = descriptor(MINIMAL);
    let first = apply(&t.db, &d).await.expect("first apply");
    assert!(
        first.lines.iter().all(|l| l.outcome == Outcome::Created),
        "{:#?}",
        first.lines
    );
    // tenant + 2 catalogs + 1 org + 2 departments + 3 units + 2 roles + 1 group + 1 profile + 1 import
    assert_eq!(first.lines.len(), 14);

    let second = apply(&t.db, &d).await.expect("second apply");
    assert_eq!(second.tenant, first.tenant);
    assert!(
        second.lines.iter().all(|l| l.outcome == Outcome::Unchanged),
        "{:#?}",
        second.lines
    );
    assert_eq!(second.lines.len(), 14);
}

#[tokio::test]
async fn t2_changing_one_field_updates_only_it() {
    let t = TestDb::new().await;
    apply(&t.db, &descriptor(MINIMAL)).await.expect("apply");
    let changed = MINIMAL.replacen("    name: Sales\n", "    name: Sales & Marketing\n", 1);
    let report = apply(&t.db, &descriptor(&changed))
        .await
        .expect("apply changed");
    assert_eq!(
        outcome_of(&report, "catalog", "SALES"),
        &Outcome::Updated(vec!["name".into()])
    );
    let others: Vec<_> = report
        .lines
        .iter()
        .filter(|l| !(l.kind == "catalog" && l.code == "SALES"))
        .filter(|l| l.outcome != Outcome::Unchanged)
        .collect();
    assert!(others.is_empty(), "{others:#?}");
    let tenant = report.tenant;
    let sales = tenant
        .find::<catalogs::Entity>()
        .filter(catalogs::Column::Code.eq("SALES"))
        .one(&t.db)
        .await
        .expect("query")
        .expect("row");
    assert_eq!(sales.name, "Sales & Marketing");
}

#[tokio::test]
async fn t2_rights_parents_and_settings_are_applied() {
    let t = TestDb::new().await;
    let first = apply(&t.db, &descriptor(MINIMAL)).await.expect("apply");
    let version = |db| async move {
        tenants::Entity::find_by_id(first.tenant.0)
            .one(db)
            .await
            .expect("query")
            .expect("tenant")
            .policy_version
    };
    let v1 = version(&t.db).await;

    let changed = MINIMAL
        .replacen("[users, roles]", "[users, user_groups]", 1)
        .replacen("    parent: EU\n", "    parent: ROOT\n", 1)
        .replacen("  flow: email_confirmation\n", "  flow: immediate\n", 1);
    let report = apply(&t.db, &descriptor(&changed)).await.expect("apply");
    assert_eq!(
        outcome_of(&report, "role", "admin"),
        &Outcome::Updated(vec!["rights".into()])
    );
    assert_eq!(
        outcome_of(&report, "organisation unit", "NL"),
        &Outcome::Updated(vec!["parent_id".into()])
    );
    assert_eq!(
        outcome_of(&report, "tenant", "acme"),
        &Outcome::Updated(vec!["registration".into()])
    );
    assert!(
        version(&t.db).await > v1,
        "a rights change bumps the policy version"
    );

    let tenant = report.tenant;
    let admin = tenant
        .find::<roles::Entity>()
        .filter(roles::Column::Code.eq("admin"))
        .one(&t.db)
        .await
        .expect("query")
        .expect("role");
    let mut rights: Vec<String> = tenant
        .find::<role_rights::Entity>()
        .filter(role_rights::Column::RoleId.eq(admin.id))
        .all(&t.db)
        .await
        .expect("query")
        .into_iter()
        .map(|r| r.right)
        .collect();
    rights.sort();
    assert_eq!(rights, ["user_groups", "users"]);

    let units = tenant
        .find::<organisation_units::Entity>()
        .all(&t.db)
        .await
        .expect("units");
    let id_of = |code: &str| units.iter().find(|u| u.code == code).map(|u| u.id);
    let nl = units.iter().find(|u| u.code == "NL").expect("NL");
    assert_eq!(nl.parent_id, id_of("ROOT"));
    assert!(
        units
            .iter()
            .find(|u| u.code == "EU")
            .is_some_and(|u| u.is_sub_tenant)
    );
}

#[tokio::test]
async fn t2_objects_left_out_are_kept_and_reported() {
    let t = TestDb::new().await;
    apply(&t.db, &descriptor(MINIMAL)).await.expect("apply");
    let without_sales = MINIMAL.replacen("  - code: SALES\n    name: Sales\n", "", 1);
    let report = apply(&t.db, &descriptor(&without_sales))
        .await
        .expect("apply");
    // X9: a managed object the descriptor drops is kept and handed over to the runtime.
    assert_eq!(outcome_of(&report, "catalog", "SALES"), &Outcome::Released);
    assert!(!report.is_unchanged() || report.lines.iter().any(|l| l.outcome == Outcome::Kept));
    let count = report
        .tenant
        .find::<catalogs::Entity>()
        .all(&t.db)
        .await
        .expect("query")
        .len();
    assert_eq!(count, 2);
}

#[tokio::test]
async fn t1_parents_may_come_later_in_the_file() {
    let t = TestDb::new().await;
    let text = MINIMAL.replacen(
        "  - code: ROOT\n    name: Acme\n",
        "  - code: ROOT\n    name: Acme\n    parent: LATE\n",
        1,
    );
    let text = text.replacen(
        "roles:\n",
        "  - code: LATE\n    name: Declared last\nroles:\n",
        1,
    );
    let report = apply(&t.db, &descriptor(&text)).await.expect("apply");
    let units = report
        .tenant
        .find::<organisation_units::Entity>()
        .all(&t.db)
        .await
        .expect("units");
    let late = units.iter().find(|u| u.code == "LATE").expect("LATE");
    let root = units.iter().find(|u| u.code == "ROOT").expect("ROOT");
    assert_eq!(root.parent_id, Some(late.id));
    let again = apply(&t.db, &descriptor(&text)).await.expect("again");
    assert!(again.is_unchanged(), "{:#?}", again.lines);
}
