//! Back-office pages under `/t/{tenant}/backoffice`, and the menu (B3): a section appears only
//! with the right that opens it.

mod pages;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Serialize;

use crate::app::AppState;
use crate::authz::{Access, Right};
use crate::web::guard::{need, signed_in};

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

/// All back-office page routes; each section is guarded by the right that opens it (B3).
pub fn router(state: &AppState) -> Router<AppState> {
    let mut router = Router::new()
        .route("/t/{tenant}/backoffice", signed_in(state, get(pages::home)))
        .route(
            "/t/{tenant}/backoffice/users",
            need(state, Right::Users, get(pages::users)),
        )
        .route(
            "/t/{tenant}/backoffice/backoffice-users",
            need(state, Right::BackofficeUsers, get(pages::backoffice_users)),
        )
        .route(
            "/t/{tenant}/backoffice/roles",
            need(state, Right::Roles, get(pages::roles)),
        );
    for (right, item) in Right::ALL.into_iter().zip(menu(&Right::ALL)) {
        if matches!(right, Right::Users | Right::BackofficeUsers | Right::Roles) {
            continue;
        }
        let handler =
            move |state: State<AppState>, access: Access| pages::section(state, access, right);
        router = router.route(
            &format!("/t/{{tenant}}/backoffice{}", item.path),
            need(state, right, get(handler)),
        );
    }
    router
}
