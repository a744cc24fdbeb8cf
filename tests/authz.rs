//! Access control through the API (B3, B4, B5, T4): rights per role, menus, 403 on every
//! guarded route, scoped lists and reads, cross-tenant 404, and policy propagation.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Utc;
use http_body_util::BodyExt;
use roster::app::AppState;
use roster::config::{Settings, SettingsArgs};
use roster::domain::backoffice::{self, NewAccount, RoleGrant};
use roster::mail::Mailer;
use roster::store::TenantId;
use roster::store::entity::{catalogs, organisation_units, user_catalogs, users};
use roster::tenancy::{apply::apply, parse_descriptor};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

use crate::util::TestDb;

pub const DESCRIPTOR: &str = r#"slug: acme
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
  - {code: sub_tenant_admin, name: Sub-tenant admin, scope: subtree, rights: [users, user_groups, export, backoffice_users]}
  - {code: ou_admin, name: OU admin, scope: own_ou, rights: [users, export]}
  - {code: ou_assistant, name: OU assistant, scope: own_ou, rights: [users]}
  - {code: hr, name: HR, rights: [users, export]}
  - {code: comms, name: Communication, rights: [communication]}
  - {code: learner, name: Learner, kind: portal, scope: self}
  - {code: superior, name: Superior, kind: portal, scope: assigned_learners, rights: [reports]}
"#;

/// The `comms` role's line in [`DESCRIPTOR`]: tests that edit its rights at run time leave it
/// out and make it with [`World::runtime_role`] (X9).
pub const COMMS_LINE: &str = "  - {code: comms, name: Communication, rights: [communication]}\n";

/// The `hr` role's line in [`DESCRIPTOR`].
const HR_LINE: &str = "  - {code: hr, name: HR, rights: [users, export]}\n";

/// A tenant with accounts and tokens, and the router to call.
pub struct World {
    pub t: TestDb,
    pub state: AppState,
    pub tenant: TenantId,
    pub units: HashMap<String, Uuid>,
    pub catalogs: HashMap<String, Uuid>,
    pub mails: std::sync::Arc<std::sync::Mutex<Vec<roster::mail::Mail>>>,
}

pub async fn world(descriptor: &str) -> World {
    let t = TestDb::new().await;
    let slug = descriptor
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("slug: "))
        .expect("slug line")
        .to_owned();
    let d = parse_descriptor(Path::new(&format!("{slug}.yaml")), descriptor).expect("valid");
    let tenant = apply(&t.db, &d).await.expect("apply").tenant;
    let mut settings = Settings::resolve(&SettingsArgs::default()).expect("settings");
    settings.database_url = t.url.clone();
    let (mailer, mails) = Mailer::memory();
    let state = AppState::with_mailer(settings, t.db.clone(), mailer).expect("state");
    let units = tenant
        .find::<organisation_units::Entity>()
        .all(&t.db)
        .await
        .expect("units")
        .into_iter()
        .map(|u| (u.code, u.id))
        .collect();
    let catalogs = tenant
        .find::<catalogs::Entity>()
        .all(&t.db)
        .await
        .expect("catalogs")
        .into_iter()
        .map(|c| (c.code, c.id))
        .collect();
    World {
        t,
        state,
        tenant,
        units,
        catalogs,
        mails,
    }
}

impl World {
    /// X9: applies `descriptor` again; objects it no longer declares are handed over to the
    /// runtime, where administrators may edit them (a test's way to objects "made at run time"
    /// that keep their codes).
    pub async fn hand_over(&self, descriptor: &str) {
        let slug = descriptor
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("slug: "))
            .expect("slug line");
        let d = parse_descriptor(Path::new(&format!("{slug}.yaml")), descriptor).expect("valid");
        apply(&self.t.db, &d).await.expect("apply");
    }

    /// X9: a back-office role made at run time through the API, so its rights may be edited
    /// there (descriptor roles refuse that with 409).
    pub async fn runtime_role(&self, token: &str, code: &str, rights: &[&str]) {
        let (status, v) = self
            .call(
                "POST",
                "/api/v1/acme/roles",
                Some(token),
                Some(json!({"code": code, "name": code, "rights": rights})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
    }

    /// A back-office account with `role` (anchored at `unit`) and a token for it.
    pub async fn admin(
        &self,
        login: &str,
        role: &str,
        unit: Option<&str>,
        catalogs: Option<&[&str]>,
    ) -> (Uuid, String) {
        let ctx = roster::authz::Permit::operator(self.tenant, "test");
        let a = backoffice::create(
            &self.t.db,
            &ctx,
            NewAccount {
                login: login.into(),
                first_name: "Test".into(),
                last_name: login.into(),
                roles: vec![RoleGrant {
                    role: role.into(),
                    unit: unit.map(str::to_owned),
                }],
                catalogs: catalogs
                    .unwrap_or_default()
                    .iter()
                    .map(|c| c.to_string())
                    .collect(),
                all_catalogs: catalogs.is_none(),
                ..Default::default()
            },
        )
        .await
        .expect("create admin");
        let (_, token) = roster::auth::tokens::issue(&self.t.db, self.tenant, a.id, "test")
            .await
            .expect("token");
        (a.id, token)
    }

    /// A portal user in `unit` with `catalogs`.
    pub async fn user(&self, login: &str, unit: Option<&str>, catalogs: &[&str]) -> Uuid {
        let now = Utc::now();
        let id = Uuid::now_v7();
        users::ActiveModel {
            id: Set(id),
            tenant_id: Set(self.tenant.0),
            login: Set(login.into()),
            first_name: Set("First".into()),
            last_name: Set(login.into()),
            email: Set(Some(format!("{login}@example.org"))),
            organisation_unit_id: Set(unit.map(|u| self.units[u])),
            external_id_scope: Set(String::new()),
            registration_state: Set("active".into()),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&self.t.db)
        .await
        .expect("insert user");
        for c in catalogs {
            user_catalogs::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(self.tenant.0),
                user_id: Set(id),
                catalog_id: Set(self.catalogs[*c]),
                created_at: Set(now),
            }
            .insert(&self.t.db)
            .await
            .expect("user catalog");
        }
        id
    }

    pub async fn call_text(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
    ) -> (StatusCode, String) {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let resp = self
            .state
            .router()
            .oneshot(req.body(Body::empty()).expect("request"))
            .await
            .expect("response");
        let status = resp.status();
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        call(&self.state, method, path, token, body).await
    }
}

pub async fn call(
    state: &AppState,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let req = match body {
        Some(b) => req
            .header("content-type", "application/json")
            .body(Body::from(b.to_string())),
        None => req.body(Body::empty()),
    }
    .expect("request");
    let resp = state.router().oneshot(req).await.expect("response");
    let status = resp.status();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, value)
}

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

#[tokio::test]
async fn b3_rights_and_menu_per_role() {
    let w = world(DESCRIPTOR).await;
    let cases: &[(&str, Option<&str>, &[&str])] = &[
        (
            "sub_tenant_admin",
            Some("EU"),
            &["users", "backoffice_users", "user_groups", "export"],
        ),
        ("ou_admin", Some("NL"), &["users", "export"]),
        ("ou_assistant", Some("NL"), &["users"]),
        ("hr", None, &["users", "export"]),
        ("comms", None, &["communication"]),
    ];
    for (role, unit, expected) in cases {
        let (_, token) = w.admin(&format!("adm-{role}"), role, *unit, None).await;
        let (status, me) = w.call("GET", "/api/v1/acme/me", Some(&token), None).await;
        assert_eq!(status, StatusCode::OK, "{role}: {me}");
        let rights: Vec<&str> = me["rights"]
            .as_array()
            .expect("rights")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(rights, *expected, "{role}");
        let menu: Vec<&str> = me["menu"]
            .as_array()
            .expect("menu")
            .iter()
            .filter_map(|m| m["right"].as_str())
            .collect();
        assert_eq!(menu, *expected, "menu of {role}");
    }
    let (_, token) = w.admin("adm-customer", "customer_admin", None, None).await;
    let (_, me) = w.call("GET", "/api/v1/acme/me", Some(&token), None).await;
    assert_eq!(
        me["rights"].as_array().map(Vec::len),
        Some(roster::authz::Right::ALL.len())
    );
}

#[tokio::test]
async fn b3_every_guarded_route_answers_403_without_its_right() {
    let w = world(DESCRIPTOR).await;
    let (_, comms) = w.admin("comms", "comms", None, None).await;
    let user = w.user("u1", Some("NL"), &[]).await;
    for (method, path, right) in roster::web::api::guarded() {
        let path = path
            .replace("{tenant}", "acme")
            .replace("{id}", &user.to_string())
            .replace("{code}", "hr");
        let body = matches!(method, "POST" | "PUT" | "PATCH").then(|| json!({}));
        let (status, problem) = w.call(method, &path, Some(&comms), body.clone()).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{method} {path} needs {right}: {problem}"
        );
        assert!(
            problem["detail"]
                .as_str()
                .unwrap_or_default()
                .contains(right.as_str()),
            "{problem}"
        );
        let (status, _) = w.call(method, &path, None, body).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} without credentials"
        );
    }
}

#[tokio::test]
async fn b5_unit_scopes_reach_their_subtree_only() {
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
    w.user("no-unit", None, &[]).await;
    let (_, sub) = w.admin("sub", "sub_tenant_admin", Some("EU"), None).await;
    let (_, ou) = w.admin("ou", "ou_admin", Some("NL"), None).await;
    let (_, hr) = w.admin("hr", "hr", None, None).await;

    let (_, v) = w.call("GET", "/api/v1/acme/users", Some(&sub), None).await;
    assert_eq!(
        logins(&v),
        ["de-u", "eu-u", "nl-u"].map(String::from).into()
    );
    assert_eq!(v["total"], 3);
    let (_, v) = w.call("GET", "/api/v1/acme/users", Some(&ou), None).await;
    assert_eq!(logins(&v), ["nl-u"].map(String::from).into());
    let (_, v) = w.call("GET", "/api/v1/acme/users", Some(&hr), None).await;
    assert_eq!(v["total"], 6, "a tenant-wide role sees everyone");
}

#[tokio::test]
async fn b4_catalog_scope_is_same_or_subset() {
    let w = world(DESCRIPTOR).await;
    w.user("only-a", None, &["A"]).await;
    w.user("a-and-b", None, &["A", "B"]).await;
    w.user("only-b", None, &["B"]).await;
    w.user("none", None, &[]).await;
    let (_, a_only) = w.admin("cat-a", "hr", None, Some(&["A"])).await;
    let (_, every) = w.admin("cat-all", "hr", None, None).await;

    let (_, v) = w
        .call("GET", "/api/v1/acme/users", Some(&a_only), None)
        .await;
    assert_eq!(logins(&v), ["none", "only-a"].map(String::from).into());
    let (_, v) = w
        .call("GET", "/api/v1/acme/users?per_page=1", Some(&a_only), None)
        .await;
    assert_eq!(
        (v["total"].as_u64(), v["items"].as_array().map(Vec::len)),
        (Some(2), Some(1)),
        "counts are scoped in SQL"
    );
    let (_, v) = w
        .call("GET", "/api/v1/acme/users", Some(&every), None)
        .await;
    assert_eq!(v["total"], 4, "every catalog overrides the list");
}

#[tokio::test]
async fn t4_out_of_scope_and_cross_tenant_answer_404() {
    let w = world(DESCRIPTOR).await;
    let us = w.user("us-u", Some("US"), &[]).await;
    let (_, ou) = w.admin("ou", "ou_admin", Some("NL"), None).await;
    for (method, path) in [
        ("GET", format!("/api/v1/acme/users/{us}")),
        ("PATCH", format!("/api/v1/acme/users/{us}")),
        ("DELETE", format!("/api/v1/acme/users/{us}")),
        ("POST", format!("/api/v1/acme/users/{us}/deactivate")),
    ] {
        let body = (method == "PATCH").then(|| json!({"first_name": "X"}));
        let (status, _) = w.call(method, &path, Some(&ou), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
    }
    // A second tenant in the same database: its token means nothing for acme.
    let beta = DESCRIPTOR.replacen("slug: acme", "slug: beta", 1);
    let d = parse_descriptor(Path::new("beta.yaml"), &beta).expect("valid");
    let beta_tenant = apply(&w.t.db, &d).await.expect("apply").tenant;
    let ctx = roster::authz::Permit::operator(beta_tenant, "test");
    let b_admin = backoffice::create(
        &w.t.db,
        &ctx,
        NewAccount {
            login: "beta-admin".into(),
            first_name: "B".into(),
            last_name: "Admin".into(),
            is_administrator: true,
            all_catalogs: true,
            ..Default::default()
        },
    )
    .await
    .expect("beta admin");
    let (_, b_token) = roster::auth::tokens::issue(&w.t.db, beta_tenant, b_admin.id, "t")
        .await
        .expect("token");
    let (status, _) = w
        .call(
            "GET",
            &format!("/api/v1/acme/users/{us}"),
            Some(&b_token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = w
        .call("GET", "/api/v1/acme/users", Some(&b_token), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = w
        .call(
            "GET",
            &format!("/api/v1/beta/users/{us}"),
            Some(&b_token),
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "acme's user does not exist in beta"
    );
}

#[tokio::test]
async fn b3_rights_change_applies_at_once_and_revoked_tokens_stop() {
    // X9: `hr` is made at run time; a descriptor's role refuses run-time rights edits.
    let w = world(&DESCRIPTOR.replace(HR_LINE, "")).await;
    let (_, admin) = w.admin("boss", "customer_admin", None, None).await;
    w.runtime_role(&admin, "hr", &["users", "export"]).await;
    let (_, hr) = w.admin("hr", "hr", None, None).await;
    let (status, _) = w.call("GET", "/api/v1/acme/users", Some(&hr), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, v) = w
        .call(
            "PUT",
            "/api/v1/acme/roles/hr/rights",
            Some(&admin),
            Some(json!({"rights": ["export"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, _) = w.call("GET", "/api/v1/acme/users", Some(&hr), None).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the same instance applies the change at once"
    );
    let (status, v) = w
        .call(
            "PUT",
            "/api/v1/acme/roles/hr/rights",
            Some(&admin),
            Some(json!({"rights": ["nonsense"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");

    let accounts = roster::domain::backoffice::list(
        &w.t.db,
        &roster::authz::Permit::operator(w.tenant, "test"),
    )
    .await
    .expect("list");
    let boss = accounts.iter().find(|a| a.login == "boss").expect("boss");
    for tok in roster::auth::tokens::list(&w.t.db, w.tenant, boss.id)
        .await
        .expect("tokens")
    {
        assert!(
            roster::auth::tokens::revoke(&w.t.db, w.tenant, tok.id)
                .await
                .expect("revoke")
        );
    }
    let (status, _) = w.call("GET", "/api/v1/acme/me", Some(&admin), None).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a revoked token stops at once"
    );
}

#[tokio::test]
async fn b3_policy_change_reaches_another_instance_within_two_seconds() {
    // X9: `hr` is made at run time; a descriptor's role refuses run-time rights edits.
    let w = world(&DESCRIPTOR.replace(HR_LINE, "")).await;
    let (_, admin) = w.admin("boss", "customer_admin", None, None).await;
    w.runtime_role(&admin, "hr", &["users", "export"]).await;
    let (_, hr) = w.admin("hr", "hr", None, None).await;
    // Instance B shares the database (and Redis, when the suite has one).
    let mut settings = w.state.settings.clone();
    settings.redis_url = std::env::var("ROSTER_TEST_REDIS_URL").ok();
    let (mailer, _) = Mailer::memory();
    let b = AppState::with_mailer(settings.clone(), w.t.db.clone(), mailer).expect("state b");
    roster::authz::enforcer::spawn_watchers(b.clone());
    let (status, _) = call(&b, "GET", "/api/v1/acme/users", Some(&hr), None).await;
    assert_eq!(status, StatusCode::OK, "B has loaded the policy");

    let (mailer, _) = Mailer::memory();
    let a = AppState::with_mailer(settings, w.t.db.clone(), mailer).expect("state a");
    let (status, _) = call(
        &a,
        "PUT",
        "/api/v1/acme/roles/hr/rights",
        Some(&admin),
        Some(json!({"rights": ["export"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let started = std::time::Instant::now();
    loop {
        let (status, _) = call(&b, "GET", "/api/v1/acme/users", Some(&hr), None).await;
        if status == StatusCode::FORBIDDEN {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "B still allows after 2 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn b2_inactive_account_is_activated_not_created_again() {
    let w = world(DESCRIPTOR).await;
    let (_, admin) = w.admin("boss", "customer_admin", None, None).await;
    let body = json!({"login": "jan", "first_name": "Jan", "last_name": "Jansen", "email": "jan@example.org", "roles": [{"role": "hr"}]});
    let (status, created) = w
        .call(
            "POST",
            "/api/v1/acme/backoffice-users",
            Some(&admin),
            Some(body.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    let (status, _) = w
        .call(
            "POST",
            &format!("/api/v1/acme/backoffice-users/{id}/deactivate"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let again = json!({"login": "jan2", "first_name": "Jan", "last_name": "Jansen", "email": "jan@example.org"});
    let (status, problem) = w
        .call(
            "POST",
            "/api/v1/acme/backoffice-users",
            Some(&admin),
            Some(again),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("activate it instead"),
        "{problem}"
    );
    let (status, v) = w
        .call(
            "POST",
            &format!("/api/v1/acme/backoffice-users/{id}/activate"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(
        (status, v["active"].as_bool()),
        (StatusCode::OK, Some(true))
    );

    let (status, problem) = w
        .call(
            "POST",
            "/api/v1/acme/backoffice-users",
            Some(&admin),
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
}

#[tokio::test]
async fn b6_temporary_password_needs_an_email_and_b5_only_admins_grant_foreign_roles() {
    let w = world(DESCRIPTOR).await;
    let (_, admin) = w.admin("boss", "customer_admin", None, None).await;
    let (no_mail, _) = w.admin("nomail", "hr", None, None).await;
    let (status, problem) = w
        .call(
            "POST",
            &format!("/api/v1/acme/backoffice-users/{no_mail}/temporary-password"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "email");

    let (_, sub) = w.admin("sub", "sub_tenant_admin", Some("EU"), None).await;
    let body = json!({"login": "x", "first_name": "X", "last_name": "Y", "roles": [{"role": "customer_admin"}]});
    let (status, _) = w
        .call(
            "POST",
            "/api/v1/acme/backoffice-users",
            Some(&sub),
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn page(state: &AppState, path: &str, token: &str) -> (StatusCode, String) {
    let req = Request::builder()
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request");
    let resp = state.router().oneshot(req).await.expect("response");
    let status = resp.status();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn b3_menu_shows_only_held_sections_and_urls_answer_403() {
    let w = world(DESCRIPTOR).await;
    w.user("visible-user", Some("NL"), &[]).await;
    let (_, comms) = w.admin("comms", "comms", None, None).await;
    let (_, ou) = w.admin("ou", "ou_admin", Some("NL"), None).await;

    let (status, html) = page(&w.state, "/t/acme/backoffice", &comms).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(">Communication</a>"), "{html}");
    assert!(
        !html.contains(">Users</a>") && !html.contains(">User groups</a>"),
        "{html}"
    );
    let (status, _) = page(&w.state, "/t/acme/backoffice/users", &comms).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = page(&w.state, "/t/acme/backoffice/user-groups", &ou).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a role without the user-groups right"
    );

    let (status, html) = page(&w.state, "/t/acme/backoffice/users", &ou).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("visible-user"), "{html}");
    assert!(html.contains(">Users</a>") && !html.contains(">Communication</a>"));
}

#[tokio::test]
async fn b3_redis_announcement_and_version_check_drop_stale_enforcers() {
    let w = world(DESCRIPTOR).await;
    let mut settings = w.state.settings.clone();
    settings.redis_url = std::env::var("ROSTER_TEST_REDIS_URL").ok();
    let (mailer, _) = Mailer::memory();
    let b = AppState::with_mailer(settings.clone(), w.t.db.clone(), mailer).expect("state b");
    roster::authz::enforcer::spawn_watchers(b.clone());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await; // subscriber connects

    // Announced change (Redis when configured): B drops its enforcer without any request.
    b.authz.policy(&w.t.db, w.tenant).await.expect("load");
    roster::authz::enforcer::bump_version(&w.t.db, w.tenant)
        .await
        .expect("bump");
    let (mailer, _) = Mailer::memory();
    let a = AppState::with_mailer(settings, w.t.db.clone(), mailer).expect("state a");
    roster::authz::enforcer::announce(&a, w.tenant).await;
    let started = std::time::Instant::now();
    while b.authz.is_loaded(w.tenant.0).await {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "stale enforcer kept"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn b1_backoffice_fields_and_course_system_role_are_editable_and_audited() {
    let w = world(DESCRIPTOR).await;
    let (_, admin) = w.admin("boss", "customer_admin", None, None).await;
    let (id, _) = w.admin("teacher", "hr", None, None).await;
    let path = format!("/api/v1/acme/backoffice-users/{id}");
    let (status, v) = w
        .call(
            "PATCH",
            &path,
            Some(&admin),
            Some(json!({"course_system_role": "editingteacher", "email": "t@example.org"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        (v["course_system_role"].as_str(), v["email"].as_str()),
        (Some("editingteacher"), Some("t@example.org"))
    );
    let (status, v) = w
        .call(
            "PATCH",
            &path,
            Some(&admin),
            Some(json!({"email": "not an address"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["errors"][0]["field"], "email");
    let audit = w
        .tenant
        .find::<roster::store::entity::audit_events::Entity>()
        .all(&w.t.db)
        .await
        .expect("audit");
    let update = audit
        .iter()
        .find(|e| e.entity_id == Some(id) && e.action == "update")
        .expect("audited");
    assert_eq!(update.source, "api");
    assert_eq!(
        update
            .after
            .as_ref()
            .map(|a| a["course_system_role"].clone()),
        Some(json!("editingteacher"))
    );
}

#[tokio::test]
async fn u7_superior_reports_cover_only_their_active_learners() {
    use roster::store::entity::{role_assignments, roles};
    use sea_orm::{ColumnTrait, IntoActiveModel, QueryFilter};
    let w = world(DESCRIPTOR).await;
    let boss = w.user("superior", Some("NL"), &[]).await;
    let mine = w.user("mine", Some("NL"), &[]).await;
    let gone = w.user("mine-deactivated", Some("NL"), &[]).await;
    w.user("someone-else", Some("NL"), &[]).await;
    let hash = roster::auth::password::hash("correct horse battery staple".into())
        .await
        .expect("hash");
    for (id, superior, active) in [
        (mine, Some(boss), true),
        (gone, Some(boss), false),
        (boss, None, true),
    ] {
        let u = w
            .tenant
            .find_by_id::<users::Entity>(id)
            .one(&w.t.db)
            .await
            .expect("q")
            .expect("user");
        let mut am = u.into_active_model();
        am.superior_id = Set(superior);
        am.active = Set(active);
        if id == boss {
            am.password_hash = Set(Some(hash.clone()));
        }
        am.update(&w.t.db).await.expect("update");
    }
    let role = w
        .tenant
        .find::<roles::Entity>()
        .filter(roles::Column::Code.eq("superior"))
        .one(&w.t.db)
        .await
        .expect("q")
        .expect("role");
    role_assignments::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(w.tenant.0),
        role_id: Set(role.id),
        user_id: Set(Some(boss)),
        backoffice_account_id: Set(None),
        organisation_unit_id: Set(None),
        created_at: Set(Utc::now()),
    }
    .insert(&w.t.db)
    .await
    .expect("assign");
    roster::authz::enforcer::bump_version(&w.t.db, w.tenant)
        .await
        .expect("bump");

    let req = Request::post("/api/v1/acme/session")
        .header("content-type", "application/json")
        .body(Body::from(json!({"login": "superior", "password": "correct horse battery staple", "kind": "user"}).to_string()))
        .expect("request");
    let resp = w.state.router().oneshot(req).await.expect("response");
    let signed_in = resp.status();
    let cookie_header = resp.headers().get("set-cookie").cloned();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    assert_eq!(
        signed_in,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&body)
    );
    let cookie = cookie_header
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("session cookie")
        .to_owned();
    let get = |path: &'static str| {
        Request::get(path)
            .header("cookie", cookie.clone())
            .body(Body::empty())
            .expect("request")
    };
    let resp = w
        .state
        .router()
        .oneshot(get("/api/v1/acme/reports/learners"))
        .await
        .expect("response");
    assert_eq!(resp.status(), StatusCode::OK);
    let v: Value =
        serde_json::from_slice(&resp.into_body().collect().await.expect("body").to_bytes())
            .expect("json");
    assert_eq!(logins(&v), ["mine"].map(String::from).into(), "{v}");
    let resp = w
        .state
        .router()
        .oneshot(get("/api/v1/acme/users"))
        .await
        .expect("response");
    assert_eq!(
        resp.status(),
        StatusCode::FORBIDDEN,
        "a superior has no user administration"
    );
}

#[tokio::test]
async fn b6_temporary_password_is_mailed_and_must_be_changed() {
    let w = world(DESCRIPTOR).await;
    let (_, admin) = w.admin("boss", "customer_admin", None, None).await;
    let body = json!({"login": "mia", "first_name": "Mia", "last_name": "Muller", "email": "mia@example.org", "roles": [{"role": "hr"}]});
    let (status, created) = w
        .call(
            "POST",
            "/api/v1/acme/backoffice-users",
            Some(&admin),
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let id: Uuid = created["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("id");
    let (status, _) = w
        .call(
            "POST",
            &format!("/api/v1/acme/backoffice-users/{id}/temporary-password"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    roster::jobs::worker::drain(&w.state).await.expect("drain");
    let account = roster::domain::backoffice::get(
        &w.t.db,
        &roster::authz::Permit::operator(w.tenant, "test"),
        id,
    )
    .await
    .expect("account");
    assert!(account.must_change_password && account.password_hash.is_some());
    let mails = w.mails.lock().expect("mails").clone();
    assert!(
        mails
            .iter()
            .any(|m| m.to == "mia@example.org" && m.subject.contains("Set your password")),
        "set-password mail on creation"
    );
    let temp = mails
        .iter()
        .find(|m| m.subject.contains("temporary password"))
        .expect("temporary password mail");
    let password = temp
        .text
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 14 && !l.contains(' '))
        .expect("password line");
    assert!(
        roster::auth::password::verify(
            password.to_owned(),
            account.password_hash.clone().unwrap_or_default()
        )
        .await
        .expect("verify")
    );
}
