//! The portal in a real browser (R1, R3, R4, R5, R7, J2): an invitation link followed through
//! registration, confirmation or approval and sign-in, in both shipped tenants, with the
//! mails caught by a real SMTP sink (Debian's `python3-aiosmtpd`) and their links followed by
//! the browser. A screenshot of each step lands under `target/screenshots/portal-*`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use roster::app::AppState;
use roster::config::{Settings, SettingsArgs, SmtpSecurity, SmtpSettings};
use roster::domain::backoffice::{self, NewAccount, RoleGrant};
use roster::store::entity::{backoffice_accounts, enrollments, organisation_units, users};
use roster::tenancy::{apply::apply, parse_descriptor};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use super::{App, Browser, free_port, skip_on_postgres};
use crate::authz::World;
use crate::util::TestDb;

/// The SMTP sink: a small aiosmtpd server that writes each mail's recipient, subject and
/// decoded text body to a file, killed on drop.
struct Sink {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

const SINK: &str = r#"
import sys, time, email, email.policy, pathlib, itertools
from aiosmtpd.controller import Controller
out = pathlib.Path(sys.argv[2])
count = itertools.count()
class Handler:
    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",)).get_content()
        n = next(count)
        tmp = out / f"{n:04}.tmp"
        tmp.write_text("To: " + ",".join(envelope.rcpt_tos) + "\nSubject: " + str(msg["subject"]) + "\n\n" + body)
        tmp.rename(out / f"{n:04}.txt")
        return "250 OK"
c = Controller(Handler(), hostname="127.0.0.1", port=int(sys.argv[1]))
c.start()
print("ready", flush=True)
while True:
    time.sleep(3600)
"#;

impl Sink {
    fn start() -> Self {
        let dir = tempfile::tempdir().expect("sink dir");
        let port = free_port();
        // Debian's python3 with python3-aiosmtpd (not a pyenv shim that lacks it).
        let python = if Path::new("/usr/bin/python3").exists() {
            "/usr/bin/python3"
        } else {
            "python3"
        };
        let child = Command::new(python)
            .arg("-c")
            .arg(SINK)
            .arg(port.to_string())
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the SMTP sink (apt package python3-aiosmtpd)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the SMTP sink did not start (python3-aiosmtpd installed?)"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Self { child, dir, port }
    }

    /// Waits for a mail to `to` whose subject contains `subject`; returns its text.
    async fn mail(&self, to: &str, subject: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
                .expect("sink dir")
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "txt"))
                .collect();
            files.sort();
            for f in files {
                let text = std::fs::read_to_string(&f).expect("mail");
                let head = text.split("\n\n").next().unwrap_or_default();
                if head.contains(&format!("To: {to}")) && head.contains(subject) {
                    return text;
                }
            }
            assert!(
                Instant::now() < deadline,
                "no mail to {to} about `{subject}`"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The path (from `/t/`) of the first link in `text` containing `needle`.
fn link_in(text: &str, needle: &str) -> String {
    let word = text
        .split_whitespace()
        .find(|w| w.contains(needle))
        .unwrap_or_else(|| panic!("no link with {needle} in {text}"));
    word[word.find("/t/").expect("path")..].to_owned()
}

/// A shipped tenant (`tenants/{slug}.yaml`) served over HTTP, mailing through `sink`.
async fn start(slug: &str, sink: &Sink) -> App {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tenants/{slug}.yaml"));
    let text = std::fs::read_to_string(&file).expect("seed");
    let t = TestDb::new().await;
    let d = parse_descriptor(&file, &text).expect("seed descriptor");
    let tenant = apply(&t.db, &d).await.expect("apply").tenant;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let mut settings = Settings::resolve(&SettingsArgs::default()).expect("settings");
    settings.database_url = t.url.clone();
    settings.redis_url = None;
    settings.auth.secure_cookies = false;
    settings.public_url = format!("http://{addr}");
    settings.smtp = Some(SmtpSettings {
        host: "127.0.0.1".into(),
        port: sink.port,
        username: None,
        password: None,
        security: SmtpSecurity::None,
    });
    let mailer = roster::mail::Mailer::from_settings(&settings).expect("SMTP mailer");
    let state = AppState::with_mailer(settings, t.db.clone(), mailer).expect("state");
    let router = state.router();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("serve");
    });
    let units = tenant
        .find::<organisation_units::Entity>()
        .all(&t.db)
        .await
        .expect("units")
        .into_iter()
        .map(|u| (u.code, u.id))
        .collect();
    let (_, mails) = roster::mail::Mailer::memory();
    let w = World {
        t,
        state: state.clone(),
        tenant,
        units,
        catalogs: Default::default(),
        mails,
    };
    App {
        w,
        state,
        url: format!("http://{addr}"),
        server,
    }
}

/// Runs the queued jobs (the mails) as the worker would.
async fn work(app: &App) {
    roster::jobs::worker::drain(&app.state).await.expect("jobs");
}

/// A back-office account with `role` at `unit`, an e-mail address and `password`.
async fn approver(app: &App, login: &str, role: &str, unit: &str, password: &str) {
    let ctx = roster::authz::Permit::operator(app.w.tenant, "test");
    let a = backoffice::create(
        &app.w.t.db,
        &ctx,
        NewAccount {
            login: login.into(),
            first_name: "Greta".into(),
            last_name: "Approver".into(),
            email: Some(format!("{login}@nordwerk.de")),
            roles: vec![RoleGrant {
                role: role.into(),
                unit: Some(unit.into()),
            }],
            all_catalogs: true,
            ..Default::default()
        },
    )
    .await
    .expect("account");
    let row = backoffice_accounts::Entity::find_by_id(a.id)
        .one(&app.w.t.db)
        .await
        .expect("ok")
        .expect("ok");
    let mut am: backoffice_accounts::ActiveModel = row.into();
    am.password_hash = Set(Some(
        roster::auth::password::hash(password.into())
            .await
            .expect("ok"),
    ));
    am.update(&app.w.t.db).await.expect("ok");
}

async fn enrolled(app: &App, login: &str) -> usize {
    let user = users::Entity::find()
        .filter(users::Column::Login.eq(login))
        .one(&app.w.t.db)
        .await
        .expect("ok")
        .expect("registered user");
    enrollments::Entity::find()
        .filter(enrollments::Column::UserId.eq(user.id))
        .all(&app.w.t.db)
        .await
        .expect("ok")
        .len()
}

/// Answers the registration form's check question.
async fn answer_captcha(b: &Browser) {
    let question = b.text("#captcha-question").await;
    let (x, y) = question.split_once('+').expect("a + b");
    let sum: u32 = x.trim().parse::<u32>().expect("ok") + y.trim().parse::<u32>().expect("ok");
    b.fill("#captcha", &sum.to_string()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r5_archipel_invitation_registration_confirmation_and_back_enrolled() {
    if skip_on_postgres() {
        return;
    }
    let sink = Sink::start();
    let app = start("archipel", &sink).await;
    let b = Browser::open(&app, "portal-archipel").await;
    const PW: &str = "Zonnebloem 2027";

    // The invitation link: the activity's detail page.
    b.goto("/t/archipel/activities/BHV-BASIS").await;
    assert!(b.text("#activity-title").await.contains("BHV basiscursus"));
    b.screenshot("1-activity").await;
    b.click("#enroll-BHV-BASIS-2027-03").await;
    // R1: the split sign-in page, registration on the right.
    b.find(".columns").await;
    let path = b
        .path_when(|p| p.starts_with("/t/archipel/login?next="))
        .await;
    assert!(path.starts_with("/t/archipel/login?next="), "{path}");
    b.screenshot("2-login-split").await;
    b.click(".columns a[href^='/t/archipel/register']").await;

    // R4: a domain outside the allow-list is refused on the form.
    b.fill("#first_name", "Jan").await;
    b.fill("#last_name", "Jansen").await;
    b.fill("#email", "jan@gmail.com").await;
    b.fill("#login", "jan.jansen").await;
    b.fill("#password", PW).await;
    b.fill("#password_repeat", PW).await;
    b.click("#disclaimer").await;
    b.click("#privacy_policy").await;
    answer_captcha(&b).await;
    b.click("#register-submit").await;
    assert!(
        b.text("#email-error")
            .await
            .contains("cannot register here")
    );
    b.screenshot("3-register-refused-domain").await;

    // Corrected (ticks and passwords are not kept after an error).
    b.fill("#email", "jan@archipel.academy").await;
    b.fill("#password", PW).await;
    b.fill("#password_repeat", PW).await;
    b.fill("#phone", "+31 6 1234 5678").await;
    if !b.find("#disclaimer").await.is_selected().await.expect("ok") {
        b.click("#disclaimer").await;
    }
    if !b
        .find("#privacy_policy")
        .await
        .is_selected()
        .await
        .expect("ok")
    {
        b.click("#privacy_policy").await;
    }
    answer_captcha(&b).await;
    b.screenshot("4-register-filled").await;
    b.click("#register-submit").await;
    assert_eq!(
        b.find("#next-step")
            .await
            .attr("data-step")
            .await
            .expect("ok")
            .as_deref(),
        Some("confirm_email")
    );
    b.screenshot("5-thanks").await;

    // The confirmation mail through SMTP; its link in the browser.
    work(&app).await;
    let mail = sink
        // Archipel's own wording of the mail (descriptor `mail.templates`, J2).
        .mail("jan@archipel.academy", "Bevestig je account bij Archipel")
        .await;
    let link = link_in(&mail, "register/confirm");
    b.goto(&link).await;
    b.screenshot("6-confirm").await;
    b.click("#confirm-submit").await;
    b.find("#confirmed").await;
    b.screenshot("7-confirmed").await;
    b.click("#to-sign-in").await;
    b.fill("#login", "jan.jansen").await;
    b.fill("#password", PW).await;
    b.click("form button[type=submit]").await;

    // Back on the activity, enrolled.
    b.find("#enrolled-notice").await;
    assert_eq!(
        b.path().await,
        "/t/archipel/activities/BHV-BASIS?done=enrolled"
    );
    b.find("#enrolled-BHV-BASIS-2027-03").await;
    b.screenshot("8-enrolled").await;
    assert_eq!(enrolled(&app, "jan.jansen").await, 1);
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r5_nordwerk_invitation_registration_approval_password_and_back_enrolled() {
    if skip_on_postgres() {
        return;
    }
    let sink = Sink::start();
    let app = start("nordwerk", &sink).await;
    const APPROVER_PW: &str = "Kiefer-Hafen-2931!";
    const PW: &str = "Sonnenblume-2027!";
    approver(
        &app,
        "oe.vertrieb",
        "ou_admin",
        "NW-VERTRIEB-NORD",
        APPROVER_PW,
    )
    .await;
    approver(&app, "oe.lager", "ou_admin", "NWL-HH-LAGER", APPROVER_PW).await;
    let b = Browser::open(&app, "portal-nordwerk").await;

    b.goto("/t/nordwerk/activities/ARBEITSSCHUTZ").await;
    b.screenshot("1-activity").await;
    b.click("#enroll-ARBEITSSCHUTZ-2027-04").await;
    // R1: the standard sign-in page with a "register" button below the form.
    b.find("a.button.secondary[href^='/t/nordwerk/register']")
        .await;
    assert!(b.all(".columns").await.is_empty());
    b.screenshot("2-login-standard").await;
    b.click("a.button.secondary[href^='/t/nordwerk/register']")
        .await;

    b.fill("#first_name", "Klara").await;
    b.fill("#last_name", "Schmidt").await;
    b.fill("#email", "klara.schmidt@vertrieb.nordwerk.de").await;
    b.fill("#login", "klara.schmidt").await;
    b.find("#organisation_unit")
        .await
        .select_by_value("NW-VERTRIEB-NORD")
        .await
        .expect("unit");
    b.click("#privacy_policy").await;
    answer_captcha(&b).await;
    b.screenshot("3-register-filled").await;
    b.click("#register-submit").await;
    assert_eq!(
        b.find("#next-step")
            .await
            .attr("data-step")
            .await
            .expect("ok")
            .as_deref(),
        Some("await_approval")
    );
    b.screenshot("4-thanks").await;

    // Only the approver of the registrant's unit is asked.
    work(&app).await;
    let ask = sink
        .mail("oe.vertrieb@nordwerk.de", "wartet auf Ihre Bestätigung")
        .await;
    let queue = link_in(&ask, "/backoffice/approvals");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let asked_other = std::fs::read_dir(sink.dir.path())
        .expect("ok")
        .filter_map(|e| std::fs::read_to_string(e.expect("ok").path()).ok())
        .any(|t| t.contains("To: oe.lager@nordwerk.de") && t.contains("wartet auf"));
    assert!(!asked_other, "an approver of another unit was asked");

    b.sign_in_backoffice("nordwerk", "oe.vertrieb", APPROVER_PW)
        .await;
    b.goto(&queue).await;
    b.find("#registration-klara\\.schmidt").await;
    b.screenshot("5-approval-queue").await;
    b.click("#approve-klara\\.schmidt").await;
    b.find("#decision-notice").await;
    b.screenshot("6-approved").await;
    b.sign_out().await;

    // The outcome and the set-password link through SMTP.
    work(&app).await;
    sink.mail("klara.schmidt@vertrieb.nordwerk.de", "wurde bestätigt")
        .await;
    let set = sink
        .mail("klara.schmidt@vertrieb.nordwerk.de", "Passwort")
        .await;
    b.goto(&link_in(&set, "password/set")).await;
    b.screenshot("7-set-password").await;
    b.fill("#new", PW).await;
    b.fill("#repeat", PW).await;
    b.click("form button[type=submit]").await;
    b.find("#login").await;
    // Days later, with no `next` in the URL: the start page sends her on (R5).
    b.fill("#login", "klara.schmidt").await;
    b.fill("#password", PW).await;
    b.click("form button[type=submit]").await;
    b.find("#enrolled-notice").await;
    assert_eq!(
        b.path().await,
        "/t/nordwerk/activities/ARBEITSSCHUTZ?done=enrolled"
    );
    b.screenshot("8-enrolled").await;
    assert_eq!(enrolled(&app, "klara.schmidt").await, 1);
    b.close().await;
}
