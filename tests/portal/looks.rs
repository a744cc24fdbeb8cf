//! Issue #6: what a tenant's people see — its colours on the sign-in and portal pages (R1),
//! its own mail templates (J2), and error pages in its language.

use std::path::{Path, PathBuf};

use axum::http::StatusCode;
use roster::auth::signin::tenant_by_slug;
use roster::tenancy::{self, apply::apply, parse_descriptor};
use serde_json::json;

use super::kit::{App, DESCRIPTOR, PW, link_in, valid_fields};
use crate::util::MINIMAL;

/// The problems of `text` as `file:line:col: message`.
fn errors(text: &str) -> Vec<String> {
    match parse_descriptor(Path::new("tenants/acme.yaml"), text) {
        Ok(_) => Vec::new(),
        Err(problems) => problems.iter().map(ToString::to_string).collect(),
    }
}

/// The minimal descriptor with `tail` appended; also the line number `tail` starts on.
fn minimal_with(tail: &str) -> (String, usize) {
    (format!("{MINIMAL}{tail}"), MINIMAL.lines().count() + 1)
}

/// Applies the shipped tenants (`tenants/*.yaml`) to `app`'s database.
async fn with_shipped(app: &App) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tenants");
    for d in tenancy::load_all(&[dir]).expect("shipped descriptors") {
        apply(&app.t.db, &d.descriptor).await.expect("apply");
    }
}

fn brand_line(primary: &str, text: &str, background: &str) -> String {
    format!(
        ":root {{ --brand-primary: {primary}; --brand-primary-text: {text}; --brand-background: {background}; }}"
    )
}

// ---- R1: colours ----------------------------------------------------------------------------

#[test]
fn r1_branding_colour_must_be_hex_with_position() {
    for bad in ["#0b5fa", "blue", "#fff;}body{display:none", "rgb(0,0,0)"] {
        let (text, line) = minimal_with(&format!("branding:\n  primary: \"{bad}\"\n"));
        assert_eq!(
            errors(&text),
            [format!(
                "tenants/acme.yaml:{}:12: branding.primary: colour `{bad}` must be written `#rgb` or `#rrggbb` (hex digits)",
                line + 1
            )],
        );
    }
}

#[test]
fn r1_branding_refuses_unknown_keys() {
    let (text, line) = minimal_with("branding:\n  primary: \"#0b5fa5\"\n  font: Comic Sans\n");
    let e = errors(&text);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with(&format!(
            "tenants/acme.yaml:{}:3: branding: unknown field `font`",
            line + 2
        )),
        "{e:?}"
    );
}

#[test]
fn r1_branding_text_needs_contrast_on_primary() {
    // #777 on white is 4.478:1, just below WCAG AA; shown rounded down.
    let (text, line) =
        minimal_with("branding:\n  primary: \"#777\"\n  primary_text: \"#FFFFFF\"\n");
    assert_eq!(
        errors(&text),
        [format!(
            "tenants/acme.yaml:{}:17: text colour `#ffffff` on primary colour `#777777` has a contrast of 4.47:1; at least 4.5:1 is needed so buttons stay readable (WCAG AA)",
            line + 2
        )]
    );
    // Without primary_text the default (white) is checked, at the `branding` key's position.
    let (text, line) = minimal_with("branding:\n  primary: \"#ffcc00\"\n");
    let e = errors(&text);
    assert_eq!(e.len(), 2, "text on primary, and primary on white: {e:?}");
    assert!(e[1].contains("on the white cards"), "{e:?}");
    assert!(
        e[0].starts_with(&format!(
            "tenants/acme.yaml:{}:3: text colour `#ffffff` on primary colour `#ffcc00`",
            line + 1
        )),
        "{e:?}"
    );
    // Dark text on the same yellow is readable, but yellow links on the white cards are not.
    let (text, line) =
        minimal_with("branding:\n  primary: \"#ffcc00\"\n  primary_text: \"#1d2733\"\n");
    assert_eq!(
        errors(&text),
        [format!(
            "tenants/acme.yaml:{}:12: primary colour `#ffcc00` on the white cards has a contrast of 1.51:1; at least 3:1 is needed so links and focus rings stay visible (WCAG AA)",
            line + 1
        )]
    );
    // A darker amber passes both checks.
    let (text, _) =
        minimal_with("branding:\n  primary: \"#8a5a00\"\n  primary_text: \"#ffffff\"\n");
    assert_eq!(errors(&text), Vec::<String>::new());
}

#[tokio::test]
async fn r1_login_and_portal_pages_carry_each_tenants_colours() {
    let app = App::new("immediate", true).await;
    with_shipped(&app).await;
    let archipel = brand_line("#0b5fa5", "#ffffff", "#f5f7fa");
    let nordwerk = brand_line("#8a1c2b", "#ffffff", "#f7f5f2");
    let roster_own = brand_line("#2456c7", "#ffffff", "#f3f6f9");
    let mut b = app.browser();
    for (path, own, others) in [
        ("/t/archipel/login", &archipel, [&nordwerk, &roster_own]),
        (
            "/t/archipel/backoffice/login",
            &archipel,
            [&nordwerk, &roster_own],
        ),
        ("/t/archipel/register", &archipel, [&nordwerk, &roster_own]),
        ("/t/nordwerk/login", &nordwerk, [&archipel, &roster_own]),
        (
            "/t/nordwerk/password/forgot",
            &nordwerk,
            [&archipel, &roster_own],
        ),
        // A tenant without `branding` keeps Roster's own look.
        ("/t/acme/login", &roster_own, [&archipel, &nordwerk]),
        ("/t/acme/register", &roster_own, [&archipel, &nordwerk]),
    ] {
        let page = b.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        assert!(page.body.contains(own.as_str()), "{path}: {}", page.body);
        for other in others {
            assert!(!page.body.contains(other.as_str()), "{path}");
        }
        // The style sheet uses the variables rather than fixed colours.
        assert!(
            page.body.contains("--accent: var(--brand-primary)"),
            "{path}"
        );
        assert!(
            page.body.contains("--bg: var(--brand-background)"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn r1_removing_branding_is_a_change_back_to_roster_s_look() {
    let plain = DESCRIPTOR
        .replace("FLOW", "immediate")
        .replace("LAYOUT", "standard")
        .replace("PASSWORD", "true");
    let branded = format!("{plain}branding:\n  primary: \"#8a1c2b\"\n");
    let app = App::with_descriptor(&branded).await;
    let page = app.browser().get("/t/acme/login").await;
    assert!(
        page.body.contains("--brand-primary: #8a1c2b;"),
        "{}",
        page.body
    );
    let d = parse_descriptor(Path::new("acme.yaml"), &plain).expect("descriptor");
    let report = apply(&app.t.db, &d).await.expect("apply");
    let tenant_line = report
        .lines
        .iter()
        .find(|l| l.kind == "tenant")
        .expect("tenant line");
    assert!(
        tenant_line.to_string().ends_with("updated (branding)"),
        "{tenant_line}"
    );
    let page = app.browser().get("/t/acme/login").await;
    assert!(
        page.body.contains("--brand-primary: #2456c7;"),
        "{}",
        page.body
    );
}

// ---- J2: per-tenant mail templates ----------------------------------------------------------

/// A Dutch confirmation mail of tenant `acme`'s own.
const ACME_MAIL: &str = "mail:
  templates:
    nl:
      registration_confirm: |
        Subject: Welkom bij {{ tenant_name }}, {{ first_name }}!

        Nog één klik: {{ link }}
";

#[tokio::test]
async fn j2_a_tenants_own_template_replaces_roster_s_in_that_language() {
    let text = DESCRIPTOR
        .replace("FLOW", "email_confirmation")
        .replace("LAYOUT", "split")
        .replace("PASSWORD", "true")
        + ACME_MAIL;
    let app = App::with_descriptor(&text).await;
    let mut b = app.browser();
    // anna registers in Dutch (the tenant's override), bert in German (Roster's own text).
    let r = b.register(&valid_fields("anna", "anna@acme.example")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mut fields = valid_fields("bert", "bert@acme.example");
    for f in &mut fields {
        if f.0 == "language" {
            f.1 = "de";
        }
    }
    let r = app.browser().register(&fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    app.drain().await;
    let anna = &app.mails_to("anna@acme.example")[0];
    assert_eq!(anna.subject, "Welkom bij Acme, Anna!");
    assert!(anna.text.starts_with("Nog één klik: "), "{}", anna.text);
    // The link in the tenant's own wording works.
    let link = link_in(&anna.text, "register/confirm");
    let token = link.split("token=").nth(1).expect("token").to_owned();
    let done = b
        .post_form("/t/acme/register/confirm", &[("token", &token)])
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let bert = &app.mails_to("bert@acme.example")[0];
    assert!(
        bert.subject.contains("Bestätigen") || bert.subject.contains("bestätigen"),
        "Roster's German text: {}",
        bert.subject
    );
}

#[tokio::test]
async fn j2_overrides_belong_to_their_tenant_only() {
    let app = App::new("immediate", true).await;
    with_shipped(&app).await;
    let context = json!({
        "tenant_name": "T", "first_name": "Anna", "login": "anna",
        "link": "https://roster.example/t/x/register/confirm?token=abc", "expires": "soon",
    });
    let archipel = tenant_by_slug(&app.t.db, "archipel")
        .await
        .expect("archipel");
    let nordwerk = tenant_by_slug(&app.t.db, "nordwerk")
        .await
        .expect("nordwerk");
    let acme = tenant_by_slug(&app.t.db, "acme").await.expect("acme");
    let own = roster::mail::render_for(&archipel, "registration_confirm", "nl", &context)
        .expect("render");
    assert_eq!(own.subject, "Bevestig je account bij T");
    assert!(own.text.contains("token=abc"));
    for other in [&nordwerk, &acme] {
        let r = roster::mail::render_for(other, "registration_confirm", "nl", &context)
            .expect("render");
        assert_eq!(
            r.subject, "Bevestig uw e-mailadres voor T",
            "{}",
            other.slug
        );
    }
    // Archipel's other mails, and its confirmation mail in English, are Roster's own.
    let en = roster::mail::render_for(&archipel, "registration_confirm", "en", &context)
        .expect("render");
    assert_eq!(en.subject, "Confirm your e-mail address for T");
    let welcome = roster::mail::render_for(&archipel, "registration_welcome", "nl", &context)
        .expect("render");
    let plain = roster::mail::render("registration_welcome", "nl", &context).expect("render");
    assert_eq!(welcome, plain);
}

#[test]
fn j2_bad_mail_templates_are_refused_at_load_with_position() {
    let (text, line) = minimal_with(
        "mail:
  templates:
    nl:
      set_password: |
        Subject: Stel je wachtwoord in

        {{ link
      password_reset: \"Geen onderwerpregel\"
      invitation: |
        Subject: {{ activity_title | shout }}
      welcome: |
        Subject: Hallo
    de:
      invitation: \"Subject: Hallo\"
",
    );
    // A block template is located at its first line; the message adds the line within it.
    assert_eq!(
        errors(&text),
        [
            format!(
                "tenants/acme.yaml:{}:9: mail template `set_password` (nl) cannot be used: syntax error: unexpected end of input, expected end of variable block (template line 3)",
                line + 4
            ),
            format!(
                "tenants/acme.yaml:{}:23: mail template `password_reset` (nl) cannot be used: the first line must be `Subject: …`",
                line + 7
            ),
            format!(
                "tenants/acme.yaml:{}:9: mail template `invitation` (nl) cannot be used: unknown filter: filter shout is unknown (template line 1)",
                line + 9
            ),
            format!(
                "tenants/acme.yaml:{}:7: unknown mail `welcome`; known mails: approval_request, import_report, invitation, password_reset, registration_approved, registration_confirm, registration_rejected, registration_welcome, set_password, temporary_password",
                line + 10
            ),
            format!(
                "tenants/acme.yaml:{}:5: mail templates for language `de`, which the tenant does not offer; its languages: en, nl",
                line + 12
            ),
        ]
    );
}

// ---- error pages ----------------------------------------------------------------------------

#[tokio::test]
async fn error_pages_under_a_tenant_speak_its_language() {
    let app = App::new("immediate", true).await;
    with_shipped(&app).await;
    let mut b = app.browser();
    // Archipel is Dutch, Nordwerk German, acme English; each page in the tenant's colours.
    for (path, lang, heading, colour) in [
        (
            "/t/archipel/activities/NOPE",
            "nl",
            "Pagina niet gevonden",
            "#0b5fa5",
        ),
        (
            "/t/nordwerk/activities/NOPE",
            "de",
            "Seite nicht gefunden",
            "#8a1c2b",
        ),
        ("/t/acme/activities/NOPE", "en", "Page not found", "#2456c7"),
    ] {
        let page = b.get(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            page.body.contains(&format!("lang=\"{lang}\"")),
            "{path}: {}",
            page.body
        );
        assert!(page.body.contains(heading), "{path}: {}", page.body);
        assert!(
            page.body.contains(&format!("--brand-primary: {colour};")),
            "{path}: {}",
            page.body
        );
    }
    // A tenant that does not exist has no language: English.
    let page = b.get("/t/nobody/login").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("lang=\"en\""), "{}", page.body);
    assert!(page.body.contains("Page not found"), "{}", page.body);
}

#[tokio::test]
async fn error_pages_of_a_signed_in_user_speak_the_users_language() {
    // acme speaks English; anna chose Dutch when registering.
    let app = App::new("immediate", true).await;
    let mut b = app.browser();
    let r = b.register(&valid_fields("anna", "anna@acme.example")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = b
        .post_form("/t/acme/login", &[("login", "anna"), ("password", PW)])
        .await;
    assert_eq!(r.location.as_deref(), Some("/t/acme/portal"), "{}", r.body);
    let page = b.get("/t/acme/activities/NOPE").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("lang=\"nl\""), "{}", page.body);
    assert!(page.body.contains("Pagina niet gevonden"), "{}", page.body);
    // Signed out, the same page is in the tenant's language again.
    let page = app.browser().get("/t/acme/activities/NOPE").await;
    assert!(page.body.contains("Page not found"), "{}", page.body);
}
