//! Test kit of the authentication tests: an app with one applied tenant and a memory mailer,
//! accounts inserted directly, and a tiny browser that keeps the session cookie and can
//! pretend to come from a given address.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use chrono::Utc;
use http_body_util::BodyExt;
use roster::app::AppState;
use roster::auth::principal::PrincipalKind;
use roster::config::{Settings, SettingsArgs};
use roster::mail::{Mail, Mailer};
use roster::store::TenantId;
use roster::store::entity::{backoffice_accounts, users};
use roster::tenancy::{apply::apply, parse_descriptor};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::Value;
use tower::ServiceExt;
use uuid::Uuid;

use crate::util::{MINIMAL, TestDb};

/// The Redis URL of the Redis half of the tests, if any.
pub fn redis_url() -> Option<String> {
    std::env::var("ROSTER_TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// A running app with tenant `acme`.
pub struct App {
    pub t: TestDb,
    pub state: AppState,
    pub router: Router,
    pub tenant: TenantId,
    pub mails: Arc<Mutex<Vec<Mail>>>,
}

impl App {
    pub async fn new(redis: Option<String>) -> Self {
        Self::with(redis, |_| {}).await
    }

    /// An app whose settings `tweak` adjusts.
    pub async fn with(redis: Option<String>, tweak: impl FnOnce(&mut Settings)) -> Self {
        let t = TestDb::new().await;
        let mut settings = Settings::resolve(&SettingsArgs::default()).expect("settings");
        settings.database_url = t.url.clone();
        settings.redis_url = redis;
        tweak(&mut settings);
        let (mailer, mails) = Mailer::memory();
        let state = AppState::with_mailer(settings, t.db.clone(), mailer).expect("state");
        let d = parse_descriptor(Path::new("acme.yaml"), MINIMAL).expect("descriptor");
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

    /// Applies a second tenant, `beta`, and returns its slug.
    pub async fn second_tenant(&self) -> String {
        let text = MINIMAL.replace("slug: acme", "slug: beta");
        let d = parse_descriptor(Path::new("beta.yaml"), &text).expect("descriptor");
        apply(&self.t.db, &d).await.expect("apply");
        "beta".into()
    }

    pub fn browser(&self) -> Browser {
        Browser {
            router: self.router.clone(),
            cookie: None,
            peer: None,
            forwarded_for: None,
        }
    }

    /// An active portal user with `password`; `edit` adjusts the row before insertion.
    pub async fn user(
        &self,
        login: &str,
        password: &str,
        edit: impl FnOnce(&mut users::ActiveModel),
    ) -> Uuid {
        let now = Utc::now();
        let id = Uuid::now_v7();
        let mut row = users::ActiveModel {
            id: Set(id),
            tenant_id: Set(self.tenant.0),
            login: Set(login.into()),
            external_id_scope: Set(String::new()),
            first_name: Set("Test".into()),
            last_name: Set("User".into()),
            active: Set(true),
            password_hash: Set(Some(
                roster::auth::password::hash(password.into())
                    .await
                    .expect("hash"),
            )),
            must_change_password: Set(false),
            registration_state: Set("active".into()),
            self_registered: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        edit(&mut row);
        row.insert(&self.t.db).await.expect("insert user");
        id
    }

    /// An active back-office account with `password`.
    pub async fn backoffice(&self, login: &str, password: &str, must_change: bool) -> Uuid {
        let now = Utc::now();
        let id = Uuid::now_v7();
        backoffice_accounts::ActiveModel {
            id: Set(id),
            tenant_id: Set(self.tenant.0),
            login: Set(login.into()),
            first_name: Set("Back".into()),
            last_name: Set("Office".into()),
            email: Set(None),
            password_hash: Set(Some(
                roster::auth::password::hash(password.into())
                    .await
                    .expect("hash"),
            )),
            must_change_password: Set(must_change),
            is_administrator: Set(false),
            course_system_role: Set(None),
            all_catalogs: Set(false),
            active: Set(true),
            user_id: Set(None),
            language: Set(None),
            last_login_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&self.t.db)
        .await
        .expect("insert account");
        id
    }
}

/// One answer.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub location: Option<String>,
    pub set_cookie: Option<String>,
    pub content_type: String,
    pub headers: HeaderMap,
    pub body: String,
}

/// Keeps the `roster_session` cookie between requests, like a browser.
pub struct Browser {
    router: Router,
    pub cookie: Option<String>,
    pub peer: Option<SocketAddr>,
    pub forwarded_for: Option<String>,
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

impl Browser {
    async fn send(&mut self, mut builder: axum::http::request::Builder, body: Body) -> Resp {
        if let Some(c) = &self.cookie {
            builder = builder.header(header::COOKIE, format!("roster_session={c}"));
        }
        if let Some(f) = &self.forwarded_for {
            builder = builder.header("x-forwarded-for", f);
        }
        let mut request = builder.body(body).expect("request");
        if let Some(peer) = self.peer {
            request.extensions_mut().insert(ConnectInfo(peer));
        }
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("response");
        let headers = response.headers().clone();
        let text = |name: header::HeaderName| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let set_cookie = text(header::SET_COOKIE);
        if let Some(c) = &set_cookie {
            let value = c
                .strip_prefix("roster_session=")
                .and_then(|rest| rest.split(';').next())
                .unwrap_or_default();
            self.cookie = (!value.is_empty() && !c.contains("Max-Age=0")).then(|| value.to_owned());
        }
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        Resp {
            status,
            location: text(header::LOCATION),
            set_cookie,
            content_type: text(header::CONTENT_TYPE).unwrap_or_default(),
            headers,
            // minijinja escapes `/` in HTML; browsers read `&#x2f;` as `/`, and so do tests.
            body: String::from_utf8_lossy(&body).replace("&#x2f;", "/"),
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

    /// Posts a form with extra request headers (`Origin`, `Sec-Fetch-Site`, `Host`).
    pub async fn post_form_with(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Resp {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut builder =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        self.send(builder, Body::from(body)).await
    }

    pub async fn json(&mut self, method: Method, path: &str, body: Option<Value>) -> Resp {
        let builder = Request::builder().method(method).uri(path);
        match body {
            Some(v) => {
                let builder = builder.header(header::CONTENT_TYPE, "application/json");
                self.send(builder, Body::from(v.to_string())).await
            }
            None => self.send(builder, Body::empty()).await,
        }
    }

    /// Posts the sign-in form of tenant `acme`.
    pub async fn sign_in(
        &mut self,
        kind: PrincipalKind,
        login: &str,
        password: &str,
        next: Option<&str>,
    ) -> Resp {
        let path = match kind {
            PrincipalKind::Backoffice => "/t/acme/backoffice/login",
            PrincipalKind::User => "/t/acme/login",
        };
        let mut fields = vec![("login", login), ("password", password)];
        if let Some(n) = next {
            fields.push(("next", n));
        }
        self.post_form(path, &fields).await
    }

    /// `GET /api/v1/acme/session`.
    pub async fn whoami(&mut self) -> (StatusCode, Value) {
        let r = self.json(Method::GET, "/api/v1/acme/session", None).await;
        (
            r.status,
            serde_json::from_str(&r.body).unwrap_or(Value::Null),
        )
    }

    /// A form post announced by the browser as coming from another site.
    pub async fn cross_site_post(&mut self, path: &str) -> Resp {
        let builder = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("sec-fetch-site", "cross-site");
        self.send(builder, Body::from("login=a&password=b")).await
    }
}

/// `GET key` on the Redis at `url`.
pub async fn redis_get<T: redis::FromRedisValue>(url: &str, key: &str) -> T {
    let client = redis::Client::open(url).expect("client");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("connect");
    redis::cmd("GET")
        .arg(key)
        .query_async(&mut conn)
        .await
        .expect("GET")
}
