//! R1, J2: the checks of what a tenant's people see — its colours (`branding`) and its own mail
//! templates (`mail.templates`) — each reported with its position like every other check.

use super::Checker;
use crate::tenancy::branding::{MIN_CONTRAST, MIN_LINK_CONTRAST};
use crate::tenancy::descriptor::TenantDescriptor;

/// R1: text on the primary colour must be readable (WCAG 2 AA). The colours' spelling is
/// checked when the file is read ([`crate::tenancy::branding::Colour`]).
pub(super) fn check_branding(c: &mut Checker<'_>, d: &TenantDescriptor) {
    let Some(b) = &d.branding else {
        return;
    };
    let ratio = b.text_contrast();
    if ratio < MIN_CONTRAST {
        // Rounded down, so a refused ratio never reads as 4.5.
        let shown = (ratio * 100.0).floor() / 100.0;
        c.report(
            "branding.primary_text",
            format!(
                "text colour `{}` on primary colour `{}` has a contrast of {shown:.2}:1; \
                 at least {MIN_CONTRAST}:1 is needed so buttons stay readable (WCAG AA)",
                b.primary_text, b.primary
            ),
        );
    }
    let links = b.link_contrast();
    if links < MIN_LINK_CONTRAST {
        let shown = (links * 100.0).floor() / 100.0;
        c.report(
            "branding.primary",
            format!(
                "primary colour `{}` on the white cards has a contrast of {shown:.2}:1; at least \
                 {MIN_LINK_CONTRAST}:1 is needed so links and focus rings stay visible (WCAG AA)",
                b.primary
            ),
        );
    }
}

/// J2: a tenant's own mail templates replace Roster's mails, in languages the tenant offers,
/// and must compile and start with their subject line.
pub(super) fn check_mail_templates(c: &mut Checker<'_>, d: &TenantDescriptor) {
    let known = crate::mail::template_names();
    for (lang, mails) in &d.mail.templates {
        let path = format!("mail.templates.{lang}");
        if !d.languages.contains(lang) {
            c.report(
                &format!("{path}#key"),
                format!(
                    "mail templates for language `{lang}`, which the tenant does not offer; its languages: {}",
                    d.languages.join(", ")
                ),
            );
        }
        for (name, source) in mails {
            let mpath = format!("{path}.{name}");
            if !known.contains(&name.as_str()) {
                c.report(
                    &format!("{mpath}#key"),
                    format!("unknown mail `{name}`; known mails: {}", known.join(", ")),
                );
            } else if let Err(why) = crate::mail::check_override(source) {
                c.report(
                    &mpath,
                    format!("mail template `{name}` ({lang}) cannot be used: {why}"),
                );
            }
        }
    }
}
