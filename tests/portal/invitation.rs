//! R5: invitations. A link to an activity's detail page → enroll → sign-in → register →
//! confirm → sign in → back on the activity, enrolled. The return target survives the
//! confirmation (another device: only the mail's link is followed) and never leaves the
//! tenant's portal.

use axum::http::StatusCode;
use roster::store::entity::enrollments;
use sea_orm::{ColumnTrait, QueryFilter};

use super::kit::{App, PW, encode, link_in, valid_fields};

async fn enrollments_of(app: &App, user: uuid::Uuid) -> usize {
    app.tenant
        .find::<enrollments::Entity>()
        .filter(enrollments::Column::UserId.eq(user))
        .all(&app.t.db)
        .await
        .expect("ok")
        .len()
}

#[tokio::test]
async fn r5_invitation_through_registration_and_confirmation_lands_enrolled() {
    let app = App::new("email_confirmation", true).await;
    let mut b = app.browser();
    let page = b.get("/t/acme/activities/SAFETY").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Safety basics"));
    assert!(page.body.contains("id=\"enroll-SAFETY-1\""));
    // Enroll without an account: to the sign-in page, the enrollment as return target.
    let r = b
        .post_form(
            "/t/acme/activities/SAFETY/enroll",
            &[("execution", "SAFETY-1")],
        )
        .await;
    let target = "/t/acme/activities/SAFETY?enroll=SAFETY-1";
    assert_eq!(
        r.location.as_deref(),
        Some(format!("/t/acme/login?next={}", encode_path(target)).as_str())
    );
    let login = b.get(r.location.as_deref().expect("ok")).await;
    assert!(login.body.contains("class=\"columns\""), "split layout");
    let register_link = format!("/t/acme/register?next={}", encode_path(target));
    assert!(login.body.contains(&register_link), "{}", login.body);
    // Register from there.
    let (form, answer) = b
        .open_registration(&format!("?next={}", encode_path(target)))
        .await;
    assert!(
        form.body
            .contains(&format!("name=\"next\" value=\"{target}\"")),
        "{}",
        form.body
    );
    let mut fields = valid_fields("anna", "anna@acme.example");
    fields.push(("next", target));
    fields.push(("captcha", &answer));
    let r = b.post_form("/t/acme/register", &fields).await;
    let thanks = r.location.clone().expect("thanks");
    assert!(
        thanks.starts_with("/t/acme/register/thanks?step=confirm_email&next="),
        "{thanks}"
    );
    let page = b.get(&thanks).await;
    assert!(page.body.contains("return to the course"), "{}", page.body);

    // Days later, on another device: only the link from the mail.
    app.drain().await;
    let link = link_in(
        &app.mails_to("anna@acme.example")[0].text,
        "register/confirm",
    );
    let token = link.split("token=").nth(1).expect("ok").to_owned();
    let mut other = app.browser();
    let done = other
        .post_form("/t/acme/register/confirm", &[("token", &token)])
        .await;
    let sign_in = format!("/t/acme/login?next={}", encode_path(target));
    assert!(
        done.body.contains(&format!("href=\"{sign_in}\"")),
        "{}",
        done.body
    );
    let r = other
        .post_form(
            "/t/acme/login",
            &[("login", "anna"), ("password", PW), ("next", target)],
        )
        .await;
    assert_eq!(r.location.as_deref(), Some(target));
    let r = other.get(target).await;
    assert_eq!(
        r.location.as_deref(),
        Some("/t/acme/activities/SAFETY?done=enrolled")
    );
    let page = other.get("/t/acme/activities/SAFETY?done=enrolled").await;
    assert!(page.body.contains("id=\"enrolled-notice\""));
    assert!(page.body.contains("id=\"enrolled-SAFETY-1\""));
    let user = app.user("anna").await;
    assert_eq!(enrollments_of(&app, user.id).await, 1);
    // The start page lists it, and no longer sends them to the activity.
    let home = other.get("/t/acme/portal").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Safety basics"));
}

fn encode_path(s: &str) -> String {
    // The portal encodes everything but unreserved characters and `/`.
    encode(s).replace("%2F", "/")
}

#[tokio::test]
async fn r5_return_target_survives_approval_and_set_password_via_the_start_page() {
    let app = App::new("approval", false).await;
    app.account("north_admin", "ou_admin", Some("NORTH")).await;
    let target = "/t/acme/activities/SAFETY?enroll=SAFETY-2";
    let mut b = app.browser();
    let (_, answer) = b.open_registration("").await;
    let mut fields = valid_fields("anna", "anna@acme.example");
    fields.retain(|(k, _)| !k.starts_with("password"));
    fields.push(("next", target));
    fields.push(("captcha", &answer));
    b.post_form("/t/acme/register", &fields).await;
    let id = app.user("anna").await.id;
    let mut north = app.browser();
    north
        .post_form(
            "/t/acme/backoffice/login",
            &[("login", "north_admin"), ("password", PW)],
        )
        .await;
    north
        .post_form(&format!("/t/acme/backoffice/approvals/{id}/approve"), &[])
        .await;
    app.drain().await;
    let set = app
        .mails_to("anna@acme.example")
        .into_iter()
        .find(|m| m.text.contains("password/set"))
        .expect("ok");
    let token = link_in(&set.text, "password/set")
        .split("token=")
        .nth(1)
        .expect("ok")
        .to_owned();
    let mut later = app.browser();
    later
        .post_form(
            "/t/acme/password/set",
            &[("token", &token), ("new", PW), ("repeat", PW)],
        )
        .await;
    // Signing in without any `next`: the start page sends them on once.
    let r = later
        .post_form("/t/acme/login", &[("login", "anna"), ("password", PW)])
        .await;
    assert_eq!(r.location.as_deref(), Some("/t/acme/portal"));
    let r = later.get("/t/acme/portal").await;
    assert_eq!(r.location.as_deref(), Some(target));
    let r = later.get(target).await;
    assert_eq!(
        r.location.as_deref(),
        Some("/t/acme/activities/SAFETY?done=enrolled")
    );
    assert_eq!(enrollments_of(&app, id).await, 1);
    assert_eq!(later.get("/t/acme/portal").await.status, StatusCode::OK);
}

#[tokio::test]
async fn r5_return_targets_outside_the_tenant_are_dropped() {
    let app = App::new("email_confirmation", true).await;
    for (i, bad) in [
        "https://evil.example/t/acme/activities/SAFETY",
        "//evil.example/t/acme/",
        "/t/other/activities/SAFETY",
        "/t/acme/../other/portal",
        "/t/acme\\@evil.example",
    ]
    .into_iter()
    .enumerate()
    {
        let mut b = app.browser();
        let form = b
            .get(&format!("/t/acme/register?next={}", encode(bad)))
            .await;
        assert!(!form.body.contains("name=\"next\""), "{bad}");
        let (_, answer) = b.open_registration("").await;
        let login = format!("bad{i}");
        let email = format!("bad{i}@acme.example");
        let mut fields = valid_fields("x", "x@acme.example");
        fields.retain(|(k, _)| *k != "login" && *k != "email");
        fields.extend([
            ("login", login.as_str()),
            ("email", email.as_str()),
            ("next", bad),
            ("captcha", &answer),
        ]);
        let r = b.post_form("/t/acme/register", &fields).await;
        assert_eq!(
            r.location.as_deref(),
            Some("/t/acme/register/thanks?step=confirm_email"),
            "{bad}"
        );
        let user = app.user(&login).await;
        assert!(
            user.registration_data
                .expect("ok")
                .get("return_to")
                .is_none(),
            "{bad}"
        );
    }
    // Nor does sign-in follow one.
    let r = app
        .browser()
        .get("/t/acme/register/thanks?step=sign_in&next=https%3A%2F%2Fevil.example")
        .await;
    assert!(!r.body.contains("evil.example"));
}

#[tokio::test]
async fn r5_a_signed_in_user_enrolls_directly_and_seats_run_out() {
    let app = App::new("immediate", true).await;
    let mut users = Vec::new();
    for (login, email) in [
        ("u1", "u1@acme.example"),
        ("u2", "u2@acme.example"),
        ("u3", "u3@acme.example"),
    ] {
        let mut b = app.browser();
        let fields: Vec<_> = valid_fields("x", "x@acme.example")
            .into_iter()
            .map(|(k, v)| match k {
                "login" => (k, login),
                "email" => (k, email),
                _ => (k, v),
            })
            .collect();
        assert_eq!(b.register(&fields).await.status, StatusCode::SEE_OTHER);
        b.post_form("/t/acme/login", &[("login", login), ("password", PW)])
            .await;
        users.push(b);
    }
    for b in users.iter_mut().take(2) {
        let r = b
            .post_form(
                "/t/acme/activities/SAFETY/enroll",
                &[("execution", "SAFETY-1")],
            )
            .await;
        assert_eq!(
            r.location.as_deref(),
            Some("/t/acme/activities/SAFETY?done=enrolled")
        );
    }
    // Capacity 2: the third is refused, with the reason.
    let r = users[2]
        .post_form(
            "/t/acme/activities/SAFETY/enroll",
            &[("execution", "SAFETY-1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("is full"));
    // Enrolling twice is harmless.
    let r = users[0]
        .post_form(
            "/t/acme/activities/SAFETY/enroll",
            &[("execution", "SAFETY-1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.tenant
            .find::<enrollments::Entity>()
            .all(&app.t.db)
            .await
            .expect("ok")
            .len(),
        2
    );
    // Unknown activities and executions.
    assert_eq!(
        users[0].get("/t/acme/activities/NOPE").await.status,
        StatusCode::NOT_FOUND
    );
    let r = users[0]
        .post_form("/t/acme/activities/SAFETY/enroll", &[("execution", "NOPE")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn r5_an_administrator_mails_the_invitation_link() {
    let app = App::new("email_confirmation", true).await;
    app.account("boss", "admin", None).await;
    let mut boss = app.browser();
    boss.post_form(
        "/t/acme/backoffice/login",
        &[("login", "boss"), ("password", PW)],
    )
    .await;
    let page = boss
        .get("/t/acme/backoffice/learning-activities/SAFETY/invite")
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("/t/acme/activities/SAFETY\" readonly"));
    let r = boss
        .post_form(
            "/t/acme/backoffice/learning-activities/SAFETY/invite",
            &[("email", "not an address"), ("language", "de")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = boss
        .post_form(
            "/t/acme/backoffice/learning-activities/SAFETY/invite",
            &[("email", "guest@elsewhere.example"), ("language", "de")],
        )
        .await;
    assert_eq!(
        r.location.as_deref(),
        Some("/t/acme/backoffice/learning-activities/SAFETY/invite?sent=1")
    );
    assert!(
        app.mails_to("guest@elsewhere.example").is_empty(),
        "queued, not sent inline"
    );
    app.drain().await;
    let mail = &app.mails_to("guest@elsewhere.example")[0];
    assert!(
        mail.subject.starts_with("Einladung: Safety basics"),
        "{}",
        mail.subject
    );
    assert_eq!(
        link_in(&mail.text, "/activities/"),
        "/t/acme/activities/SAFETY"
    );
    // Without the right: refused.
    app.account("clerk", "ou_admin", Some("NORTH")).await;
    let mut clerk = app.browser();
    clerk
        .post_form(
            "/t/acme/backoffice/login",
            &[("login", "clerk"), ("password", PW)],
        )
        .await;
    let r = clerk
        .get("/t/acme/backoffice/learning-activities/SAFETY/invite")
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
