//! G1: user groups through the API: create, rename, delete refused with members.

use axum::http::StatusCode;
use roster::store::entity::audit_events;
use sea_orm::EntityTrait;
use serde_json::json;

use super::{fields, people};

#[tokio::test]
async fn g1_delete_refused_while_the_group_has_members() {
    let (w, token) = people("{}").await;
    let (status, g) = w
        .call(
            "POST",
            "/api/v1/acme/user-groups",
            Some(&token),
            Some(json!({"code": "nl-sales", "name": "Sales NL"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    assert_eq!(g["members"], 0);
    let path = format!(
        "/api/v1/acme/user-groups/{}",
        g["id"].as_str().expect("present")
    );

    let (status, u) = w
        .call(
            "POST",
            "/api/v1/acme/users",
            Some(&token),
            Some(json!({
                "login": "member", "first_name": "M", "last_name": "Ember",
                "email": "m@example.org", "catalogs": ["A"], "user_groups": ["nl-sales"],
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{u}");

    let (status, problem) = w.call("DELETE", &path, Some(&token), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let detail = problem["detail"].as_str().expect("present");
    assert!(detail.contains("1 member"), "{detail}");
    assert!(detail.contains("nl-sales"), "{detail}");

    // Rename keeps the code and the members.
    let (status, renamed) = w
        .call(
            "PATCH",
            &path,
            Some(&token),
            Some(json!({"name": "Verkoop NL"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(renamed["name"], "Verkoop NL");
    assert_eq!(renamed["code"], "nl-sales");
    assert_eq!(renamed["members"], 1);

    // Emptied, it can go.
    let user = format!("/api/v1/acme/users/{}", u["id"].as_str().expect("present"));
    let (status, _) = w
        .call(
            "PATCH",
            &user,
            Some(&token),
            Some(json!({"user_groups": []})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = w.call("DELETE", &path, Some(&token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = w.call("GET", &path, Some(&token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Every change is in the audit trail (X3).
    let actions: Vec<String> = audit_events::Entity::find()
        .all(&w.t.db)
        .await
        .expect("present")
        .into_iter()
        .filter(|e| e.entity == "user_group")
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["create", "rename", "delete"]);
}

#[tokio::test]
async fn g1_field_rules_and_duplicate_codes() {
    let (w, token) = people("{}").await;
    let (status, problem) = w
        .call(
            "POST",
            "/api/v1/acme/user-groups",
            Some(&token),
            Some(json!({"code": "has space", "name": ""})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["code", "name"]);
    let (status, problem) = w
        .call(
            "POST",
            "/api/v1/acme/user-groups",
            Some(&token),
            Some(json!({"code": "sales", "name": "Another"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["code"]);
    let (status, problem) = w
        .call(
            "POST",
            "/api/v1/acme/user-groups",
            Some(&token),
            Some(json!({"code": "sales2", "name": "Sales team"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["name"]);
    let (status, list) = w
        .call("GET", "/api/v1/acme/user-groups", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let codes: Vec<&str> = list["items"]
        .as_array()
        .expect("present")
        .iter()
        .filter_map(|g| g["code"].as_str())
        .collect();
    assert_eq!(codes, ["empty", "sales"]);

    // Without the user_groups right: 403.
    let (_, help) = w.admin("help", "helpdesk", None, None).await;
    let (status, _) = w
        .call("GET", "/api/v1/acme/user-groups", Some(&help), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
