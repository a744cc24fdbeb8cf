//! Business rules per concept, free of HTTP and file formats.

pub mod email_domain;
