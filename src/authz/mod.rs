//! Authorization: the list of rights (B3), scopes as SQL conditions (B4, B5), and the casbin
//! enforcement of role rights per tenant.

pub mod rights;
pub mod scope;

pub use rights::Right;
pub use scope::Scope;
