//! The JSON API under `/api/v1/{tenant}/…` (X2). This table is the one place where each route
//! states the right it needs (B3); the guard enforces it before any handler runs.

pub(crate) mod audit;
pub(crate) mod backoffice;
pub(crate) mod catalogs;
pub(crate) mod groups;
pub(crate) mod imports;
mod json;
pub(crate) mod me;
pub(crate) mod organisations;
pub(crate) mod reports;
pub(crate) mod roles;
pub(crate) mod units;
pub(crate) mod users;

pub use json::{Json, body_error};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};

use crate::app::AppState;
use crate::authz::Right;
use crate::web::guard::{need, signed_in};

/// Largest import file accepted over HTTP.
pub const MAX_IMPORT_BYTES: usize = 256 * 1024 * 1024;

/// Every guarded API route: method, path and the right it needs (tests walk this list).
pub const GUARDED: &[(&str, &str, Right)] = &[
    ("GET", "/api/v1/{tenant}/users", Right::Users),
    ("POST", "/api/v1/{tenant}/users", Right::Users),
    ("GET", "/api/v1/{tenant}/login-suggestion", Right::Users),
    (
        "GET",
        "/api/v1/{tenant}/organisations/typeahead",
        Right::Users,
    ),
    (
        "POST",
        "/api/v1/{tenant}/users/{id}/account-mail",
        Right::Users,
    ),
    (
        "GET",
        "/api/v1/{tenant}/users/{id}/employments",
        Right::Users,
    ),
    (
        "POST",
        "/api/v1/{tenant}/users/{id}/employments",
        Right::Users,
    ),
    (
        "POST",
        "/api/v1/{tenant}/users/{id}/employments/{employment}/end",
        Right::Users,
    ),
    ("PUT", "/api/v1/{tenant}/users/{id}/budget", Right::Users),
    ("DELETE", "/api/v1/{tenant}/users/{id}/budget", Right::Users),
    (
        "PUT",
        "/api/v1/{tenant}/users/{id}/properties",
        Right::Users,
    ),
    ("GET", "/api/v1/{tenant}/users/{id}/audit", Right::Audit),
    ("GET", "/api/v1/{tenant}/user-groups", Right::UserGroups),
    ("POST", "/api/v1/{tenant}/user-groups", Right::UserGroups),
    (
        "GET",
        "/api/v1/{tenant}/user-groups/{id}",
        Right::UserGroups,
    ),
    (
        "PATCH",
        "/api/v1/{tenant}/user-groups/{id}",
        Right::UserGroups,
    ),
    (
        "DELETE",
        "/api/v1/{tenant}/user-groups/{id}",
        Right::UserGroups,
    ),
    ("GET", "/api/v1/{tenant}/users/{id}", Right::Users),
    ("PATCH", "/api/v1/{tenant}/users/{id}", Right::Users),
    ("DELETE", "/api/v1/{tenant}/users/{id}", Right::Users),
    (
        "POST",
        "/api/v1/{tenant}/users/{id}/deactivate",
        Right::Users,
    ),
    (
        "POST",
        "/api/v1/{tenant}/users/{id}/reactivate",
        Right::Users,
    ),
    (
        "GET",
        "/api/v1/{tenant}/backoffice-users",
        Right::BackofficeUsers,
    ),
    (
        "POST",
        "/api/v1/{tenant}/backoffice-users",
        Right::BackofficeUsers,
    ),
    (
        "GET",
        "/api/v1/{tenant}/backoffice-users/{id}",
        Right::BackofficeUsers,
    ),
    (
        "PATCH",
        "/api/v1/{tenant}/backoffice-users/{id}",
        Right::BackofficeUsers,
    ),
    (
        "POST",
        "/api/v1/{tenant}/backoffice-users/{id}/activate",
        Right::BackofficeUsers,
    ),
    (
        "POST",
        "/api/v1/{tenant}/backoffice-users/{id}/deactivate",
        Right::BackofficeUsers,
    ),
    (
        "PUT",
        "/api/v1/{tenant}/backoffice-users/{id}/roles",
        Right::BackofficeUsers,
    ),
    (
        "PUT",
        "/api/v1/{tenant}/backoffice-users/{id}/catalogs",
        Right::BackofficeUsers,
    ),
    (
        "POST",
        "/api/v1/{tenant}/backoffice-users/{id}/temporary-password",
        Right::BackofficeUsers,
    ),
    ("GET", "/api/v1/{tenant}/users-export", Right::Export),
    ("POST", "/api/v1/{tenant}/imports", Right::Imports),
    ("GET", "/api/v1/{tenant}/imports", Right::Imports),
    ("GET", "/api/v1/{tenant}/imports/{id}", Right::Imports),
    (
        "POST",
        "/api/v1/{tenant}/imports/{id}/run-now",
        Right::Imports,
    ),
    (
        "GET",
        "/api/v1/{tenant}/imports/{id}/report",
        Right::Imports,
    ),
    ("GET", "/api/v1/{tenant}/reports/learners", Right::Reports),
    ("GET", "/api/v1/{tenant}/roles", Right::Roles),
    ("POST", "/api/v1/{tenant}/roles", Right::Roles),
    ("PUT", "/api/v1/{tenant}/roles/{code}/rights", Right::Roles),
    // Organisations, departments and units (H4).
    (
        "GET",
        "/api/v1/{tenant}/organisations",
        Right::Organisations,
    ),
    (
        "POST",
        "/api/v1/{tenant}/organisations",
        Right::Organisations,
    ),
    (
        "GET",
        "/api/v1/{tenant}/organisations/{id}",
        Right::Organisations,
    ),
    (
        "PATCH",
        "/api/v1/{tenant}/organisations/{id}",
        Right::Organisations,
    ),
    (
        "DELETE",
        "/api/v1/{tenant}/organisations/{id}",
        Right::Organisations,
    ),
    (
        "GET",
        "/api/v1/{tenant}/organisations/{id}/departments",
        Right::Organisations,
    ),
    (
        "POST",
        "/api/v1/{tenant}/organisations/{id}/departments",
        Right::Organisations,
    ),
    (
        "GET",
        "/api/v1/{tenant}/departments/{id}",
        Right::Organisations,
    ),
    (
        "PATCH",
        "/api/v1/{tenant}/departments/{id}",
        Right::Organisations,
    ),
    (
        "DELETE",
        "/api/v1/{tenant}/departments/{id}",
        Right::Organisations,
    ),
    ("GET", "/api/v1/{tenant}/units", Right::Organisations),
    ("POST", "/api/v1/{tenant}/units", Right::Organisations),
    ("GET", "/api/v1/{tenant}/units/{id}", Right::Organisations),
    ("PATCH", "/api/v1/{tenant}/units/{id}", Right::Organisations),
    (
        "DELETE",
        "/api/v1/{tenant}/units/{id}",
        Right::Organisations,
    ),
    ("GET", "/api/v1/{tenant}/catalogs", Right::Settings),
    ("POST", "/api/v1/{tenant}/catalogs", Right::Settings),
    ("PATCH", "/api/v1/{tenant}/catalogs/{id}", Right::Settings),
];

/// All API routes.
pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/api/v1/{tenant}/me", signed_in(state, get(me::me)))
        .route(
            "/api/v1/{tenant}/users",
            need(state, Right::Users, get(users::list).post(users::create)),
        )
        .route(
            "/api/v1/{tenant}/login-suggestion",
            need(state, Right::Users, get(users::login_suggestion)),
        )
        .route(
            "/api/v1/{tenant}/organisations/typeahead",
            need(state, Right::Users, get(users::organisation_typeahead)),
        )
        .route(
            "/api/v1/{tenant}/users/{id}/account-mail",
            need(state, Right::Users, post(users::account_mail)),
        )
        .route(
            "/api/v1/{tenant}/users/{id}/employments",
            need(
                state,
                Right::Users,
                get(users::employments).post(users::add_employment),
            ),
        )
        .route(
            "/api/v1/{tenant}/users/{id}/employments/{employment}/end",
            need(state, Right::Users, post(users::end_employment)),
        )
        .route(
            "/api/v1/{tenant}/users/{id}/budget",
            need(
                state,
                Right::Users,
                put(users::set_budget).delete(users::delete_budget),
            ),
        )
        .route(
            "/api/v1/{tenant}/users/{id}/properties",
            need(state, Right::Users, put(users::set_properties)),
        )
        .route(
            "/api/v1/{tenant}/users/{id}/audit",
            need(state, Right::Audit, get(audit::user_trail)),
        )
        .route(
            "/api/v1/{tenant}/user-groups",
            need(
                state,
                Right::UserGroups,
                get(groups::list).post(groups::create),
            ),
        )
        .route(
            "/api/v1/{tenant}/user-groups/{id}",
            need(
                state,
                Right::UserGroups,
                get(groups::get)
                    .patch(groups::rename)
                    .delete(groups::delete),
            ),
        )
        .route(
            "/api/v1/{tenant}/users/{id}",
            need(
                state,
                Right::Users,
                get(users::get).patch(users::update).delete(users::delete),
            ),
        )
        .route(
            "/api/v1/{tenant}/users/{id}/deactivate",
            need(state, Right::Users, post(users::deactivate)),
        )
        .route(
            "/api/v1/{tenant}/users/{id}/reactivate",
            need(state, Right::Users, post(users::reactivate)),
        )
        .route(
            "/api/v1/{tenant}/reports/learners",
            need(state, Right::Reports, get(reports::learners)),
        )
        .route(
            "/api/v1/{tenant}/users-export",
            need(state, Right::Export, get(imports::export)),
        )
        .route(
            "/api/v1/{tenant}/imports",
            need(
                state,
                Right::Imports,
                get(imports::list)
                    .post(imports::stage)
                    .layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES)),
            ),
        )
        .route(
            "/api/v1/{tenant}/imports/{id}",
            need(state, Right::Imports, get(imports::get)),
        )
        .route(
            "/api/v1/{tenant}/imports/{id}/run-now",
            need(state, Right::Imports, post(imports::run_now)),
        )
        .route(
            "/api/v1/{tenant}/imports/{id}/report",
            need(state, Right::Imports, get(imports::report)),
        )
        .route(
            "/api/v1/{tenant}/backoffice-users",
            need(
                state,
                Right::BackofficeUsers,
                get(backoffice::list).post(backoffice::create),
            ),
        )
        .route(
            "/api/v1/{tenant}/backoffice-users/{id}",
            need(
                state,
                Right::BackofficeUsers,
                get(backoffice::get).patch(backoffice::update),
            ),
        )
        .route(
            "/api/v1/{tenant}/backoffice-users/{id}/activate",
            need(state, Right::BackofficeUsers, post(backoffice::activate)),
        )
        .route(
            "/api/v1/{tenant}/backoffice-users/{id}/deactivate",
            need(state, Right::BackofficeUsers, post(backoffice::deactivate)),
        )
        .route(
            "/api/v1/{tenant}/backoffice-users/{id}/roles",
            need(state, Right::BackofficeUsers, put(backoffice::set_roles)),
        )
        .route(
            "/api/v1/{tenant}/backoffice-users/{id}/catalogs",
            need(state, Right::BackofficeUsers, put(backoffice::set_catalogs)),
        )
        .route(
            "/api/v1/{tenant}/backoffice-users/{id}/temporary-password",
            need(
                state,
                Right::BackofficeUsers,
                post(backoffice::temporary_password),
            ),
        )
        .route(
            "/api/v1/{tenant}/roles",
            need(state, Right::Roles, get(roles::list).post(roles::create)),
        )
        .route(
            "/api/v1/{tenant}/roles/{code}/rights",
            need(state, Right::Roles, put(roles::set_rights)),
        )
        .merge(structure_routes(state))
}

/// Organisations, departments, units (`Right::Organisations`) and catalogs (`Right::Settings`).
fn structure_routes(state: &AppState) -> Router<AppState> {
    use Right::{Organisations as O, Settings};
    Router::new()
        .route(
            "/api/v1/{tenant}/organisations",
            need(
                state,
                O,
                get(organisations::list).post(organisations::create),
            ),
        )
        .route(
            "/api/v1/{tenant}/organisations/{id}",
            need(
                state,
                O,
                get(organisations::get)
                    .patch(organisations::update)
                    .delete(organisations::delete),
            ),
        )
        .route(
            "/api/v1/{tenant}/organisations/{id}/departments",
            need(
                state,
                O,
                get(organisations::departments).post(organisations::create_department),
            ),
        )
        .route(
            "/api/v1/{tenant}/departments/{id}",
            need(
                state,
                O,
                get(organisations::get_department)
                    .patch(organisations::update_department)
                    .delete(organisations::delete_department),
            ),
        )
        .route(
            "/api/v1/{tenant}/units",
            need(state, O, get(units::tree).post(units::create)),
        )
        .route(
            "/api/v1/{tenant}/units/{id}",
            need(
                state,
                O,
                get(units::get).patch(units::update).delete(units::delete),
            ),
        )
        .route(
            "/api/v1/{tenant}/catalogs",
            need(state, Settings, get(catalogs::list).post(catalogs::create)),
        )
        .route(
            "/api/v1/{tenant}/catalogs/{id}",
            need(state, Settings, axum::routing::patch(catalogs::rename)),
        )
}
