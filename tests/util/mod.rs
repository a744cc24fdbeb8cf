//! Test kit: a fresh database per test (SQLite file, or a new PostgreSQL database when
//! `ROSTER_TEST_DATABASE_URL` is set) and small descriptor builders.

use roster::store;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use tempfile::TempDir;

/// A migrated database that belongs to one test only.
pub struct TestDb {
    /// Connection pool to it.
    pub db: DatabaseConnection,
    /// Its URL, for commands run as separate processes.
    pub url: String,
    _dir: Option<TempDir>,
}

impl TestDb {
    /// A fresh, migrated database.
    pub async fn new() -> Self {
        let t = Self::empty().await;
        store::migrate(&t.db).await.expect("migrations run");
        t
    }

    /// A fresh database with no schema at all.
    pub async fn empty() -> Self {
        match std::env::var("ROSTER_TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let admin = store::connect(&admin_url)
                    .await
                    .expect("connect to PostgreSQL");
                let name = format!("roster_t_{}", uuid::Uuid::new_v4().simple());
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let url = replace_db_name(&admin_url, &name);
                let db = store::connect(&url)
                    .await
                    .expect("connect to test database");
                Self {
                    db,
                    url,
                    _dir: None,
                }
            }
            _ => {
                let dir = tempfile::tempdir().expect("tempdir");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
                let db = store::connect(&url).await.expect("open SQLite");
                Self {
                    db,
                    url,
                    _dir: Some(dir),
                }
            }
        }
    }
}

fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let prefix = match base.rfind('/') {
        Some(i) if i > "postgres://".len() => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

/// A small valid descriptor; tests edit it with string replacement.
pub const MINIMAL: &str = r#"slug: acme
name: Acme
default_language: en
languages: [en, nl]
catalogs:
  - code: MAIN
    name: Main catalog
  - code: SALES
    name: Sales
organisations:
  - code: ACME
    name: Acme Ltd
    departments:
      - code: D1
        name: Department one
      - code: D2
        name: Team two
        parent: D1
organisation_units:
  - code: ROOT
    name: Acme
  - code: EU
    name: Europe
    parent: ROOT
    sub_tenant: true
  - code: NL
    name: Netherlands
    parent: EU
roles:
  - code: admin
    name: Administrator
    administrator: true
    rights: [users, roles]
  - code: learner
    name: Learner
    kind: portal
    scope: self
user_groups:
  - code: G1
    name: Group one
enrollment_profiles:
  - code: P-1
    name: Profile one
imports:
  - code: POB
    name: Personal budget
    kind: personal_budget
    columns:
      - field: user_number
        header: Gebruikersnummer
        required: true
      - field: personal_budget
        header: Persoonlijk budget
registration:
  enabled: true
  flow: email_confirmation
  catalogs: [MAIN]
  allowed_domains: [acme.example, "*.acme.example"]
"#;

/// `yaml` without its top-level `key:` section (the key line and every indented line under it),
/// e.g. to apply a descriptor that no longer declares some objects (X9 hand-over).
pub fn without_section(yaml: &str, key: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in yaml.lines() {
        if line.starts_with(&format!("{key}:")) {
            skipping = true;
            continue;
        }
        if skipping && (line.starts_with(' ') || line.starts_with('-')) {
            continue;
        }
        skipping = false;
        out.push_str(line);
        out.push('\n');
    }
    out
}
