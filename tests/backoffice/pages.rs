#![allow(clippy::unwrap_used)] // tests may unwrap

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use roster::domain::backoffice::{self, AccountPatch};
use tower::ServiceExt;

use crate::authz::{COMMS_LINE, DESCRIPTOR, World, world};

/// One answer: status, `Location`, body (with minijinja's `&#x2f;` read as `/`).
pub struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

async fn send(
    w: &World,
    method: &str,
    path: &str,
    token: &str,
    form: Option<&str>,
    headers: &[(&str, &str)],
) -> Answer {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = match form {
        Some(f) => req
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(f.to_owned())),
        None => req.body(Body::empty()),
    }
    .expect("request");
    let resp = w.state.router().oneshot(req).await.expect("response");
    let status = resp.status();
    let location = resp
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    Answer {
        status,
        location,
        body: String::from_utf8_lossy(&bytes).replace("&#x2f;", "/"),
    }
}

pub async fn get(w: &World, path: &str, token: &str) -> Answer {
    send(w, "GET", path, token, None, &[]).await
}

pub async fn post(w: &World, path: &str, token: &str, form: &str) -> Answer {
    send(w, "POST", path, token, Some(form), &[]).await
}

#[tokio::test]
async fn b3_every_section_page_needs_its_right() {
    let w = world(DESCRIPTOR).await;
    let (_, ou) = w.admin("nl-admin", "ou_admin", Some("NL"), None).await;
    let (_, boss) = w.admin("boss", "customer_admin", None, None).await;
    for path in [
        "/t/acme/backoffice/user-groups",
        "/t/acme/backoffice/roles",
        "/t/acme/backoffice/roles/comms",
        "/t/acme/backoffice/backoffice-users",
        "/t/acme/backoffice/organisations",
        "/t/acme/backoffice/settings",
    ] {
        assert_eq!(
            get(&w, path, &ou).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
        assert_eq!(get(&w, path, &boss).await.status, StatusCode::OK, "{path}");
    }
    for (path, form) in [
        ("/t/acme/backoffice/user-groups", "code=x&name=X"),
        ("/t/acme/backoffice/roles", "code=x&name=X&scope=tenant"),
        ("/t/acme/backoffice/roles/comms", "rights=users"),
    ] {
        assert_eq!(
            post(&w, path, &ou, form).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    // The menu shows what the rights open, and nothing else.
    let home = get(&w, "/t/acme/backoffice", &ou).await;
    assert!(
        home.body.contains("/t/acme/backoffice/users\""),
        "{}",
        home.body
    );
    assert!(!home.body.contains("/t/acme/backoffice/user-groups\""));
    assert!(!home.body.contains("/t/acme/backoffice/roles\""));
}

#[tokio::test]
async fn u1_a_refused_user_form_keeps_the_values_and_names_the_field() {
    let w = world(DESCRIPTOR).await;
    let (_, boss) = w.admin("boss", "customer_admin", None, None).await;
    let a = post(
        &w,
        "/t/acme/backoffice/users/new",
        &boss,
        "login=nina&first_name=Nina&last_name=&email=nina%40%40example.org&catalogs=A&roles=learner&active=true",
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    let body = &a.body;
    // Each refused field is marked and described by its own message.
    for field in ["email", "last_name"] {
        assert!(
            body.contains(&format!(
                "aria-invalid=\"true\" aria-describedby=\"f-{field}-error\""
            )),
            "{field} not marked: {body}"
        );
        assert!(body.contains(&format!("id=\"f-{field}-error\"")), "{field}");
    }
    assert!(
        !body.contains("f-first_name-error"),
        "a good field is not marked"
    );
    assert!(body.contains("value=\"Nina\""), "entered values are kept");
    assert!(body.contains("value=\"nina@@example.org\"") || body.contains("nina&#x40;&#x40;"));
    assert!(body.contains("role=\"alert\""));

    // U2: a taken login name is refused with a free suggestion.
    w.user("jdoe", Some("NL"), &["A"]).await;
    let a = post(
        &w,
        "/t/acme/backoffice/users/new",
        &boss,
        "login=jdoe&first_name=J&last_name=Doe&email=j.doe%40example.org&catalogs=A",
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("f-login-error"), "{}", a.body);
    assert!(a.body.contains("jdoe2"), "suggestion shown");
}

#[tokio::test]
async fn u1_u6_a_saved_user_form_redirects_and_deactivation_sticks() {
    let w = world(DESCRIPTOR).await;
    let (_, boss) = w.admin("boss", "customer_admin", None, None).await;
    let a = post(
        &w,
        "/t/acme/backoffice/users/new",
        &boss,
        "login=nina&first_name=Nina&last_name=Nieuw&email=nina%40example.org&catalogs=A&organisation_unit=NL&roles=learner&active=true&password_mode=link",
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let location = a.location.expect("location");
    assert!(location.ends_with("?done=created"), "{location}");
    let page = location.trim_end_matches("?done=created").to_owned();
    let edit = get(&w, &location, &boss).await;
    assert!(edit.body.contains("value=\"Nieuw\""));
    assert!(edit.body.contains("role=\"status\""));

    let a = post(&w, &format!("{page}/deactivate"), &boss, "").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let (_, user) = w
        .call(
            "GET",
            &format!("/api/v1/acme/users/{}", page.rsplit('/').next().unwrap()),
            Some(&boss),
            None,
        )
        .await;
    assert_eq!(user["active"], false, "{user}");
    let a = post(&w, &format!("{page}/reactivate"), &boss, "").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn g1_a_group_with_members_is_not_deleted_and_the_page_says_why() {
    let w = world(DESCRIPTOR).await;
    let (_, boss) = w.admin("boss", "customer_admin", None, None).await;
    let a = post(
        &w,
        "/t/acme/backoffice/user-groups",
        &boss,
        "code=sales&name=Sales",
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let a = post(&w, "/t/acme/backoffice/user-groups", &boss, "code=&name=").await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(
        a.body.contains("group-code-error") && a.body.contains("group-name-error"),
        "{}",
        a.body
    );

    let anna = w.user("anna", Some("NL"), &["A"]).await;
    let a = post(
        &w,
        &format!("/t/acme/backoffice/users/{anna}"),
        &boss,
        "first_name=Anna&last_name=A&email=anna%40example.org&catalogs=A&organisation_unit=NL&user_groups=sales",
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let list = get(&w, "/t/acme/backoffice/user-groups", &boss).await;
    let id = list
        .body
        .split("/user-groups/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .expect("group id")
        .to_owned();
    let a = post(
        &w,
        &format!("/t/acme/backoffice/user-groups/{id}/delete"),
        &boss,
        "",
    )
    .await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert!(a.body.contains("id=\"delete-refused\""), "{}", a.body);
    assert!(a.body.contains("member"), "{}", a.body);
    // U5: the group filters the user list.
    let users = get(&w, "/t/acme/backoffice/users?group=sales", &boss).await;
    assert!(users.body.contains(">anna<"), "{}", users.body);
}

#[tokio::test]
async fn b3_the_rights_tab_saves_and_goes_back_to_the_overview() {
    // X9: `comms` is made at run time; a descriptor's role has no Save (see below).
    let w = world(&DESCRIPTOR.replace(COMMS_LINE, "")).await;
    let (_, boss) = w.admin("boss", "customer_admin", None, None).await;
    w.runtime_role(&boss, "comms", &["communication"]).await;
    let tab = get(&w, "/t/acme/backoffice/roles/comms", &boss).await;
    assert!(
        tab.body
            .contains("id=\"right-communication\" name=\"rights\" value=\"communication\" checked"),
        "{}",
        tab.body
    );
    let a = post(
        &w,
        "/t/acme/backoffice/roles/comms",
        &boss,
        "rights=communication&rights=reports&then=stay",
    )
    .await;
    assert_eq!(
        a.location.as_deref(),
        Some("/t/acme/backoffice/roles/comms?done=saved")
    );
    let a = post(
        &w,
        "/t/acme/backoffice/roles/comms",
        &boss,
        "rights=reports&then=back",
    )
    .await;
    assert_eq!(
        a.location.as_deref(),
        Some("/t/acme/backoffice/roles?done=saved")
    );
    let (_, roles) = w.call("GET", "/api/v1/acme/roles", Some(&boss), None).await;
    let comms = roles["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "comms")
        .unwrap()
        .clone();
    assert_eq!(comms["rights"], serde_json::json!(["reports"]));
    // A new role opens its rights tab.
    let a = post(
        &w,
        "/t/acme/backoffice/roles",
        &boss,
        "code=helpdesk&name=Helpdesk&scope=tenant",
    )
    .await;
    assert_eq!(
        a.location.as_deref(),
        Some("/t/acme/backoffice/roles/helpdesk?done=created")
    );
    let a = post(
        &w,
        "/t/acme/backoffice/roles",
        &boss,
        "code=new&name=&scope=nowhere",
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        a.body.contains("role-name-error") && a.body.contains("role-scope-error"),
        "{}",
        a.body
    );
    assert!(a.body.contains("value=\"new\""), "entered code kept");
    // A taken code is a message on the code field.
    let a = post(
        &w,
        "/t/acme/backoffice/roles",
        &boss,
        "code=helpdesk&name=Again&scope=tenant",
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("role-code-error"), "{}", a.body);
}

#[tokio::test]
async fn csrf_a_cross_site_form_post_changes_nothing() {
    let w = world(DESCRIPTOR).await;
    let (_, boss) = w.admin("boss", "customer_admin", None, None).await;
    let a = send(
        &w,
        "POST",
        "/t/acme/backoffice/roles/comms",
        &boss,
        Some("rights=users"),
        &[("sec-fetch-site", "cross-site")],
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = send(
        &w,
        "POST",
        "/t/acme/backoffice/user-groups",
        &boss,
        Some("code=evil&name=Evil"),
        &[
            ("origin", "https://evil.example"),
            ("host", "roster.example"),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let (_, roles) = w.call("GET", "/api/v1/acme/roles", Some(&boss), None).await;
    let comms = roles["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "comms")
        .unwrap()
        .clone();
    assert_eq!(comms["rights"], serde_json::json!(["communication"]));
    let groups = get(&w, "/t/acme/backoffice/user-groups", &boss).await;
    assert!(!groups.body.contains("Evil"));
}

#[tokio::test]
async fn i18n_pages_speak_the_tenants_language_unless_the_account_has_its_own() {
    let dutch = DESCRIPTOR.replace(
        "languages: [en]",
        "default_language: nl\nlanguages: [nl, en, de]",
    );
    let dutch = dutch.replace("default_language: en\n", "");
    let w = world(&dutch).await;
    let (boss_id, boss) = w.admin("boss", "customer_admin", None, None).await;
    let home = get(&w, "/t/acme/backoffice", &boss).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("<html lang=\"nl\">"), "{}", home.body);
    assert!(
        home.body.contains("Overzicht") && home.body.contains("Gebruikersgroepen"),
        "{}",
        home.body
    );
    assert!(home.body.contains("Naar de inhoud"));
    let users = get(&w, "/t/acme/backoffice/users", &boss).await;
    assert!(users.body.contains("Nieuwe gebruiker"), "{}", users.body);
    // A field message the catalog knows is in the page language.
    let a = post(
        &w,
        "/t/acme/backoffice/users/new",
        &boss,
        "login=x&first_name=X&last_name=Y&email=&catalogs=A",
    )
    .await;
    assert!(a.body.contains("e-mailadres is verplicht"), "{}", a.body);

    // The account's own language wins.
    backoffice::update(
        &w.t.db,
        &roster::authz::Permit::operator(w.tenant, "test"),
        boss_id,
        AccountPatch {
            language: Some("de".into()),
            ..Default::default()
        },
    )
    .await
    .expect("language");
    let home = get(&w, "/t/acme/backoffice", &boss).await;
    assert!(home.body.contains("<html lang=\"de\">"));
    assert!(
        home.body.contains("Übersicht") && home.body.contains("Nutzergruppen"),
        "{}",
        home.body
    );
}

#[tokio::test]
async fn u8_the_departments_tab_shows_codes_and_parents() {
    let w = world(crate::util::MINIMAL).await;
    let (_, boss) = w.admin("boss", "admin", None, None).await;
    let list = get(&w, "/t/acme/backoffice/organisations", &boss).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains("Acme Ltd"), "{}", list.body);
    let id = list
        .body
        .split("/backoffice/organisations/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("organisation link")
        .to_owned();
    let tab = get(&w, &format!("/t/acme/backoffice/organisations/{id}"), &boss).await;
    assert_eq!(tab.status, StatusCode::OK);
    let row = tab.body.split("<code>D2</code>").nth(1).expect("D2 listed");
    let row = row.split("</tr>").next().unwrap();
    assert!(
        row.contains("Team two") && row.contains("<code>D1</code>"),
        "{row}"
    );
}

/// X9: the back office shows what a descriptor manages, offers no Save or rename for it, and a
/// forged post is refused with the file named.
#[tokio::test]
async fn x9_managed_roles_and_groups_show_their_file_and_offer_no_edit() {
    let text = format!("{DESCRIPTOR}user_groups:\n  - {{code: sales, name: Sales team}}\n");
    let w = world(&text).await;
    let (_, boss) = w.admin("boss", "customer_admin", None, None).await;
    w.runtime_role(&boss, "clerk", &["users"]).await;

    let tab = get(&w, "/t/acme/backoffice/roles/comms", &boss).await;
    assert_eq!(tab.status, StatusCode::OK);
    assert!(
        tab.body.contains("id=\"managed-by\"") && tab.body.contains("tenants/acme.yaml"),
        "{}",
        tab.body
    );
    assert!(
        !tab.body.contains("value=\"stay\""),
        "no Save: {}",
        tab.body
    );
    assert!(
        tab.body
            .contains("value=\"communication\" checked disabled"),
        "{}",
        tab.body
    );
    let runtime = get(&w, "/t/acme/backoffice/roles/clerk", &boss).await;
    assert!(
        !runtime.body.contains("id=\"managed-by\""),
        "{}",
        runtime.body
    );
    assert!(runtime.body.contains("value=\"stay\""), "{}", runtime.body);
    let overview = get(&w, "/t/acme/backoffice/roles", &boss).await;
    assert!(
        overview.body.contains("Managed by tenants/acme.yaml"),
        "{}",
        overview.body
    );

    let a = post(
        &w,
        "/t/acme/backoffice/roles/comms",
        &boss,
        "rights=communication&rights=reports&then=stay",
    )
    .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
    assert!(a.body.contains("tenants/acme.yaml"), "{}", a.body);

    let groups = get(&w, "/t/acme/backoffice/user-groups", &boss).await;
    assert!(
        groups.body.contains("Managed by tenants/acme.yaml"),
        "{}",
        groups.body
    );
    assert!(!groups.body.contains("/rename\""), "{}", groups.body);
}
