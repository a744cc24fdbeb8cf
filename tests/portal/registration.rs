//! R1–R4, R6, R7, U1, U2: the login layouts, the registration form's field rules, the allowed
//! domains, and the e-mail confirmation flow with its single-use, expiring link.

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use roster::domain::registration::fields::{RegistrationForm, Rules, check};
use roster::store::entity::{audit_events, extended_properties, single_use_tokens, user_catalogs};
use roster::tenancy::descriptor::{PasswordPolicy, TenantDescriptor};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, IntoActiveModel, QueryFilter};

use super::kit::{App, DESCRIPTOR, PW, link_in, valid_fields};

fn with(
    fields: &[(&'static str, &'static str)],
    edits: &[(&'static str, &'static str)],
) -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<_> = fields
        .iter()
        .filter(|(k, _)| !edits.iter().any(|(e, _)| e == k))
        .copied()
        .collect();
    out.extend(edits.iter().filter(|(_, v)| !v.is_empty()).copied());
    out
}

#[tokio::test]
async fn r1_split_layout_shows_registration_beside_sign_in() {
    let app = App::new("email_confirmation", true).await;
    let page = app.browser().get("/t/acme/login").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("class=\"columns\""), "{}", page.body);
    assert!(page.body.contains("href=\"/t/acme/register\""));
}

#[tokio::test]
async fn r1_standard_layout_shows_a_register_button_and_no_columns() {
    let text = DESCRIPTOR
        .replace("FLOW", "immediate")
        .replace("LAYOUT", "standard")
        .replace("PASSWORD", "true");
    let app = App::with_descriptor(&text).await;
    let page = app.browser().get("/t/acme/login").await;
    assert!(!page.body.contains("class=\"columns\""), "{}", page.body);
    assert!(page.body.contains("href=\"/t/acme/register\""));
}

#[tokio::test]
async fn r1_without_registration_there_is_no_link_and_no_form() {
    let text = DESCRIPTOR
        .replace("FLOW", "immediate")
        .replace("LAYOUT", "split")
        .replace("PASSWORD", "true")
        .replace("  enabled: true\n  flow", "  enabled: false\n  flow");
    let app = App::with_descriptor(&text).await;
    let mut b = app.browser();
    assert!(!b.get("/t/acme/login").await.body.contains("/register"));
    assert_eq!(
        b.get("/t/acme/register").await.status,
        StatusCode::NOT_FOUND
    );
    let r = b
        .post_form(
            "/t/acme/register",
            &valid_fields("anna", "anna@acme.example"),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn r2_the_form_shows_only_the_fields_switched_on() {
    let app = App::new("email_confirmation", true).await;
    let (page, _) = app.browser().open_registration("").await;
    for on in [
        "name=\"phone\"",
        "name=\"gender\"",
        "name=\"birth_date\"",
        "name=\"organisation_unit\"",
        "name=\"property.Function\"",
        "name=\"captcha\"",
        "name=\"disclaimer\"",
        "name=\"privacy_policy\"",
        "name=\"password\"",
        "name=\"newsletter\"",
    ] {
        assert!(page.body.contains(on), "{on} missing");
    }
    // Off, or fixed (organisation EXT): not asked.
    for off in [
        "name=\"mobile\"",
        "name=\"address\"",
        "name=\"personnel_number\"",
        "name=\"organisation\"",
        "name=\"billing_details\"",
        "name=\"pe_online_id\"",
    ] {
        assert!(!page.body.contains(off), "{off} shown");
    }
}

#[tokio::test]
async fn r2_every_bad_field_is_reported_by_name_and_nothing_is_stored() {
    let app = App::new("email_confirmation", true).await;
    let mut b = app.browser();
    let bad = with(
        &valid_fields("anna", "anna@acme.example"),
        &[
            ("first_name", ""),
            ("email", "anna smith@acme.example"),
            ("password", "short1"),
            ("password_repeat", "other"),
            ("phone", "call me"),
            ("birth_date", "17-05-1990"),
            ("gender", "robot"),
            ("organisation_unit", ""),
            ("property.Function", ""),
            ("disclaimer", ""),
            ("privacy_policy", ""),
            ("captcha", "999"),
        ],
    );
    let r = b.register(&bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    for (field, message) in [
        ("first_name", "first name"),
        ("email", "not allowed"),
        ("password", "at least 10 characters"),
        ("password_repeat", "the two passwords differ"),
        ("phone", "phone number"),
        ("birth_date", "YYYY-MM-DD"),
        ("gender", "gender must be one of"),
        ("organisation_unit", "organisation unit is required"),
        ("property-Function", "Function is required"),
        ("disclaimer", "disclaimer must be accepted"),
        ("privacy_policy", "privacy policy must be accepted"),
        ("captcha", "not correct"),
    ] {
        let marker = format!("id=\"{field}-error\"");
        let at = r
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("{field}: no message"));
        let shown = &r.body[at..at + 200];
        assert!(shown.contains(message), "{field}: {shown}");
    }
    // What was typed stays (but never the password).
    assert!(r.body.contains("value=\"anna\""));
    assert!(!r.body.contains("short1"));
    let users = app
        .tenant
        .find::<roster::store::entity::users::Entity>()
        .all(&app.t.db)
        .await
        .expect("ok");
    assert!(users.is_empty());
}

#[tokio::test]
async fn r2_field_rules_in_the_domain_name_each_field() {
    let d: TenantDescriptor = serde_yaml::from_str(
        &DESCRIPTOR
            .replace("FLOW", "immediate")
            .replace("LAYOUT", "split")
            .replace("PASSWORD", "true"),
    )
    .expect("ok");
    let policy = PasswordPolicy {
        min_length: 10,
        require_letter: true,
        require_digit: true,
        require_symbol: true,
    };
    let languages = vec!["en".to_owned()];
    let units = vec!["NORTH".to_owned()];
    let rules = Rules {
        registration: &d.registration,
        policy: &policy,
        languages: &languages,
        organisations: &[],
        units: &units,
        captcha_expected: Some("7"),
        today: Utc::now().date_naive(),
    };
    let form = RegistrationForm {
        login: "anna".into(),
        first_name: "Anna".into(),
        last_name: "x".repeat(51),
        email: "anna@acme.example".into(),
        password: "abcdefghij1".into(),
        password_repeat: "abcdefghij1".into(),
        birth_date: "2999-01-01".into(),
        organisation_unit: "MARS".into(),
        disclaimer: Some("on".into()),
        privacy_policy: Some("on".into()),
        captcha: "7".into(),
        ..Default::default()
    };
    let errors = check(&form, &rules).expect_err("refused");
    let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "last_name",
            "password",
            "birth_date",
            "organisation_unit",
            "property.Function"
        ],
        "{errors:?}"
    );
    assert!(errors[1].message.contains("neither letter nor digit"));
    assert!(
        errors[3]
            .message
            .contains("unknown organisation unit `MARS`")
    );
}

#[tokio::test]
async fn r4_allowed_domains_exact_wildcard_uppercase_and_look_alikes() {
    let app = App::new("immediate", true).await;
    let cases = [
        ("a1", "a1@acme.example", true),
        ("a2", "a2@ACME.Example", true),
        ("a3", "a3@north.partners.example", true),
        ("a4", "a4@partners.example", false),
        ("a5", "a5@acme.example.evil.example", false),
        ("a6", "a6@acme-example.com", false),
        ("a7", "a7@evilpartners.example", false),
    ];
    for (login, email, allowed) in cases {
        let mut b = app.browser();
        let fields = with(
            &valid_fields("x", "x@acme.example"),
            &[("login", login), ("email", email)],
        );
        let r = b.register(&fields).await;
        if allowed {
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{email}: {}", r.body);
        } else {
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{email}");
            assert!(
                r.body
                    .contains("addresses of this domain cannot register here"),
                "{email}"
            );
        }
    }
}

#[tokio::test]
async fn u2_a_taken_login_is_refused_with_a_free_suggestion() {
    let app = App::new("immediate", true).await;
    let r = app
        .browser()
        .register(&valid_fields("anna", "anna@acme.example"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app
        .browser()
        .register(&valid_fields("anna", "anna2@acme.example"))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains("login name `anna` is taken; `anna2` is free"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn r3_immediate_flow_with_password_signs_in_at_once() {
    let app = App::new("immediate", true).await;
    let mut b = app.browser();
    let r = b.register(&valid_fields("anna", "anna@acme.example")).await;
    assert_eq!(
        r.location.as_deref(),
        Some("/t/acme/register/thanks?step=sign_in")
    );
    let user = app.user("anna").await;
    assert_eq!(user.registration_state, "active");
    assert!(user.self_registered);
    assert!(user.privacy_policy_accepted_at.is_some(), "R6");
    assert_eq!(user.language.as_deref(), Some("nl"));
    let catalogs = app
        .tenant
        .find::<user_catalogs::Entity>()
        .filter(user_catalogs::Column::UserId.eq(user.id))
        .all(&app.t.db)
        .await
        .expect("ok");
    assert_eq!(catalogs.len(), 1);
    let props = app
        .tenant
        .find::<extended_properties::Entity>()
        .filter(extended_properties::Column::UserId.eq(user.id))
        .all(&app.t.db)
        .await
        .expect("ok");
    assert_eq!(
        (props[0].name.as_str(), props[0].value.as_str()),
        ("Function", "Nurse")
    );
    let data = user.registration_data.expect("ok");
    assert_eq!(data["phone"], "+31 (0)20-123 4567");
    assert_eq!(data["birth_date"], "1990-05-17");
    assert_eq!(data["newsletter"], true);
    // X3: audited, without the address.
    let audit = app
        .tenant
        .find::<audit_events::Entity>()
        .filter(audit_events::Column::Action.eq("self_register"))
        .one(&app.t.db)
        .await
        .expect("ok")
        .expect("ok");
    assert!(
        !audit
            .after
            .expect("ok")
            .to_string()
            .contains("anna@acme.example")
    );
    let r = b
        .post_form("/t/acme/login", &[("login", "anna"), ("password", PW)])
        .await;
    assert_eq!(r.location.as_deref(), Some("/t/acme/portal"));
    app.drain().await;
    let mails = app.mails_to("anna@acme.example");
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].subject.contains("Uw account bij Acme is klaar"),
        "{}",
        mails[0].subject
    );
}

#[tokio::test]
async fn r3_immediate_flow_without_password_mails_a_set_password_link() {
    let app = App::new("immediate", false).await;
    let fields = with(
        &valid_fields("anna", "anna@acme.example"),
        &[("password", ""), ("password_repeat", "")],
    );
    let r = app.browser().register(&fields).await;
    assert_eq!(
        r.location.as_deref(),
        Some("/t/acme/register/thanks?step=set_password")
    );
    app.drain().await;
    let mail = &app.mails_to("anna@acme.example")[0];
    assert!(mail.text.contains("/t/acme/password/set?token="));
}

#[tokio::test]
async fn r7_the_password_policy_applies_to_registration() {
    let app = App::new("immediate", true).await;
    for (pw, message) in [
        ("abcdefghijk", "needs a digit"),
        ("12345678901", "needs a letter"),
        ("abc1", "at least 10"),
    ] {
        let fields = with(
            &valid_fields("anna", "anna@acme.example"),
            &[("password", pw), ("password_repeat", pw)],
        );
        let r = app.browser().register(&fields).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains(message), "{pw}");
    }
}

#[tokio::test]
async fn r3_email_confirmation_link_works_once_then_sign_in() {
    let app = App::new("email_confirmation", true).await;
    let mut b = app.browser();
    let r = b.register(&valid_fields("anna", "anna@acme.example")).await;
    assert_eq!(
        r.location.as_deref(),
        Some("/t/acme/register/thanks?step=confirm_email")
    );
    let thanks = b.get(r.location.as_deref().expect("ok")).await;
    assert!(thanks.body.contains("data-step=\"confirm_email\""));
    assert_eq!(
        app.user("anna").await.registration_state,
        "pending_confirmation"
    );
    // Not before confirming.
    let r = b
        .post_form("/t/acme/login", &[("login", "anna"), ("password", PW)])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    app.drain().await;
    let mail = &app.mails_to("anna@acme.example")[0];
    assert!(
        mail.subject.contains("Bevestig uw e-mailadres"),
        "Dutch, the chosen language"
    );
    let link = link_in(&mail.text, "register/confirm");
    // Opening the link changes nothing (mail scanners); the button confirms.
    let page = b.get(&link).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        app.user("anna").await.registration_state,
        "pending_confirmation"
    );
    let token = link.split("token=").nth(1).expect("ok").to_owned();
    let done = b
        .post_form("/t/acme/register/confirm", &[("token", &token)])
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("id=\"confirmed\""));
    let user = app.user("anna").await;
    assert_eq!(user.registration_state, "active");
    assert!(user.email_confirmed_at.is_some());
    // R3: the link works once.
    let again = b
        .post_form("/t/acme/register/confirm", &[("token", &token)])
        .await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(again.body.contains("data-problem=\"used\""));
    let r = b
        .post_form("/t/acme/login", &[("login", "anna"), ("password", PW)])
        .await;
    assert_eq!(r.location.as_deref(), Some("/t/acme/portal"));
}

#[tokio::test]
async fn r3_an_expired_or_unknown_confirmation_link_is_refused() {
    let app = App::new("email_confirmation", true).await;
    app.browser()
        .register(&valid_fields("anna", "anna@acme.example"))
        .await;
    app.drain().await;
    let link = link_in(
        &app.mails_to("anna@acme.example")[0].text,
        "register/confirm",
    );
    let token = link.split("token=").nth(1).expect("ok").to_owned();
    // 48 hours (link_valid_hours) from now, give or take the test's run time.
    let row = app
        .tenant
        .find::<single_use_tokens::Entity>()
        .one(&app.t.db)
        .await
        .expect("ok")
        .expect("ok");
    let hours = (row.expires_at - Utc::now()).num_minutes();
    assert!((47 * 60..=48 * 60).contains(&hours), "{hours}");
    let mut am = row.into_active_model();
    am.expires_at = Set(Utc::now() - Duration::minutes(1));
    am.update(&app.t.db).await.expect("ok");
    let mut b = app.browser();
    let r = b
        .post_form("/t/acme/register/confirm", &[("token", &token)])
        .await;
    assert_eq!(r.status, StatusCode::GONE);
    assert!(r.body.contains("data-problem=\"expired\""));
    assert_eq!(
        app.user("anna").await.registration_state,
        "pending_confirmation"
    );
    let r = b
        .post_form("/t/acme/register/confirm", &[("token", "nonsense")])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("data-problem=\"invalid\""));
}

#[tokio::test]
async fn r3_cross_site_registration_posts_are_refused() {
    let app = App::new("immediate", true).await;
    let req = axum::http::Request::post("/t/acme/register")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .body(axum::body::Body::from("login=x"))
        .expect("ok");
    let r = tower::ServiceExt::oneshot(app.router.clone(), req)
        .await
        .expect("ok");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}
