//! Organisation units through the API (T3, B5, X3): the tree, scoped administrators seeing
//! only their sub-tree, moves refused when they would make a cycle, deletes refused with a reason.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{fields, message};
use crate::authz::{World, world};

const TENANT: &str = r#"slug: acme
name: Acme
default_language: en
languages: [en]
organisation_units:
  - {code: ROOT, name: Acme}
  - {code: EU, name: Europe, parent: ROOT, sub_tenant: true}
  - {code: NL, name: Netherlands, parent: EU}
  - {code: DE, name: Germany, parent: EU}
  - {code: US, name: United States, parent: ROOT}
roles:
  - {code: customer_admin, name: Customer admin, administrator: true}
  - {code: structure, name: Structure, scope: subtree, rights: [organisations]}
"#;

fn codes(tree: &Value) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(nodes: &Value, out: &mut Vec<String>) {
        for n in nodes.as_array().into_iter().flatten() {
            out.push(n["code"].as_str().unwrap_or_default().to_owned());
            walk(&n["children"], out);
        }
    }
    walk(tree, &mut out);
    out
}

/// X9: the tenant with its unit tree handed over to the runtime (the descriptor no longer
/// declares it), so administrators may move, rename and delete the units.
async fn runtime_tree() -> World {
    let w = world(TENANT).await;
    w.hand_over(&crate::util::without_section(TENANT, "organisation_units"))
        .await;
    w
}

async fn boss(w: &World) -> String {
    w.admin("boss", "customer_admin", None, None).await.1
}

#[tokio::test]
async fn t3_units_list_as_a_tree() {
    let w = world(TENANT).await;
    let token = boss(&w).await;
    w.user("nl-user", Some("NL"), &[]).await;
    let (status, tree) = w
        .call("GET", "/api/v1/acme/units", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{tree}");
    assert_eq!(codes(&tree), ["ROOT", "EU", "DE", "NL", "US"]);
    let eu = &tree[0]["children"][0];
    assert_eq!(
        (eu["code"].as_str(), eu["is_sub_tenant"].as_bool()),
        (Some("EU"), Some(true))
    );
    assert_eq!(eu["children"][1]["users"], 1);
}

#[tokio::test]
async fn b5_scoped_admin_sees_and_changes_only_their_subtree() {
    let w = runtime_tree().await;
    let (_, token) = w.admin("eu-admin", "structure", Some("EU"), None).await;
    let (status, tree) = w
        .call("GET", "/api/v1/acme/units", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{tree}");
    assert_eq!(codes(&tree), ["EU", "DE", "NL"]);
    for outside in ["US", "ROOT"] {
        let (status, _) = w
            .call(
                "GET",
                &format!("/api/v1/acme/units/{}", w.units[outside]),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{outside}");
        let (status, _) = w
            .call(
                "PATCH",
                &format!("/api/v1/acme/units/{}", w.units[outside]),
                Some(&token),
                Some(json!({"name": "Mine now"})),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{outside}");
    }
    // New units go below one of theirs.
    let (status, p) = w
        .call(
            "POST",
            "/api/v1/acme/units",
            Some(&token),
            Some(json!({"code": "X", "name": "X", "parent_id": w.units["US"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(fields(&p), ["parent_id"]);
    let (status, p) = w
        .call(
            "POST",
            "/api/v1/acme/units",
            Some(&token),
            Some(json!({"code": "X", "name": "X"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(fields(&p), ["parent_id"]);
    let (status, created) = w
        .call(
            "POST",
            "/api/v1/acme/units",
            Some(&token),
            Some(json!({"code": "AMS", "name": "Amsterdam", "parent_id": w.units["NL"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    // Moving within the sub-tree works; above it, or moving its top, does not.
    let ams = created["id"].as_str().expect("id");
    let (status, moved) = w
        .call(
            "PATCH",
            &format!("/api/v1/acme/units/{ams}"),
            Some(&token),
            Some(json!({"parent_id": w.units["DE"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    let (status, p) = w
        .call(
            "PATCH",
            &format!("/api/v1/acme/units/{ams}"),
            Some(&token),
            Some(json!({"parent_id": w.units["ROOT"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (status, p) = w
        .call(
            "PATCH",
            &format!("/api/v1/acme/units/{}", w.units["EU"]),
            Some(&token),
            Some(json!({"parent_id": w.units["US"]})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{p}");
    let (status, _) = w
        .call(
            "DELETE",
            &format!("/api/v1/acme/units/{}", w.units["EU"]),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn t3_a_move_that_makes_a_cycle_is_refused() {
    let w = runtime_tree().await;
    let token = boss(&w).await;
    let (status, p) = w
        .call(
            "PATCH",
            &format!("/api/v1/acme/units/{}", w.units["EU"]),
            Some(&token),
            Some(json!({"parent_id": w.units["NL"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(fields(&p), ["parent_id"]);
    let m = message(&p, "parent_id");
    assert!(
        m.contains("cycle") && m.contains("`EU`") && m.contains("`NL`"),
        "{m}"
    );
    // A legal move with a rename is applied and audited.
    let (status, u) = w
        .call(
            "PATCH",
            &format!("/api/v1/acme/units/{}", w.units["NL"]),
            Some(&token),
            Some(json!({"parent_id": w.units["US"], "name": "Nederland"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{u}");
    assert_eq!(u["parent_id"], json!(w.units["US"]));
    let (_, tree) = w
        .call("GET", "/api/v1/acme/units", Some(&token), None)
        .await;
    assert_eq!(codes(&tree), ["ROOT", "EU", "DE", "US", "NL"]);
}

#[tokio::test]
async fn unit_delete_is_refused_while_users_or_children_remain() {
    let w = runtime_tree().await;
    let token = boss(&w).await;
    w.user("de-user", Some("DE"), &[]).await;
    let (status, p) = w
        .call(
            "DELETE",
            &format!("/api/v1/acme/units/{}", w.units["DE"]),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{p}");
    assert!(
        p["detail"].as_str().unwrap_or_default().contains("1 user"),
        "{p}"
    );
    let (status, p) = w
        .call(
            "DELETE",
            &format!("/api/v1/acme/units/{}", w.units["EU"]),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{p}");
    assert!(
        p["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("2 unit(s) below"),
        "{p}"
    );
    let (status, _) = w
        .call(
            "DELETE",
            &format!("/api/v1/acme/units/{}", w.units["NL"]),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, tree) = w
        .call("GET", "/api/v1/acme/units", Some(&token), None)
        .await;
    assert_eq!(codes(&tree), ["ROOT", "EU", "DE", "US"]);
}

#[tokio::test]
async fn unit_fields_answer_422_one_entry_per_field() {
    let w = world(TENANT).await;
    let token = boss(&w).await;
    let (status, p) = w
        .call(
            "POST",
            "/api/v1/acme/units",
            Some(&token),
            Some(json!({"code": "EU", "name": "", "parent_id": uuid::Uuid::new_v4()})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(fields(&p), ["code", "name", "parent_id"]);
    assert!(message(&p, "code").contains("already taken"), "{p}");
}
