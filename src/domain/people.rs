//! Creating and editing portal users by administrators (U1–U3, U7, U9, U10), within the
//! actor's scope (B4, B5): the one home of these rules for the API and the back-office pages.
//!
//! - U1: every field rule, reported per field in one answer.
//! - U2: a taken login name answers with a free incremented suggestion; the login name is
//!   editable afterwards only where the tenant's `editable_login_name` switch is on.
//! - U3: generated user numbers; passwords generated (answered once), typed (with "must
//!   change at first login"), or — by default — a set-password link mailed through the queue.
//! - U7: a superior must hold the Superior role.
//! - Scope: a user may only be created in, or moved to, the actor's units and catalogs; after
//!   every write the user must still be inside the actor's scope, else nothing is written.
//!
//! Employments, budget and extended properties live in [`extras`]; reference resolving in
//! [`refs`]. Every change is audited (X3) on entity `user` with the changed fields only.

pub mod extras;
pub mod refs;

use crate::authz::grant::Holdings;
use crate::authz::{Permit, Right};
use std::collections::BTreeMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    IntoActiveModel, JoinType, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

pub use extras::{
    BudgetInput, BudgetView, EmploymentView, EndEmployment, NewEmployment, add_employment,
    employments, end_employment, set_budget, set_properties,
};

use self::refs::Problems;
use super::audit::{self, Change};
use super::users::{LoginName, PersonName, suggest_login, taken_logins, taken_with_prefixes};
use crate::authz::Scope;
use crate::error::{Error, FieldError};
use crate::store::TenantId;
use crate::store::entity::{
    catalogs, enrollment_profiles, organisation_units, organisations, role_assignments, roles,
    user_catalogs, user_enrollment_profiles, user_group_members, user_groups, users,
};

/// U3: how a new user gets a password.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PasswordMode {
    /// No password yet: a set-password link is mailed (the default).
    #[default]
    Link,
    /// Roster generates one and answers it once.
    Generate,
    /// The administrator typed one.
    Typed,
}

/// A new portal user as an administrator enters it (U1).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct NewUser {
    /// Required, up to 100 characters, unique system-wide (U2).
    pub login: String,
    /// Required, up to 50 characters.
    pub first_name: String,
    /// Required, up to 50 characters.
    pub last_name: String,
    /// Required; only `_ - . @` as special characters.
    pub email: String,
    /// Catalog codes; at least one when the tenant has catalogs.
    pub catalogs: Vec<String>,
    /// Up to 50.
    pub title: Option<String>,
    /// Up to 50.
    pub middle_name: Option<String>,
    /// OU code; required for an OU-scoped administrator.
    pub organisation_unit: Option<String>,
    /// Organisation code (U10).
    pub organisation: Option<String>,
    /// Up to 255.
    pub personnel_number: Option<String>,
    /// Up to 255.
    pub company_role: Option<String>,
    /// Up to 255.
    pub area: Option<String>,
    /// Up to 255 (free text; employments link real departments, U8).
    pub department: Option<String>,
    /// Up to 255.
    pub cost_centre: Option<String>,
    /// T3: unique within its namespace.
    pub external_id: Option<String>,
    /// Up to 255.
    pub data_field_01: Option<String>,
    /// Up to 255.
    pub data_field_02: Option<String>,
    /// Up to 255.
    pub data_field_03: Option<String>,
    /// One of the tenant's languages; mails go out in it.
    pub language: Option<String>,
    /// U7: id or login name of a user holding the Superior role.
    pub superior: Option<String>,
    /// Portal role codes.
    pub roles: Vec<String>,
    /// Privacy policy accepted (now).
    pub privacy_policy_accepted: bool,
    /// Default true.
    pub active: Option<bool>,
    /// Enrollment profile codes.
    pub enrollment_profiles: Vec<String>,
    /// User group codes (existing groups only).
    pub user_groups: Vec<String>,
    /// Unique within the tenant; generated when empty and asked for or switched on.
    pub user_number: Option<String>,
    /// U3: generate the user number.
    pub generate_user_number: bool,
    /// U3: how the password is set.
    pub password_mode: PasswordMode,
    /// The typed password (`password_mode: typed`).
    pub password: Option<String>,
    /// U3: must change at first login (default true for generated and typed passwords).
    pub must_change_password: Option<bool>,
    /// U9: personal budget.
    #[schema(default = json!(null))]
    pub budget: Option<BudgetInput>,
    /// U9: extended properties.
    pub properties: BTreeMap<String, String>,
}

/// A created user.
#[derive(Debug, Clone)]
pub struct Created {
    /// The stored user.
    pub user: users::Model,
    /// U3: the generated password, shown to the administrator this once.
    pub generated_password: Option<String>,
}

/// A change to a user: absent fields stay, `""` clears an optional text, lists replace.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct UserPatch {
    /// U2: only where the tenant enables editable login names.
    pub login: Option<String>,
    /// Up to 50.
    pub first_name: Option<String>,
    /// Up to 50.
    pub last_name: Option<String>,
    /// U1 e-mail (required: cannot be cleared).
    pub email: Option<String>,
    /// Up to 50.
    pub title: Option<String>,
    /// Up to 50.
    pub middle_name: Option<String>,
    /// OU code (within scope).
    pub organisation_unit: Option<String>,
    /// Organisation code.
    pub organisation: Option<String>,
    /// Up to 255.
    pub personnel_number: Option<String>,
    /// Up to 255.
    pub company_role: Option<String>,
    /// Up to 255.
    pub area: Option<String>,
    /// Up to 255.
    pub department: Option<String>,
    /// Up to 255.
    pub cost_centre: Option<String>,
    /// T3.
    pub external_id: Option<String>,
    /// Up to 255.
    pub data_field_01: Option<String>,
    /// Up to 255.
    pub data_field_02: Option<String>,
    /// Up to 255.
    pub data_field_03: Option<String>,
    /// One of the tenant's languages.
    pub language: Option<String>,
    /// U7: id or login of a superior; `""` clears.
    pub superior: Option<String>,
    /// Unique within the tenant; `""` clears.
    pub user_number: Option<String>,
    /// Catalog codes (replace).
    pub catalogs: Option<Vec<String>>,
    /// Portal role codes (replace).
    pub roles: Option<Vec<String>>,
    /// Enrollment profile codes (replace).
    pub enrollment_profiles: Option<Vec<String>>,
    /// User group codes (replace).
    pub user_groups: Option<Vec<String>>,
    /// Privacy policy accepted.
    pub privacy_policy_accepted: Option<bool>,
    /// U3/B6: must change the password at next login.
    pub must_change_password: Option<bool>,
}

/// A reference to an organisation (U10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OrganisationRef {
    /// Id.
    pub id: Uuid,
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
}

/// A reference to a user (the superior).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UserRef {
    /// Id.
    pub id: Uuid,
    /// Login name.
    pub login: String,
    /// First and last name.
    pub name: String,
}

/// Everything an edit form or the API shows of a user.
#[derive(Debug, Clone, Serialize)]
pub struct UserDetails {
    /// The row (never render `password_hash`).
    pub user: users::Model,
    /// OU code.
    pub organisation_unit: Option<String>,
    /// Organisation.
    pub organisation: Option<OrganisationRef>,
    /// U7.
    pub superior: Option<UserRef>,
    /// Catalog codes.
    pub catalogs: Vec<String>,
    /// Portal role codes.
    pub roles: Vec<String>,
    /// User group codes.
    pub user_groups: Vec<String>,
    /// Enrollment profile codes.
    pub enrollment_profiles: Vec<String>,
    /// U8.
    pub employments: Vec<EmploymentView>,
    /// U9.
    pub budget: Option<BudgetView>,
    /// U9.
    pub properties: BTreeMap<String, String>,
}

/// The code lists linked to a user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Links {
    catalogs: Vec<(Uuid, String)>,
    roles: Vec<(Uuid, String)>,
    groups: Vec<(Uuid, String)>,
    profiles: Vec<(Uuid, String)>,
}

fn codes_of(list: &[(Uuid, String)]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|(_, c)| c.clone()).collect();
    v.sort();
    v
}

async fn links<C: ConnectionTrait>(db: &C, tenant: TenantId, user: Uuid) -> crate::Result<Links> {
    let catalogs = tenant
        .find::<catalogs::Entity>()
        .join(
            JoinType::InnerJoin,
            user_catalogs::Relation::Catalog.def().rev(),
        )
        .filter(user_catalogs::Column::UserId.eq(user))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.code))
        .collect();
    let roles = tenant
        .find::<roles::Entity>()
        .join(
            JoinType::InnerJoin,
            role_assignments::Relation::Role.def().rev(),
        )
        .filter(role_assignments::Column::UserId.eq(user))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.code))
        .collect();
    let groups = tenant
        .find::<user_groups::Entity>()
        .join(
            JoinType::InnerJoin,
            user_group_members::Relation::UserGroup.def().rev(),
        )
        .filter(user_group_members::Column::UserId.eq(user))
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g.code))
        .collect();
    let profiles = tenant
        .find::<enrollment_profiles::Entity>()
        .join(
            JoinType::InnerJoin,
            user_enrollment_profiles::Relation::EnrollmentProfile
                .def()
                .rev(),
        )
        .filter(user_enrollment_profiles::Column::UserId.eq(user))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.code))
        .collect();
    Ok(Links {
        catalogs,
        roles,
        groups,
        profiles,
    })
}

/// The audited view of a user's own fields (no password hash, no timestamps).
fn snapshot(u: &users::Model, l: &Links) -> Map<String, Value> {
    let v = json!({
        "login": u.login,
        "user_number": u.user_number,
        "external_id": u.external_id,
        "first_name": u.first_name,
        "middle_name": u.middle_name,
        "last_name": u.last_name,
        "title": u.title,
        "email": u.email,
        "organisation_unit_id": u.organisation_unit_id,
        "personnel_number": u.personnel_number,
        "company_role": u.company_role,
        "organisation_id": u.organisation_id,
        "area": u.area,
        "department": u.department,
        "cost_centre": u.cost_centre,
        "data_field_01": u.data_field_01,
        "data_field_02": u.data_field_02,
        "data_field_03": u.data_field_03,
        "language": u.language,
        "superior_id": u.superior_id,
        "privacy_policy_accepted": u.privacy_policy_accepted_at.is_some(),
        "active": u.active,
        "must_change_password": u.must_change_password,
        "catalogs": codes_of(&l.catalogs),
        "roles": codes_of(&l.roles),
        "user_groups": codes_of(&l.groups),
        "enrollment_profiles": codes_of(&l.profiles),
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The keys whose values differ, as (before, after).
fn diff(
    before: &Map<String, Value>,
    after: &Map<String, Value>,
) -> (Map<String, Value>, Map<String, Value>) {
    let mut b = Map::new();
    let mut a = Map::new();
    for (k, v) in after {
        let old = before.get(k).cloned().unwrap_or(Value::Null);
        if old != *v {
            b.insert(k.clone(), old);
            a.insert(k.clone(), v.clone());
        }
    }
    (b, a)
}

/// U2: `None` when `login` is free; else the first free incremented name (`jdoe` → `jdoe2`).
pub async fn login_suggestion<C: ConnectionTrait>(
    db: &C,
    login: &str,
) -> crate::Result<Option<String>> {
    let taken = taken_with_prefixes(db, &[login.to_owned()]).await?;
    if !taken.contains(login) {
        return Ok(None);
    }
    Ok(Some(suggest_login(login, |s| taken.contains(s))))
}

fn login_taken(login: &str, suggestion: &str) -> Error {
    Error::Validation(vec![FieldError {
        field: "login".into(),
        message: format!("login name `{login}` is already taken; `{suggestion}` is free"),
    }])
}

/// U3: the next free numeric user number of the tenant (after the largest numeric one,
/// starting at 100001).
async fn next_user_number<C: ConnectionTrait>(db: &C, tenant: TenantId) -> crate::Result<String> {
    let numbers: Vec<Option<String>> = tenant
        .find::<users::Entity>()
        .select_only()
        .column(users::Column::UserNumber)
        .filter(users::Column::UserNumber.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    let max = numbers
        .iter()
        .flatten()
        .filter(|n| !n.is_empty() && n.len() <= 18 && n.bytes().all(|b| b.is_ascii_digit()))
        .filter_map(|n| n.parse::<u64>().ok())
        .max()
        .unwrap_or(100_000);
    Ok((max + 1).to_string())
}

async fn user_number_taken<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    number: &str,
    except: Option<Uuid>,
) -> crate::Result<bool> {
    let mut q = tenant
        .find::<users::Entity>()
        .filter(users::Column::UserNumber.eq(number));
    if let Some(id) = except {
        q = q.filter(users::Column::Id.ne(id));
    }
    Ok(q.one(db).await?.is_some())
}

/// T3: the external-id namespace of a user in `unit`: the nearest sub-tenant OU at or above
/// it, or `""` (tenant level).
async fn namespace<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    unit: Option<Uuid>,
) -> crate::Result<String> {
    let Some(unit) = unit else {
        return Ok(String::new());
    };
    let all: std::collections::HashMap<Uuid, organisation_units::Model> = tenant
        .find::<organisation_units::Entity>()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let mut current = Some(unit);
    let mut steps = 0;
    while let Some(id) = current {
        let Some(u) = all.get(&id) else { break };
        if u.is_sub_tenant {
            return Ok(id.to_string());
        }
        current = u.parent_id;
        steps += 1;
        if steps > all.len() {
            break;
        }
    }
    Ok(String::new())
}

async fn external_id_taken<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    namespace: &str,
    external_id: &str,
    except: Option<Uuid>,
) -> crate::Result<bool> {
    let mut q = tenant
        .find::<users::Entity>()
        .filter(users::Column::ExternalIdScope.eq(namespace))
        .filter(users::Column::ExternalId.eq(external_id));
    if let Some(id) = except {
        q = q.filter(users::Column::Id.ne(id));
    }
    Ok(q.one(db).await?.is_some())
}

fn password_problem_text(p: &crate::auth::recovery::PasswordProblem) -> String {
    use crate::auth::recovery::PasswordProblem as P;
    match p {
        P::TooShort { min } => format!("password must have at least {min} characters"),
        P::TooLong { max } => format!("password must have at most {max} characters"),
        P::NeedsLetter => "password needs a letter".into(),
        P::NeedsDigit => "password needs a digit".into(),
        P::NeedsSymbol => "password needs a character other than a letter or digit".into(),
        P::Mismatch => "the passwords differ".into(),
        P::SameAsCurrent => "password must differ from the current one".into(),
    }
}

async fn replace_links<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    user: Uuid,
    catalogs: Option<&[Uuid]>,
    groups: Option<&[Uuid]>,
    profiles: Option<&[Uuid]>,
    roles: Option<&[Uuid]>,
) -> crate::Result<()> {
    let now = Utc::now();
    if let Some(ids) = catalogs {
        tenant
            .delete_many::<user_catalogs::Entity>()
            .filter(user_catalogs::Column::UserId.eq(user))
            .exec(db)
            .await?;
        for id in ids {
            user_catalogs::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(tenant.0),
                user_id: Set(user),
                catalog_id: Set(*id),
                created_at: Set(now),
            }
            .insert(db)
            .await?;
        }
    }
    if let Some(ids) = groups {
        tenant
            .delete_many::<user_group_members::Entity>()
            .filter(user_group_members::Column::UserId.eq(user))
            .exec(db)
            .await?;
        for id in ids {
            user_group_members::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(tenant.0),
                user_group_id: Set(*id),
                user_id: Set(user),
                created_at: Set(now),
            }
            .insert(db)
            .await?;
        }
    }
    if let Some(ids) = profiles {
        tenant
            .delete_many::<user_enrollment_profiles::Entity>()
            .filter(user_enrollment_profiles::Column::UserId.eq(user))
            .exec(db)
            .await?;
        for id in ids {
            user_enrollment_profiles::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(tenant.0),
                user_id: Set(user),
                enrollment_profile_id: Set(*id),
                created_at: Set(now),
            }
            .insert(db)
            .await?;
        }
    }
    if let Some(ids) = roles {
        tenant
            .delete_many::<role_assignments::Entity>()
            .filter(role_assignments::Column::UserId.eq(user))
            .exec(db)
            .await?;
        for id in ids {
            role_assignments::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(tenant.0),
                role_id: Set(*id),
                user_id: Set(Some(user)),
                backoffice_account_id: Set(None),
                organisation_unit_id: Set(None),
                created_at: Set(now),
            }
            .insert(db)
            .await?;
        }
        crate::authz::enforcer::bump_version(db, tenant).await?;
    }
    Ok(())
}

/// B5: portal roles are granted under the same rule as back-office roles — only one who holds
/// each of a role's rights may give it (a customer administrator gives every role). Roles the
/// user holds already may stay.
async fn may_grant_portal_roles<C: ConnectionTrait>(
    db: &C,
    permit: &Permit,
    user: Option<Uuid>,
    ids: &[Uuid],
) -> crate::Result<()> {
    let tenant = permit.tenant();
    let held: Vec<Uuid> = match user {
        Some(user) => tenant
            .find::<role_assignments::Entity>()
            .filter(role_assignments::Column::UserId.eq(user))
            .all(db)
            .await?
            .into_iter()
            .map(|a| a.role_id)
            .collect(),
        None => Vec::new(),
    };
    let added: Vec<Uuid> = ids.iter().filter(|i| !held.contains(i)).copied().collect();
    if added.is_empty() || permit.is_operator() {
        return Ok(());
    }
    let grants: Vec<(roles::Model, Option<Uuid>)> = tenant
        .find::<roles::Entity>()
        .filter(roles::Column::Id.is_in(added))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r, None))
        .collect();
    Holdings::of(db, permit)
        .await?
        .check_roles(db, permit, &grants)
        .await
}

/// Refuses a write that would leave the user outside the actor's scope (B4/B5): the one
/// final check behind the specific messages given earlier.
async fn still_in_scope<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    scope: &Scope,
    user: Uuid,
) -> crate::Result<()> {
    let visible = tenant
        .find_by_id::<users::Entity>(user)
        .filter(scope.users_condition())
        .one(db)
        .await?
        .is_some();
    if visible {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "this change would place the user outside your scope".into(),
        ))
    }
}

fn opt(s: &Option<String>) -> Option<&str> {
    s.as_deref()
}

/// U1–U3: creates a portal user within the actor's scope.
pub async fn create(
    db: &DatabaseConnection,
    permit: &Permit,
    new: NewUser,
) -> crate::Result<Created> {
    let ctx = permit.ctx();
    let scope = &permit.scope(db, Right::Users).await?;
    if scope.superior.is_some() || scope.user.is_some() {
        return Err(Error::Forbidden("you may not create users".into()));
    }
    let tenant = ctx.tenant;
    let info = permit.tenant_context(db).await?;
    let mut p = Problems::default();
    let login = p.take("login", LoginName::parse(new.login.trim()));
    let first = p.take(
        "first_name",
        PersonName::parse(new.first_name.trim(), "first name"),
    );
    let last = p.take(
        "last_name",
        PersonName::parse(new.last_name.trim(), "last name"),
    );
    let email = refs::required_email(&mut p, &new.email);
    let mut texts: BTreeMap<&str, Option<String>> = BTreeMap::new();
    for (field, value) in [
        ("title", &new.title),
        ("middle_name", &new.middle_name),
        ("personnel_number", &new.personnel_number),
        ("company_role", &new.company_role),
        ("area", &new.area),
        ("department", &new.department),
        ("cost_centre", &new.cost_centre),
        ("data_field_01", &new.data_field_01),
        ("data_field_02", &new.data_field_02),
        ("data_field_03", &new.data_field_03),
    ] {
        let v = refs::optional_text(&mut p, field, opt(value), refs::text_limit(field));
        texts.insert(field, v);
    }
    let external_id = refs::external_id(&mut p, opt(&new.external_id));
    let language = refs::language(&mut p, &info, opt(&new.language));
    let user_number = refs::optional_text(&mut p, "user_number", opt(&new.user_number), 64);
    let unit = refs::unit(db, tenant, scope, &mut p, opt(&new.organisation_unit)).await?;
    let organisation =
        refs::organisation(db, tenant, &mut p, "organisation", opt(&new.organisation)).await?;
    let catalog_ids = refs::catalog_ids(db, tenant, scope, &mut p, &new.catalogs).await?;
    let group_ids = refs::group_ids(db, tenant, &mut p, &new.user_groups).await?;
    let profile_ids = refs::profile_ids(db, tenant, &mut p, &new.enrollment_profiles).await?;
    let role_ids = refs::role_ids(db, tenant, &mut p, &new.roles).await?;
    may_grant_portal_roles(db, permit, None, &role_ids).await?;
    let superior = refs::superior(db, &info, tenant, &mut p, opt(&new.superior), None).await?;
    refs::properties(&mut p, &new.properties);
    let budget = new
        .budget
        .as_ref()
        .and_then(|b| extras::parse_budget(&mut p, b));
    let (password, generated) = match new.password_mode {
        PasswordMode::Link => {
            if new.password.as_deref().is_some_and(|s| !s.is_empty()) {
                p.add(
                    "password",
                    "a typed password needs `password_mode: typed`; by default the user sets their own by link",
                );
            }
            (None, None)
        }
        PasswordMode::Generate => {
            let pw = crate::auth::password::generate(16);
            (Some(pw.clone()), Some(pw))
        }
        PasswordMode::Typed => match new.password.as_deref().filter(|s| !s.is_empty()) {
            None => {
                p.add("password", "password is required when it is typed");
                (None, None)
            }
            Some(pw) => {
                let policy = &info.settings.password_policy;
                for problem in crate::auth::recovery::check_policy(policy, pw, pw) {
                    p.add("password", password_problem_text(&problem));
                }
                (Some(pw.to_owned()), None)
            }
        },
    };
    p.into_result()?;
    let (Some(login), Some(first), Some(last), Some(email)) = (login, first, last, email) else {
        return Err(Error::Internal(anyhow::anyhow!("validated fields missing")));
    };
    let password_hash = match password {
        Some(pw) => Some(crate::auth::password::hash(pw).await?),
        None => None,
    };
    let must_change = match new.password_mode {
        PasswordMode::Link => false,
        _ => new.must_change_password.unwrap_or(true),
    };

    let txn = crate::store::begin_write(db).await?;
    super::quota::ensure_seats(&txn, tenant, 1).await?;
    let taken = taken_logins(&txn, &[login.as_str().to_owned()]).await?;
    if !taken.is_empty() {
        let s = login_suggestion(&txn, login.as_str())
            .await?
            .unwrap_or_default();
        return Err(login_taken(login.as_str(), &s));
    }
    let ns = namespace(&txn, tenant, unit).await?;
    if let Some(x) = &external_id
        && external_id_taken(&txn, tenant, &ns, x, None).await?
    {
        return Err(Error::Validation(vec![FieldError {
            field: "external_id".into(),
            message: format!("external id `{x}` is already used by another user"),
        }]));
    }
    let user_number = match user_number {
        Some(n) => {
            if user_number_taken(&txn, tenant, &n, None).await? {
                return Err(Error::Validation(vec![FieldError {
                    field: "user_number".into(),
                    message: format!("user number `{n}` is already used by another user"),
                }]));
            }
            Some(n)
        }
        None if new.generate_user_number || info.settings.features.generate_user_number => {
            Some(next_user_number(&txn, tenant).await?)
        }
        None => None,
    };
    let now = Utc::now();
    let id = Uuid::now_v7();
    let text = |k: &str| texts.get(k).cloned().flatten();
    let user = users::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant.0),
        login: Set(login.into_string()),
        user_number: Set(user_number),
        external_id: Set(external_id),
        external_id_scope: Set(ns),
        first_name: Set(first.into_string()),
        middle_name: Set(text("middle_name")),
        last_name: Set(last.into_string()),
        title: Set(text("title")),
        email: Set(Some(email)),
        organisation_unit_id: Set(unit),
        personnel_number: Set(text("personnel_number")),
        company_role: Set(text("company_role")),
        organisation_id: Set(organisation.map(|o| o.id)),
        area: Set(text("area")),
        department: Set(text("department")),
        cost_centre: Set(text("cost_centre")),
        data_field_01: Set(text("data_field_01")),
        data_field_02: Set(text("data_field_02")),
        data_field_03: Set(text("data_field_03")),
        language: Set(language),
        superior_id: Set(superior),
        privacy_policy_accepted_at: Set(new.privacy_policy_accepted.then_some(now)),
        active: Set(new.active.unwrap_or(true)),
        password_hash: Set(password_hash),
        must_change_password: Set(must_change),
        email_confirmed_at: Set(None),
        registration_state: Set("active".into()),
        self_registered: Set(false),
        registration_data: Set(None),
        last_login_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    replace_links(
        &txn,
        tenant,
        id,
        Some(&catalog_ids),
        Some(&group_ids),
        Some(&profile_ids),
        (!role_ids.is_empty()).then_some(role_ids.as_slice()),
    )
    .await?;
    still_in_scope(&txn, tenant, scope, id).await?;
    let l = links(&txn, tenant, id).await?;
    let mut after = snapshot(&user, &l);
    after.insert(
        "password".into(),
        json!(match new.password_mode {
            PasswordMode::Link => "set-password link mailed",
            PasswordMode::Generate => "generated",
            PasswordMode::Typed => "typed by administrator",
        }),
    );
    audit::record(
        &txn,
        ctx,
        Change {
            entity: "user",
            entity_id: Some(id),
            action: "create",
            before: None,
            after: Some(Value::Object(after)),
        },
    )
    .await?;
    if let Some(b) = budget {
        extras::write_budget(&txn, ctx, id, Some(b)).await?;
    }
    if !new.properties.is_empty() {
        extras::write_properties(&txn, ctx, id, &new.properties).await?;
    }
    if new.password_mode == PasswordMode::Link {
        super::users::queue_set_password_mails(&txn, tenant, &[id]).await?;
    }
    txn.commit().await?;
    if !role_ids.is_empty() {
        permit.policy_changed().await;
    }
    Ok(Created {
        user,
        generated_password: generated,
    })
}

/// Loads a user within scope on `db` (a transaction or the pool).
async fn in_scope<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    scope: &Scope,
    id: Uuid,
) -> crate::Result<users::Model> {
    tenant
        .find_by_id::<users::Entity>(id)
        .filter(scope.users_condition())
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("user".into()))
}

/// U1/U2/U7: updates a user within scope, auditing the fields that changed.
pub async fn update(
    db: &DatabaseConnection,
    permit: &Permit,
    id: Uuid,
    patch: UserPatch,
) -> crate::Result<users::Model> {
    let ctx = permit.ctx();
    let scope = &permit.scope(db, Right::Users).await?;
    let tenant = ctx.tenant;
    let info = permit.tenant_context(db).await?;
    let txn = crate::store::begin_write(db).await?;
    let user = in_scope(&txn, tenant, scope, id).await?;
    let before_links = links(&txn, tenant, id).await?;
    let before = snapshot(&user, &before_links);
    let mut p = Problems::default();
    let mut am = user.clone().into_active_model();

    if let Some(v) = patch.login.as_deref().map(str::trim)
        && v != user.login
    {
        if !info.settings.features.editable_login_name {
            p.add(
                "login",
                "login names cannot be changed in this tenant (editable_login_name is off)",
            );
        } else if let Some(l) = p.take("login", LoginName::parse(v)) {
            if !taken_logins(&txn, &[l.as_str().to_owned()])
                .await?
                .is_empty()
            {
                let s = login_suggestion(&txn, l.as_str())
                    .await?
                    .unwrap_or_default();
                p.add(
                    "login",
                    format!(
                        "login name `{}` is already taken; `{s}` is free",
                        l.as_str()
                    ),
                );
            } else {
                am.login = Set(l.into_string());
            }
        }
    }
    if let Some(v) = &patch.first_name
        && let Some(n) = p.take("first_name", PersonName::parse(v.trim(), "first name"))
    {
        am.first_name = Set(n.into_string());
    }
    if let Some(v) = &patch.last_name
        && let Some(n) = p.take("last_name", PersonName::parse(v.trim(), "last name"))
    {
        am.last_name = Set(n.into_string());
    }
    if let Some(v) = &patch.email
        && let Some(e) = refs::required_email(&mut p, v)
    {
        am.email = Set(Some(e));
    }
    macro_rules! text {
        ($($f:ident),*) => {$(
            if let Some(v) = &patch.$f {
                let field = stringify!($f);
                let t = refs::optional_text(&mut p, field, Some(v), refs::text_limit(field));
                if v.trim().is_empty() || t.is_some() {
                    am.$f = Set(t);
                }
            }
        )*};
    }
    text!(
        title,
        middle_name,
        personnel_number,
        company_role,
        area,
        department,
        cost_centre,
        data_field_01,
        data_field_02,
        data_field_03
    );
    if let Some(v) = &patch.language {
        let l = refs::language(&mut p, &info, Some(v));
        if v.trim().is_empty() || l.is_some() {
            am.language = Set(l);
        }
    }
    let mut unit = user.organisation_unit_id;
    if let Some(v) = &patch.organisation_unit {
        let u = refs::unit(&txn, tenant, scope, &mut p, Some(v)).await?;
        if v.trim().is_empty() || u.is_some() {
            unit = u;
            am.organisation_unit_id = Set(u);
        }
    }
    if let Some(v) = &patch.organisation {
        let o = refs::organisation(&txn, tenant, &mut p, "organisation", Some(v)).await?;
        if v.trim().is_empty() || o.is_some() {
            am.organisation_id = Set(o.map(|o| o.id));
        }
    }
    if let Some(v) = &patch.superior {
        let s = refs::superior(&txn, &info, tenant, &mut p, Some(v), Some(id)).await?;
        if v.trim().is_empty() || s.is_some() {
            am.superior_id = Set(s);
        }
    }
    let ns = namespace(&txn, tenant, unit).await?;
    let external_id = match &patch.external_id {
        Some(v) => refs::external_id(&mut p, Some(v)),
        None => user.external_id.clone(),
    };
    if let Some(x) = &external_id
        && (external_id != user.external_id || ns != user.external_id_scope)
        && external_id_taken(&txn, tenant, &ns, x, Some(id)).await?
    {
        p.add(
            "external_id",
            format!("external id `{x}` is already used by another user"),
        );
    }
    am.external_id = Set(external_id);
    am.external_id_scope = Set(ns);
    if let Some(v) = &patch.user_number {
        let n = refs::optional_text(&mut p, "user_number", Some(v), 64);
        if let Some(n) = &n
            && user_number_taken(&txn, tenant, n, Some(id)).await?
        {
            p.add(
                "user_number",
                format!("user number `{n}` is already used by another user"),
            );
        }
        am.user_number = Set(n);
    }
    if let Some(v) = patch.privacy_policy_accepted
        && v != user.privacy_policy_accepted_at.is_some()
    {
        am.privacy_policy_accepted_at = Set(v.then(Utc::now));
    }
    if let Some(v) = patch.must_change_password {
        am.must_change_password = Set(v);
    }
    let catalogs = match &patch.catalogs {
        Some(list) => Some(refs::catalog_ids(&txn, tenant, scope, &mut p, list).await?),
        None => None,
    };
    let groups = match &patch.user_groups {
        Some(list) => Some(refs::group_ids(&txn, tenant, &mut p, list).await?),
        None => None,
    };
    let profiles = match &patch.enrollment_profiles {
        Some(list) => Some(refs::profile_ids(&txn, tenant, &mut p, list).await?),
        None => None,
    };
    let roles = match &patch.roles {
        Some(list) => Some(refs::role_ids(&txn, tenant, &mut p, list).await?),
        None => None,
    };
    if let Some(ids) = &roles {
        may_grant_portal_roles(&txn, permit, Some(id), ids).await?;
    }
    p.into_result()?;

    let same_set = |new: &Option<Vec<Uuid>>, old: &[(Uuid, String)]| {
        new.as_ref().is_none_or(|n| {
            let mut a: Vec<Uuid> = n.clone();
            let mut b: Vec<Uuid> = old.iter().map(|(i, _)| *i).collect();
            a.sort();
            b.sort();
            a == b
        })
    };
    let roles_changed = !same_set(&roles, &before_links.roles);
    let changed_links = !(same_set(&catalogs, &before_links.catalogs)
        && same_set(&groups, &before_links.groups)
        && same_set(&profiles, &before_links.profiles)
        && same_set(&roles, &before_links.roles));
    let user = if am.is_changed() {
        am.updated_at = Set(Utc::now());
        am.update(&txn).await?
    } else {
        user
    };
    if changed_links {
        let keep = |new: Option<Vec<Uuid>>, old: &[(Uuid, String)]| {
            new.filter(|n| {
                let mut a = n.clone();
                let mut b: Vec<Uuid> = old.iter().map(|(i, _)| *i).collect();
                a.sort();
                b.sort();
                a != b
            })
        };
        let c = keep(catalogs, &before_links.catalogs);
        let g = keep(groups, &before_links.groups);
        let pr = keep(profiles, &before_links.profiles);
        let r = keep(roles, &before_links.roles);
        replace_links(
            &txn,
            tenant,
            id,
            c.as_deref(),
            g.as_deref(),
            pr.as_deref(),
            r.as_deref(),
        )
        .await?;
    }
    let after_links = if changed_links {
        links(&txn, tenant, id).await?
    } else {
        before_links
    };
    let (b, a) = diff(&before, &snapshot(&user, &after_links));
    if a.is_empty() {
        return Ok(user);
    }
    still_in_scope(&txn, tenant, scope, id).await?;
    audit::record(
        &txn,
        ctx,
        Change {
            entity: "user",
            entity_id: Some(id),
            action: "update",
            before: Some(Value::Object(b)),
            after: Some(Value::Object(a)),
        },
    )
    .await?;
    txn.commit().await?;
    if roles_changed {
        permit.policy_changed().await;
    }
    Ok(user)
}

/// Everything shown of a user within scope.
pub async fn details(
    db: &DatabaseConnection,
    permit: &Permit,
    id: Uuid,
) -> crate::Result<UserDetails> {
    let tenant = permit.tenant();
    let scope = &permit.scope(db, Right::Users).await?;
    let user = in_scope(db, tenant, scope, id).await?;
    let l = links(db, tenant, id).await?;
    let organisation_unit = match user.organisation_unit_id {
        Some(u) => tenant
            .find_by_id::<organisation_units::Entity>(u)
            .one(db)
            .await?
            .map(|u| u.code),
        None => None,
    };
    let organisation = match user.organisation_id {
        Some(o) => tenant
            .find_by_id::<organisations::Entity>(o)
            .one(db)
            .await?
            .map(|o| OrganisationRef {
                id: o.id,
                code: o.code,
                name: o.name,
            }),
        None => None,
    };
    let superior = match user.superior_id {
        Some(s) => tenant
            .find_by_id::<users::Entity>(s)
            .one(db)
            .await?
            .map(|s| UserRef {
                id: s.id,
                login: s.login,
                name: format!("{} {}", s.first_name, s.last_name),
            }),
        None => None,
    };
    let employments = extras::list_employments(db, tenant, id).await?;
    let budget = extras::budget_of(db, tenant, id).await?;
    let properties = extras::properties_of(db, tenant, id).await?;
    Ok(UserDetails {
        organisation_unit,
        organisation,
        superior,
        catalogs: codes_of(&l.catalogs),
        roles: codes_of(&l.roles),
        user_groups: codes_of(&l.groups),
        enrollment_profiles: codes_of(&l.profiles),
        employments,
        budget,
        properties,
        user,
    })
}

/// U3 "send account e-mail": queues a set-password mail for a user within scope. A user
/// without an e-mail address gets nothing, and the answer says so (422 on `email`).
pub async fn send_account_mail(
    db: &DatabaseConnection,
    permit: &Permit,
    id: Uuid,
) -> crate::Result<()> {
    let ctx = permit.ctx();
    let scope = &permit.scope(db, Right::Users).await?;
    let txn = crate::store::begin_write(db).await?;
    let user = in_scope(&txn, ctx.tenant, scope, id).await?;
    if user.email.as_deref().is_none_or(|e| e.trim().is_empty()) {
        return Err(Error::Validation(vec![FieldError {
            field: "email".into(),
            message: "the user has no e-mail address; add one before sending the account e-mail"
                .into(),
        }]));
    }
    crate::jobs::enqueue(
        &txn,
        crate::jobs::NewJob::now(
            ctx.tenant,
            super::users::SET_PASSWORD_JOB,
            json!({ "user_id": id }),
        ),
    )
    .await?;
    audit::record(
        &txn,
        ctx,
        Change {
            entity: "user",
            entity_id: Some(id),
            action: "send_account_mail",
            before: None,
            after: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// U10: organisations whose name or code contains `q` (at least three letters), by name.
pub async fn organisation_typeahead(
    db: &DatabaseConnection,
    permit: &Permit,
    q: &str,
    limit: u64,
) -> crate::Result<Vec<OrganisationRef>> {
    permit.require(Right::Users)?;
    let tenant = permit.tenant();
    use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
    let q = q.trim();
    if q.chars().count() < 3 {
        return Err(Error::Validation(vec![FieldError {
            field: "q".into(),
            message: "type at least three letters".into(),
        }]));
    }
    let pattern: String = q
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let like = |col: organisations::Column| {
        Expr::expr(Func::lower(Expr::col((organisations::Entity, col))))
            .like(LikeExpr::new(format!("%{pattern}%")).escape('\\'))
    };
    let rows = tenant
        .find::<organisations::Entity>()
        .filter(organisations::Column::Active.eq(true))
        .filter(
            sea_orm::Condition::any()
                .add(like(organisations::Column::Name))
                .add(like(organisations::Column::Code)),
        )
        .order_by_asc(organisations::Column::Name)
        .limit(limit.clamp(1, 50))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|o| OrganisationRef {
            id: o.id,
            code: o.code,
            name: o.name,
        })
        .collect())
}

/// Re-exported so callers need one import for user lists.
pub use super::user_directory::{Page, Query};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x3_diff_keeps_only_changed_fields() {
        let b = json!({"a": 1, "b": "x", "c": null});
        let a = json!({"a": 1, "b": "y", "c": "z"});
        let obj = |v: Value| match v {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        let (before, after) = diff(&obj(b), &obj(a));
        assert_eq!(Value::Object(before), json!({"b": "x", "c": null}));
        assert_eq!(Value::Object(after), json!({"b": "y", "c": "z"}));
    }
}
