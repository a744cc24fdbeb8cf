//! Authorization: the list of rights; casbin enforcement and scope-to-SQL arrive with access control.

pub mod rights;

pub use rights::Right;
