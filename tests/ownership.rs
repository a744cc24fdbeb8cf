//! X9: who owns what. Objects a descriptor declares are managed by it: the API refuses to
//! edit them (409 naming the file); objects made at run time are never touched by apply.

use std::path::Path;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use roster::store::entity::{catalogs, role_rights, roles, user_groups};
use roster::tenancy::apply::{Outcome, apply};
use roster::tenancy::parse_descriptor;
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::authz::{World, world};

/// A small tenant: two catalogs, a unit tree, roles, groups.
const OWNED: &str = r#"slug: acme
name: Acme
default_language: en
languages: [en]
catalogs:
  - {code: A, name: Catalog A}
  - {code: B, name: Catalog B}
organisations:
  - code: ACME
    name: Acme Holding
    departments:
      - {code: SALES, name: Sales}
organisation_units:
  - {code: ROOT, name: Acme}
  - {code: NL, name: Netherlands, parent: ROOT}
roles:
  - {code: customer_admin, name: Customer admin, administrator: true}
  - {code: helpdesk, name: Helpdesk, rights: [users]}
  - {code: learner, name: Learner, kind: portal, scope: self}
user_groups:
  - {code: sales, name: Sales team}
"#;

const FILE: &str = "tenants/acme.yaml";

async fn owned() -> (World, String) {
    let w = world(OWNED).await;
    let (_, token) = w.admin("boss", "customer_admin", None, None).await;
    (w, token)
}

fn descriptor(text: &str) -> roster::tenancy::TenantDescriptor {
    parse_descriptor(Path::new("acme.yaml"), text).expect("valid descriptor")
}

/// The id of the object `code` in a list answer.
async fn id_in(w: &World, token: &str, path: &str, code: &str) -> String {
    let (status, list) = w.call("GET", path, Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let items = list.get("items").unwrap_or(&list);
    items
        .as_array()
        .and_then(|a| a.iter().find(|o| o["code"] == code))
        .and_then(|o| o["id"].as_str())
        .unwrap_or_else(|| panic!("no {code} in {list}"))
        .to_owned()
}

/// A request whose answer must be a 409 problem naming the descriptor file.
async fn refused(w: &World, token: &str, method: &str, path: &str, body: Option<Value>) -> String {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"));
    let req = match body {
        Some(b) => req
            .header("content-type", "application/json")
            .body(Body::from(b.to_string())),
        None => {
            req = req.header("content-length", "0");
            req.body(Body::empty())
        }
    }
    .expect("request");
    let resp = w.state.router().oneshot(req).await.expect("response");
    let status = resp.status();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    let problem: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    assert_eq!(status, StatusCode::CONFLICT, "{method} {path}: {problem}");
    assert_eq!(content_type, "application/problem+json", "{method} {path}");
    assert_eq!(problem["status"], 409, "{problem}");
    let detail = problem["detail"].as_str().unwrap_or_default().to_owned();
    assert!(
        detail.contains(FILE),
        "{method} {path}: the refusal names the file: {detail}"
    );
    detail
}

#[tokio::test]
async fn x9_managed_role_rights_are_refused_409_naming_the_file() {
    let (w, token) = owned().await;
    let detail = refused(
        &w,
        &token,
        "PUT",
        "/api/v1/acme/roles/helpdesk/rights",
        Some(json!({"rights": ["users", "audit"]})),
    )
    .await;
    assert!(detail.contains("role `helpdesk`"), "{detail}");
    // Nothing changed.
    let role = w
        .tenant
        .find::<roles::Entity>()
        .filter(roles::Column::Code.eq("helpdesk"))
        .one(&w.t.db)
        .await
        .expect("query")
        .expect("role");
    let rights: Vec<String> = w
        .tenant
        .find::<role_rights::Entity>()
        .filter(role_rights::Column::RoleId.eq(role.id))
        .all(&w.t.db)
        .await
        .expect("rights")
        .into_iter()
        .map(|r| r.right)
        .collect();
    assert_eq!(rights, ["users"]);
}

#[tokio::test]
async fn x9_managed_group_rename_and_delete_are_refused_409_naming_the_file() {
    let (w, token) = owned().await;
    let id = id_in(&w, &token, "/api/v1/acme/user-groups", "sales").await;
    let path = format!("/api/v1/acme/user-groups/{id}");
    let detail = refused(&w, &token, "PATCH", &path, Some(json!({"name": "Verkoop"}))).await;
    assert!(detail.contains("user group `sales`"), "{detail}");
    refused(&w, &token, "DELETE", &path, None).await;
    let (status, g) = w.call("GET", &path, Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(g["name"], "Sales team");
    assert_eq!(g["managed_by"], FILE, "the API shows who manages it: {g}");
}

#[tokio::test]
async fn x9_managed_catalog_rename_is_refused_409_naming_the_file() {
    let (w, token) = owned().await;
    let id = id_in(&w, &token, "/api/v1/acme/catalogs", "A").await;
    let detail = refused(
        &w,
        &token,
        "PATCH",
        &format!("/api/v1/acme/catalogs/{id}"),
        Some(json!({"name": "Catalogus A"})),
    )
    .await;
    assert!(detail.contains("catalog `A`"), "{detail}");
}

#[tokio::test]
async fn x9_managed_units_organisations_and_departments_are_refused() {
    let (w, token) = owned().await;
    let nl = w.units["NL"];
    refused(
        &w,
        &token,
        "PATCH",
        &format!("/api/v1/acme/units/{nl}"),
        Some(json!({"name": "Nederland"})),
    )
    .await;
    refused(
        &w,
        &token,
        "DELETE",
        &format!("/api/v1/acme/units/{nl}"),
        None,
    )
    .await;
    let org = id_in(&w, &token, "/api/v1/acme/organisations", "ACME").await;
    refused(
        &w,
        &token,
        "PATCH",
        &format!("/api/v1/acme/organisations/{org}"),
        Some(json!({"name": "Acme BV"})),
    )
    .await;
    let dep = id_in(
        &w,
        &token,
        &format!("/api/v1/acme/organisations/{org}/departments"),
        "SALES",
    )
    .await;
    refused(
        &w,
        &token,
        "PATCH",
        &format!("/api/v1/acme/departments/{dep}"),
        Some(json!({"name": "Verkoop"})),
    )
    .await;
}

/// The finding: `serve` re-applied the descriptors at every start and reverted what
/// administrators changed at run time. Objects made at run time, and their edits, survive.
#[tokio::test]
async fn x9_reapply_leaves_everything_made_at_run_time() {
    let (w, token) = owned().await;
    // Made at run time, then edited at run time.
    let (status, r) = w
        .call(
            "POST",
            "/api/v1/acme/roles",
            Some(&token),
            Some(json!({"code": "trainer", "name": "Trainer", "rights": ["users"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let (status, r) = w
        .call(
            "PUT",
            "/api/v1/acme/roles/trainer/rights",
            Some(&token),
            Some(json!({"rights": ["users", "user_groups"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let (status, g) = w
        .call(
            "POST",
            "/api/v1/acme/user-groups",
            Some(&token),
            Some(json!({"code": "local", "name": "Local"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    assert_eq!(g["managed_by"], Value::Null, "{g}");
    let (status, g) = w
        .call(
            "PATCH",
            &format!("/api/v1/acme/user-groups/{}", g["id"].as_str().expect("id")),
            Some(&token),
            Some(json!({"name": "Local team"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{g}");
    let (status, c) = w
        .call(
            "POST",
            "/api/v1/acme/catalogs",
            Some(&token),
            Some(json!({"code": "C", "name": "Catalog C"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let (status, c) = w
        .call(
            "PATCH",
            &format!("/api/v1/acme/catalogs/{}", c["id"].as_str().expect("id")),
            Some(&token),
            Some(json!({"name": "Catalogus C"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");

    // A later descriptor declares a group whose code a run-time group already holds.
    let later = OWNED.replacen(
        "  - {code: sales, name: Sales team}\n",
        "  - {code: sales, name: Sales team}\n  - {code: local, name: Declared}\n",
        1,
    );
    let report = apply(&w.t.db, &descriptor(&later)).await.expect("re-apply");
    let outcome = |kind: &str, code: &str| {
        report
            .lines
            .iter()
            .find(|l| l.kind == kind && l.code == code)
            .unwrap_or_else(|| panic!("no line for {kind} {code}: {:#?}", report.lines))
            .outcome
            .clone()
    };
    assert_eq!(outcome("role", "trainer"), Outcome::Kept);
    assert_eq!(outcome("catalog", "C"), Outcome::Kept);
    assert_eq!(outcome("user group", "local"), Outcome::Conflict);
    assert_eq!(outcome("role", "helpdesk"), Outcome::Unchanged);
    // The conflict keeps the plan "changed" (exit 3) until someone resolves it; nothing else.
    let changed: Vec<_> = report
        .lines
        .iter()
        .filter(|l| l.is_change() && l.outcome != Outcome::Conflict)
        .collect();
    assert!(changed.is_empty(), "nothing else changes: {changed:#?}");

    // Applying it again changes nothing either: the run-time group is not adopted because the
    // descriptor applied last declared its code.
    let again = apply(&w.t.db, &descriptor(&later)).await.expect("again");
    let changed: Vec<_> = again
        .lines
        .iter()
        .filter(|l| l.is_change() && l.outcome != Outcome::Conflict)
        .collect();
    assert!(changed.is_empty(), "{changed:#?}");

    // Untouched: names, rights, ownership.
    let local = w
        .tenant
        .find::<user_groups::Entity>()
        .filter(user_groups::Column::Code.eq("local"))
        .one(&w.t.db)
        .await
        .expect("query")
        .expect("group");
    assert_eq!(local.name, "Local team");
    assert_eq!(local.managed_by, None);
    let c = w
        .tenant
        .find::<catalogs::Entity>()
        .filter(catalogs::Column::Code.eq("C"))
        .one(&w.t.db)
        .await
        .expect("query")
        .expect("catalog");
    assert_eq!(c.name, "Catalogus C");
    assert_eq!(c.managed_by, None);
    let (status, roles) = w
        .call("GET", "/api/v1/acme/roles", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let trainer = roles
        .get("items")
        .unwrap_or(&roles)
        .as_array()
        .and_then(|a| a.iter().find(|r| r["code"] == "trainer"))
        .expect("trainer")
        .clone();
    assert_eq!(trainer["rights"], json!(["user_groups", "users"]));
    assert_eq!(trainer["managed_by"], Value::Null);
    let helpdesk = roles["items"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["code"] == "helpdesk"))
        .expect("helpdesk");
    assert_eq!(helpdesk["managed_by"], FILE, "{helpdesk}");
}

/// A managed object left out of the descriptor is kept and handed over to the runtime.
#[tokio::test]
async fn x9_objects_left_out_of_the_descriptor_become_editable() {
    let (w, token) = owned().await;
    let without = OWNED.replacen("  - {code: B, name: Catalog B}\n", "", 1);
    let report = apply(&w.t.db, &descriptor(&without)).await.expect("apply");
    assert!(
        report
            .lines
            .iter()
            .any(|l| l.kind == "catalog" && l.code == "B" && l.outcome == Outcome::Released),
        "{:#?}",
        report.lines
    );
    let id = id_in(&w, &token, "/api/v1/acme/catalogs", "B").await;
    let (status, c) = w
        .call(
            "PATCH",
            &format!("/api/v1/acme/catalogs/{id}"),
            Some(&token),
            Some(json!({"name": "Catalogus B"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    let again = apply(&w.t.db, &descriptor(&without)).await.expect("again");
    assert!(again.is_unchanged(), "{:#?}", again.lines);
}

/// X9, upgrading: rows applied before `managed_by` existed carry none. The next apply adopts
/// those whose code the tenant's last applied descriptor declared (the plan shows the owner
/// arriving); rows made at run time stay run-time objects.
#[tokio::test]
async fn x9_rows_from_before_ownership_are_adopted_by_their_descriptor() {
    let (w, token) = owned().await;
    let (status, g) = w
        .call(
            "POST",
            "/api/v1/acme/user-groups",
            Some(&token),
            Some(json!({"code": "local", "name": "Local"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    // The database as the migration leaves it: no row knows its owner.
    for table in roster_migrations::m20261206_000001_managed_by::MANAGED_TABLES {
        w.t.db
            .execute_unprepared(&format!("UPDATE {table} SET managed_by = NULL"))
            .await
            .expect("forget owners");
    }
    let plan = roster::tenancy::plan::plan(&w.t.db, &descriptor(OWNED), FILE)
        .await
        .expect("plan");
    let sales = plan
        .lines
        .iter()
        .find(|l| l.kind == "user group" && l.code == "sales")
        .expect("sales");
    assert_eq!(sales.outcome, Outcome::Updated(vec!["managed_by".into()]));
    assert!(
        plan.to_string()
            .contains("    managed_by: (none) → \"tenants/acme.yaml\"\n"),
        "{plan}"
    );
    let report = apply(&w.t.db, &descriptor(OWNED)).await.expect("apply");
    assert!(
        report
            .lines
            .iter()
            .any(|l| l.code == "local" && l.outcome == Outcome::Kept),
        "{:#?}",
        report.lines
    );
    let id = id_in(&w, &token, "/api/v1/acme/user-groups", "sales").await;
    refused(
        &w,
        &token,
        "PATCH",
        &format!("/api/v1/acme/user-groups/{id}"),
        Some(json!({"name": "Verkoop"})),
    )
    .await;
    let again = apply(&w.t.db, &descriptor(OWNED)).await.expect("again");
    assert!(again.is_unchanged(), "{:#?}", again.lines);
}
