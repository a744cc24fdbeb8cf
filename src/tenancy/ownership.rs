//! X9: who owns an object, the descriptor or the runtime — the one place that refuses a
//! run-time edit of an object a descriptor manages.
//!
//! Objects declared in a tenant descriptor carry the descriptor's file in `managed_by`;
//! `tenant apply` keeps them as declared, so an edit made through the API or the back office
//! would be reverted at the next apply. Refusing it (409, naming the file) tells the
//! administrator where the object is really changed. Objects made at run time have no
//! `managed_by` and are never touched by apply (see [`super::plan`]).

use crate::error::Error;

/// Refuses (409 `Error::Conflict`) a run-time change of the `kind` object `code` when a
/// descriptor manages it (`managed_by` is its file); call it right after loading the object.
pub fn refuse_if_managed(kind: &str, code: &str, managed_by: Option<&str>) -> crate::Result<()> {
    match managed_by {
        Some(file) => Err(Error::Conflict(format!(
            "{kind} `{code}` is managed by {file}; change it there and run roster tenant apply"
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x9_managed_objects_are_refused_naming_the_file() {
        let err = refuse_if_managed("role", "hr", Some("tenants/acme.yaml"))
            .expect_err("a managed role is refused");
        assert_eq!(
            err.to_string(),
            "role `hr` is managed by tenants/acme.yaml; change it there and run roster tenant apply"
        );
        assert!(refuse_if_managed("role", "hr", None).is_ok());
    }
}
