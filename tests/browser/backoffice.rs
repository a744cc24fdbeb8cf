//! The back office in a real browser (U1, U5, U6, B3, B5, G1): what an administrator does in a
//! day, with a screenshot of each main page under `target/screenshots/`.
#![allow(clippy::unwrap_used)] // tests may unwrap

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;

use super::{App, Browser, skip_on_postgres};
use crate::authz::{COMMS_LINE, DESCRIPTOR};

const PASSWORD: &str = "Sunflower-Harbor-2931!";

/// U6: whether `login` can sign in to the portal right now (plain HTTP, no session kept).
async fn portal_sign_in_works(app: &App, login: &str, password: &str) -> bool {
    let body = format!("login={login}&password={}", password.replace('!', "%21"));
    let req = Request::post("/t/acme/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .expect("request");
    let resp = app.state.router().oneshot(req).await.expect("response");
    resp.status() == StatusCode::SEE_OTHER
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b5_u1_u6_sub_tenant_admin_creates_fixes_and_deactivates_a_user() {
    // Browser tests check pages, not storage: the PostgreSQL pass of CI skips them.
    if skip_on_postgres() {
        return;
    }
    let app = App::start(DESCRIPTOR).await;
    app.admin("eu-admin", "sub_tenant_admin", Some("EU"), PASSWORD)
        .await;
    app.w.user("anna-nl", Some("NL"), &["A"]).await;
    app.w.user("dirk-de", Some("DE"), &["A"]).await;
    app.w.user("bob-us", Some("US"), &["A"]).await;
    let b = Browser::open(&app, "subtenant").await;

    b.sign_in_backoffice("acme", "eu-admin", PASSWORD).await;
    assert_eq!(
        b.path_when(|p| p == "/t/acme/backoffice").await,
        "/t/acme/backoffice"
    );
    assert!(b.text("h1").await.contains("Overview"));
    b.screenshot("overview").await;

    // B5: only the users of EU and the units below it.
    b.click("nav.menu a[href$='/backoffice/users']").await;
    let list = b
        .text_when("table", |t| t.contains("anna-nl") && t.contains("dirk-de"))
        .await;
    assert!(
        list.contains("anna-nl") && list.contains("dirk-de"),
        "{list}"
    );
    assert!(
        !list.contains("bob-us"),
        "a user outside the sub-tenant is listed: {list}"
    );
    assert_eq!(
        b.find("nav.menu a[aria-current=page]")
            .await
            .text()
            .await
            .unwrap(),
        "Users"
    );
    b.screenshot("users").await;

    // U5: search by the beginning of a word.
    b.fill("#q", "dir").await;
    b.click("form[role=search] button").await;
    let list = b
        .text_when("table", |t| t.contains("dirk-de") && !t.contains("anna-nl"))
        .await;
    assert!(
        list.contains("dirk-de") && !list.contains("anna-nl"),
        "{list}"
    );

    // U1: a bad e-mail address is refused next to its field, the rest is kept.
    b.goto("/t/acme/backoffice/users").await;
    b.click("a[href$='/users/new']").await;
    b.fill("#f-login", "nieuw-lid").await;
    b.fill("#f-first_name", "Nina").await;
    b.fill("#f-last_name", "Nieuw").await;
    b.fill("#f-email", "nina at example").await;
    b.click("#f-catalogs-A").await;
    b.find("#f-organisation_unit")
        .await
        .select_by_value("NL")
        .await
        .expect("unit");
    b.click("#f-password_mode-typed").await;
    b.fill("#f-password", PASSWORD).await;
    b.click("#f-must_change_password").await;
    b.screenshot("user-new").await;
    b.click("form[action$='/users/new'] button[type=submit]")
        .await;

    // The refused form's error exists only on the answer page: wait for it, so `#f-email` is
    // not found on the page being left (a stale element once the answer replaces it).
    b.find("#f-email-error").await;
    let email = b.find("#f-email").await;
    assert_eq!(
        email.attr("aria-invalid").await.unwrap().as_deref(),
        Some("true")
    );
    assert_eq!(
        email.attr("aria-describedby").await.unwrap().as_deref(),
        Some("f-email-error")
    );
    let message = b.text("#f-email-error").await;
    assert!(message.contains("e-mail"), "{message}");
    assert!(b.text("[role=alert]").await.contains("need your attention"));
    assert_eq!(
        b.find("#f-first_name")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Nina"),
        "entered values are kept"
    );
    assert!(
        b.find("#f-catalogs-A").await.is_selected().await.unwrap(),
        "chosen catalog is kept"
    );
    assert_eq!(
        b.find("#f-first_name")
            .await
            .attr("aria-invalid")
            .await
            .unwrap(),
        None,
        "a good field is not marked"
    );
    b.screenshot("user-new-error").await;

    // Fixed, it saves and opens the user's page.
    b.fill("#f-email", "nina.nieuw@example.org").await;
    b.fill("#f-password", PASSWORD).await;
    b.click("form[action$='/users/new'] button[type=submit]")
        .await;
    let path = b
        .path_when(|p| p.starts_with("/t/acme/backoffice/users/") && p.ends_with("?done=created"))
        .await;
    assert!(
        path.starts_with("/t/acme/backoffice/users/") && path.ends_with("?done=created"),
        "{path}"
    );
    assert!(b.text("[role=status]").await.contains("Created"));
    assert_eq!(
        b.find("#f-email")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("nina.nieuw@example.org")
    );
    b.screenshot("user-edit").await;
    assert!(
        portal_sign_in_works(&app, "nieuw-lid", PASSWORD).await,
        "the new user can sign in before being deactivated"
    );

    // U6: deactivated, the user can no longer sign in.
    b.click("form[action$='/deactivate'] button").await;
    let path = b.path_when(|p| p.ends_with("?done=deactivated")).await;
    assert!(path.ends_with("?done=deactivated"), "{path}");
    assert!(b.text("[role=status]").await.contains("deactivated"));
    assert!(b.page_text().await.contains("Reactivate user"));
    b.screenshot("user-deactivated").await;
    b.sign_out().await;

    b.sign_in_portal("acme", "nieuw-lid", PASSWORD).await;
    let path = b.path_when(|p| p.starts_with("/t/acme/login")).await;
    assert!(path.starts_with("/t/acme/login"), "{path}");
    let refusal = b.text("#signin-error").await;
    assert!(refusal.contains("cannot sign in"), "{refusal}");
    b.screenshot("portal-refused").await;
    assert!(!portal_sign_in_works(&app, "nieuw-lid", PASSWORD).await);
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b3_a_role_without_the_user_groups_right_has_no_such_menu_entry() {
    // Browser tests check pages, not storage: the PostgreSQL pass of CI skips them.
    if skip_on_postgres() {
        return;
    }
    let app = App::start(DESCRIPTOR).await;
    app.admin("nl-admin", "ou_admin", Some("NL"), PASSWORD)
        .await;
    app.admin("eu-admin", "sub_tenant_admin", Some("EU"), PASSWORD)
        .await;
    let b = Browser::open(&app, "menu").await;

    b.sign_in_backoffice("acme", "nl-admin", PASSWORD).await;
    let menu = b.text("nav.menu").await;
    assert!(menu.contains("Users"), "{menu}");
    assert!(!menu.contains("User groups"), "{menu}");
    assert!(b.all("a[href$='/user-groups']").await.is_empty());
    // B3: and unreachable by URL.
    b.goto("/t/acme/backoffice/user-groups").await;
    assert!(!b.page_text().await.contains("New user group"));
    b.screenshot("no-groups-right").await;
    b.goto("/t/acme/backoffice").await;
    b.sign_out().await;

    // The role that holds it does see the entry.
    b.sign_in_backoffice("acme", "eu-admin", PASSWORD).await;
    assert!(b.text("nav.menu").await.contains("User groups"));
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b3_g1_customer_admin_pages_groups_and_the_rights_tab() {
    // Browser tests check pages, not storage: the PostgreSQL pass of CI skips them.
    if skip_on_postgres() {
        return;
    }
    // X9: `comms` is made at run time, so its rights tab has Save buttons.
    let app = App::start(&DESCRIPTOR.replace(COMMS_LINE, "")).await;
    app.admin("boss", "customer_admin", None, PASSWORD).await;
    let (_, ops) = app.w.admin("ops", "customer_admin", None, None).await;
    app.w.runtime_role(&ops, "comms", &["communication"]).await;
    let anna = app.w.user("anna-nl", Some("NL"), &["A"]).await;
    let b = Browser::open(&app, "customer").await;
    b.sign_in_backoffice("acme", "boss", PASSWORD).await;

    // G1: create a group, put a user in it, and see its delete refused with the reason.
    b.goto("/t/acme/backoffice/user-groups").await;
    b.fill("#group-code", "sales").await;
    b.fill("#group-name", "Sales team").await;
    b.click("form[action$='/user-groups'] button[type=submit]")
        .await;
    let groups = b.text_when("table", |t| t.contains("Sales team")).await;
    assert!(groups.contains("Sales team"), "{groups}");
    b.goto(&format!("/t/acme/backoffice/users/{anna}")).await;
    b.click("#f-user_groups-sales").await;
    b.click(
        "form[action$='/users/{}'] button[type=submit]"
            .replace("{}", &anna.to_string())
            .as_str(),
    )
    .await;
    let path = b.path_when(|p| p.ends_with("?done=saved")).await;
    assert!(path.ends_with("?done=saved"), "{path}");
    b.goto("/t/acme/backoffice/user-groups").await;
    b.click("button[aria-label='Delete Sales team']").await;
    let refused = b.text("#delete-refused").await;
    assert!(refused.contains("member"), "{refused}");
    b.screenshot("groups-delete-refused").await;

    // B3: the rights tab — check a right, "Save and back to overview".
    b.goto("/t/acme/backoffice/roles").await;
    b.screenshot("roles").await;
    b.click("a[href$='/roles/comms']").await;
    assert!(
        b.find("#right-communication")
            .await
            .is_selected()
            .await
            .unwrap()
    );
    assert!(!b.find("#right-reports").await.is_selected().await.unwrap());
    b.click("#right-reports").await;
    b.screenshot("role-rights").await;
    b.click("button[value=back]").await;
    assert_eq!(
        b.path_when(|p| p == "/t/acme/backoffice/roles?done=saved")
            .await,
        "/t/acme/backoffice/roles?done=saved"
    );
    let roles = b.text("table").await;
    assert!(roles.contains("Reports"), "{roles}");

    // Back-office users and one account's details.
    b.goto("/t/acme/backoffice/backoffice-users").await;
    b.screenshot("backoffice-users").await;
    b.click("a[href*='/backoffice-users/']").await;
    let page = b.text_when("body", |t| t.contains("Catalog access")).await;
    assert!(page.contains("Catalog access"), "{page}");
    b.screenshot("backoffice-user").await;
    b.close().await;
}
