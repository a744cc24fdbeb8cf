//! Issue #4: the sign-in pages speak the tenant's language — its default language before
//! anyone is known, the account's own language once signed in (R7, U3).

use std::path::Path;

use axum::http::StatusCode;
use roster::auth::principal::PrincipalKind;
use roster::tenancy::{apply::apply, parse_descriptor};
use sea_orm::ActiveValue::Set;

use super::PW;
use super::kit::App;
use crate::util::MINIMAL;

/// Applies a copy of the test tenant under `slug` with default language `lang`.
async fn tenant_in(app: &App, slug: &str, lang: &str) {
    let text = MINIMAL
        .replace("slug: acme", &format!("slug: {slug}"))
        .replace(
            "default_language: en\nlanguages: [en, nl]",
            &format!("default_language: {lang}\nlanguages: [{lang}, en]"),
        );
    assert!(text.contains(&format!("default_language: {lang}")));
    let d = parse_descriptor(Path::new(&format!("{slug}.yaml")), &text).expect("descriptor");
    apply(&app.t.db, &d).await.expect("apply");
}

#[tokio::test]
async fn login_pages_are_in_the_tenants_default_language() {
    let app = App::new(None).await;
    tenant_in(&app, "dutch", "nl").await;
    tenant_in(&app, "german", "de").await;
    let cases = [
        (
            "/t/dutch/login",
            "nl",
            [
                "Inlognaam",
                "Wachtwoord",
                "Wachtwoord vergeten?",
                "Welkom bij",
            ],
        ),
        (
            "/t/german/login",
            "de",
            [
                "Anmeldename",
                "Passwort",
                "Passwort vergessen?",
                "Willkommen bei",
            ],
        ),
        (
            "/t/acme/login",
            "en",
            [
                "Login name",
                "Password",
                "Forgot your password?",
                "Welcome to",
            ],
        ),
    ];
    for (path, lang, texts) in cases {
        let page = app.browser().get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(
            page.body.contains(&format!("<html lang=\"{lang}\">")),
            "{path}: {}",
            page.body
        );
        for text in texts {
            assert!(
                page.body.contains(text),
                "{path}: `{text}` in {}",
                page.body
            );
        }
        if lang != "en" {
            for english in ["Login name", "Forgot your password?", "Sign in"] {
                assert!(
                    !page.body.contains(english),
                    "{path}: English `{english}` left"
                );
            }
        }
    }
    let page = app.browser().get("/t/german/backoffice/login").await;
    assert!(
        page.body.contains("Bei der Verwaltung anmelden"),
        "{}",
        page.body
    );
    let page = app.browser().get("/t/dutch/password/forgot").await;
    assert!(
        page.body.contains("Inlognaam of e-mailadres"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Terug naar inloggen"));
    let page = app
        .browser()
        .get("/t/german/password/set?token=nonsense")
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(
        page.body.contains("Dieser Link ist ungültig"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn failed_sign_in_is_explained_in_the_tenants_language() {
    let app = App::new(None).await;
    tenant_in(&app, "dutch", "nl").await;
    let r = app
        .browser()
        .post_form(
            "/t/dutch/login",
            &[("login", "nobody"), ("password", "wrong")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(
        r.body.contains("De inlognaam of het wachtwoord klopt niet"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn after_sign_in_the_change_page_is_in_the_accounts_own_language() {
    // Tenant `acme` is English; this user chose German.
    let app = App::new(None).await;
    app.user("greta", PW, |u| {
        u.language = Set(Some("de".into()));
        u.must_change_password = Set(true);
    })
    .await;
    let mut b = app.browser();
    let r = b.sign_in(PrincipalKind::User, "greta", PW, None).await;
    assert_eq!(r.location.as_deref(), Some("/t/acme/password/change"));
    let page = b.get("/t/acme/password/change").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<html lang=\"de\">"), "{}", page.body);
    assert!(page.body.contains("Passwort ändern"), "{}", page.body);
    assert!(page.body.contains("Mindestens 10 Zeichen"), "policy hint");
    let r = b
        .post_form(
            "/t/acme/password/change",
            &[("current", PW), ("new", "short"), ("repeat", "other")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("Es braucht mindestens 10 Zeichen."),
        "{}",
        r.body
    );
    assert!(
        r.body
            .contains("Die beiden neuen Passwörter sind nicht gleich.")
    );
}

#[tokio::test]
async fn without_an_own_language_the_change_page_is_in_the_tenants() {
    let app = App::new(None).await;
    app.user("anna", PW, |u| u.must_change_password = Set(true))
        .await;
    let mut b = app.browser();
    b.sign_in(PrincipalKind::User, "anna", PW, None).await;
    let page = b.get("/t/acme/password/change").await;
    assert!(page.body.contains("<html lang=\"en\">"), "{}", page.body);
    assert!(page.body.contains("Change your password"));
}
