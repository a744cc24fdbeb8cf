//! The JSON API under `/api/v1/{tenant}/…` (X2). Its route table ([`routes`]) is the one place
//! where each route states its gate — open, signed in, or the right it needs (B3); the router
//! (the guard enforces the gate before any handler runs), the OpenAPI document and the lists
//! the tests walk are all made from it (`web::routes`).

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
use utoipa::openapi::path::HttpMethod::{Patch, Post, Put};
use utoipa_axum::router::UtoipaMethodRouterExt;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::authz::Right::{self, *};
use crate::web::routes::{Gate, Operation, Route, Table};
use crate::web::signin::api as session;

/// Largest import file accepted over HTTP.
pub const MAX_IMPORT_BYTES: usize = 256 * 1024 * 1024;

fn right(right: Right) -> Gate {
    Gate::Right(right)
}

/// Every API route: its gate and handlers (whose `#[utoipa::path]` gives path, methods and
/// operation). The router, the OpenAPI document and the lists the tests walk come from here.
pub fn routes() -> Table {
    let mut table = vec![
        Route::new(Gate::Open, routes!(crate::web::openapi::openapi_json)),
        Route::new(
            Gate::Open,
            routes!(session::whoami, session::sign_in, session::sign_out),
        ),
        Route::new(Gate::Open, routes!(session::change_password)),
        Route::new(Gate::SignedIn, routes!(me::me)),
        Route::new(right(Users), routes!(users::list, users::create)).granting(&[Post]),
        Route::new(right(Users), routes!(users::login_suggestion)),
        Route::new(right(Users), routes!(users::organisation_typeahead)),
        Route::new(right(Users), routes!(users::account_mail)),
        Route::new(
            right(Users),
            routes!(users::employments, users::add_employment),
        ),
        Route::new(right(Users), routes!(users::end_employment)),
        Route::new(
            right(Users),
            routes!(users::set_budget, users::delete_budget),
        ),
        Route::new(right(Users), routes!(users::set_properties)),
        Route::new(right(Audit), routes!(audit::user_trail)),
        Route::new(right(UserGroups), routes!(groups::list, groups::create)),
        Route::new(
            right(UserGroups),
            routes!(groups::get, groups::rename, groups::delete),
        ),
        Route::new(
            right(Users),
            routes!(users::get, users::update, users::delete),
        )
        .granting(&[Patch]),
        Route::new(right(Users), routes!(users::deactivate)),
        Route::new(right(Users), routes!(users::reactivate)),
        Route::new(right(Reports), routes!(reports::learners)),
        Route::new(right(Export), routes!(imports::export)),
        Route::new(
            right(Imports),
            routes!(imports::list, imports::stage).layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES)),
        ),
        Route::new(right(Imports), routes!(imports::get)),
        Route::new(right(Imports), routes!(imports::run_now)),
        Route::new(right(Imports), routes!(imports::report)),
    ];
    table.extend(account_routes());
    table.extend(structure_routes());
    Table(table)
}

/// Back-office accounts (`Right::BackofficeUsers`) and roles (`Right::Roles`).
fn account_routes() -> Vec<Route> {
    vec![
        Route::new(
            right(BackofficeUsers),
            routes!(backoffice::list, backoffice::create),
        )
        .granting(&[Post]),
        Route::new(
            right(BackofficeUsers),
            routes!(backoffice::get, backoffice::update),
        ),
        Route::new(right(BackofficeUsers), routes!(backoffice::activate)),
        Route::new(right(BackofficeUsers), routes!(backoffice::deactivate)),
        Route::new(right(BackofficeUsers), routes!(backoffice::set_roles)).granting(&[Put]),
        Route::new(right(BackofficeUsers), routes!(backoffice::set_catalogs)).granting(&[Put]),
        Route::new(
            right(BackofficeUsers),
            routes!(backoffice::temporary_password),
        ),
        Route::new(right(Roles), routes!(roles::list, roles::create)).granting(&[Post]),
        Route::new(right(Roles), routes!(roles::set_rights)).granting(&[Put]),
    ]
}

/// Organisations, departments, units (`Right::Organisations`) and catalogs (`Right::Settings`).
fn structure_routes() -> Vec<Route> {
    let o = || right(Organisations);
    vec![
        Route::new(o(), routes!(organisations::list, organisations::create)),
        Route::new(
            o(),
            routes!(
                organisations::get,
                organisations::update,
                organisations::delete
            ),
        ),
        Route::new(
            o(),
            routes!(organisations::departments, organisations::create_department),
        ),
        Route::new(
            o(),
            routes!(
                organisations::get_department,
                organisations::update_department,
                organisations::delete_department
            ),
        ),
        Route::new(o(), routes!(units::tree, units::create)),
        Route::new(o(), routes!(units::get, units::update, units::delete)),
        Route::new(right(Settings), routes!(catalogs::list, catalogs::create)),
        Route::new(right(Settings), routes!(catalogs::rename)),
    ]
}

/// All API routes, each behind its gate.
pub fn router(state: &AppState) -> Router<AppState> {
    routes().router(state)
}

/// Every API operation (tests walk this list).
pub fn operations() -> Vec<Operation> {
    routes().operations()
}

/// Every API operation guarded by a right: method, path and the right it needs.
pub fn guarded() -> Vec<(&'static str, String, Right)> {
    routes().guarded()
}
