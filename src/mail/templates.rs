//! Mail templates, embedded in the binary: `templates/mail/<lang>/<name>.txt`, whose first line
//! is `Subject: …`, then a blank line, then the body (minijinja syntax). A missing language
//! falls back to English.

use std::sync::LazyLock;

use minijinja::Environment;
use serde::Serialize;

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

/// Renders mail `name` in `language` (falling back to English) with `context`.
pub fn render(name: &str, language: &str, context: impl Serialize) -> anyhow::Result<Rendered> {
    let wanted = format!("{language}/{name}.txt");
    let fallback = format!("en/{name}.txt");
    let template = ENV
        .get_template(&wanted)
        .or_else(|_| ENV.get_template(&fallback))
        .map_err(|_| anyhow::anyhow!("no mail template `{name}`"))?;
    let output = template.render(context)?;
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
    fn j2_language_falls_back_to_english() {
        let r = render("set_password", "fr", serde_json::json!({"link": "L"})).expect("render");
        assert!(r.text.contains('L'));
    }
}
