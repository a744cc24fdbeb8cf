//! Browser tests: the real app on a free port, driven through Debian's `chromium` by
//! `chromedriver` (fantoccini). The harness:
//!
//! - [`App::start`]: a fresh test database with a descriptor applied (the `authz::world` kit, so
//!   `app.w.admin(…)` / `app.w.user(…)` make accounts), served over real HTTP on 127.0.0.1;
//! - [`Browser::open`]: chromedriver on a free port and a headless Chromium session; the
//!   driver process is killed when the `Browser` is dropped;
//! - [`Browser::screenshot`]: a PNG under `target/screenshots/`;
//! - [`Browser::sign_in_backoffice`] / [`Browser::sign_in_portal`] and small finders.
//!
//! Browser tests test pages, not storage: each one returns early when
//! `ROSTER_TEST_DATABASE_URL` is set (the PostgreSQL pass of CI), see [`skip_on_postgres`].
//! Without chromedriver they fail loudly — `.ci/run` installs it.

mod backoffice;
mod portal;

use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use roster::app::AppState;
use roster::config::{Settings, SettingsArgs};
use roster::mail::Mailer;
use roster::store::entity::backoffice_accounts;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::json;
use uuid::Uuid;

use crate::authz::{World, world};

/// Where chromedriver and Chromium are (Debian packages `chromium-driver` and `chromium`).
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The browser binary.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Browser tests run in the SQLite pass only: they test pages, not storage.
pub fn skip_on_postgres() -> bool {
    std::env::var("ROSTER_TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty())
}

/// A free TCP port on 127.0.0.1.
fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The app, served over HTTP.
pub struct App {
    /// The tenant kit: database, accounts, units, catalogs.
    pub w: World,
    /// The state serving requests.
    pub state: AppState,
    /// `http://127.0.0.1:{port}`.
    pub url: String,
    server: tokio::task::JoinHandle<()>,
}

impl App {
    /// Applies `descriptor` to a fresh database and serves the app on a free port.
    pub async fn start(descriptor: &str) -> Self {
        let w = world(descriptor).await;
        let mut settings = Settings::resolve(&SettingsArgs::default()).expect("settings");
        settings.database_url = w.t.url.clone();
        settings.redis_url = None;
        // Plain HTTP on 127.0.0.1.
        settings.auth.secure_cookies = false;
        let (mailer, _) = Mailer::memory();
        let state = AppState::with_mailer(settings, w.t.db.clone(), mailer).expect("state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let router = state.router();
        let server = tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .expect("serve");
        });
        Self {
            w,
            state,
            url: format!("http://{addr}"),
            server,
        }
    }

    /// A back-office account with `role` anchored at `unit`, every catalog, and `password`.
    pub async fn admin(&self, login: &str, role: &str, unit: Option<&str>, password: &str) -> Uuid {
        let (id, _) = self.w.admin(login, role, unit, None).await;
        let account = backoffice_accounts::Entity::find_by_id(id)
            .one(&self.w.t.db)
            .await
            .expect("read")
            .expect("account");
        let mut am: backoffice_accounts::ActiveModel = account.into();
        am.password_hash = Set(Some(
            roster::auth::password::hash(password.into())
                .await
                .expect("hash"),
        ));
        am.update(&self.w.t.db).await.expect("password");
        id
    }
}

impl Drop for App {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A chromedriver process, killed on drop.
struct Driver {
    child: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A headless Chromium session on one app.
pub struct Browser {
    /// The WebDriver client, for anything the helpers below do not cover.
    pub client: Client,
    base: String,
    prefix: String,
    _driver: Driver,
}

impl Browser {
    /// Starts chromedriver and Chromium for `app`; `prefix` names this test's screenshots.
    pub async fn open(app: &App, prefix: &str) -> Self {
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists(),
            "{CHROMEDRIVER} is missing: install the Debian packages `chromium` and \
             `chromium-driver` (.ci/run does)"
        );
        let port = free_port();
        let profile = tempfile::tempdir().expect("profile dir");
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let driver = Driver {
            child,
            _profile: profile,
        };
        let webdriver = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let caps = json!({
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--window-size=1280,1000",
                    format!("--user-data-dir={}", driver._profile.path().display()),
                ],
            }
        });
        let caps = caps.as_object().cloned().expect("object");
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&webdriver)
            .await
            .expect("a Chromium session");
        Self {
            client,
            base: app.url.clone(),
            prefix: prefix.to_owned(),
            _driver: driver,
        }
    }

    /// Opens `path` of the app.
    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .expect("navigate");
    }

    /// The path (and query) of the current page.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// The path once `ready` holds for it, waiting up to [`WAIT`] for a click's navigation
    /// to land (a click can return before the next page has loaded); the last path seen
    /// otherwise, for the caller's assertion to report.
    pub async fn path_when(&self, ready: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            let path = self.path().await;
            if ready(&path) || std::time::Instant::now() > deadline {
                return path;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The element `css`, waiting for it up to [`WAIT`].
    pub async fn find(&self, css: &str) -> Element {
        let found = self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await;
        match found {
            Ok(e) => e,
            Err(e) => panic!("no `{css}` on {}: {e}", self.path().await),
        }
    }

    /// Every element `css` now on the page.
    pub async fn all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .expect("find_all")
    }

    /// The visible text of `css`. An element replaced while it is read (the page changed
    /// under it: a navigation or a re-render) is looked up again.
    pub async fn text(&self, css: &str) -> String {
        for _ in 0..50 {
            match self.find(css).await.text().await {
                Ok(text) => return text,
                Err(e) if stale(&e) => tokio::time::sleep(Duration::from_millis(100)).await,
                Err(e) => panic!("text of `{css}`: {e}"),
            }
        }
        panic!("`{css}` kept being replaced while read")
    }

    /// The visible text of `css` once `ready` holds for it (a click's next page may not have
    /// replaced the current one yet), waiting up to [`WAIT`]; the last text otherwise, for the
    /// caller's assertion to report.
    pub async fn text_when(&self, css: &str, ready: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            let text = self.text(css).await;
            if ready(&text) || std::time::Instant::now() > deadline {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The whole page's visible text.
    pub async fn page_text(&self) -> String {
        self.text("body").await
    }

    /// Replaces the value of the field `css` with `value`.
    pub async fn fill(&self, css: &str, value: &str) {
        let e = self.find(css).await;
        e.clear().await.expect("clear");
        e.send_keys(value).await.expect("type");
    }

    /// Clicks `css` (a link or a submit button follows through to the next page); an element
    /// replaced before the click lands is looked up again.
    pub async fn click(&self, css: &str) {
        for _ in 0..50 {
            match self.find(css).await.click().await {
                Ok(_) => return,
                Err(e) if stale(&e) => tokio::time::sleep(Duration::from_millis(100)).await,
                Err(e) => panic!("click `{css}`: {e}"),
            }
        }
        panic!("`{css}` kept being replaced before the click")
    }

    /// Saves a PNG of the window as `target/screenshots/{prefix}-{name}.png`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{}-{name}.png", self.prefix));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// Waits for the answer (another page, or the refusal on the form) before returning: a
    /// navigation started while the post is in flight would cancel it in the browser, cookie
    /// and all.
    async fn sign_in(&self, path: &str, login: &str, password: &str) {
        self.goto(path).await;
        self.fill("#login", login).await;
        self.fill("#password", password).await;
        self.click("form button[type=submit]").await;
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if self.path().await != path
                || self
                    .client
                    .find(Locator::Css("#signin-error"))
                    .await
                    .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Signs in to the back office of `slug`.
    pub async fn sign_in_backoffice(&self, slug: &str, login: &str, password: &str) {
        self.sign_in(&format!("/t/{slug}/backoffice/login"), login, password)
            .await;
    }

    /// Signs in to the portal of `slug`.
    pub async fn sign_in_portal(&self, slug: &str, login: &str, password: &str) {
        self.sign_in(&format!("/t/{slug}/login"), login, password)
            .await;
    }

    /// Ends the session (the sign-out button of every signed-in page).
    pub async fn sign_out(&self) {
        self.click("header form button[type=submit]").await;
    }

    /// Closes the browser session (the driver stops on drop).
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

/// The element was replaced after it was found (WebDriver "stale element reference", or "no
/// such element" for a node the next page removed).
fn stale(e: &fantoccini::error::CmdError) -> bool {
    use fantoccini::error::{CmdError, ErrorStatus};
    matches!(
        e,
        CmdError::Standard(w)
            if matches!(w.error, ErrorStatus::StaleElementReference | ErrorStatus::NoSuchElement)
    )
}

/// How long a page may take to show what a test waits for: generous, because CI runs the
/// browsers next to the rest of the suite on two cores (only a failing test waits this long).
const WAIT: Duration = Duration::from_secs(30);
