//! The one integration-test binary (every extra binary costs a link on 2 cores):
//! add a module here rather than a new file under tests/.

mod util;

mod api;
mod api_imports;
mod apply;
mod auth;
mod authz;
mod authz_scope;
mod backoffice;
mod backoffice_imports;
mod browser;
mod cli;
mod descriptor;
mod export;
mod grant;
mod grant_props;
mod health;
mod import;
mod isolation;
mod jobs;
mod migrations;
mod ownership;
mod portal;
mod quota;
mod shipped_tenants;
mod tenant_context;
