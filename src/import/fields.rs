//! The fields an import column can fill (I2), and which import kinds accept them.
//!
//! Descriptor column mappings name these fields; the importer reads them. The standard
//! header names are the column names of the standard user format (I10: export writes them).

use std::fmt;
use std::str::FromStr;

use crate::tenancy::descriptor::ImportKind;

macro_rules! fields {
    ($( $variant:ident => $name:literal, $header:literal, $identity:literal, [$($kind:ident),*] ; )*) => {
        /// A field an import column maps to.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ImportField { $( #[doc = concat!("`", $name, "` (standard header `", $header, "`)")] $variant, )* }

        impl ImportField {
            /// Every field, in the order of the standard format.
            pub const ALL: &'static [ImportField] = &[ $( ImportField::$variant, )* ];

            /// The spelling used in descriptors.
            pub fn as_str(self) -> &'static str {
                match self { $( ImportField::$variant => $name, )* }
            }

            /// Column name in the standard user format.
            pub fn standard_header(self) -> &'static str {
                match self { $( ImportField::$variant => $header, )* }
            }

            /// U4: whether the field can identify an existing user.
            pub fn identifies_user(self) -> bool {
                match self { $( ImportField::$variant => $identity, )* }
            }

            /// Whether an import of `kind` accepts this field.
            pub fn allowed_in(self, kind: ImportKind) -> bool {
                match self { $( ImportField::$variant => matches!(kind, $(ImportKind::$kind)|*), )* }
            }
        }
    };
}

fields! {
    ExternalId => "external_id", "ExternalId", true, [Users, PersonalBudget, ExtendedProperties, Hr];
    Login => "login", "Uid", true, [Users, PersonalBudget, ExtendedProperties, Hr];
    Email => "email", "Email", true, [Users, PersonalBudget, ExtendedProperties, Hr];
    UserNumber => "user_number", "UserNumber", true, [Users, PersonalBudget, ExtendedProperties, Hr];
    PersonnelNumber => "personnel_number", "PersonnelNumber", true, [Users, PersonalBudget, ExtendedProperties, Hr];
    FirstName => "first_name", "FirstName", false, [Users, Hr];
    MiddleName => "middle_name", "MiddleName", false, [Users, Hr];
    LastName => "last_name", "LastName", false, [Users, Hr];
    Title => "title", "Title", false, [Users, Hr];
    Password => "password", "Password", false, [Users, Hr];
    Language => "language", "Language", false, [Users, Hr];
    OrganisationUnit => "organisation_unit", "OrganisationUnit", false, [Users, Hr];
    Organisation => "organisation", "Organisation", false, [Users, Hr];
    CompanyRole => "company_role", "CompanyRole", false, [Users, Hr];
    Area => "area", "Area", false, [Users, Hr];
    Department => "department", "Department", false, [Users, Hr];
    CostCentre => "cost_centre", "CostCentre", false, [Users, Hr];
    DataField01 => "data_field_01", "DataField01", false, [Users, Hr];
    DataField02 => "data_field_02", "DataField02", false, [Users, Hr];
    DataField03 => "data_field_03", "DataField03", false, [Users, Hr];
    Catalogs => "catalogs", "Catalogs", false, [Users, Hr];
    UserGroups => "user_groups", "UserGroups", false, [Users, Hr];
    EnrollmentProfiles => "enrollment_profiles", "EnrollmentProfiles", false, [Users, Hr];
    Superior => "superior", "Superior", false, [Users, Hr];
    SuperiorExternalId => "superior_external_id", "SuperiorExternalId", false, [Users, Hr];
    Active => "active", "Active", false, [Users, Hr];
    PrivacyPolicyAccepted => "privacy_policy_accepted", "PrivacyPolicyAccepted", false, [Users, Hr];
    PersonalBudget => "personal_budget", "PersonalBudget", false, [Users, PersonalBudget, Hr];
    PropertyName => "property_name", "Property", false, [ExtendedProperties];
    PropertyValue => "property_value", "Value", false, [ExtendedProperties];
    OrganisationCode => "organisation_code", "OrganisationCode", false, [Hr];
    DepartmentCode => "department_code", "DepartmentCode", false, [Hr];
    DepartmentName => "department_name", "DepartmentName", false, [Hr];
    ParentDepartmentCode => "parent_department_code", "ParentDepartmentCode", false, [Hr];
    JobTitle => "job_title", "JobTitle", false, [Hr];
    EmploymentStart => "employment_start", "EmploymentStart", false, [Hr];
    EmploymentEnd => "employment_end", "EmploymentEnd", false, [Hr];
}

/// I2/I10: the built-in standard user format: exactly these columns, in this order (what
/// export writes). FirstName, LastName and Email are required; the rest are optional.
pub const STANDARD: &[ImportField] = &[
    ImportField::Login,
    ImportField::ExternalId,
    ImportField::FirstName,
    ImportField::LastName,
    ImportField::Email,
    ImportField::Password,
    ImportField::Title,
    ImportField::MiddleName,
    ImportField::OrganisationUnit,
    ImportField::PersonnelNumber,
    ImportField::CompanyRole,
    ImportField::Organisation,
    ImportField::Area,
    ImportField::Department,
    ImportField::CostCentre,
    ImportField::UserGroups,
    ImportField::DataField01,
    ImportField::DataField02,
    ImportField::DataField03,
    ImportField::Language,
    ImportField::Superior,
    ImportField::SuperiorExternalId,
    ImportField::Active,
    ImportField::EnrollmentProfiles,
];

/// Required columns of the standard format.
pub const STANDARD_REQUIRED: &[ImportField] = &[
    ImportField::FirstName,
    ImportField::LastName,
    ImportField::Email,
];

impl ImportField {
    /// Fields an import of `kind` cannot work without, besides one identifying field.
    pub fn required_for(kind: ImportKind) -> &'static [ImportField] {
        match kind {
            ImportKind::Users => &[],
            ImportKind::PersonalBudget => &[ImportField::PersonalBudget],
            ImportKind::ExtendedProperties => {
                &[ImportField::PropertyName, ImportField::PropertyValue]
            }
            ImportKind::Hr => &[ImportField::OrganisationCode],
        }
    }
}

impl fmt::Display for ImportField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ImportField {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ImportField::ALL
            .iter()
            .copied()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| format!("unknown import field `{s}`"))
    }
}

/// Parses a spreadsheet column letter (`A` = 0, `Z` = 25, `AA` = 26, `AE` = 30).
pub fn column_index(letters: &str) -> Option<usize> {
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    letters
        .bytes()
        .try_fold(0usize, |acc, b| {
            b.is_ascii_uppercase()
                .then(|| acc * 26 + usize::from(b - b'A' + 1))
        })
        .map(|n| n - 1)
}

/// The spreadsheet letter of a 0-based column index (0 = `A`, 30 = `AE`).
pub fn column_letters(index: usize) -> String {
    let mut n = index + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    out.iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_round_trip() {
        for i in [0, 1, 25, 26, 30, 701, 702] {
            assert_eq!(column_index(&column_letters(i)), Some(i), "{i}");
        }
        assert_eq!(column_letters(30), "AE");
    }

    #[test]
    fn i2_standard_format_header_line() {
        let line: Vec<&str> = STANDARD.iter().map(|f| f.standard_header()).collect();
        assert_eq!(
            line.join(";"),
            "Uid;ExternalId;FirstName;LastName;Email;Password;Title;MiddleName;OrganisationUnit;\
PersonnelNumber;CompanyRole;Organisation;Area;Department;CostCentre;UserGroups;DataField01;\
DataField02;DataField03;Language;Superior;SuperiorExternalId;Active;EnrollmentProfiles"
        );
        assert!(STANDARD.iter().all(|f| f.allowed_in(ImportKind::Users)));
    }

    #[test]
    fn column_letters_parse() {
        assert_eq!(column_index("A"), Some(0));
        assert_eq!(column_index("Z"), Some(25));
        assert_eq!(column_index("AA"), Some(26));
        assert_eq!(column_index("AE"), Some(30));
        assert_eq!(column_index("a"), None);
        assert_eq!(column_index(""), None);
        assert_eq!(column_index("A1"), None);
    }

    #[test]
    fn field_names_round_trip() {
        for f in ImportField::ALL {
            assert_eq!(f.as_str().parse::<ImportField>(), Ok(*f));
        }
    }

    #[test]
    fn i2_pob_accepts_only_key_and_budget() {
        assert!(ImportField::PersonalBudget.allowed_in(ImportKind::PersonalBudget));
        assert!(ImportField::UserNumber.allowed_in(ImportKind::PersonalBudget));
        assert!(!ImportField::FirstName.allowed_in(ImportKind::PersonalBudget));
    }
}
