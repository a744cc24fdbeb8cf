//! Authorization: the list of rights (B3), casbin enforcement of role rights per tenant,
//! and scopes as SQL conditions (B4, B5, U7).

pub mod enforcer;
pub mod grant;
pub mod permit;
pub mod rights;
pub mod scope;

pub use permit::Permit;
pub use rights::Right;
pub use scope::Scope;
