//! The JSON API under `/api/v1/{tenant}/…` (X2). This table is the one place where each route
//! states the right it needs (B3); the guard enforces it before any handler runs.

mod backoffice;
mod imports;
mod me;
mod reports;
mod roles;
mod users;

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
];

/// All API routes.
pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/api/v1/{tenant}/me", signed_in(state, get(me::me)))
        .route(
            "/api/v1/{tenant}/users",
            need(state, Right::Users, get(users::list)),
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
}
