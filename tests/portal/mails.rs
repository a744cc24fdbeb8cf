//! J2: every mail of the portal renders in English, Dutch and German with its links.

use roster::mail::render;
use serde_json::json;

#[test]
fn j2_portal_mails_render_in_every_language() {
    let context = json!({
        "tenant_name": "Acme",
        "first_name": "Anna",
        "last_name": "de Vries",
        "approver_first_name": "Bert",
        "login": "anna",
        "email": "anna@acme.example",
        "link": "https://roster.example/t/acme/LINK",
        "login_url": "https://roster.example/t/acme/login",
        "queue_url": "https://roster.example/t/acme/backoffice/approvals",
        "expires": "2027-01-01 10:00 UTC",
        "activity_title": "Safety basics",
        "reason": "REASON",
        "password_link_follows": false,
    });
    let expect = [
        ("registration_confirm", "LINK"),
        ("registration_welcome", "/t/acme/login"),
        ("registration_approved", "/t/acme/login"),
        ("registration_rejected", "REASON"),
        ("approval_request", "/backoffice/approvals"),
        ("invitation", "LINK"),
    ];
    for (name, needle) in expect {
        let mut subjects = Vec::new();
        for lang in ["en", "nl", "de"] {
            let r = render(name, lang, &context).unwrap_or_else(|e| panic!("{lang}/{name}: {e}"));
            assert!(!r.subject.is_empty(), "{lang}/{name}");
            assert!(r.text.contains(needle), "{lang}/{name}: {}", r.text);
            assert!(
                r.subject.contains("Acme") || r.subject.contains("Safety"),
                "{lang}/{name}"
            );
            subjects.push(r.subject);
        }
        // Each language has its own text (none fell back to English).
        assert_ne!(subjects[0], subjects[1], "{name} nl");
        assert_ne!(subjects[0], subjects[2], "{name} de");
    }
}
