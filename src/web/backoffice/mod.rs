//! Back-office pages under `/t/{tenant}/backoffice`, and the menu (B3): a section appears only
//! with the right that opens it, and each of its routes is guarded by that same right, so a
//! section missing from the menu is unreachable by URL too.
//!
//! Pages are server-rendered (templates/backoffice/*.html) in the page language (`web::i18n`);
//! forms post back to the same path and answer with a redirect (303) on success or the form
//! again with the entered values and per-field messages (422). Handlers stay thin: they call
//! the domain functions that the API calls.

mod accounts;
mod approvals;
mod groups;
mod imports;
mod organisations;
mod pages;
mod roles;
mod users;
mod view;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::State;
use axum::routing::{get, post};
use serde::Serialize;

use crate::app::AppState;
use crate::authz::{Permit, Right};
use crate::web::guard::{need, signed_in};

/// One menu entry.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MenuItem {
    /// The right behind it.
    pub right: &'static str,
    /// Label (English; pages show the catalog text `right.<right>`).
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

/// Sections whose pages are routed below; every other right gets the placeholder page of
/// [`pages::section`]. Add a right here when a module adds its routes (imports, approvals …).
const WITH_PAGES: &[Right] = &[
    Right::Users,
    Right::UserGroups,
    Right::Organisations,
    Right::BackofficeUsers,
    Right::Roles,
    Right::Imports,
    Right::ApproveRegistrations,
];

/// All back-office page routes; each is guarded by the right that opens its section (B3).
/// One `.route(…)` per path: add a section by adding its lines and its right to `WITH_PAGES`.
pub fn router(state: &AppState) -> Router<AppState> {
    let s = state;
    let mut router = Router::new()
        .route("/t/{tenant}/backoffice", signed_in(s, get(pages::home)))
        // Users (U1–U10)
        .route(
            "/t/{tenant}/backoffice/users",
            need(s, Right::Users, get(users::list)),
        )
        .route(
            "/t/{tenant}/backoffice/users/new",
            need(s, Right::Users, get(users::new_form).post(users::create)),
        )
        .route(
            "/t/{tenant}/backoffice/users/{id}",
            need(s, Right::Users, get(users::edit).post(users::update)),
        )
        .route(
            "/t/{tenant}/backoffice/users/{id}/history",
            need(s, Right::Audit, get(users::history)),
        )
        .route(
            "/t/{tenant}/backoffice/users/{id}/deactivate",
            need(s, Right::Users, post(users::deactivate)),
        )
        .route(
            "/t/{tenant}/backoffice/users/{id}/reactivate",
            need(s, Right::Users, post(users::reactivate)),
        )
        .route(
            "/t/{tenant}/backoffice/users/{id}/account-mail",
            need(s, Right::Users, post(users::account_mail)),
        )
        // User groups (G1)
        .route(
            "/t/{tenant}/backoffice/user-groups",
            need(s, Right::UserGroups, get(groups::list).post(groups::create)),
        )
        .route(
            "/t/{tenant}/backoffice/user-groups/{id}/rename",
            need(s, Right::UserGroups, post(groups::rename)),
        )
        .route(
            "/t/{tenant}/backoffice/user-groups/{id}/delete",
            need(s, Right::UserGroups, post(groups::delete)),
        )
        // Organisations and their departments (U8, U10)
        .route(
            "/t/{tenant}/backoffice/organisations",
            need(
                s,
                Right::Organisations,
                get(organisations::list).post(organisations::create),
            ),
        )
        .route(
            "/t/{tenant}/backoffice/organisations/{id}/rename",
            need(s, Right::Organisations, post(organisations::rename)),
        )
        .route(
            "/t/{tenant}/backoffice/organisations/{id}",
            need(s, Right::Organisations, get(organisations::departments)),
        )
        // Back-office users (B1, B4)
        .route(
            "/t/{tenant}/backoffice/backoffice-users",
            need(s, Right::BackofficeUsers, get(accounts::list)),
        )
        .route(
            "/t/{tenant}/backoffice/backoffice-users/{id}",
            need(s, Right::BackofficeUsers, get(accounts::show)),
        )
        // Roles and rights (B3)
        .route(
            "/t/{tenant}/backoffice/roles",
            need(s, Right::Roles, get(roles::list).post(roles::create)),
        )
        .route(
            "/t/{tenant}/backoffice/roles/{code}",
            need(
                s,
                Right::Roles,
                get(roles::rights_tab).post(roles::save_rights),
            ),
        );
    // Imports (I8, I9)
    router = router
        .route(
            "/t/{tenant}/backoffice/imports",
            need(
                s,
                Right::Imports,
                get(imports::list)
                    .post(imports::stage)
                    .layer(DefaultBodyLimit::max(crate::web::api::MAX_IMPORT_BYTES)),
            ),
        )
        .route(
            "/t/{tenant}/backoffice/imports/{id}",
            need(s, Right::Imports, get(imports::show)),
        )
        .route(
            "/t/{tenant}/backoffice/imports/{id}/run-now",
            need(s, Right::Imports, post(imports::run_now)),
        )
        .route(
            "/t/{tenant}/backoffice/imports/{id}/report.csv",
            need(s, Right::Imports, get(imports::report)),
        );
    // Registrations to approve (R3)
    router = router
        .route(
            "/t/{tenant}/backoffice/approvals",
            need(s, Right::ApproveRegistrations, get(approvals::list)),
        )
        .route(
            "/t/{tenant}/backoffice/approvals/{id}/approve",
            need(s, Right::ApproveRegistrations, post(approvals::approve)),
        )
        .route(
            "/t/{tenant}/backoffice/approvals/{id}/reject",
            need(s, Right::ApproveRegistrations, post(approvals::reject)),
        );
    for (right, item) in Right::ALL.into_iter().zip(menu(&Right::ALL)) {
        if WITH_PAGES.contains(&right) {
            continue;
        }
        let handler =
            move |state: State<AppState>, access: Permit| pages::section(state, access, right);
        router = router.route(
            &format!("/t/{{tenant}}/backoffice{}", item.path),
            need(s, right, get(handler)),
        );
    }
    router
}
