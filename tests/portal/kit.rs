//! Test kit of the portal tests: an app with tenant `acme` configured for registration (the
//! flow chosen per test), a memory mailer, the job queue drained on demand, and a tiny
//! browser that keeps the session cookie.

use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use roster::app::AppState;
use roster::config::{Settings, SettingsArgs};
use roster::domain::backoffice::{self, NewAccount, RoleGrant};
use roster::mail::{Mail, Mailer};
use roster::store::TenantId;
use roster::store::entity::{backoffice_accounts, jobs, users};
use roster::tenancy::{apply::apply, parse_descriptor};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
};
use tower::ServiceExt;
use uuid::Uuid;

use crate::util::TestDb;

/// The password every test account uses; it fits the policy below.
pub const PW: &str = "Correct horse 42";

/// Tenant `acme` with registration; `FLOW` and `LAYOUT` are replaced per test.
pub const DESCRIPTOR: &str = r#"slug: acme
name: Acme
default_language: en
languages: [en, nl, de]
catalogs:
  - code: MAIN
    name: Main catalog
organisations:
  - code: ACME
    name: Acme Ltd
  - code: EXT
    name: Externals
organisation_units:
  - code: ROOT
    name: Acme
  - code: NORTH
    name: North
    parent: ROOT
  - code: SOUTH
    name: South
    parent: ROOT
login:
  layout: LAYOUT
registration:
  enabled: true
  flow: FLOW
  approver_role: ou_admin
  allowed_domains: [acme.example, "*.partners.example"]
  catalogs: [MAIN]
  role: learner
  link_valid_hours: 48
  privacy_policy_url: https://acme.example/privacy
  fields:
    password: {enabled: PASSWORD, required: PASSWORD}
    phone: {enabled: true, required: false}
    gender: {enabled: true, required: false}
    birth_date: {enabled: true, required: false}
    organisation: {fixed: EXT}
    organisation_unit: {enabled: true, required: true}
    properties: {enabled: true, required: true, names: [Function]}
    newsletter: {enabled: true}
    captcha: {enabled: true, required: true}
    disclaimer: {enabled: true, required: true}
password_policy:
  min_length: 10
  require_letter: true
  require_digit: true
roles:
  - code: admin
    name: Administrator
    administrator: true
    rights: [users, learning_activities, approve_registrations]
  - code: ou_admin
    name: OU admin
    scope: own_ou
    rights: [users, approve_registrations]
  - code: learner
    name: Learner
    kind: portal
    scope: self
learning_activities:
  - code: SAFETY
    title: Safety basics
    catalog: MAIN
    description: Fire, first aid and evacuation.
    executions:
      - code: SAFETY-1
        title: Spring
        starts_at: 2027-03-01T09:00:00Z
        ends_at: 2027-03-01T16:00:00Z
        location: Room 1
        capacity: 2
      - code: SAFETY-2
        title: Online
        location: Online
"#;

/// A running app with tenant `acme`.
pub struct App {
    pub t: TestDb,
    pub state: AppState,
    pub router: Router,
    pub tenant: TenantId,
    pub mails: Arc<Mutex<Vec<Mail>>>,
}

impl App {
    /// `flow`: `immediate`, `email_confirmation` or `approval`; `password`: whether the form
    /// asks for one.
    pub async fn new(flow: &str, password: bool) -> Self {
        Self::with_descriptor(
            &DESCRIPTOR
                .replace("FLOW", flow)
                .replace("LAYOUT", "split")
                .replace("PASSWORD", if password { "true" } else { "false" }),
        )
        .await
    }

    pub async fn with_descriptor(text: &str) -> Self {
        let t = TestDb::new().await;
        let mut settings = Settings::resolve(&SettingsArgs::default()).expect("settings");
        settings.database_url = t.url.clone();
        let (mailer, mails) = Mailer::memory();
        let state = AppState::with_mailer(settings, t.db.clone(), mailer).expect("state");
        let d = parse_descriptor(Path::new("acme.yaml"), text).expect("descriptor");
        let tenant = apply(&t.db, &d).await.expect("apply").tenant;
        let router = state.router();
        Self {
            t,
            state,
            router,
            tenant,
            mails,
        }
    }

    pub fn browser(&self) -> Browser {
        Browser {
            router: self.router.clone(),
            cookie: None,
        }
    }

    /// Runs every queued job; every one must succeed.
    pub async fn drain(&self) {
        roster::jobs::worker::drain(&self.state)
            .await
            .expect("drain");
        let failed: Vec<_> = jobs::Entity::find()
            .filter(jobs::Column::LastError.is_not_null())
            .all(&self.t.db)
            .await
            .expect("jobs")
            .into_iter()
            .map(|j| (j.kind, j.last_error))
            .collect();
        assert!(failed.is_empty(), "failed jobs: {failed:?}");
    }

    /// The mails sent to `to` so far.
    pub fn mails_to(&self, to: &str) -> Vec<Mail> {
        self.mails
            .lock()
            .expect("ok")
            .iter()
            .filter(|m| m.to == to)
            .cloned()
            .collect()
    }

    /// A back-office account with `role` anchored at `unit`, an e-mail address and [`PW`].
    pub async fn account(&self, login: &str, role: &str, unit: Option<&str>) -> Uuid {
        let ctx = roster::authz::Permit::operator(self.tenant, "test");
        let a = backoffice::create(
            &self.t.db,
            &ctx,
            NewAccount {
                login: login.into(),
                first_name: "Approver".into(),
                last_name: login.into(),
                email: Some(format!("{login}@acme.example")),
                roles: vec![RoleGrant {
                    role: role.into(),
                    unit: unit.map(str::to_owned),
                }],
                all_catalogs: true,
                ..Default::default()
            },
        )
        .await
        .expect("create account");
        let row = self
            .tenant
            .find_by_id::<backoffice_accounts::Entity>(a.id)
            .one(&self.t.db)
            .await
            .expect("ok")
            .expect("ok");
        let mut am = row.into_active_model();
        am.password_hash = Set(Some(
            roster::auth::password::hash(PW.into()).await.expect("ok"),
        ));
        am.active = Set(true);
        am.must_change_password = Set(false);
        am.update(&self.t.db).await.expect("ok");
        a.id
    }

    /// The user with `login`.
    pub async fn user(&self, login: &str) -> users::Model {
        self.tenant
            .find::<users::Entity>()
            .filter(users::Column::Login.eq(login))
            .one(&self.t.db)
            .await
            .expect("ok")
            .unwrap_or_else(|| panic!("no user {login}"))
    }
}

/// The path (from `/t/`) of the first link in `text` that contains `needle`.
pub fn link_in(text: &str, needle: &str) -> String {
    let line = text
        .split_whitespace()
        .find(|w| w.contains(needle))
        .unwrap_or_else(|| panic!("no link with {needle} in {text}"));
    let at = line.find("/t/").expect("path");
    line[at..].to_owned()
}

/// One answer.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

/// Keeps the `roster_session` cookie between requests, like a browser.
pub struct Browser {
    router: Router,
    pub cookie: Option<String>,
}

pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Undoes the HTML escaping of attribute values (`&amp;`, `&#x2f;`, …).
pub fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&amp;", "&")
        .replace("&#x3d;", "=")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
}

impl Browser {
    async fn send(&mut self, mut builder: axum::http::request::Builder, body: Body) -> Resp {
        if let Some(c) = &self.cookie {
            builder = builder.header(header::COOKIE, format!("roster_session={c}"));
        }
        let response = self
            .router
            .clone()
            .oneshot(builder.body(body).expect("request"))
            .await
            .expect("response");
        let headers = response.headers().clone();
        if let Some(c) = headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
        {
            let value = c
                .strip_prefix("roster_session=")
                .and_then(|rest| rest.split(';').next())
                .unwrap_or_default();
            self.cookie = (!value.is_empty() && !c.contains("Max-Age=0")).then(|| value.to_owned());
        }
        let status = response.status();
        let location = headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        Resp {
            status,
            location,
            body: unescape(&String::from_utf8_lossy(&body)),
        }
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        self.send(Request::get(path), Body::empty()).await
    }

    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let builder =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        self.send(builder, Body::from(body)).await
    }

    /// Opens the registration form and answers its check question.
    pub async fn open_registration(&mut self, query: &str) -> (Resp, String) {
        let page = self.get(&format!("/t/acme/register{query}")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let answer = captcha_answer(&page.body);
        (page, answer)
    }

    /// Registers with `fields` (a valid set from [`valid_fields`], edited), answering the
    /// check question unless the fields carry their own answer.
    pub async fn register(&mut self, fields: &[(&str, &str)]) -> Resp {
        let (_, answer) = self.open_registration("").await;
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        if !all.iter().any(|(k, _)| *k == "captcha") {
            all.push(("captcha", &answer));
        }
        self.post_form("/t/acme/register", &all).await
    }
}

/// The answer to the check question on a registration page (`<span id="captcha-question">a + b</span>`).
pub fn captcha_answer(body: &str) -> String {
    let start = body.find("id=\"captcha-question\">").expect("captcha") + 22;
    let question = &body[start..start + body[start..].find('<').expect("ok")];
    let (a, b) = question.split_once(" + ").expect("a + b");
    (a.trim().parse::<u32>().expect("ok") + b.trim().parse::<u32>().expect("ok")).to_string()
}

/// A registration that passes every rule of [`DESCRIPTOR`].
pub fn valid_fields(login: &'static str, email: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("login", login),
        ("first_name", "Anna"),
        ("last_name", "de Vries"),
        ("email", email),
        ("password", PW),
        ("password_repeat", PW),
        ("phone", "+31 (0)20-123 4567"),
        ("birth_date", "1990-05-17"),
        ("gender", "female"),
        ("organisation_unit", "NORTH"),
        ("property.Function", "Nurse"),
        ("newsletter", "on"),
        ("disclaimer", "on"),
        ("privacy_policy", "on"),
        ("language", "nl"),
    ]
}
