#![allow(clippy::unwrap_used)] // tests may unwrap
//! X3 on the back-office user page: the History tab lists a user's audit trail (newest first,
//! with before → after per field) for accounts holding the audit right, within its scope.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

use crate::authz::{World, world};

/// The `tests/authz.rs` tenant plus an auditor role reaching one unit.
const DESCRIPTOR: &str = r#"slug: acme
name: Acme
default_language: en
languages: [en]
catalogs:
  - {code: A, name: Catalog A}
organisation_units:
  - {code: ROOT, name: Acme}
  - {code: NL, name: Netherlands, parent: ROOT}
  - {code: DE, name: Germany, parent: ROOT}
roles:
  - {code: customer_admin, name: Customer admin, administrator: true}
  - {code: ou_admin, name: OU admin, scope: own_ou, rights: [users, export]}
  - {code: ou_auditor, name: OU auditor, scope: own_ou, rights: [audit]}
  - {code: learner, name: Learner, kind: portal, scope: self}
"#;

async fn page(w: &World, path: &str, token: &str) -> (StatusCode, String) {
    let req = Request::builder()
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let resp = w.state.router().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        String::from_utf8_lossy(&bytes).replace("&#x2f;", "/"),
    )
}

#[tokio::test]
async fn x3_a_change_through_the_api_shows_on_the_history_tab_with_before_and_after() {
    let w = world(DESCRIPTOR).await;
    let (_, boss) = w.admin("boss", "customer_admin", None, None).await;
    let nina = w.user("nina", Some("NL"), &["A"]).await;
    let (status, body) = w
        .call(
            "PATCH",
            &format!("/api/v1/acme/users/{nina}"),
            Some(&boss),
            Some(json!({"first_name": "Nora"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The edit page offers the tab to an account with the audit right.
    let (status, edit) = page(&w, &format!("/t/acme/backoffice/users/{nina}"), &boss).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        edit.contains(&format!("/t/acme/backoffice/users/{nina}/history\"")),
        "{edit}"
    );

    let (status, h) = page(
        &w,
        &format!("/t/acme/backoffice/users/{nina}/history"),
        &boss,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{h}");
    assert!(h.contains("History"), "{h}");
    assert!(h.contains("<code>first_name</code>"), "{h}");
    assert!(
        h.contains("<span class=\"before\">First</span> → <span class=\"after\">Nora</span>"),
        "{h}"
    );
    assert!(h.contains("<td>boss</td>"), "who: {h}");
    assert!(h.contains("<td>api</td>"), "source: {h}");
    // The form itself is not on the History tab.
    assert!(!h.contains("name=\"first_name\""), "{h}");
}

#[tokio::test]
async fn x3_history_pages_newest_first_with_a_more_link() {
    let w = world(DESCRIPTOR).await;
    let (_, boss) = w.admin("boss", "customer_admin", None, None).await;
    let nina = w.user("nina", Some("NL"), &["A"]).await;
    for i in 0..51 {
        let (status, _) = w
            .call(
                "PATCH",
                &format!("/api/v1/acme/users/{nina}"),
                Some(&boss),
                Some(json!({"first_name": format!("Name{i:02}")})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let path = format!("/t/acme/backoffice/users/{nina}/history");
    let (_, first) = page(&w, &path, &boss).await;
    assert!(
        first.contains("<span class=\"after\">Name50</span>"),
        "newest first"
    );
    assert!(!first.contains("<span class=\"before\">First</span>"));
    assert!(first.contains(&format!("{path}?page=2\"")), "{first}");
    let (_, second) = page(&w, &format!("{path}?page=2"), &boss).await;
    assert!(
        second
            .contains("<span class=\"before\">First</span> → <span class=\"after\">Name00</span>"),
        "{second}"
    );
    assert!(!second.contains("?page=3"));
    assert!(second.contains(&format!("{path}?page=1\"")));
}

#[tokio::test]
async fn x3_without_the_audit_right_there_is_no_history() {
    let w = world(DESCRIPTOR).await;
    let (_, ou) = w.admin("ou", "ou_admin", Some("NL"), None).await;
    let nina = w.user("nina", Some("NL"), &["A"]).await;
    let (status, edit) = page(&w, &format!("/t/acme/backoffice/users/{nina}"), &ou).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!edit.contains("/history"), "{edit}");
    assert!(!edit.contains("History"));
    let (status, _) = page(&w, &format!("/t/acme/backoffice/users/{nina}/history"), &ou).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn x3_a_user_outside_the_auditors_scope_is_not_found() {
    let w = world(DESCRIPTOR).await;
    let (_, auditor) = w.admin("aud", "ou_auditor", Some("NL"), None).await;
    let nina = w.user("nina", Some("NL"), &["A"]).await;
    let dirk = w.user("dirk", Some("DE"), &["A"]).await;
    let (status, _) = page(
        &w,
        &format!("/t/acme/backoffice/users/{nina}/history"),
        &auditor,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = page(
        &w,
        &format!("/t/acme/backoffice/users/{dirk}/history"),
        &auditor,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
