//! X3: the audit trail of a user, within the reader's scope.

use axum::http::StatusCode;
use serde_json::json;

use super::people;

#[tokio::test]
async fn x3_trail_of_a_user_lists_before_after_and_source() {
    let (w, token) = people("{}").await;
    let (_, u) = w
        .call(
            "POST",
            "/api/v1/acme/users",
            Some(&token),
            Some(json!({
                "login": "traced", "first_name": "Tracy", "last_name": "Trace",
                "email": "t@example.org", "catalogs": ["A"], "organisation_unit": "NL",
            })),
        )
        .await;
    let id = u["id"].as_str().expect("present");
    let base = format!("/api/v1/acme/users/{id}");
    w.call(
        "PATCH",
        &base,
        Some(&token),
        Some(json!({"first_name": "Tracey", "catalogs": ["A", "B"]})),
    )
    .await;
    w.call("POST", &format!("{base}/deactivate"), Some(&token), None)
        .await;
    w.call(
        "POST",
        &format!("{base}/employments"),
        Some(&token),
        Some(json!({"organisation": "ACME"})),
    )
    .await;

    let (status, trail) = w
        .call("GET", &format!("{base}/audit"), Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{trail}");
    assert_eq!(trail["total"], 4);
    let items = trail["items"].as_array().expect("present");
    let actions: Vec<&str> = items.iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(
        actions,
        ["add_employment", "deactivate", "update", "create"]
    );
    for e in items {
        assert_eq!(e["source"], "api");
        assert_eq!(e["actor_label"], "boss");
        assert_eq!(e["actor_kind"], "token");
        assert!(e["occurred_at"].is_string());
    }
    let update = &items[2];
    assert_eq!(
        update["before"],
        json!({"first_name": "Tracy", "catalogs": ["A"]})
    );
    assert_eq!(
        update["after"],
        json!({"first_name": "Tracey", "catalogs": ["A", "B"]})
    );
    assert_eq!(items[3]["before"], json!(null));
    assert_eq!(items[3]["after"]["login"], "traced");
    assert!(items[3]["after"].get("password_hash").is_none());

    // Paging.
    let (_, page) = w
        .call(
            "GET",
            &format!("{base}/audit?per_page=1&page=2"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(page["items"][0]["action"], "deactivate");
}

#[tokio::test]
async fn x3_trail_outside_the_readers_scope_is_not_found() {
    let (w, _) = people("{}").await;
    let (_, sub) = w.admin("sub", "sub_tenant_admin", Some("EU"), None).await;
    let us = w.user("us-user", Some("US"), &["A"]).await;
    let nl = w.user("nl-user", Some("NL"), &["A"]).await;
    let (status, _) = w
        .call(
            "GET",
            &format!("/api/v1/acme/users/{us}/audit"),
            Some(&sub),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, trail) = w
        .call(
            "GET",
            &format!("/api/v1/acme/users/{nl}/audit"),
            Some(&sub),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{trail}");
    assert_eq!(trail["total"], 0);

    // The users right alone does not open the trail.
    let (_, help) = w.admin("help", "helpdesk", None, None).await;
    let (status, _) = w
        .call(
            "GET",
            &format!("/api/v1/acme/users/{nl}/audit"),
            Some(&help),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
