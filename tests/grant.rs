//! Nobody grants more than they hold (issue 17; B3, B4, B5): each escalation path found in the
//! field is a test here, plus the matrix of actor × operation × target inside/outside.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use roster::authz::Permit;
use roster::domain::backoffice::{self, RoleGrant};
use roster::domain::roles::{self, NewRole};
use serde_json::{Value, json};

use crate::authz::{World, world};
use crate::backoffice::pages::{get, post};

/// ROOT ─┬─ EU ─┬─ NL
///       │      └─ DE
///       └─ US
const DESCRIPTOR: &str = r#"slug: acme
name: Acme
default_language: en
languages: [en]
catalogs:
  - {code: A, name: Catalog A}
  - {code: B, name: Catalog B}
organisation_units:
  - {code: ROOT, name: Acme}
  - {code: EU, name: Europe, parent: ROOT, sub_tenant: true}
  - {code: NL, name: Netherlands, parent: EU}
  - {code: DE, name: Germany, parent: EU}
  - {code: US, name: United States, parent: ROOT}
roles:
  - {code: customer_admin, name: Customer admin, administrator: true}
  - {code: region_admin, name: Region admin, scope: subtree, rights: [users, backoffice_users]}
  - {code: ou_admin, name: OU admin, scope: own_ou, rights: [users, backoffice_users]}
  - {code: hr, name: HR, rights: [users, export]}
  - {code: learner, name: Learner, kind: portal, scope: self}
  - {code: superior, name: Superior, kind: portal, scope: assigned_learners, rights: [reports]}
"#;

fn logins(v: &Value) -> BTreeSet<String> {
    v["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|u| u["login"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A tenant with a user in each unit and one per catalog.
async fn tenant() -> World {
    let w = world(DESCRIPTOR).await;
    for (login, unit) in [
        ("root-u", "ROOT"),
        ("eu-u", "EU"),
        ("nl-u", "NL"),
        ("de-u", "DE"),
        ("us-u", "US"),
    ] {
        w.user(login, Some(unit), &[]).await;
    }
    w.user("cat-a", Some("NL"), &["A"]).await;
    w.user("cat-b", Some("NL"), &["B"]).await;
    w
}

async fn put_roles(w: &World, token: &str, id: impl std::fmt::Display, roles: Value) -> StatusCode {
    let (status, _) = w
        .call(
            "PUT",
            &format!("/api/v1/acme/backoffice-users/{id}/roles"),
            Some(token),
            Some(json!({ "roles": roles })),
        )
        .await;
    status
}

async fn users_seen(w: &World, token: &str) -> BTreeSet<String> {
    let (status, v) = w
        .call("GET", "/api/v1/acme/users?per_page=200", Some(token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    logins(&v)
}

/// Tenant-wide roles made at run time by the operator (so their rights are not a descriptor's).
async fn runtime_roles(w: &World, roles: &[(&str, &[&str])]) {
    let operator = Permit::operator(w.tenant, "test");
    for (code, rights) in roles {
        roles::create(
            &w.t.db,
            &operator,
            NewRole {
                code: (*code).into(),
                name: (*code).into(),
                scope: "tenant".into(),
                rights: rights.iter().map(|r| r.to_string()).collect(),
            },
        )
        .await
        .expect("runtime role");
    }
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Finding 1: a region administrator re-anchors its own role at the root, adds the role at a
/// sibling region, gives another account the role outside its sub-tree, and creates an account
/// anchored at the root. Each is refused, and what it sees does not change.
#[tokio::test]
async fn b5_a_region_admin_cannot_anchor_roles_outside_its_subtree() {
    let w = tenant().await;
    let (me, region) = w.admin("region", "region_admin", Some("EU"), None).await;
    let (other, _) = w.admin("nl-admin", "ou_admin", Some("NL"), None).await;
    let before = users_seen(&w, &region).await;
    assert_eq!(before, set(&["eu-u", "nl-u", "de-u", "cat-a", "cat-b"]));

    let at = |unit: &str| json!([{"role": "region_admin", "unit": unit}]);
    assert_eq!(
        put_roles(&w, &region, me, at("ROOT")).await,
        StatusCode::FORBIDDEN,
        "re-anchoring its own role at the root"
    );
    assert_eq!(
        put_roles(
            &w,
            &region,
            me,
            json!([{"role": "region_admin", "unit": "EU"}, {"role": "region_admin", "unit": "US"}])
        )
        .await,
        StatusCode::FORBIDDEN,
        "adding its role at a sibling region"
    );
    assert_eq!(
        put_roles(&w, &region, other, at("US")).await,
        StatusCode::FORBIDDEN,
        "another account anchored outside the sub-tree"
    );
    assert_eq!(
        put_roles(&w, &region, other, json!([{"role": "hr"}])).await,
        StatusCode::FORBIDDEN,
        "a tenant-wide role reaches more than the sub-tree"
    );
    assert_eq!(
        put_roles(&w, &region, other, json!([{"role": "customer_admin"}])).await,
        StatusCode::FORBIDDEN,
        "the administrator role"
    );
    let new = |login: &str, unit: &str| {
        json!({"login": login, "first_name": "N", "last_name": "N",
            "roles": [{"role": "region_admin", "unit": unit}], "all_catalogs": true})
    };
    let (status, v) = w
        .call(
            "POST",
            "/api/v1/acme/backoffice-users",
            Some(&region),
            Some(new("at-root", "ROOT")),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(
        v["detail"].as_str().map(|d| d.contains("region_admin")),
        Some(true),
        "the refusal names the role: {v}"
    );
    assert_eq!(users_seen(&w, &region).await, before, "nothing widened");

    // Inside its own sub-tree it administers as before.
    assert_eq!(
        put_roles(&w, &region, other, at("DE")).await,
        StatusCode::OK
    );
    let (status, v) = w
        .call(
            "POST",
            "/api/v1/acme/backoffice-users",
            Some(&region),
            Some(new("at-nl", "NL")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
}

/// Finding 2: the tenant-wide administrator's account is outside a region administrator's
/// reach: not listed, 404 on every operation, and its token keeps working.
#[tokio::test]
async fn b5_a_region_admin_cannot_touch_the_tenant_administrator() {
    let w = tenant().await;
    let (boss_id, boss) = w.admin("boss", "customer_admin", None, None).await;
    let (_, region) = w.admin("region", "region_admin", Some("EU"), None).await;
    let (status, v) = w
        .call("GET", "/api/v1/acme/backoffice-users", Some(&region), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!logins(&v).contains("boss"), "{v}");
    assert!(
        logins(&v).contains("region"),
        "its own account is listed: {v}"
    );
    let base = format!("/api/v1/acme/backoffice-users/{boss_id}");
    for (method, path, body) in [
        ("GET", base.clone(), None),
        (
            "PUT",
            format!("{base}/roles"),
            Some(json!({"roles": [{"role": "region_admin", "unit": "NL"}]})),
        ),
        ("POST", format!("{base}/deactivate"), None),
        (
            "PATCH",
            base.clone(),
            Some(json!({"email": "attacker@example.org"})),
        ),
        ("POST", format!("{base}/temporary-password"), None),
        (
            "PUT",
            format!("{base}/catalogs"),
            Some(json!({"all_catalogs": false, "catalogs": []})),
        ),
    ] {
        let (status, v) = w.call(method, &path, Some(&region), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {v}");
    }
    let (status, me) = w.call("GET", "/api/v1/acme/me", Some(&boss), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        me["rights"].as_array().map(Vec::len),
        Some(roster::authz::Right::ALL.len()),
        "still administrator"
    );
    let account = backoffice::get(&w.t.db, &Permit::operator(w.tenant, "t"), boss_id)
        .await
        .expect("boss");
    assert_eq!(account.email, None, "e-mail unchanged");
}

/// Finding 3: a catalog-limited administrator cannot give itself (or anyone) every catalog or
/// a catalog it does not have.
#[tokio::test]
async fn b4_a_catalog_limited_admin_cannot_widen_catalogs() {
    let w = tenant().await;
    let (me, limited) = w
        .admin("limited", "region_admin", Some("ROOT"), Some(&["A"]))
        .await;
    let (other, _) = w.admin("other", "ou_admin", Some("NL"), Some(&["A"])).await;
    let before = users_seen(&w, &limited).await;
    assert!(before.contains("cat-a") && !before.contains("cat-b"));
    for (target, body) in [
        (me, json!({"all_catalogs": true})),
        (me, json!({"catalogs": ["A", "B"]})),
        (other, json!({"all_catalogs": true})),
        (other, json!({"catalogs": ["B"]})),
    ] {
        let (status, v) = w
            .call(
                "PUT",
                &format!("/api/v1/acme/backoffice-users/{target}/catalogs"),
                Some(&limited),
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}: {v}");
    }
    assert_eq!(users_seen(&w, &limited).await, before);
    let (status, v) = w
        .call(
            "POST",
            "/api/v1/acme/backoffice-users",
            Some(&limited),
            Some(json!({"login": "new", "first_name": "N", "last_name": "N",
                "roles": [{"role": "ou_admin", "unit": "NL"}], "all_catalogs": true})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    // Narrowing is fine.
    let (status, v) = w
        .call(
            "PUT",
            &format!("/api/v1/acme/backoffice-users/{other}/catalogs"),
            Some(&limited),
            Some(json!({"catalogs": []})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
}

/// Finding 4: an account holding only `roles` cannot put rights it does not hold on its own
/// role or on any other.
#[tokio::test]
async fn b3_a_roles_holder_cannot_put_rights_it_does_not_hold() {
    let w = tenant().await;
    runtime_roles(&w, &[("keeper", &["roles"]), ("clerk", &["export"])]).await;
    let (_, keeper) = w.admin("keeper", "keeper", None, None).await;
    for (role, rights) in [
        (
            "keeper",
            json!(["roles", "users", "audit", "backoffice_users"]),
        ),
        ("clerk", json!(["export", "users"])),
        ("clerk", json!([])),
    ] {
        let (status, v) = w
            .call(
                "PUT",
                &format!("/api/v1/acme/roles/{role}/rights"),
                Some(&keeper),
                Some(json!({ "rights": rights })),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role} {rights}: {v}");
    }
    let (status, v) = w
        .call(
            "POST",
            "/api/v1/acme/roles",
            Some(&keeper),
            Some(json!({"code": "mine", "name": "Mine", "rights": ["users"]})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    let (status, _) = w
        .call("GET", "/api/v1/acme/users", Some(&keeper), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "still no `users` right");
    let (status, v) = w
        .call("GET", "/api/v1/acme/roles", Some(&keeper), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let keeper_role = v["items"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["code"] == "keeper"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(keeper_role["rights"], json!(["roles"]));

    // An administrator can, and the holder of `roles` may move `roles` itself.
    let (_, boss) = w.admin("boss", "customer_admin", None, None).await;
    let (status, v) = w
        .call(
            "PUT",
            "/api/v1/acme/roles/clerk/rights",
            Some(&boss),
            Some(json!({"rights": ["export", "users"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, v) = w
        .call(
            "PUT",
            "/api/v1/acme/roles/clerk/rights",
            Some(&keeper),
            Some(json!({"rights": ["export", "users", "roles"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
}

/// B5: the last active administrator of a tenant can be neither deactivated nor demoted, by
/// anyone, the operator included; with a second one it can.
#[tokio::test]
async fn b5_the_last_active_administrator_stays() {
    let w = tenant().await;
    let operator = Permit::operator(w.tenant, "test");
    let (boss, boss_token) = w.admin("boss", "customer_admin", None, None).await;
    let err = backoffice::set_active(&w.t.db, &operator, boss, false)
        .await
        .expect_err("last administrator");
    assert!(
        err.to_string().contains("last active administrator"),
        "{err}"
    );
    let hr = [RoleGrant {
        role: "hr".into(),
        unit: None,
    }];
    let err = backoffice::set_roles(&w.t.db, &operator, boss, &hr, false)
        .await
        .expect_err("demoting the last administrator");
    assert!(
        err.to_string().contains("last active administrator"),
        "{err}"
    );

    let (second, _) = w.admin("second", "customer_admin", None, None).await;
    let (status, v) = w
        .call(
            "POST",
            &format!("/api/v1/acme/backoffice-users/{boss}/deactivate"),
            Some(&boss_token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "not oneself: {v}");
    let (status, v) = w
        .call(
            "PUT",
            &format!("/api/v1/acme/backoffice-users/{second}/roles"),
            Some(&boss_token),
            Some(json!({"roles": [{"role": "hr"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, v) = w
        .call(
            "PUT",
            &format!("/api/v1/acme/backoffice-users/{boss}/roles"),
            Some(&boss_token),
            Some(json!({"roles": [{"role": "hr"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "now the last one: {v}");
}

/// The matrix (in the style of the walk over `web::api::guarded()`): each back-office-account operation, by an
/// actor of each reach, on a target inside and outside that reach.
#[tokio::test]
async fn b5_account_operations_matrix_actor_scope_by_target() {
    let w = tenant().await;
    let (_, boss) = w.admin("boss", "customer_admin", None, None).await;
    let (_, region) = w.admin("region", "region_admin", Some("EU"), None).await;
    let (_, nl) = w.admin("nl", "ou_admin", Some("NL"), None).await;
    let (_, limited) = w
        .admin("limited", "region_admin", Some("ROOT"), Some(&["A"]))
        .await;
    let (in_nl, _) = w.admin("t-nl", "ou_admin", Some("NL"), Some(&["A"])).await;
    let (in_de, _) = w.admin("t-de", "ou_admin", Some("DE"), Some(&["A"])).await;
    let (in_us, _) = w.admin("t-us", "ou_admin", Some("US"), Some(&["A"])).await;
    let (every_cat, _) = w.admin("t-all", "ou_admin", Some("NL"), None).await;
    let (tenant_wide, _) = w.admin("t-hr", "hr", None, Some(&["A"])).await;

    // (actor, target, whether the target lies within the actor's reach)
    let cases = [
        ("boss", &boss, in_us, true),
        ("boss", &boss, tenant_wide, true),
        ("region", &region, in_nl, true),
        ("region", &region, in_de, true),
        ("region", &region, in_us, false),
        ("region", &region, tenant_wide, false),
        ("nl", &nl, in_nl, true),
        ("nl", &nl, in_de, false),
        ("limited", &limited, in_us, true),
        ("limited", &limited, every_cat, false),
        ("limited", &limited, tenant_wide, false),
    ];
    for (actor, token, target, inside) in cases {
        let grants = backoffice::grants_of(&w.t.db, &Permit::operator(w.tenant, "t"), target)
            .await
            .expect("grants");
        let base = format!("/api/v1/acme/backoffice-users/{target}");
        let ops: Vec<(&str, String, Option<Value>)> = vec![
            ("GET", base.clone(), None),
            (
                "PATCH",
                base.clone(),
                Some(json!({"first_name": "Changed"})),
            ),
            (
                "PUT",
                format!("{base}/roles"),
                Some(json!({ "roles": grants })),
            ),
            (
                "PUT",
                format!("{base}/catalogs"),
                Some(json!({"catalogs": []})),
            ),
            ("POST", format!("{base}/deactivate"), None),
            ("POST", format!("{base}/activate"), None),
        ];
        for (method, path, body) in ops {
            let (status, v) = w.call(method, &path, Some(token), body).await;
            if inside {
                assert!(
                    status.is_success(),
                    "{actor} {method} {path} inside: {status} {v}"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::NOT_FOUND,
                    "{actor} {method} {path} outside: {v}"
                );
            }
        }
        let (_, v) = w
            .call("GET", "/api/v1/acme/backoffice-users", Some(token), None)
            .await;
        let listed = v["items"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["id"] == json!(target)));
        assert_eq!(listed, inside, "{actor} lists {target}");
    }
}

/// B5: portal roles follow the same rule — a region administrator (no `reports` right) cannot
/// make a superior (whose role carries `reports`); it gives the learner role; an administrator
/// gives both.
#[tokio::test]
async fn b5_portal_roles_are_granted_only_with_the_rights_they_carry() {
    let w = tenant().await;
    let (_, region) = w.admin("region", "region_admin", Some("EU"), None).await;
    let (_, boss) = w.admin("boss", "customer_admin", None, None).await;
    let new = |login: &str, role: &str| {
        json!({"login": login, "first_name": "P", "last_name": "P", "email": format!("{login}@example.org"),
            "organisation_unit": "NL", "roles": [role], "catalogs": ["A"], "password_mode": "link"})
    };
    let (status, v) = w
        .call(
            "POST",
            "/api/v1/acme/users",
            Some(&region),
            Some(new("sup1", "superior")),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    let (status, v) = w
        .call(
            "POST",
            "/api/v1/acme/users",
            Some(&region),
            Some(new("learn1", "learner")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap_or_default().to_owned();
    let (status, v) = w
        .call(
            "PATCH",
            &format!("/api/v1/acme/users/{id}"),
            Some(&region),
            Some(json!({"roles": ["learner", "superior"]})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    let (status, v) = w
        .call(
            "POST",
            "/api/v1/acme/users",
            Some(&boss),
            Some(new("sup2", "superior")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
}

/// B3 on the rights tab: the rights an actor cannot move are shown but disabled, saving keeps
/// them, and a crafted post adding one is refused on the tab with the reason, nothing saved.
#[tokio::test]
async fn b3_the_rights_tab_offers_only_rights_the_actor_holds_tenant_wide() {
    let w = tenant().await;
    runtime_roles(
        &w,
        &[("keeper", &["roles", "audit"]), ("clerk", &["export"])],
    )
    .await;
    let (_, keeper) = w.admin("keeper", "keeper", None, None).await;
    let tab = get(&w, "/t/acme/backoffice/roles/clerk", &keeper).await;
    assert_eq!(tab.status, StatusCode::OK);
    let tab = tab.body;
    assert!(
        tab.contains(r#"value="export" checked disabled"#),
        "export is not the keeper's to move: {tab}"
    );
    assert!(
        tab.contains(r#"value="audit" >"#) || tab.contains(r#"value="audit"  >"#),
        "audit is: {tab}"
    );
    // Saving with audit checked keeps export (not sent: disabled) and adds audit.
    let saved = post(
        &w,
        "/t/acme/backoffice/roles/clerk",
        &keeper,
        "rights=audit&then=stay",
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let rights = |v: &Value| {
        v["items"]
            .as_array()
            .and_then(|a| a.iter().find(|r| r["code"] == "clerk"))
            .map(|r| r["rights"].clone())
    };
    let (_, v) = w
        .call("GET", "/api/v1/acme/roles", Some(&keeper), None)
        .await;
    assert_eq!(rights(&v), Some(json!(["audit", "export"])));
    // A crafted post adding `users`: refused on the tab, with the reason.
    let refused = post(
        &w,
        "/t/acme/backoffice/roles/clerk",
        &keeper,
        "rights=audit&rights=users&then=stay",
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let body = refused.body;
    assert!(
        body.contains("id=\"refusal\"") && body.contains("users"),
        "{body}"
    );
    let (_, v) = w
        .call("GET", "/api/v1/acme/roles", Some(&keeper), None)
        .await;
    assert_eq!(
        rights(&v),
        Some(json!(["audit", "export"])),
        "nothing saved"
    );
}
