//! Back-office pages under `/t/{tenant}/backoffice`, and the menu (B3): a section appears only
//! with the right that opens it.

use axum::Router;
use serde::Serialize;

use crate::app::AppState;
use crate::authz::Right;

/// One menu entry.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MenuItem {
    /// The right behind it.
    pub right: &'static str,
    /// Label.
    pub label: &'static str,
    /// Path below `/t/{tenant}/backoffice`.
    pub path: &'static str,
}

/// B3: the menu for someone holding `rights`.
pub fn menu(rights: &[Right]) -> Vec<MenuItem> {
    rights
        .iter()
        .map(|r| {
            let (label, path) = match r {
                Right::Users => ("Users", "/users"),
                Right::CatalogUsers => ("Catalog users", "/catalog-users"),
                Right::BackofficeUsers => ("Back-office users", "/backoffice-users"),
                Right::Roles => ("Roles and rights", "/roles"),
                Right::Organisations => ("Organisations", "/organisations"),
                Right::UserGroups => ("User groups", "/user-groups"),
                Right::DynamicGroups => ("Dynamic learning groups", "/dynamic-groups"),
                Right::EnrollmentProfiles => ("Enrollment profiles", "/enrollment-profiles"),
                Right::LearningActivities => ("Learning activities", "/learning-activities"),
                Right::Imports => ("Imports", "/imports"),
                Right::Export => ("Export", "/export"),
                Right::Communication => ("Communication", "/communication"),
                Right::Settings => ("Settings", "/settings"),
                Right::Material => ("Material", "/material"),
                Right::Reports => ("Reports", "/reports"),
                Right::AdvancedReports => ("Advanced reports", "/advanced-reports"),
                Right::Audit => ("Audit trail", "/audit"),
                Right::ApproveRegistrations => ("Registrations to approve", "/approvals"),
            };
            MenuItem {
                right: r.as_str(),
                label,
                path,
            }
        })
        .collect()
}

/// All back-office page routes.
pub fn router(_state: &AppState) -> Router<AppState> {
    Router::new()
}
