//! Authentication: passwords and the first administrator of a tenant. Sessions, tokens,
//! single-use links and throttling arrive with access control.

pub mod bootstrap;
pub mod links;
pub mod password;
pub mod principal;
pub mod tokens;
