//! Plan: what a row changes. For a stored user, a per-field diff of the row against stored
//! data, compared as the text `values` writes (I3: a present column with an empty cell
//! clears, an absent column keeps); for a new user, the complete row with defaults. The
//! result is the report's changes and the operations `apply` will write. Nothing here
//! touches the database, so simulation (I7) and the real run plan alike.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::Value;
use uuid::Uuid;

use super::fields::ImportField as F;
use super::hr::{self, HrOps};
use super::refs::Refs;
use super::report::FieldChange;
use super::row::{Cell, Row, Val};
use super::values::{Stored, stored_text, val_text};
use crate::store::entity::users;
use crate::tenancy::descriptor::ImportKind;

/// What a diff needs besides the row.
pub struct Env<'a> {
    /// Reference data.
    pub refs: &'a Refs,
    /// The import kind.
    pub kind: ImportKind,
    /// Catalog given to new users (the import's catalog).
    pub default_catalog: Option<Uuid>,
    /// The time written into new and changed rows.
    pub now: DateTime<Utc>,
}

/// Membership changes of one relation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetOps {
    /// Ids to link.
    pub add: Vec<Uuid>,
    /// Ids to unlink.
    pub remove: Vec<Uuid>,
}

/// The writes one row makes.
#[derive(Debug, Clone, Default)]
pub struct Ops {
    /// A new user.
    pub insert: Option<users::Model>,
    /// Changed columns of a stored user.
    pub columns: Vec<(users::Column, Value)>,
    /// G1.
    pub groups: SetOps,
    /// I5.
    pub profiles: SetOps,
    /// U1.
    pub catalogs: SetOps,
    /// U7/I5: grant (`true`) or revoke the superior role.
    pub superior_role: Option<bool>,
    /// U7: the superior by external id (`None`: no superior).
    pub superior: Option<Option<String>>,
    /// A password to hash and set.
    pub password: Option<String>,
    /// U3: queue a set-password mail.
    pub set_password_mail: bool,
    /// U9: the new budget (`None`: remove it).
    pub budget: Option<Option<i64>>,
    /// U9: property name and new value (`None`: remove it).
    pub property: Option<(String, Option<String>)>,
    /// U8: employment and department changes.
    pub hr: Option<HrOps>,
}

/// The plan of one row.
#[derive(Debug, Clone, Default)]
pub struct Diff {
    /// Changed fields (for a new user: every value given).
    pub changes: Vec<FieldChange>,
    /// What to write.
    pub ops: Ops,
    /// A stored user's password hash to compare with the file's password.
    pub check_password: Option<(String, String)>,
    /// T3: the (namespace, external id) the user will have, when it changes.
    pub new_external: Option<(String, String)>,
    /// The user number the user will have, when it changes.
    pub new_user_number: Option<String>,
    /// The login name the user will have, when it changes.
    pub new_login: Option<String>,
}

fn change(d: &mut Diff, field: F, old: String, new: String) {
    d.changes.push(FieldChange {
        field: field.standard_header().to_owned(),
        old,
        new,
    });
}

/// The nullable text column a plain text field is stored in.
fn text_column(field: F) -> Option<users::Column> {
    use users::Column as C;
    Some(match field {
        F::MiddleName => C::MiddleName,
        F::Title => C::Title,
        F::PersonnelNumber => C::PersonnelNumber,
        F::CompanyRole => C::CompanyRole,
        F::Area => C::Area,
        F::Department => C::Department,
        F::CostCentre => C::CostCentre,
        F::DataField01 => C::DataField01,
        F::DataField02 => C::DataField02,
        F::DataField03 => C::DataField03,
        F::Language => C::Language,
        F::Email => C::Email,
        F::UserNumber => C::UserNumber,
        _ => return None,
    })
}

fn set_ops(old: &[Uuid], new: &[Uuid]) -> SetOps {
    let old_set: HashSet<&Uuid> = old.iter().collect();
    let new_set: HashSet<&Uuid> = new.iter().collect();
    SetOps {
        add: new
            .iter()
            .filter(|i| !old_set.contains(i))
            .copied()
            .collect(),
        remove: old
            .iter()
            .filter(|i| !new_set.contains(i))
            .copied()
            .collect(),
    }
}

fn required(row: &Row, field: F, new_user: bool) -> Result<(), String> {
    match row.get(field) {
        Cell::Empty => Err(format!("{} is required", field.standard_header())),
        Cell::Absent if new_user => Err(format!(
            "{} is required for a new user",
            field.standard_header()
        )),
        _ => Ok(()),
    }
}

/// Plans a row about stored user `s`.
pub fn existing(row: &Row, s: &Stored, env: &Env<'_>) -> Result<Diff, String> {
    let refs = env.refs;
    let mut d = Diff::default();
    for f in [F::FirstName, F::LastName] {
        required(row, f, false)?;
    }
    if env.kind == ImportKind::Users {
        required(row, F::Email, false)?;
    }
    for (field, val) in row.present() {
        let new = val.map(|v| val_text(field, v, refs)).unwrap_or_default();
        let old = stored_text(field, s, refs);
        match field {
            F::Login => {
                if !new.is_empty() && new != old {
                    if !refs.settings.features.editable_login_name {
                        return Err(format!(
                            "Uid cannot be changed in this tenant (the user's Uid is `{old}`)"
                        ));
                    }
                    d.columns_push(users::Column::Login, Value::from(new.clone()));
                    d.new_login = Some(new.clone());
                    change(&mut d, field, old, new);
                }
            }
            F::Password => {
                if let Some(Val::Text(p)) = val {
                    match &s.user.password_hash {
                        Some(hash) => d.check_password = Some((p.clone(), hash.clone())),
                        None => {
                            d.ops.password = Some(p.clone());
                            change(&mut d, field, String::new(), "(set)".into());
                        }
                    }
                }
            }
            F::FirstName | F::LastName => {
                if new != old {
                    let col = if field == F::FirstName {
                        users::Column::FirstName
                    } else {
                        users::Column::LastName
                    };
                    d.columns_push(col, Value::from(new.clone()));
                    change(&mut d, field, old, new);
                }
            }
            F::ExternalId | F::OrganisationUnit => {} // below, together
            F::Organisation => {
                if new != old {
                    let id = match val {
                        Some(Val::Id(id)) => Some(*id),
                        _ => None,
                    };
                    d.columns_push(users::Column::OrganisationId, Value::from(id));
                    change(&mut d, field, old, new);
                }
            }
            F::Active => {
                let want = !matches!(val, Some(Val::Bool(false)));
                if want != s.user.active {
                    d.columns_push(users::Column::Active, Value::from(want));
                    change(
                        &mut d,
                        field,
                        old,
                        crate::domain::users::bool_text(want).into(),
                    );
                }
            }
            F::PrivacyPolicyAccepted => {
                let want = matches!(val, Some(Val::Bool(true)));
                if want != s.user.privacy_policy_accepted_at.is_some() {
                    let at = want.then_some(env.now);
                    d.columns_push(users::Column::PrivacyPolicyAcceptedAt, Value::from(at));
                    change(
                        &mut d,
                        field,
                        old,
                        crate::domain::users::bool_text(want).into(),
                    );
                }
            }
            F::UserGroups | F::EnrollmentProfiles | F::Catalogs => {
                let want: &[Uuid] = match val {
                    Some(Val::Ids(ids)) => ids,
                    _ => &[],
                };
                if field == F::Catalogs && want.is_empty() {
                    return Err("a user needs at least one catalog".into());
                }
                if new != old {
                    let have = match field {
                        F::UserGroups => &s.groups,
                        F::EnrollmentProfiles => &s.profiles,
                        _ => &s.catalogs,
                    };
                    let ops = set_ops(have, want);
                    match field {
                        F::UserGroups => d.ops.groups = ops,
                        F::EnrollmentProfiles => d.ops.profiles = ops,
                        _ => d.ops.catalogs = ops,
                    }
                    change(&mut d, field, old, new);
                }
            }
            F::Superior => {
                let want = matches!(val, Some(Val::Bool(true)));
                if want != s.is_superior {
                    if want && refs.superior_role.is_none() {
                        return Err("this tenant has no superior role".into());
                    }
                    d.ops.superior_role = Some(want);
                    change(
                        &mut d,
                        field,
                        old,
                        crate::domain::users::bool_text(want).into(),
                    );
                }
            }
            F::SuperiorExternalId => {
                // A superior without an external id cannot be named in a file: kept.
                let unnameable = val.is_none() && s.user.superior_id.is_some() && old.is_empty();
                if !refs.settings.features.superiors && val.is_some() {
                    return Err("superiors are switched off for this tenant".into());
                }
                if new != old && !unnameable {
                    d.ops.superior = Some((!new.is_empty()).then(|| new.clone()));
                    change(&mut d, field, old, new);
                }
            }
            F::PersonalBudget => {
                let want = match val {
                    Some(Val::Cents(c)) => Some(*c),
                    _ => None,
                };
                if want != s.budget {
                    d.ops.budget = Some(want);
                    change(&mut d, field, old, new);
                }
            }
            F::PropertyValue => {
                let Some(name) = row.text(F::PropertyName) else {
                    return Err("Property is required".into());
                };
                let old = s.properties.get(name).cloned().unwrap_or_default();
                if new != old {
                    d.ops.property =
                        Some((name.to_owned(), (!new.is_empty()).then(|| new.clone())));
                    d.changes.push(FieldChange {
                        field: format!("Property {name}"),
                        old,
                        new,
                    });
                }
            }
            F::PropertyName => {}
            _ if hr::is_hr_field(field) => {}
            _ => {
                if let Some(col) = text_column(field)
                    && new != old
                {
                    if field == F::UserNumber && !new.is_empty() {
                        d.new_user_number = Some(new.clone());
                    }
                    d.columns_push(col, Value::from((!new.is_empty()).then(|| new.clone())));
                    change(&mut d, field, old, new);
                }
            }
        }
    }
    external(row, s, refs, &mut d);
    if env.kind == ImportKind::Hr {
        hr::plan_existing(row, s, env, &mut d)?;
    }
    Ok(d)
}

/// T3: the external id and its namespace, which follows the organisation unit.
fn external(row: &Row, s: &Stored, refs: &Refs, d: &mut Diff) {
    let unit = match row.get(F::OrganisationUnit) {
        Cell::Absent => s.user.organisation_unit_id,
        Cell::Value(Val::Id(id)) => Some(*id),
        _ => None,
    };
    if unit != s.user.organisation_unit_id {
        let old = stored_text(F::OrganisationUnit, s, refs);
        let new = unit
            .and_then(|u| refs.units.code(u))
            .unwrap_or_default()
            .to_owned();
        d.columns_push(users::Column::OrganisationUnitId, Value::from(unit));
        change(d, F::OrganisationUnit, old, new);
    }
    let ext = match row.get(F::ExternalId) {
        Cell::Absent => s.user.external_id.clone(),
        Cell::Empty => None,
        Cell::Value(v) => Some(val_text(F::ExternalId, v, refs)),
    };
    let ns = if ext.is_some() {
        refs.namespace(unit).to_owned()
    } else {
        String::new()
    };
    if ext != s.user.external_id {
        d.columns_push(users::Column::ExternalId, Value::from(ext.clone()));
        change(
            d,
            F::ExternalId,
            s.user.external_id.clone().unwrap_or_default(),
            ext.clone().unwrap_or_default(),
        );
    }
    if ns != s.user.external_id_scope {
        d.columns_push(users::Column::ExternalIdScope, Value::from(ns.clone()));
    }
    if let Some(e) = ext
        && (s.user.external_id.as_deref() != Some(e.as_str()) || ns != s.user.external_id_scope)
    {
        d.new_external = Some((ns, e));
    }
}

impl Diff {
    fn columns_push(&mut self, col: users::Column, v: Value) {
        self.ops.columns.push((col, v));
    }
}

/// Plans a row that creates a user with login name `login`.
pub fn new_user(row: &Row, login: &str, env: &Env<'_>) -> Result<Diff, String> {
    let refs = env.refs;
    for f in [F::FirstName, F::LastName] {
        required(row, f, true)?;
    }
    if env.kind == ImportKind::Users {
        required(row, F::Email, true)?;
    }
    let mut d = Diff::default();
    let text = |f: F| row.text(f).map(str::to_owned);
    let id_of = |f: F| match row.get(f) {
        Cell::Value(Val::Id(id)) => Some(*id),
        _ => None,
    };
    let flag = |f: F, default: bool| match row.get(f) {
        Cell::Value(Val::Bool(b)) => *b,
        _ => default,
    };
    let unit = id_of(F::OrganisationUnit);
    let external_id = text(F::ExternalId);
    let scope = if external_id.is_some() {
        refs.namespace(unit).to_owned()
    } else {
        String::new()
    };
    if let Some(e) = &external_id {
        d.new_external = Some((scope.clone(), e.clone()));
    }
    d.new_user_number = text(F::UserNumber);
    let user = users::Model {
        id: Uuid::now_v7(),
        tenant_id: refs.tenant.0,
        login: login.to_owned(),
        user_number: text(F::UserNumber),
        external_id,
        external_id_scope: scope,
        first_name: text(F::FirstName).unwrap_or_default(),
        middle_name: text(F::MiddleName),
        last_name: text(F::LastName).unwrap_or_default(),
        title: text(F::Title),
        email: text(F::Email),
        organisation_unit_id: unit,
        personnel_number: text(F::PersonnelNumber),
        company_role: text(F::CompanyRole),
        organisation_id: id_of(F::Organisation),
        area: text(F::Area),
        department: text(F::Department),
        cost_centre: text(F::CostCentre),
        data_field_01: text(F::DataField01),
        data_field_02: text(F::DataField02),
        data_field_03: text(F::DataField03),
        language: text(F::Language),
        superior_id: None,
        privacy_policy_accepted_at: flag(F::PrivacyPolicyAccepted, false).then_some(env.now),
        active: flag(F::Active, true),
        password_hash: None,
        must_change_password: false,
        email_confirmed_at: None,
        registration_state: "active".into(),
        self_registered: false,
        registration_data: None,
        last_login_at: None,
        created_at: env.now,
        updated_at: env.now,
    };
    let ids = |f: F| match row.get(f) {
        Cell::Value(Val::Ids(ids)) => ids.clone(),
        _ => Vec::new(),
    };
    d.ops.groups.add = ids(F::UserGroups);
    d.ops.profiles.add = ids(F::EnrollmentProfiles);
    d.ops.catalogs.add = match row.get(F::Catalogs) {
        Cell::Value(Val::Ids(ids)) => ids.clone(),
        Cell::Empty => return Err("a user needs at least one catalog".into()),
        _ => env.default_catalog.into_iter().collect(),
    };
    if d.ops.catalogs.add.is_empty() && refs.catalogs.id_count() > 0 {
        return Err(
            "a new user needs a catalog: choose the import's catalog or give a Catalogs column"
                .into(),
        );
    }
    if flag(F::Superior, false) {
        if refs.superior_role.is_none() {
            return Err("this tenant has no superior role".into());
        }
        d.ops.superior_role = Some(true);
    }
    if let Some(ext) = row.text(F::SuperiorExternalId) {
        if !refs.settings.features.superiors {
            return Err("superiors are switched off for this tenant".into());
        }
        d.ops.superior = Some(Some(ext.to_owned()));
    }
    match row.text(F::Password) {
        Some(p) => d.ops.password = Some(p.to_owned()),
        None => d.ops.set_password_mail = true,
    }
    if let Cell::Value(Val::Cents(c)) = row.get(F::PersonalBudget) {
        d.ops.budget = Some(Some(*c));
    }
    for (field, val) in row.present() {
        let Some(v) = val else { continue };
        if field == F::Password {
            change(&mut d, field, String::new(), "(set)".into());
        } else if !hr::is_hr_field(field) {
            change(&mut d, field, String::new(), val_text(field, v, refs));
        }
    }
    d.ops.insert = Some(user);
    if env.kind == ImportKind::Hr {
        hr::plan_new(row, env, &mut d)?;
    }
    Ok(d)
}
