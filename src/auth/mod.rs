//! Authentication: passwords, the first administrator of a tenant, who is signed in, sign-in
//! with throttling, password change / set / reset, single-use links and the Redis session
//! store. Authorization (rights and scopes) lives in `crate::authz`.

pub mod account;
pub mod bootstrap;
pub mod links;
pub mod password;
pub mod principal;
pub mod recovery;
pub mod redis_store;
pub mod signin;
pub mod temporary;
pub mod throttle;
pub mod tokens;
