//! I10: how each field is written as text — the one place that decides it, for the export
//! (stored user → cells) and for the import's diff (file value and stored value compared as
//! this text). Because both sides use it, export → import finds every row unchanged.

use std::collections::HashMap;

use uuid::Uuid;

use super::fields::ImportField;
use super::refs::{Codes, Refs};
use super::row::Val;
use crate::domain::users::bool_text;
use crate::store::entity::{employments, users};

/// A stored user with what the file's columns compare against.
#[derive(Debug, Clone)]
pub struct Stored {
    /// The `users` row.
    pub user: users::Model,
    /// User groups (G1).
    pub groups: Vec<Uuid>,
    /// Enrollment profiles (I5).
    pub profiles: Vec<Uuid>,
    /// Catalogs (U1).
    pub catalogs: Vec<Uuid>,
    /// U7: holds the superior role.
    pub is_superior: bool,
    /// The external id of the user's superior.
    pub superior_ext: Option<String>,
    /// U9: personal budget in cents.
    pub budget: Option<i64>,
    /// U9: extended properties (only those the file names).
    pub properties: HashMap<String, String>,
    /// U8: active employments.
    pub employments: Vec<employments::Model>,
}

impl Stored {
    /// A user with no relations loaded.
    pub fn bare(user: users::Model) -> Self {
        Self {
            user,
            groups: Vec::new(),
            profiles: Vec::new(),
            catalogs: Vec::new(),
            is_superior: false,
            superior_ext: None,
            budget: None,
            properties: HashMap::new(),
            employments: Vec::new(),
        }
    }
}

/// Codes of `ids`, sorted, comma-separated (I5: `DS-KR-001-DE,DS-COC-001-EN`).
pub fn codes_text(ids: &[Uuid], codes: &Codes) -> String {
    let mut list: Vec<&str> = ids.iter().filter_map(|id| codes.code(*id)).collect();
    list.sort_unstable();
    list.join(",")
}

/// An amount in cents as `1234.50`.
pub fn cents_text(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, (cents % 100).abs())
}

/// The text of a typed file value of `field`.
pub fn val_text(field: ImportField, v: &Val, refs: &Refs) -> String {
    match v {
        Val::Text(s) => s.clone(),
        Val::Id(id) => match field {
            ImportField::OrganisationUnit => refs.units.code(*id),
            _ => refs.organisations.code(*id),
        }
        .unwrap_or_default()
        .to_owned(),
        Val::Ids(ids) => codes_text(ids, codes_of(field, refs)),
        Val::Bool(b) => bool_text(*b).to_owned(),
        Val::Cents(c) => cents_text(*c),
        Val::Date(d) => d.format("%Y-%m-%d").to_string(),
    }
}

fn codes_of(field: ImportField, refs: &Refs) -> &Codes {
    match field {
        ImportField::UserGroups => &refs.groups,
        ImportField::EnrollmentProfiles => &refs.profiles,
        _ => &refs.catalogs,
    }
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

/// The stored value of a user field as text (`""` when not set). Fields that are not a
/// property of the user (HR, extended properties) have no stored text here.
pub fn stored_text(field: ImportField, s: &Stored, refs: &Refs) -> String {
    use ImportField as F;
    let u = &s.user;
    match field {
        F::ExternalId => opt(&u.external_id),
        F::Login => u.login.clone(),
        F::Email => opt(&u.email),
        F::UserNumber => opt(&u.user_number),
        F::PersonnelNumber => opt(&u.personnel_number),
        F::FirstName => u.first_name.clone(),
        F::MiddleName => opt(&u.middle_name),
        F::LastName => u.last_name.clone(),
        F::Title => opt(&u.title),
        // Never exported; an empty Password cell keeps the password.
        F::Password => String::new(),
        F::Language => opt(&u.language),
        F::OrganisationUnit => u
            .organisation_unit_id
            .and_then(|id| refs.units.code(id))
            .unwrap_or_default()
            .to_owned(),
        F::Organisation => u
            .organisation_id
            .and_then(|id| refs.organisations.code(id))
            .unwrap_or_default()
            .to_owned(),
        F::CompanyRole => opt(&u.company_role),
        F::Area => opt(&u.area),
        F::Department => opt(&u.department),
        F::CostCentre => opt(&u.cost_centre),
        F::DataField01 => opt(&u.data_field_01),
        F::DataField02 => opt(&u.data_field_02),
        F::DataField03 => opt(&u.data_field_03),
        F::Catalogs => codes_text(&s.catalogs, &refs.catalogs),
        F::UserGroups => codes_text(&s.groups, &refs.groups),
        F::EnrollmentProfiles => codes_text(&s.profiles, &refs.profiles),
        F::Superior => bool_text(s.is_superior).to_owned(),
        F::SuperiorExternalId => opt(&s.superior_ext),
        F::Active => bool_text(u.active).to_owned(),
        F::PrivacyPolicyAccepted => bool_text(u.privacy_policy_accepted_at.is_some()).to_owned(),
        F::PersonalBudget => s.budget.map(cents_text).unwrap_or_default(),
        F::PropertyName
        | F::PropertyValue
        | F::OrganisationCode
        | F::DepartmentCode
        | F::DepartmentName
        | F::ParentDepartmentCode
        | F::JobTitle
        | F::EmploymentStart
        | F::EmploymentEnd => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u9_cents_as_text() {
        assert_eq!(cents_text(123_450), "1234.50");
        assert_eq!(cents_text(5), "0.05");
    }
}
