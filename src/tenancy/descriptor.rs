//! The typed shape of a tenant descriptor, `tenants/<slug>.yaml` (T1).
//!
//! Every struct denies unknown keys, so a typo is an error with its position instead of a
//! silently ignored setting. Values whose rules need the whole document (codes that refer to
//! other codes, rights, mapped fields, domains) are kept as strings here and checked by
//! [`super::validate`], which reports every problem at once with its position.
//! `docs/tenants.md` documents each key; keep the two in step.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use super::branding::{Branding, Colour};

/// One tenant: a customer of the platform, with everything that configures its behaviour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantDescriptor {
    /// URL-safe identifier; must equal the file name without `.yaml`.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Whether the tenant is in service.
    #[serde(default = "yes")]
    pub active: bool,
    /// Language used when a user has none of their own.
    pub default_language: String,
    /// Languages offered to users of this tenant (the default must be one of them).
    pub languages: Vec<String>,
    /// Most users the tenant may hold (I6); absent means no limit.
    #[serde(default)]
    pub user_quota: Option<u32>,
    /// Feature switches.
    #[serde(default)]
    pub features: Features,
    /// Course catalogs; users and back-office accounts are scoped by them (B4).
    #[serde(default)]
    pub catalogs: Vec<Catalog>,
    /// Customer organisations and their departments (U8, I2 HR).
    #[serde(default)]
    pub organisations: Vec<Organisation>,
    /// The organisation-unit tree; a unit may be a sub-tenant (T3).
    #[serde(default)]
    pub organisation_units: Vec<OrganisationUnit>,
    /// Portal login page (R1).
    #[serde(default)]
    pub login: Login,
    /// Colours of the sign-in and portal pages (R1); absent means Roster's own look.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branding: Option<Branding>,
    /// Self-registration of externals (R2–R6).
    #[serde(default)]
    pub registration: Registration,
    /// Rules for passwords users choose (R7).
    #[serde(default)]
    pub password_policy: PasswordPolicy,
    /// Roles and their rights (B3, B5).
    #[serde(default)]
    pub roles: Vec<Role>,
    /// User groups that exist from the start (G1).
    #[serde(default)]
    pub user_groups: Vec<UserGroup>,
    /// Enrollment profiles (I5).
    #[serde(default)]
    pub enrollment_profiles: Vec<EnrollmentProfile>,
    /// Learning activities and their executions, offered in the portal (R5).
    #[serde(default)]
    pub learning_activities: Vec<LearningActivity>,
    /// Import configurations: column mappings per import kind (I2).
    #[serde(default)]
    pub imports: Vec<ImportConfiguration>,
    /// Sender of the tenant's mails (J2).
    #[serde(default)]
    pub mail: MailSettings,
}

fn yes() -> bool {
    true
}

/// Tenant-wide switches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Features {
    /// U2: administrators may change a user's login name after creation.
    #[serde(default)]
    pub editable_login_name: bool,
    /// U8: a new employment from the HR import ends the user's older active ones.
    #[serde(default)]
    pub auto_end_old_employments: bool,
    /// U3: user numbers are generated when an administrator leaves them empty.
    #[serde(default)]
    pub generate_user_number: bool,
    /// U7: learners may be given a superior.
    #[serde(default = "yes")]
    pub superiors: bool,
}

/// A course catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// Unique within the tenant.
    pub code: String,
    /// Display name.
    pub name: String,
}

/// A customer organisation with its departments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    /// Unique within the tenant.
    pub code: String,
    /// Display name (U10 type-ahead searches it).
    pub name: String,
    /// Departments ("afdelingen"); codes are unique within the tenant.
    #[serde(default)]
    pub departments: Vec<Department>,
}

/// A department of an organisation; `parent` builds the extra organisation layer (I2, column AE).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Department {
    /// Unique within the tenant.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Code of the parent department, in any organisation of the tenant.
    #[serde(default)]
    pub parent: Option<String>,
}

/// A node of the organisation-unit tree (T3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganisationUnit {
    /// Unique within the tenant.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Code of the parent unit; absent for a root.
    #[serde(default)]
    pub parent: Option<String>,
    /// A sub-tenant keeps its own external-id namespace and has its own administrators.
    #[serde(default)]
    pub sub_tenant: bool,
}

/// Layout of the portal's login page (R1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginLayout {
    /// Login form with a "register account" button.
    #[default]
    Standard,
    /// Login on the left, registration on the right.
    Split,
}

/// Portal login settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// Page layout (R1).
    #[serde(default)]
    pub layout: LoginLayout,
}

/// What happens after a self-registration (R3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationFlow {
    /// The account is active at once.
    #[default]
    Immediate,
    /// The registrant confirms their address through a single-use link.
    EmailConfirmation,
    /// An employee of the customer organisation approves the account.
    Approval,
}

/// Self-registration of external participants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    /// Whether the portal offers registration at all.
    #[serde(default)]
    pub enabled: bool,
    /// Flow after the form is sent (R3).
    #[serde(default)]
    pub flow: RegistrationFlow,
    /// R4: domains allowed to register; exact (`example.org`) or wildcard (`*.example.org`).
    /// Empty means every domain.
    #[serde(default)]
    pub allowed_domains: Vec<String>,
    /// Catalogs a registrant is given.
    #[serde(default)]
    pub catalogs: Vec<String>,
    /// Role given to registrants (a portal role); default: the tenant's learner role.
    #[serde(default)]
    pub role: Option<String>,
    /// With `flow: approval`: the role whose holders approve registrations of their own
    /// organisation / organisation unit.
    #[serde(default)]
    pub approver_role: Option<String>,
    /// Hours a confirmation link stays valid.
    #[serde(default = "default_link_hours")]
    pub link_valid_hours: u32,
    /// Address of the privacy policy self-registrants accept (R6).
    #[serde(default)]
    pub privacy_policy_url: Option<String>,
    /// The form's optional fields (R2).
    #[serde(default)]
    pub fields: RegistrationFields,
}

fn default_link_hours() -> u32 {
    48
}

impl Default for Registration {
    fn default() -> Self {
        Self {
            enabled: false,
            flow: RegistrationFlow::default(),
            allowed_domains: Vec::new(),
            catalogs: Vec::new(),
            role: None,
            approver_role: None,
            link_valid_hours: default_link_hours(),
            privacy_policy_url: None,
            fields: RegistrationFields::default(),
        }
    }
}

/// A registration field that is on or off, required or optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldRule {
    /// Shown on the form.
    #[serde(default)]
    pub enabled: bool,
    /// Must be filled in (only meaningful when enabled).
    #[serde(default)]
    pub required: bool,
}

/// A registration field that picks an organisation or unit, or fixes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceFieldRule {
    /// Shown on the form as a choice.
    #[serde(default)]
    pub enabled: bool,
    /// Must be chosen.
    #[serde(default)]
    pub required: bool,
    /// A fixed code every registrant gets; the form then shows no choice.
    #[serde(default)]
    pub fixed: Option<String>,
}

/// "Properties and values" on the registration form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PropertiesFieldRule {
    /// Shown on the form.
    #[serde(default)]
    pub enabled: bool,
    /// Every listed property must be filled in.
    #[serde(default)]
    pub required: bool,
    /// Names of the extended properties asked for (U9).
    #[serde(default)]
    pub names: Vec<String>,
}

/// The switchable fields of the registration form (R2). Name, e-mail and login are always asked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationFields {
    /// Personnel number.
    #[serde(default)]
    pub personnel_number: FieldRule,
    /// A password chosen on the form (otherwise a set-password link is mailed).
    #[serde(default)]
    pub password: FieldRule,
    /// Postal address.
    #[serde(default)]
    pub address: FieldRule,
    /// Phone.
    #[serde(default)]
    pub phone: FieldRule,
    /// Mobile phone.
    #[serde(default)]
    pub mobile: FieldRule,
    /// Private e-mail address.
    #[serde(default)]
    pub private_email: FieldRule,
    /// Gender.
    #[serde(default)]
    pub gender: FieldRule,
    /// Birth date.
    #[serde(default)]
    pub birth_date: FieldRule,
    /// Organisation choice, or a fixed organisation.
    #[serde(default)]
    pub organisation: ChoiceFieldRule,
    /// Organisation-unit choice, or a fixed unit.
    #[serde(default)]
    pub organisation_unit: ChoiceFieldRule,
    /// Billing details.
    #[serde(default)]
    pub billing_details: FieldRule,
    /// Order number.
    #[serde(default)]
    pub order_number: FieldRule,
    /// Extended properties and values.
    #[serde(default)]
    pub properties: PropertiesFieldRule,
    /// PE-Online id.
    #[serde(default)]
    pub pe_online_id: FieldRule,
    /// Newsletter opt-in.
    #[serde(default)]
    pub newsletter: FieldRule,
    /// Captcha.
    #[serde(default)]
    pub captcha: FieldRule,
    /// Disclaimer acceptance.
    #[serde(default)]
    pub disclaimer: FieldRule,
}

/// Rules for passwords a user chooses (R7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordPolicy {
    /// Fewest characters.
    #[serde(default = "default_min_length")]
    pub min_length: u32,
    /// Must contain a letter.
    #[serde(default)]
    pub require_letter: bool,
    /// Must contain a digit.
    #[serde(default)]
    pub require_digit: bool,
    /// Must contain a character that is neither letter nor digit.
    #[serde(default)]
    pub require_symbol: bool,
}

fn default_min_length() -> u32 {
    10
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_length: default_min_length(),
            require_letter: false,
            require_digit: false,
            require_symbol: false,
        }
    }
}

/// Who holds a role: back-office accounts or portal users.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleKind {
    /// Back-office (administration) accounts.
    #[default]
    Backoffice,
    /// Portal users (learners, superiors).
    Portal,
}

impl RoleKind {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Backoffice => "backoffice",
            Self::Portal => "portal",
        }
    }
}

/// Which users a role's rights reach (B5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleScope {
    /// Every user of the tenant (customer admin, Dutch back-office roles).
    #[default]
    Tenant,
    /// The holder's organisation unit and every unit below it (sub-tenant admin).
    Subtree,
    /// The holder's own organisation unit only (OU admin, OU assistant).
    OwnOu,
    /// The learners assigned to the holder (superior).
    AssignedLearners,
    /// Only the holder (learner).
    #[serde(rename = "self")]
    Own,
}

impl RoleScope {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tenant => "tenant",
            Self::Subtree => "subtree",
            Self::OwnOu => "own_ou",
            Self::AssignedLearners => "assigned_learners",
            Self::Own => "self",
        }
    }
}

/// A role and the rights it carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// Unique within the tenant.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Who holds it.
    #[serde(default)]
    pub kind: RoleKind,
    /// Which users its rights reach.
    #[serde(default)]
    pub scope: RoleScope,
    /// B1 "is administrator": holds every right in its scope and may grant every role.
    #[serde(default)]
    pub administrator: bool,
    /// Rights (back-office sections); see `docs/tenants.md` for the list.
    #[serde(default)]
    pub rights: Vec<String>,
    /// Free text shown to administrators.
    #[serde(default)]
    pub description: Option<String>,
}

/// A user group (G1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserGroup {
    /// Unique within the tenant; imports refer to groups by it.
    pub code: String,
    /// Display name, unique within the tenant.
    pub name: String,
}

/// An enrollment profile (I5): a named set of courses a user is enrolled into.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollmentProfile {
    /// Unique within the tenant; imports refer to profiles by it.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
}

/// A learning activity (course) of a catalog, with its dated executions (R5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LearningActivity {
    /// Unique within the tenant; invitation links name it (`/t/{tenant}/activities/{code}`).
    pub code: String,
    /// Display title.
    pub title: String,
    /// Catalog the activity belongs to.
    #[serde(default)]
    pub catalog: Option<String>,
    /// Free text shown on the detail page.
    #[serde(default)]
    pub description: Option<String>,
    /// Dated runs people enroll in.
    #[serde(default)]
    pub executions: Vec<Execution>,
}

/// One execution of a learning activity: dates, place and seats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Execution {
    /// Unique within the tenant.
    pub code: String,
    /// Optional title (e.g. "Spring group").
    #[serde(default)]
    pub title: Option<String>,
    /// Start, RFC 3339 (`2027-03-01T09:00:00Z`).
    #[serde(default)]
    pub starts_at: Option<chrono::DateTime<chrono::Utc>>,
    /// End, RFC 3339.
    #[serde(default)]
    pub ends_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Place.
    #[serde(default)]
    pub location: Option<String>,
    /// Seats; absent means no limit.
    #[serde(default)]
    pub capacity: Option<u32>,
}

/// What an import configuration imports (I2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    /// Users with all their fields (the standard format).
    Users,
    /// Personal budget only ("POB"): a user key and an amount.
    PersonalBudget,
    /// One row per user, property and value.
    ExtendedProperties,
    /// HR: users with employments, departments and parent departments.
    Hr,
}

impl ImportKind {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Users => "users",
            Self::PersonalBudget => "personal_budget",
            Self::ExtendedProperties => "extended_properties",
            Self::Hr => "hr",
        }
    }
}

/// File format of an import (I1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportFormat {
    /// Delimited text.
    #[default]
    Csv,
    /// XML, one element per row.
    Xml,
}

impl ImportFormat {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xml => "xml",
        }
    }
}

/// A tenant's import configuration: which columns go to which fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportConfiguration {
    /// Unique within the tenant (e.g. `POB`).
    pub code: String,
    /// Display name.
    pub name: String,
    /// What the rows import.
    pub kind: ImportKind,
    /// File format.
    #[serde(default)]
    pub format: ImportFormat,
    /// CSV delimiter, one character.
    #[serde(default = "default_delimiter")]
    pub delimiter: String,
    /// Whether the first CSV line holds column names (required when any column maps by header).
    #[serde(default = "yes")]
    pub header: bool,
    /// Catalog that created users are given.
    #[serde(default)]
    pub catalog: Option<String>,
    /// The column mapping.
    pub columns: Vec<ColumnMapping>,
}

fn default_delimiter() -> String {
    ";".to_owned()
}

/// One column of an import: by header name or by spreadsheet column letter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnMapping {
    /// The field the column fills (see `docs/import.md` / `docs/tenants.md` for the list).
    pub field: String,
    /// Column name in the header line (exactly as written in the file).
    #[serde(default)]
    pub header: Option<String>,
    /// Column letter (`A`, `B`, …, `AE`).
    #[serde(default)]
    pub column: Option<String>,
    /// The column must be present in every file.
    #[serde(default)]
    pub required: bool,
}

/// J2: a tenant's own mail templates, by language and then by mail name (`registration_confirm`).
pub type MailTemplates = BTreeMap<String, BTreeMap<String, String>>;

/// Sender and wording of the tenant's mails.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    /// Display name of the sender.
    #[serde(default)]
    pub from_name: Option<String>,
    /// Sender address; default: the server's `smtp.from`.
    #[serde(default)]
    pub from_address: Option<String>,
    /// Reply-to address.
    #[serde(default)]
    pub reply_to: Option<String>,
    /// J2: templates that replace Roster's own for this tenant (`Subject:` line, blank line,
    /// body; minijinja), checked when the descriptor is loaded.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub templates: MailTemplates,
}
