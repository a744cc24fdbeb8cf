//! Organisations, departments and catalogs through the API (U8, U10, I2, U1, B4, X3).

use axum::http::StatusCode;
use chrono::Utc;
use roster::store::entity::{audit_events, employments};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{fields, message};
use crate::authz::{World, world};

const TENANT: &str = r#"slug: acme
name: Acme
default_language: en
languages: [en]
catalogs:
  - {code: A, name: Catalog A}
organisations:
  - code: ACME
    name: Acme Holding
    departments:
      - {code: SALES, name: Sales}
      - {code: EXPORT, name: Export sales, parent: SALES}
      - {code: NORTH, name: Export north, parent: EXPORT}
organisation_units:
  - {code: ROOT, name: Acme}
roles:
  - {code: customer_admin, name: Customer admin, administrator: true}
  - {code: structure, name: Structure, rights: [organisations]}
  - {code: helpdesk, name: Helpdesk, rights: [users]}
"#;

async fn setup() -> (World, String) {
    let w = world(TENANT).await;
    let (_, token) = w.admin("boss", "structure", None, None).await;
    (w, token)
}

/// X9: [`setup`] with the organisations and departments handed over to the runtime, so the
/// administrator may edit and delete them.
async fn setup_runtime() -> (World, String) {
    let (w, token) = setup().await;
    w.hand_over(&crate::util::without_section(TENANT, "organisations"))
        .await;
    (w, token)
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

async fn org_id(w: &World, token: &str, code: &str) -> String {
    let (_, list) = w
        .call("GET", "/api/v1/acme/organisations", Some(token), None)
        .await;
    list.as_array()
        .and_then(|a| a.iter().find(|o| o["code"] == code))
        .map(id)
        .expect("organisation")
}

async fn dept_ids(w: &World, token: &str, org: &str) -> std::collections::HashMap<String, String> {
    let (status, list) = w
        .call(
            "GET",
            &format!("/api/v1/acme/organisations/{org}/departments"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array()
        .expect("departments")
        .iter()
        .map(|d| (d["code"].as_str().expect("code").to_owned(), id(d)))
        .collect()
}

async fn employ(w: &World, org: &str, dept: Option<&str>) {
    let user = w
        .user(&format!("emp-{}", Uuid::new_v4()), Some("ROOT"), &[])
        .await;
    let now = Utc::now();
    employments::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(w.tenant.0),
        user_id: Set(user),
        organisation_id: Set(org.parse().expect("uuid")),
        department_id: Set(dept.map(|d| d.parse().expect("uuid"))),
        job_title: Set(None),
        starts_on: Set(None),
        ends_on: Set(None),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&w.t.db)
    .await
    .expect("employment");
}

async fn audited(w: &World, entity: &str, entity_id: &str, action: &str) -> bool {
    audit_events::Entity::find()
        .filter(audit_events::Column::Entity.eq(entity))
        .filter(audit_events::Column::EntityId.eq(entity_id.parse::<Uuid>().expect("uuid")))
        .filter(audit_events::Column::Action.eq(action))
        .all(&w.t.db)
        .await
        .expect("audit")
        .into_iter()
        .any(|e| e.source == "api")
}

#[tokio::test]
async fn organisations_create_update_delete_are_audited() {
    let (w, token) = setup().await;
    let (status, o) = w
        .call(
            "POST",
            "/api/v1/acme/organisations",
            Some(&token),
            Some(json!({"code": "BETA", "name": "Beta Logistics"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{o}");
    assert_eq!(o["active"], true);
    let oid = id(&o);
    assert!(audited(&w, "organisation", &oid, "create").await);

    let path = format!("/api/v1/acme/organisations/{oid}");
    let (status, o) = w
        .call(
            "PATCH",
            &path,
            Some(&token),
            Some(json!({"name": "Beta Freight", "active": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{o}");
    assert_eq!(
        (o["name"].as_str(), o["active"].as_bool()),
        (Some("Beta Freight"), Some(false))
    );
    assert!(audited(&w, "organisation", &oid, "update").await);
    let (_, got) = w.call("GET", &path, Some(&token), None).await;
    assert_eq!(got["name"], "Beta Freight");

    let (status, _) = w.call("DELETE", &path, Some(&token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(audited(&w, "organisation", &oid, "delete").await);
    let (status, _) = w.call("GET", &path, Some(&token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn organisation_fields_answer_422_one_entry_per_field() {
    let (w, token) = setup().await;
    let (status, p) = w
        .call(
            "POST",
            "/api/v1/acme/organisations",
            Some(&token),
            Some(json!({"code": "has space", "name": ""})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(fields(&p), ["code", "name"]);
    let (status, p) = w
        .call(
            "POST",
            "/api/v1/acme/organisations",
            Some(&token),
            Some(json!({"code": "ACME", "name": "Again"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert!(message(&p, "code").contains("already taken"), "{p}");
    let (status, p) = w
        .call(
            "POST",
            "/api/v1/acme/organisations",
            Some(&token),
            Some(json!({"code": "NEW", "name": "New", "colour": "red"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert!(message(&p, "body").contains("colour"), "{p}");
}

#[tokio::test]
async fn department_parent_cycle_is_refused_with_422() {
    let (w, token) = setup_runtime().await;
    let org = org_id(&w, &token, "ACME").await;
    let d = dept_ids(&w, &token, &org).await;
    // SALES ← EXPORT ← NORTH: putting SALES under NORTH closes the ring.
    let (status, p) = w
        .call(
            "PATCH",
            &format!("/api/v1/acme/departments/{}", d["SALES"]),
            Some(&token),
            Some(json!({"parent_id": d["NORTH"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(fields(&p), ["parent_id"]);
    let m = message(&p, "parent_id");
    assert!(
        m.contains("cycle") && m.contains("`SALES`") && m.contains("`NORTH`"),
        "{m}"
    );
    // Its own parent is a cycle too.
    let (status, p) = w
        .call(
            "PATCH",
            &format!("/api/v1/acme/departments/{}", d["EXPORT"]),
            Some(&token),
            Some(json!({"parent_id": d["EXPORT"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    // A legal move and clearing the parent work, and show the parent's code.
    let (status, moved) = w
        .call(
            "PATCH",
            &format!("/api/v1/acme/departments/{}", d["NORTH"]),
            Some(&token),
            Some(json!({"parent_id": d["SALES"], "name": "North"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["parent_code"], "SALES");
    assert!(audited(&w, "department", &d["NORTH"], "update").await);
    let (status, top) = w
        .call(
            "PATCH",
            &format!("/api/v1/acme/departments/{}", d["NORTH"]),
            Some(&token),
            Some(json!({"parent_id": null})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{top}");
    assert_eq!(top["parent_id"], Value::Null);
}

#[tokio::test]
async fn departments_are_created_with_codes_and_parents() {
    let (w, token) = setup().await;
    let org = org_id(&w, &token, "ACME").await;
    let d = dept_ids(&w, &token, &org).await;
    let path = format!("/api/v1/acme/organisations/{org}/departments");
    let (status, dep) = w
        .call(
            "POST",
            &path,
            Some(&token),
            Some(json!({"code": "SOUTH", "name": "Export south", "parent_id": d["EXPORT"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{dep}");
    assert_eq!(
        (dep["code"].as_str(), dep["parent_code"].as_str()),
        (Some("SOUTH"), Some("EXPORT"))
    );
    assert!(audited(&w, "department", &id(&dep), "create").await);
    let (status, p) = w
        .call(
            "POST",
            &path,
            Some(&token),
            Some(json!({"code": "SALES", "name": "", "parent_id": Uuid::new_v4()})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(fields(&p), ["code", "name", "parent_id"]);
    let (status, _) = w
        .call(
            "GET",
            &format!("/api/v1/acme/organisations/{}/departments", Uuid::new_v4()),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn delete_is_refused_while_users_are_employed_there() {
    let (w, token) = setup_runtime().await;
    let org = org_id(&w, &token, "ACME").await;
    let d = dept_ids(&w, &token, &org).await;
    employ(&w, &org, Some(&d["NORTH"])).await;

    let (status, p) = w
        .call(
            "DELETE",
            &format!("/api/v1/acme/organisations/{org}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{p}");
    assert!(
        p["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("1 active employment"),
        "{p}"
    );

    let (status, p) = w
        .call(
            "DELETE",
            &format!("/api/v1/acme/departments/{}", d["NORTH"]),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{p}");
    assert!(
        p["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("employment"),
        "{p}"
    );

    // A department with sub-departments is refused too; a leaf without employments goes.
    let (status, p) = w
        .call(
            "DELETE",
            &format!("/api/v1/acme/departments/{}", d["SALES"]),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{p}");
    assert!(
        p["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("sub-department"),
        "{p}"
    );
    let (_, dep) = w
        .call(
            "POST",
            &format!("/api/v1/acme/organisations/{org}/departments"),
            Some(&token),
            Some(json!({"code": "LEAF", "name": "Leaf"})),
        )
        .await;
    let (status, _) = w
        .call(
            "DELETE",
            &format!("/api/v1/acme/departments/{}", id(&dep)),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(audited(&w, "department", &id(&dep), "delete").await);
}

#[tokio::test]
async fn organisations_need_their_right() {
    let (w, _) = setup().await;
    let (_, helpdesk) = w.admin("help", "helpdesk", None, None).await;
    let (status, p) = w
        .call("GET", "/api/v1/acme/organisations", Some(&helpdesk), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{p}");
    let (status, _) = w
        .call("GET", "/api/v1/acme/catalogs", Some(&helpdesk), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn catalogs_list_create_rename() {
    let w = world(TENANT).await;
    let (_, token) = w.admin("boss", "customer_admin", None, None).await;
    let (status, list) = w
        .call("GET", "/api/v1/acme/catalogs", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list[0]["code"], "A");
    let (status, c) = w
        .call(
            "POST",
            "/api/v1/acme/catalogs",
            Some(&token),
            Some(json!({"code": "B", "name": "Catalog B"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    assert!(audited(&w, "catalog", &id(&c), "create").await);
    let (status, p) = w
        .call(
            "POST",
            "/api/v1/acme/catalogs",
            Some(&token),
            Some(json!({"code": "B", "name": " "})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(fields(&p), ["code", "name"]);
    let (status, r) = w
        .call(
            "PATCH",
            &format!("/api/v1/acme/catalogs/{}", id(&c)),
            Some(&token),
            Some(json!({"name": "Catalog Bravo"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["name"], "Catalog Bravo");
    assert!(audited(&w, "catalog", &id(&c), "update").await);
}
