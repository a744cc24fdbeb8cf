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
use crate::authz::Right::{
    ApproveRegistrations, Audit, BackofficeUsers, Imports, Organisations, Roles, UserGroups, Users,
};
use crate::authz::{Permit, Right};
use crate::web::routes::{Gate, Route, Table};

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

/// The back office's route table: each page with its gate (B3); every section is guarded by the
/// right that opens it. A section of the [`menu`] without pages here gets the placeholder page
/// of [`pages::section`] at its menu path, behind its right.
pub fn routes() -> Table {
    let page = |right: Right, path: &str, handlers| Route::page(Gate::Right(right), path, handlers);
    let mut table = Table(vec![
        Route::page(Gate::SignedIn, "/t/{tenant}/backoffice", get(pages::home)),
        // Users (U1–U10)
        page(Users, "/t/{tenant}/backoffice/users", get(users::list)),
        page(
            Users,
            "/t/{tenant}/backoffice/users/new",
            get(users::new_form).post(users::create),
        ),
        page(
            Users,
            "/t/{tenant}/backoffice/users/{id}",
            get(users::edit).post(users::update),
        ),
        page(
            Audit,
            "/t/{tenant}/backoffice/users/{id}/history",
            get(users::history),
        ),
        page(
            Users,
            "/t/{tenant}/backoffice/users/{id}/deactivate",
            post(users::deactivate),
        ),
        page(
            Users,
            "/t/{tenant}/backoffice/users/{id}/reactivate",
            post(users::reactivate),
        ),
        page(
            Users,
            "/t/{tenant}/backoffice/users/{id}/account-mail",
            post(users::account_mail),
        ),
        // User groups (G1)
        page(
            UserGroups,
            "/t/{tenant}/backoffice/user-groups",
            get(groups::list).post(groups::create),
        ),
        page(
            UserGroups,
            "/t/{tenant}/backoffice/user-groups/{id}/rename",
            post(groups::rename),
        ),
        page(
            UserGroups,
            "/t/{tenant}/backoffice/user-groups/{id}/delete",
            post(groups::delete),
        ),
        // Organisations and their departments (U8, U10)
        page(
            Organisations,
            "/t/{tenant}/backoffice/organisations",
            get(organisations::list).post(organisations::create),
        ),
        page(
            Organisations,
            "/t/{tenant}/backoffice/organisations/{id}/rename",
            post(organisations::rename),
        ),
        page(
            Organisations,
            "/t/{tenant}/backoffice/organisations/{id}",
            get(organisations::departments),
        ),
        // Back-office users (B1, B4)
        page(
            BackofficeUsers,
            "/t/{tenant}/backoffice/backoffice-users",
            get(accounts::list),
        ),
        page(
            BackofficeUsers,
            "/t/{tenant}/backoffice/backoffice-users/{id}",
            get(accounts::show),
        ),
        // Roles and rights (B3)
        page(
            Roles,
            "/t/{tenant}/backoffice/roles",
            get(roles::list).post(roles::create),
        ),
        page(
            Roles,
            "/t/{tenant}/backoffice/roles/{code}",
            get(roles::rights_tab).post(roles::save_rights),
        ),
        // Imports (I8, I9)
        page(
            Imports,
            "/t/{tenant}/backoffice/imports",
            get(imports::list)
                .post(imports::stage)
                .layer(DefaultBodyLimit::max(crate::web::api::MAX_IMPORT_BYTES)),
        ),
        page(
            Imports,
            "/t/{tenant}/backoffice/imports/{id}",
            get(imports::show),
        ),
        page(
            Imports,
            "/t/{tenant}/backoffice/imports/{id}/run-now",
            post(imports::run_now),
        ),
        page(
            Imports,
            "/t/{tenant}/backoffice/imports/{id}/report.csv",
            get(imports::report),
        ),
        // Registrations to approve (R3)
        page(
            ApproveRegistrations,
            "/t/{tenant}/backoffice/approvals",
            get(approvals::list),
        ),
        page(
            ApproveRegistrations,
            "/t/{tenant}/backoffice/approvals/{id}/approve",
            post(approvals::approve),
        ),
        page(
            ApproveRegistrations,
            "/t/{tenant}/backoffice/approvals/{id}/reject",
            post(approvals::reject),
        ),
    ]);
    let routed: Vec<String> = table.gates().iter().map(|(p, _)| p.to_string()).collect();
    for (right, item) in Right::ALL.into_iter().zip(menu(&Right::ALL)) {
        let path = section_path(&item);
        if routed.contains(&path) {
            continue;
        }
        let handler =
            move |state: State<AppState>, access: Permit| pages::section(state, access, right);
        table.push(page(right, &path, get(handler)));
    }
    table
}

/// The routed path of a menu entry's section.
fn section_path(item: &MenuItem) -> String {
    format!("/t/{{tenant}}/backoffice{}", item.path)
}

/// All back-office page routes, each behind its gate (B3).
pub fn router(state: &AppState) -> Router<AppState> {
    routes().router(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b3_every_section_is_routed_behind_its_right() {
        let table = routes();
        let gates = table.gates();
        for (right, item) in Right::ALL.into_iter().zip(menu(&Right::ALL)) {
            let path = section_path(&item);
            let behind: Vec<_> = gates.iter().filter(|(p, _)| *p == path).collect();
            assert_eq!(
                behind,
                [&(path.as_str(), Gate::Right(right))],
                "{right}: its menu path"
            );
        }
    }
}
