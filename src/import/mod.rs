//! Import of users from files (I1–I10). This part: the field catalogue that tenant
//! descriptors map columns to.

pub mod fields;
