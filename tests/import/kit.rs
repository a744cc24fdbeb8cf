//! Test kit of the import tests: a tenant applied from [`DESCRIPTOR`], imports run through
//! the library's front door (`import::run_now`, the same call `roster import` makes), and
//! small readers of what was stored.

use std::path::Path;
use std::sync::{Arc, Mutex};

use roster::app::AppState;
use roster::authz::scope::Scope;
use roster::config::{Settings, SettingsArgs};
use roster::domain::Ctx;
use roster::domain::users::{SET_PASSWORD_BATCH_JOB, SET_PASSWORD_JOB};
use roster::import::{Input, Layout, MemoryReport, Options, Outcome, Quiet, RowReport, Summary};
use roster::mail::{Mail, Mailer};
use roster::store::TenantId;
use roster::store::entity::{
    audit_events, jobs, role_assignments, user_enrollment_profiles, user_group_members, users,
};
use roster::tenancy::descriptor::ImportFormat;
use roster::tenancy::{apply::apply, parse_descriptor};
use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use crate::util::TestDb;

/// The tenant of the import tests: German-style (sub-tenant, superiors, groups, profiles,
/// quota) and Dutch-style (organisations with departments, POB / properties / HR imports).
pub const DESCRIPTOR: &str = r#"slug: acme
name: Acme
default_language: de
languages: [de, en, nl]
user_quota: 50
features:
  editable_login_name: false
  auto_end_old_employments: true
catalogs:
  - code: MAIN
    name: Main catalog
organisations:
  - code: ACME
    name: Acme Ltd
    departments:
      - code: D1
        name: Department one
      - code: D2
        name: Team two
        parent: D1
  - code: OTHER
    name: Other Ltd
    departments:
      - code: O1
        name: Other one
organisation_units:
  - code: ROOT
    name: Acme
  - code: HR
    name: Human resources
    parent: ROOT
  - code: SUB
    name: Subsidiary
    parent: ROOT
    sub_tenant: true
  - code: SUB-A
    name: Subsidiary A
    parent: SUB
roles:
  - code: admin
    name: Administrator
    administrator: true
    rights: [users, imports, export]
  - code: learner
    name: Learner
    kind: portal
    scope: self
  - code: superior
    name: Superior
    kind: portal
    scope: assigned_learners
    rights: [reports]
user_groups:
  - code: G1
    name: Group one
  - code: G2
    name: Group two
enrollment_profiles:
  - code: DS-KR-001-DE
    name: Datenschutz
  - code: DS-COC-001-EN
    name: Code of conduct
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
        required: true
  - code: PROPS
    name: Extended properties
    kind: extended_properties
    header: false
    columns:
      - field: personnel_number
        column: A
        required: true
      - field: property_name
        column: B
        required: true
      - field: property_value
        column: C
        required: true
  - code: HR
    name: HR import
    kind: hr
    columns:
      - field: personnel_number
        column: A
        required: true
      - field: first_name
        column: B
        required: true
      - field: last_name
        column: C
        required: true
      - field: email
        column: D
      - field: organisation_code
        column: E
        required: true
      - field: department_code
        column: F
        required: true
      - field: department_name
        column: G
      - field: job_title
        column: H
      - field: employment_start
        column: I
      - field: employment_end
        column: J
      - field: parent_department_code
        column: AE
  - code: COMMA
    name: Comma-separated users
    kind: users
    delimiter: ","
    columns:
      - field: external_id
        header: id
      - field: first_name
        header: first
        required: true
      - field: last_name
        header: last
        required: true
      - field: email
        header: mail
        required: true
      - field: user_number
        header: number
"#;

/// The standard header line.
pub const HEADER: &str = "Uid;ExternalId;FirstName;LastName;Email;Password;Title;MiddleName;OrganisationUnit;PersonnelNumber;CompanyRole;Organisation;Area;Department;CostCentre;UserGroups;DataField01;DataField02;DataField03;Language;Superior;SuperiorExternalId;Active;EnrollmentProfiles";

/// A standard row with `ExternalId`, names and e-mail set and the rest empty.
pub fn std_row(ext: &str, first: &str, last: &str, email: &str) -> String {
    format!(";{ext};{first};{last};{email};;;;;;;;;;;;;;;;;;;")
}

/// A CSV file from a header and rows, LF-separated.
pub fn csv(header: &str, rows: &[&str]) -> String {
    let mut s = String::from(header);
    for r in rows {
        s.push('\n');
        s.push_str(r);
    }
    s.push('\n');
    s
}

/// One test's database with tenant `acme` applied.
pub struct Kit {
    pub t: TestDb,
    pub tenant: TenantId,
    pub ctx: Ctx,
}

/// Another tenant in the same database.
pub struct Other<'k> {
    kit: &'k Kit,
    ctx: Ctx,
}

impl Other<'_> {
    /// The operator's context in this tenant.
    pub fn ctx(&self) -> &Ctx {
        &self.ctx
    }

    /// Runs the standard CSV format in this tenant.
    pub async fn import(&self, text: &str) -> Run {
        self.kit
            .run_as(&self.ctx, text.as_bytes(), None, None, Options::default())
            .await
    }
}

/// The result of an import.
pub struct Run {
    pub summary: Summary,
    pub rows: Vec<RowReport>,
}

impl Run {
    /// The report row of file line `line`.
    pub fn line(&self, line: u64) -> &RowReport {
        self.rows
            .iter()
            .find(|r| r.line == line)
            .unwrap_or_else(|| panic!("no report for line {line}: {:#?}", self.rows))
    }

    /// The outcomes, in file order.
    pub fn outcomes(&self) -> Vec<Outcome> {
        self.rows.iter().map(|r| r.outcome).collect()
    }

    /// The message of line `line`.
    pub fn message(&self, line: u64) -> String {
        self.line(line).message.clone().unwrap_or_default()
    }

    /// Asserts the file was rejected and returns why.
    pub fn rejection(&self) -> String {
        self.summary
            .rejected
            .clone()
            .unwrap_or_else(|| panic!("not rejected: {:#?}", self.rows))
    }
}

impl Kit {
    /// The operator's permit in this tenant.
    pub fn permit(&self) -> roster::authz::Permit {
        roster::authz::Permit::operator(self.tenant, "tester")
    }

    pub async fn new() -> Self {
        Self::with(DESCRIPTOR).await
    }

    pub async fn with(descriptor: &str) -> Self {
        let t = TestDb::new().await;
        let d = parse_descriptor(Path::new("acme.yaml"), descriptor).expect("descriptor");
        let tenant = apply(&t.db, &d).await.expect("apply").tenant;
        let ctx = Ctx::operator(tenant, "tester");
        Self { t, tenant, ctx }
    }

    /// Runs the standard CSV format.
    pub async fn import(&self, text: &str) -> Run {
        self.run(text.as_bytes(), None, None, Options::default())
            .await
    }

    /// Simulates the standard CSV format.
    pub async fn simulate(&self, text: &str) -> Run {
        let options = Options {
            simulate: true,
            ..Options::default()
        };
        self.run(text.as_bytes(), None, None, options).await
    }

    /// Applies the same descriptor as tenant `slug` in this database.
    pub async fn other_tenant(&self, slug: &str) -> Other<'_> {
        let text = DESCRIPTOR.replace("slug: acme", &format!("slug: {slug}"));
        let d = parse_descriptor(Path::new(&format!("{slug}.yaml")), &text).expect("descriptor");
        let tenant = apply(&self.t.db, &d).await.expect("apply").tenant;
        Other {
            kit: self,
            ctx: Ctx::operator(tenant, "tester"),
        }
    }

    /// Runs configuration `config` (or the standard format) in `format`.
    pub async fn run(
        &self,
        bytes: &[u8],
        config: Option<&str>,
        format: Option<ImportFormat>,
        options: Options,
    ) -> Run {
        let ctx = self.ctx.clone();
        self.run_as(&ctx, bytes, config, format, options).await
    }

    async fn run_as(
        &self,
        ctx: &Ctx,
        bytes: &[u8],
        config: Option<&str>,
        format: Option<ImportFormat>,
        options: Options,
    ) -> Run {
        let layout = Layout::load(&self.t.db, ctx.tenant, config, format)
            .await
            .expect("layout");
        let mut report = MemoryReport::default();
        let summary = roster::import::run_now(
            &self.t.db,
            ctx,
            &Input::Bytes(bytes.to_vec().into()),
            &layout,
            &options,
            "test.csv",
            &mut report,
            &Quiet,
        )
        .await
        .expect("import runs");
        Run {
            summary,
            rows: report.rows,
        }
    }

    /// Runs with a scope other than the whole tenant.
    pub async fn import_scoped(&self, text: &str, scope: Scope) -> Run {
        let options = Options {
            scope,
            ..Options::default()
        };
        self.run(text.as_bytes(), None, None, options).await
    }

    /// The user with login `login`.
    pub async fn user(&self, login: &str) -> users::Model {
        self.find(login)
            .await
            .unwrap_or_else(|| panic!("no user `{login}`"))
    }

    /// The user with login `login`, if any.
    pub async fn find(&self, login: &str) -> Option<users::Model> {
        self.tenant
            .find::<users::Entity>()
            .filter(users::Column::Login.eq(login))
            .one(&self.t.db)
            .await
            .expect("query")
    }

    /// The user with external id `ext`.
    pub async fn by_ext(&self, ext: &str) -> users::Model {
        self.tenant
            .find::<users::Entity>()
            .filter(users::Column::ExternalId.eq(ext))
            .one(&self.t.db)
            .await
            .expect("query")
            .unwrap_or_else(|| panic!("no user with external id `{ext}`"))
    }

    /// How many users the tenant has.
    pub async fn users(&self) -> u64 {
        self.tenant
            .find::<users::Entity>()
            .count(&self.t.db)
            .await
            .expect("count")
    }

    /// Codes of the groups of `user`.
    pub async fn groups_of(&self, user: Uuid) -> usize {
        self.tenant
            .find::<user_group_members::Entity>()
            .filter(user_group_members::Column::UserId.eq(user))
            .count(&self.t.db)
            .await
            .expect("count") as usize
    }

    /// How many enrollment profiles `user` has.
    pub async fn profiles_of(&self, user: Uuid) -> usize {
        self.tenant
            .find::<user_enrollment_profiles::Entity>()
            .filter(user_enrollment_profiles::Column::UserId.eq(user))
            .count(&self.t.db)
            .await
            .expect("count") as usize
    }

    /// How many roles `user` holds.
    pub async fn roles_of(&self, user: Uuid) -> usize {
        self.tenant
            .find::<role_assignments::Entity>()
            .filter(role_assignments::Column::UserId.eq(user))
            .count(&self.t.db)
            .await
            .expect("count") as usize
    }

    /// Jobs of `kind`.
    pub async fn jobs(&self, kind: &str) -> Vec<jobs::Model> {
        self.tenant
            .find::<jobs::Entity>()
            .filter(jobs::Column::Kind.eq(kind))
            .all(&self.t.db)
            .await
            .expect("jobs")
    }

    /// The users named by queued set-password mails, one entry per mention: a
    /// `mail.set_password` job names one, a `mail.set_password_batch` job many.
    pub async fn set_password_mail_users(&self) -> Vec<Uuid> {
        let id = |v: &serde_json::Value| {
            v.as_str()
                .and_then(|s| s.parse::<Uuid>().ok())
                .unwrap_or_else(|| panic!("not a user id: {v}"))
        };
        let mut out: Vec<Uuid> = self
            .jobs(SET_PASSWORD_JOB)
            .await
            .iter()
            .map(|j| id(&j.payload["user_id"]))
            .collect();
        for j in self.jobs(SET_PASSWORD_BATCH_JOB).await {
            let ids = j.payload["user_ids"].as_array().expect("user_ids");
            out.extend(ids.iter().map(id));
        }
        out
    }

    /// Audit events about users.
    pub async fn audits(&self) -> Vec<audit_events::Model> {
        self.tenant
            .find::<audit_events::Entity>()
            .filter(audit_events::Column::Entity.eq("user"))
            .all(&self.t.db)
            .await
            .expect("audit")
    }

    /// An app on this database with a memory mailer (staged imports, mails).
    #[allow(dead_code)] // for staged-import tests driven through the worker
    pub fn app(&self) -> (AppState, Arc<Mutex<Vec<Mail>>>) {
        let mut settings = Settings::resolve(&SettingsArgs::default()).expect("settings");
        settings.database_url = self.t.url.clone();
        let (mailer, mails) = Mailer::memory();
        let state = AppState::with_mailer(settings, self.t.db.clone(), mailer).expect("state");
        (state, mails)
    }
}

/// Every table of user data, row counts, for comparing end states.
pub async fn fingerprint(
    db: &sea_orm::DatabaseConnection,
    tenant: TenantId,
) -> Vec<(String, Vec<String>)> {
    use roster::store::entity::{extended_properties, personal_budgets, user_catalogs};
    let users: Vec<String> = tenant
        .find::<users::Entity>()
        .all(db)
        .await
        .expect("users")
        .into_iter()
        .map(|u| {
            format!(
                "{}|{:?}|{}|{}|{:?}|{:?}|{}|{}",
                u.login,
                u.external_id,
                u.first_name,
                u.last_name,
                u.email,
                u.title,
                u.active,
                u.superior_id.is_some()
            )
        })
        .collect();
    let mut out = vec![("users".to_owned(), users)];
    let counts = [
        tenant
            .find::<user_catalogs::Entity>()
            .count(db)
            .await
            .expect("count"),
        tenant
            .find::<user_group_members::Entity>()
            .count(db)
            .await
            .expect("count"),
        tenant
            .find::<user_enrollment_profiles::Entity>()
            .count(db)
            .await
            .expect("count"),
        tenant
            .find::<role_assignments::Entity>()
            .count(db)
            .await
            .expect("count"),
        tenant
            .find::<personal_budgets::Entity>()
            .count(db)
            .await
            .expect("count"),
        tenant
            .find::<extended_properties::Entity>()
            .count(db)
            .await
            .expect("count"),
    ];
    out.push((
        "relations".into(),
        counts.iter().map(u64::to_string).collect(),
    ));
    for (_, v) in &mut out {
        v.sort();
    }
    out
}
