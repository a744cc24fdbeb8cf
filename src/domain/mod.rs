//! Business rules per concept, free of HTTP and file formats. Every front door (back office,
//! API, import, SCIM, jobs) calls these functions, so a rule lives in one place.

pub mod audit;
pub mod audit_trail;
pub mod backoffice;
pub mod catalogs;
pub mod ctx;
pub mod email_domain;
pub mod groups;
pub mod invitations;
pub mod organisations;
pub mod people;
pub mod quota;
pub mod registration;
pub mod return_target;
pub mod roles;
pub mod tree;
pub mod units;
pub mod user_directory;
pub mod users;

pub use ctx::{Actor, ActorKind, Ctx, Source};
