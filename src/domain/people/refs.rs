//! The pieces of a user form that name other things (OU, organisation, catalogs, groups,
//! enrollment profiles, roles, superior), resolved against the tenant and checked against the
//! actor's scope, and the field checks shared by create and update. Every problem becomes a
//! [`FieldError`] named after the input field, so one answer lists them all.

use std::collections::{BTreeMap, HashMap, HashSet};

use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};
use uuid::Uuid;

use crate::authz::Scope;
use crate::domain::users::{Email, ExternalId, FieldProblem, NAME_MAX, TEXT_MAX, bounded};
use crate::error::FieldError;
use crate::store::TenantId;
use crate::store::entity::{
    catalogs, enrollment_profiles, organisation_units, organisations, role_assignments, roles,
    user_groups, users,
};
use crate::tenancy::Tenant;

/// Most characters of an extended property's name (U9).
pub const PROPERTY_NAME_MAX: usize = 100;
/// Most characters of an extended property's value (U9).
pub const PROPERTY_VALUE_MAX: usize = 1000;

/// Collects per-field problems.
#[derive(Debug, Default)]
pub struct Problems(pub Vec<FieldError>);

impl Problems {
    /// Adds a problem with `field`.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// `Err(Validation)` when any problem was found.
    pub fn into_result(self) -> crate::Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(crate::Error::Validation(self.0))
        }
    }

    /// Keeps `r`'s value, or records its problem under `field`.
    pub fn take<T>(&mut self, field: &str, r: Result<T, FieldProblem>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(p) => {
                self.add(field, p.0);
                None
            }
        }
    }
}

/// An optional text field: `None`/blank → `None`; otherwise checked against `max` (U1).
pub fn optional_text(
    p: &mut Problems,
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Option<String> {
    let v = value.map(str::trim).filter(|v| !v.is_empty())?;
    p.take(field, bounded(v, max, &field.replace('_', " ")))
}

/// The U1 limit of each optional free-text field of a user.
pub fn text_limit(field: &str) -> usize {
    match field {
        "title" | "middle_name" => NAME_MAX,
        _ => TEXT_MAX,
    }
}

/// U1: a required e-mail address.
pub fn required_email(p: &mut Problems, value: &str) -> Option<String> {
    let v = value.trim();
    if v.is_empty() {
        p.add("email", "e-mail address is required");
        return None;
    }
    p.take("email", Email::parse(v)).map(Email::into_string)
}

/// T3/U4: an optional external id.
pub fn external_id(p: &mut Problems, value: Option<&str>) -> Option<String> {
    let v = value.map(str::trim).filter(|v| !v.is_empty())?;
    p.take("external_id", ExternalId::parse(v))
        .map(ExternalId::into_string)
}

/// U9: property names 1–100 characters, values up to 1000.
pub fn properties(p: &mut Problems, props: &BTreeMap<String, String>) {
    for (name, value) in props {
        if name.trim().is_empty() {
            p.add("properties", "a property name must not be empty");
        } else if name.chars().count() > PROPERTY_NAME_MAX {
            p.add(
                "properties",
                format!("property name `{name}` has more than {PROPERTY_NAME_MAX} characters"),
            );
        }
        if value.chars().count() > PROPERTY_VALUE_MAX {
            p.add(
                "properties",
                format!("the value of `{name}` has more than {PROPERTY_VALUE_MAX} characters"),
            );
        }
    }
}

/// J2: a language the tenant offers (`None`/blank → none of the user's own).
pub fn language(p: &mut Problems, info: &Tenant, value: Option<&str>) -> Option<String> {
    let v = value.map(str::trim).filter(|v| !v.is_empty())?;
    if info.offers(v) {
        Some(v.to_owned())
    } else {
        p.add(
            "language",
            format!(
                "language `{v}` is not offered by this tenant (one of: {})",
                info.languages.join(", ")
            ),
        );
        None
    }
}

/// B5: the OU with `code`, which must lie in the actor's scope. An OU-scoped actor must
/// place every user in one of their units. Returns `Err` only for a scope violation.
pub async fn unit<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    scope: &Scope,
    p: &mut Problems,
    code: Option<&str>,
) -> crate::Result<Option<Uuid>> {
    let code = code.map(str::trim).filter(|c| !c.is_empty());
    let Some(code) = code else {
        if scope.units.is_some() {
            p.add(
                "organisation_unit",
                "organisation unit is required: you may only manage users of your organisation units",
            );
        }
        return Ok(None);
    };
    let Some(u) = tenant
        .find::<organisation_units::Entity>()
        .filter(organisation_units::Column::Code.eq(code))
        .one(db)
        .await?
    else {
        p.add(
            "organisation_unit",
            format!("unknown organisation unit `{code}`"),
        );
        return Ok(None);
    };
    if let Some(units) = &scope.units
        && !units.contains(&u.id)
    {
        return Err(crate::Error::Forbidden(format!(
            "organisation unit `{code}` is outside your scope"
        )));
    }
    Ok(Some(u.id))
}

/// U10: the organisation with `code`.
pub async fn organisation<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    p: &mut Problems,
    field: &str,
    code: Option<&str>,
) -> crate::Result<Option<organisations::Model>> {
    let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let o = tenant
        .find::<organisations::Entity>()
        .filter(organisations::Column::Code.eq(code))
        .one(db)
        .await?;
    if o.is_none() {
        p.add(field, format!("unknown organisation `{code}`"));
    }
    Ok(o)
}

async fn codes<C, E>(
    db: &C,
    tenant: TenantId,
    code_col: E::Column,
    codes: &[String],
) -> crate::Result<HashMap<String, Uuid>>
where
    C: ConnectionTrait,
    E: crate::store::scope::TenantOwned,
    E::Model: HasCodeId,
{
    let rows = tenant
        .find::<E>()
        .filter(code_col.is_in(codes.iter().cloned()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| r.code_id()).collect())
}

/// Rows with a code and an id.
pub trait HasCodeId {
    /// `(code, id)`.
    fn code_id(self) -> (String, Uuid);
}

macro_rules! code_id {
    ($($m:ident),*) => {$(
        impl HasCodeId for $m::Model {
            fn code_id(self) -> (String, Uuid) {
                (self.code, self.id)
            }
        }
    )*};
}
code_id!(catalogs, user_groups, enrollment_profiles);

fn dedup(list: &[String]) -> Vec<String> {
    let mut seen = HashSet::new();
    list.iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty() && seen.insert(s.clone()))
        .collect()
}

fn unknown(
    p: &mut Problems,
    field: &str,
    what: &str,
    wanted: &[String],
    found: &HashMap<String, Uuid>,
) {
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|c| !found.contains_key(*c))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        p.add(field, format!("unknown {what}: {}", missing.join(", ")));
    }
}

/// U1/B4: catalog codes → ids. Required (at least one) when the tenant has catalogs; a
/// catalog-scoped actor may only use their own catalogs.
pub async fn catalog_ids<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    scope: &Scope,
    p: &mut Problems,
    list: &[String],
) -> crate::Result<Vec<Uuid>> {
    let wanted = dedup(list);
    if wanted.is_empty() {
        let any = tenant.find::<catalogs::Entity>().one(db).await?.is_some();
        if any {
            p.add("catalogs", "at least one catalog is required");
        }
        return Ok(Vec::new());
    }
    let found = codes::<_, catalogs::Entity>(db, tenant, catalogs::Column::Code, &wanted).await?;
    unknown(p, "catalogs", "catalog", &wanted, &found);
    if let Some(allowed) = &scope.catalogs {
        let outside: Vec<&str> = wanted
            .iter()
            .filter(|c| found.get(*c).is_some_and(|id| !allowed.contains(id)))
            .map(String::as_str)
            .collect();
        if !outside.is_empty() {
            return Err(crate::Error::Forbidden(format!(
                "catalog {} is outside your catalog access",
                outside.join(", ")
            )));
        }
    }
    Ok(wanted
        .iter()
        .filter_map(|c| found.get(c).copied())
        .collect())
}

/// G1: user group codes → ids; groups must exist (they are never created here).
pub async fn group_ids<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    p: &mut Problems,
    list: &[String],
) -> crate::Result<Vec<Uuid>> {
    let wanted = dedup(list);
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let found =
        codes::<_, user_groups::Entity>(db, tenant, user_groups::Column::Code, &wanted).await?;
    unknown(p, "user_groups", "user group", &wanted, &found);
    Ok(wanted
        .iter()
        .filter_map(|c| found.get(c).copied())
        .collect())
}

/// I5/U1: enrollment profile codes → ids.
pub async fn profile_ids<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    p: &mut Problems,
    list: &[String],
) -> crate::Result<Vec<Uuid>> {
    let wanted = dedup(list);
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let found = codes::<_, enrollment_profiles::Entity>(
        db,
        tenant,
        enrollment_profiles::Column::Code,
        &wanted,
    )
    .await?;
    unknown(
        p,
        "enrollment_profiles",
        "enrollment profile",
        &wanted,
        &found,
    );
    Ok(wanted
        .iter()
        .filter_map(|c| found.get(c).copied())
        .collect())
}

/// U1/B5: portal role codes → ids (back-office roles are granted to back-office accounts).
pub async fn role_ids<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    p: &mut Problems,
    list: &[String],
) -> crate::Result<Vec<Uuid>> {
    let wanted = dedup(list);
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let rows = tenant
        .find::<roles::Entity>()
        .filter(roles::Column::Code.is_in(wanted.iter().cloned()))
        .all(db)
        .await?;
    let mut found = HashMap::new();
    for r in rows {
        if r.kind == "portal" {
            found.insert(r.code, r.id);
        } else {
            p.add(
                "roles",
                format!(
                    "`{}` is a back-office role; portal users hold portal roles",
                    r.code
                ),
            );
            found.insert(r.code, Uuid::nil());
        }
    }
    unknown(p, "roles", "role", &wanted, &found);
    Ok(wanted
        .iter()
        .filter_map(|c| found.get(c).copied())
        .filter(|id| !id.is_nil())
        .collect())
}

/// U7: the user named by `value` (an id or a login name) in the tenant, who must hold the
/// Superior role (a portal role whose scope is `assigned_learners`). `None`/blank → none.
pub async fn superior<C: ConnectionTrait>(
    db: &C,
    info: &Tenant,
    tenant: TenantId,
    p: &mut Problems,
    value: Option<&str>,
    subject: Option<Uuid>,
) -> crate::Result<Option<Uuid>> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if !info.settings.features.superiors {
        p.add("superior", "superiors are switched off for this tenant");
        return Ok(None);
    }
    let by = match v.parse::<Uuid>() {
        Ok(id) => users::Column::Id.eq(id),
        Err(_) => users::Column::Login.eq(v),
    };
    let Some(s) = tenant.find::<users::Entity>().filter(by).one(db).await? else {
        p.add("superior", format!("unknown user `{v}`"));
        return Ok(None);
    };
    if Some(s.id) == subject {
        p.add("superior", "a user cannot be their own superior");
        return Ok(None);
    }
    let superior_roles: Vec<Uuid> = tenant
        .find::<roles::Entity>()
        .filter(roles::Column::Kind.eq("portal"))
        .filter(roles::Column::Scope.eq("assigned_learners"))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let holds = !superior_roles.is_empty()
        && tenant
            .find::<role_assignments::Entity>()
            .filter(role_assignments::Column::UserId.eq(s.id))
            .filter(role_assignments::Column::RoleId.is_in(superior_roles))
            .one(db)
            .await?
            .is_some();
    if !holds {
        p.add(
            "superior",
            format!("`{}` does not hold the Superior role", s.login),
        );
        return Ok(None);
    }
    Ok(Some(s.id))
}
