//! Mail templates, embedded in the binary: `templates/mail/<lang>/<name>.txt`, whose first line
//! is `Subject: …`, then a blank line, then the body (minijinja syntax). A missing language
//! falls back to English. A tenant's descriptor may replace any of them (`mail.templates`, J2);
//! [`render_with`] says which template wins.

use std::sync::LazyLock;

use minijinja::{Environment, ErrorKind};
use serde::Serialize;

use crate::store::entity::tenants;
use crate::tenancy::descriptor::MailTemplates;

/// Every template, as (path under templates/mail, source). Add new mails here.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "en/set_password.txt",
        include_str!("../../templates/mail/en/set_password.txt"),
    ),
    (
        "nl/set_password.txt",
        include_str!("../../templates/mail/nl/set_password.txt"),
    ),
    (
        "de/set_password.txt",
        include_str!("../../templates/mail/de/set_password.txt"),
    ),
    (
        "en/password_reset.txt",
        include_str!("../../templates/mail/en/password_reset.txt"),
    ),
    (
        "nl/password_reset.txt",
        include_str!("../../templates/mail/nl/password_reset.txt"),
    ),
    (
        "de/password_reset.txt",
        include_str!("../../templates/mail/de/password_reset.txt"),
    ),
    (
        "en/temporary_password.txt",
        include_str!("../../templates/mail/en/temporary_password.txt"),
    ),
    (
        "nl/temporary_password.txt",
        include_str!("../../templates/mail/nl/temporary_password.txt"),
    ),
    (
        "de/temporary_password.txt",
        include_str!("../../templates/mail/de/temporary_password.txt"),
    ),
    (
        "en/import_report.txt",
        include_str!("../../templates/mail/en/import_report.txt"),
    ),
    (
        "nl/import_report.txt",
        include_str!("../../templates/mail/nl/import_report.txt"),
    ),
    (
        "de/import_report.txt",
        include_str!("../../templates/mail/de/import_report.txt"),
    ),
    (
        "en/registration_confirm.txt",
        include_str!("../../templates/mail/en/registration_confirm.txt"),
    ),
    (
        "nl/registration_confirm.txt",
        include_str!("../../templates/mail/nl/registration_confirm.txt"),
    ),
    (
        "de/registration_confirm.txt",
        include_str!("../../templates/mail/de/registration_confirm.txt"),
    ),
    (
        "en/registration_welcome.txt",
        include_str!("../../templates/mail/en/registration_welcome.txt"),
    ),
    (
        "nl/registration_welcome.txt",
        include_str!("../../templates/mail/nl/registration_welcome.txt"),
    ),
    (
        "de/registration_welcome.txt",
        include_str!("../../templates/mail/de/registration_welcome.txt"),
    ),
    (
        "en/registration_approved.txt",
        include_str!("../../templates/mail/en/registration_approved.txt"),
    ),
    (
        "nl/registration_approved.txt",
        include_str!("../../templates/mail/nl/registration_approved.txt"),
    ),
    (
        "de/registration_approved.txt",
        include_str!("../../templates/mail/de/registration_approved.txt"),
    ),
    (
        "en/registration_rejected.txt",
        include_str!("../../templates/mail/en/registration_rejected.txt"),
    ),
    (
        "nl/registration_rejected.txt",
        include_str!("../../templates/mail/nl/registration_rejected.txt"),
    ),
    (
        "de/registration_rejected.txt",
        include_str!("../../templates/mail/de/registration_rejected.txt"),
    ),
    (
        "en/approval_request.txt",
        include_str!("../../templates/mail/en/approval_request.txt"),
    ),
    (
        "nl/approval_request.txt",
        include_str!("../../templates/mail/nl/approval_request.txt"),
    ),
    (
        "de/approval_request.txt",
        include_str!("../../templates/mail/de/approval_request.txt"),
    ),
    (
        "en/invitation.txt",
        include_str!("../../templates/mail/en/invitation.txt"),
    ),
    (
        "nl/invitation.txt",
        include_str!("../../templates/mail/nl/invitation.txt"),
    ),
    (
        "de/invitation.txt",
        include_str!("../../templates/mail/de/invitation.txt"),
    ),
];

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, source) in TEMPLATES {
        // Templates are compiled into the binary; a syntax error fails the template test.
        if let Err(e) = env.add_template(name, source) {
            tracing::error!(template = name, error = %e, "mail template does not compile");
        }
    }
    env
});

/// A rendered mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Subject line.
    pub subject: String,
    /// Body.
    pub text: String,
}

/// The names of Roster's mails (`set_password`, `registration_confirm`, …), sorted.
pub fn names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = TEMPLATES
        .iter()
        .filter_map(|(path, _)| path.split_once('/'))
        .map(|(_, file)| file.trim_end_matches(".txt"))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// Renders Roster's own mail `name` in `language` (falling back to English) with `context`.
pub fn render(name: &str, language: &str, context: impl Serialize) -> anyhow::Result<Rendered> {
    render_with(&MailTemplates::new(), name, language, context)
}

/// J2: renders mail `name` for `tenant`, whose descriptor may carry its own templates
/// (`mail.templates`); see [`render_with`] for which template wins.
pub fn render_for(
    tenant: &tenants::Model,
    name: &str,
    language: &str,
    context: impl Serialize,
) -> anyhow::Result<Rendered> {
    let tenant = crate::tenancy::Tenant::from_row(tenant)?;
    render_with(&tenant.settings.mail.templates, name, language, context)
}

/// J2: renders mail `name` in `language` with `context`. The first template that exists wins:
/// the tenant's own in `language`, Roster's in `language`, the tenant's own in English,
/// Roster's in English. A tenant's wording thus beats Roster's in the same language, and a
/// language nobody wrote the mail in gets English — the tenant's English if it has one.
pub fn render_with(
    overrides: &MailTemplates,
    name: &str,
    language: &str,
    context: impl Serialize,
) -> anyhow::Result<Rendered> {
    let own = |lang: &str| overrides.get(lang).and_then(|m| m.get(name));
    let embedded = |lang: &str| ENV.get_template(&format!("{lang}/{name}.txt")).ok();
    let output = if let Some(source) = own(language) {
        ENV.render_str(source, context)?
    } else if let Some(template) = embedded(language) {
        template.render(context)?
    } else if let Some(source) = own("en") {
        ENV.render_str(source, context)?
    } else if let Some(template) = embedded("en") {
        template.render(context)?
    } else {
        anyhow::bail!("no mail template `{name}`");
    };
    let (first, body) = output.split_once('\n').unwrap_or((output.as_str(), ""));
    let subject = first
        .strip_prefix("Subject:")
        .ok_or_else(|| anyhow::anyhow!("mail template `{name}` must start with `Subject:`"))?
        .trim()
        .to_owned();
    Ok(Rendered {
        subject,
        text: body.trim_start_matches('\n').to_owned(),
    })
}

/// J2: why a tenant's template `source` for a mail cannot be used, if it cannot: its first line
/// is not `Subject: …`, it does not compile, or it calls a filter, test or function that does
/// not exist. The error names the line within the template when minijinja knows it.
pub fn check_override(source: &str) -> Result<(), String> {
    if !source.starts_with("Subject:") {
        return Err("the first line must be `Subject: …`".into());
    }
    let explain = |e: &minijinja::Error| {
        let what = match e.detail() {
            Some(detail) => format!("{}: {detail}", e.kind()),
            None => e.kind().to_string(),
        };
        match e.line() {
            Some(line) => format!("{what} (template line {line})"),
            None => what,
        }
    };
    let template = ENV.template_from_str(source).map_err(|e| explain(&e))?;
    // Values are unknown here, so only mistakes that no value can fix count.
    match template.render(minijinja::context! {}) {
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::UnknownFilter | ErrorKind::UnknownTest | ErrorKind::UnknownFunction
            ) =>
        {
            Err(explain(&e))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles_and_starts_with_a_subject() {
        for (name, _) in TEMPLATES {
            let (lang, file) = name.split_once('/').expect("lang/name");
            let mail = file.trim_end_matches(".txt");
            let r = render(mail, lang, serde_json::json!({})).expect(name);
            assert!(!r.subject.is_empty(), "{name}");
        }
    }

    #[test]
    fn j2_tenant_template_wins_in_its_language_then_english() {
        let mut own = MailTemplates::new();
        own.entry("en".into()).or_default().insert(
            "set_password".into(),
            "Subject: Own English {{ link }}\n\nBody".into(),
        );
        own.entry("nl".into())
            .or_default()
            .insert("set_password".into(), "Subject: Eigen\n\nTekst".into());
        let ctx = serde_json::json!({"link": "L"});
        let r = render_with(&own, "set_password", "nl", &ctx).expect("nl");
        assert_eq!((r.subject.as_str(), r.text.as_str()), ("Eigen", "Tekst"));
        // German: nobody at the tenant wrote it, Roster did.
        let de = render_with(&own, "set_password", "de", &ctx).expect("de");
        assert_eq!(de, render("set_password", "de", &ctx).expect("de"));
        // A language nobody wrote the mail in: the tenant's English.
        let fr = render_with(&own, "set_password", "fr", &ctx).expect("fr");
        assert_eq!(fr.subject, "Own English L");
        // Mails the tenant did not write are Roster's.
        let other = render_with(&own, "password_reset", "nl", &ctx).expect("reset");
        assert_eq!(other, render("password_reset", "nl", &ctx).expect("reset"));
    }

    #[test]
    fn j2_check_override_names_what_is_wrong() {
        assert_eq!(
            check_override("Subject: Hi {{ first_name }}\n\nBody"),
            Ok(())
        );
        assert_eq!(
            check_override("Hi\n\nBody"),
            Err("the first line must be `Subject: …`".into())
        );
        let e = check_override("Subject: x\n\n{% if link %}open").expect_err("unclosed");
        assert!(e.starts_with("syntax error: "), "{e}");
        assert!(e.ends_with("(template line 3)"), "{e}");
        let e = check_override("Subject: x\n\n{{ link | shout }}").expect_err("filter");
        assert!(e.contains("unknown filter"), "{e}");
        assert!(e.ends_with("(template line 3)"), "{e}");
        // Values unknown at load time are no problem.
        assert_eq!(
            check_override("Subject: {{ a.b.c }}\n\n{{ n + 1 }}"),
            Ok(())
        );
        assert_eq!(names().len(), TEMPLATES.len() / 3);
    }

    #[test]
    fn j2_language_falls_back_to_english() {
        let r = render("set_password", "fr", serde_json::json!({"link": "L"})).expect("render");
        assert!(r.text.contains('L'));
    }
}
