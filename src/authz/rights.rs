//! The closed list of rights (B3): each one opens one back-office section or portal power.
//!
//! Descriptors name rights by their snake_case spelling; an unknown name is a validation error.
//! Whether a section is catalog-scoped (B4) lives here too, next to the right that opens it.

use std::fmt;
use std::str::FromStr;

/// A right a role can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Right {
    /// Portal users: list, create, edit, deactivate (U1–U10).
    Users,
    /// Catalog users and their catalog membership (Dutch "Catalogus gebruikers").
    CatalogUsers,
    /// Back-office accounts (B1, B2).
    BackofficeUsers,
    /// Roles and their rights (B3).
    Roles,
    /// Organisations, departments and organisation units.
    Organisations,
    /// User groups (G1).
    UserGroups,
    /// Dynamic learning groups (G2).
    DynamicGroups,
    /// Enrollment profiles (I5).
    EnrollmentProfiles,
    /// Learning activities, executions and enrollments.
    LearningActivities,
    /// User imports (I1–I9).
    Imports,
    /// User export (I10).
    Export,
    /// Mails and messages to users.
    Communication,
    /// Tenant settings.
    Settings,
    /// Course material.
    Material,
    /// Reports on users within scope (superiors: their learners, U7).
    Reports,
    /// Advanced reports.
    AdvancedReports,
    /// The audit trail (X3).
    Audit,
    /// Approving self-registrations of one's own organisation (R3).
    ApproveRegistrations,
}

impl Right {
    /// Every right, in menu order.
    pub const ALL: [Right; 18] = [
        Right::Users,
        Right::CatalogUsers,
        Right::BackofficeUsers,
        Right::Roles,
        Right::Organisations,
        Right::UserGroups,
        Right::DynamicGroups,
        Right::EnrollmentProfiles,
        Right::LearningActivities,
        Right::Imports,
        Right::Export,
        Right::Communication,
        Right::Settings,
        Right::Material,
        Right::Reports,
        Right::AdvancedReports,
        Right::Audit,
        Right::ApproveRegistrations,
    ];

    /// The spelling used in descriptors, policies and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Right::Users => "users",
            Right::CatalogUsers => "catalog_users",
            Right::BackofficeUsers => "backoffice_users",
            Right::Roles => "roles",
            Right::Organisations => "organisations",
            Right::UserGroups => "user_groups",
            Right::DynamicGroups => "dynamic_groups",
            Right::EnrollmentProfiles => "enrollment_profiles",
            Right::LearningActivities => "learning_activities",
            Right::Imports => "imports",
            Right::Export => "export",
            Right::Communication => "communication",
            Right::Settings => "settings",
            Right::Material => "material",
            Right::Reports => "reports",
            Right::AdvancedReports => "advanced_reports",
            Right::Audit => "audit",
            Right::ApproveRegistrations => "approve_registrations",
        }
    }

    /// B4: sections that are not separated per catalog.
    pub fn is_catalog_scoped(self) -> bool {
        !matches!(
            self,
            Right::Communication | Right::Settings | Right::Material | Right::AdvancedReports
        )
    }
}

impl fmt::Display for Right {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A right name that is not on the list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown right `{0}`")]
pub struct UnknownRight(pub String);

impl FromStr for Right {
    type Err = UnknownRight;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Right::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRight(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_right_round_trips_through_its_name() {
        for right in Right::ALL {
            assert_eq!(right.as_str().parse::<Right>(), Ok(right));
        }
        assert!("user".parse::<Right>().is_err());
    }

    #[test]
    fn b4_sections_outside_catalog_scope() {
        let unscoped: Vec<_> = Right::ALL
            .into_iter()
            .filter(|r| !r.is_catalog_scoped())
            .collect();
        assert_eq!(
            unscoped,
            [
                Right::Communication,
                Right::Settings,
                Right::Material,
                Right::AdvancedReports
            ]
        );
    }
}
