//! The one integration-test binary (every extra binary costs a link on 2 cores):
//! add a module here rather than a new file under tests/.

mod util;

mod api_imports;
mod apply;
mod auth;
mod authz;
mod authz_scope;
mod cli;
mod descriptor;
mod export;
mod health;
mod import;
mod isolation;
mod migrations;
mod shipped_tenants;
