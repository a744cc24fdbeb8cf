//! A 64-bit digest of what a standard row says about a user, computed on both sides: from
//! the row, and — once per file, in the same query that loads the identity index — from
//! stored data (the same text the export writes, `values::stored_text`, built in SQL; the
//! superior role from the index). User groups, enrollment profiles and catalogs are their
//! sorted codes, digested apart: one grouped scan of each link table, run beside the index
//! query on another connection (a correlated subquery per user and table took half of the
//! index's load time). A row whose digest equals its user's is unchanged without loading the
//! user; only rows that differ are loaded and diffed field by field. Equal digests imply
//! equal texts (64 bits: a false match has a chance of 1 in 2^64 per row); unequal ones only
//! cost a load.

use std::hash::{Hash, Hasher};

use sea_orm::DatabaseBackend;

use super::fields::ImportField as F;
use super::layout::Layout;
use super::refs::Refs;
use super::row::{Cell, Row, Val};
use super::values::val_text;
use crate::tenancy::descriptor::ImportKind;

/// Separates texts in the digest (a control character no field may contain).
pub const SEP: char = '\u{1f}';

/// Users per page of codes (SQLite).
pub const CODES_PAGE: usize = 1024;

/// What the digest of a layout covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// Fields compared as text, in layout order.
    pub texts: Vec<F>,
    /// Fields listing codes, in layout order.
    pub codes: Vec<F>,
    /// Whether the Superior column is in the file.
    pub superior: bool,
}

/// A link table whose codes a field lists (user groups, enrollment profiles, catalogs).
struct Codes {
    link: &'static str,
    column: &'static str,
    table: &'static str,
    /// The link table's `(tenant_id, user_id, …)` index.
    by_user: &'static str,
}

fn codes_of(field: F) -> Option<Codes> {
    let (link, column, table, by_user) = match field {
        F::UserGroups => (
            "user_group_members",
            "user_group_id",
            "user_groups",
            "ix_user_group_members_tenant_id_user_id",
        ),
        F::EnrollmentProfiles => (
            "user_enrollment_profiles",
            "enrollment_profile_id",
            "enrollment_profiles",
            "ux_user_enrollment_profiles_tenant_user_profile",
        ),
        F::Catalogs => (
            "user_catalogs",
            "catalog_id",
            "catalogs",
            "ux_user_catalogs_tenant_id_user_id_catalog_id",
        ),
        _ => return None,
    };
    Some(Codes {
        link,
        column,
        table,
        by_user,
    })
}

/// The stored text of `field` as an SQL expression over `users` and the joined
/// `digest_ou`, `digest_org` and `digest_sup` (a user's superior); mirrors `stored_text`.
/// Fields listing codes are not here but in [`Spec::codes_sql`].
fn sql_of(field: F) -> Option<&'static str> {
    Some(match field {
        F::ExternalId => r#"COALESCE("users"."external_id", '')"#,
        F::Login => r#""users"."login""#,
        F::Email => r#"COALESCE("users"."email", '')"#,
        F::UserNumber => r#"COALESCE("users"."user_number", '')"#,
        F::PersonnelNumber => r#"COALESCE("users"."personnel_number", '')"#,
        F::FirstName => r#""users"."first_name""#,
        F::MiddleName => r#"COALESCE("users"."middle_name", '')"#,
        F::LastName => r#""users"."last_name""#,
        F::Title => r#"COALESCE("users"."title", '')"#,
        F::Language => r#"COALESCE("users"."language", '')"#,
        F::OrganisationUnit => r#"COALESCE("digest_ou"."code", '')"#,
        F::Organisation => r#"COALESCE("digest_org"."code", '')"#,
        F::CompanyRole => r#"COALESCE("users"."company_role", '')"#,
        F::Area => r#"COALESCE("users"."area", '')"#,
        F::Department => r#"COALESCE("users"."department", '')"#,
        F::CostCentre => r#"COALESCE("users"."cost_centre", '')"#,
        F::DataField01 => r#"COALESCE("users"."data_field_01", '')"#,
        F::DataField02 => r#"COALESCE("users"."data_field_02", '')"#,
        F::DataField03 => r#"COALESCE("users"."data_field_03", '')"#,
        F::Active => r#"CASE WHEN "users"."active" THEN 'True' ELSE 'False' END"#,
        F::PrivacyPolicyAccepted => {
            r#"CASE WHEN "users"."privacy_policy_accepted_at" IS NULL THEN 'False' ELSE 'True' END"#
        }
        F::SuperiorExternalId => r#"COALESCE("digest_sup"."external_id", '')"#,
        _ => return None,
    })
}

impl Spec {
    /// The digest of a users layout, when every column it maps can be compared this way.
    pub fn of(layout: &Layout) -> Option<Self> {
        if layout.kind != ImportKind::Users {
            return None;
        }
        let mut spec = Spec {
            texts: Vec::new(),
            codes: Vec::new(),
            superior: false,
        };
        for b in &layout.columns {
            match b.field {
                F::Password => {}
                F::Superior => spec.superior = true,
                f if sql_of(f).is_some() => spec.texts.push(f),
                f if codes_of(f).is_some() => spec.codes.push(f),
                _ => return None,
            }
        }
        Some(spec)
    }

    /// The SQL expressions of the stored texts, in layout order.
    pub fn sql_parts(&self) -> Vec<&'static str> {
        self.texts.iter().filter_map(|f| sql_of(*f)).collect()
    }

    /// For each field of [`Spec::codes`], the query of each linked user of the tenant (bound
    /// as `$1`/`?`) with its codes, sorted and joined by commas as `stored_text` does (one
    /// grouped scan of the link table). On PostgreSQL a row per user: its id and its codes.
    /// On SQLite one page of up to [`CODES_PAGE`] users after the user id bound second (see
    /// `Index::load` for why): a row of `hex(id)`, the separator and the codes of each, the
    /// users separated by [`super::index::RS`], and the page's last user id; read through
    /// the `(tenant_id, user_id)` index, whatever the sampled statistics say, and without a
    /// sort (grouping the pages by rowid instead sorted every user's codes in memory).
    pub fn codes_sql(&self, backend: DatabaseBackend) -> Vec<String> {
        self.codes
            .iter()
            .filter_map(|f| codes_of(*f))
            .map(|c| {
                let (link, table, column, index) = (c.link, c.table, c.column, c.by_user);
                match backend {
                    DatabaseBackend::Postgres => format!(
                        r#"SELECT l."user_id", string_agg(x."code", ',' ORDER BY x."code" COLLATE "C") FROM "{link}" l JOIN "{table}" x ON x."id" = l."{column}" WHERE l."tenant_id" = $1 GROUP BY l."user_id""#,
                    ),
                    _ => format!(
                        r#"SELECT group_concat(hex("u") || '{SEP}' || "c", '{rs}'), max("u") FROM (SELECT l."user_id" AS "u", group_concat(x."code", ',' ORDER BY x."code") AS "c" FROM "{link}" AS l INDEXED BY "{index}" JOIN "{table}" x ON x."id" = l."{column}" WHERE l."tenant_id" = ? AND l."user_id" > ? GROUP BY l."user_id" ORDER BY l."user_id" LIMIT {CODES_PAGE})"#,
                        rs = super::index::RS,
                    ),
                }
            })
            .collect()
    }

    /// The digest of a row, or `None` when it must be compared field by field (a password
    /// to check, an empty required or identifying cell, a column missing from the row).
    pub fn row(&self, row: &Row, refs: &Refs) -> Option<u64> {
        let mut text = String::with_capacity(256);
        for (i, f) in self.texts.iter().enumerate() {
            if i > 0 {
                text.push(SEP);
            }
            match (row.get(*f), f) {
                (Cell::Absent, _) => return None,
                (Cell::Empty, F::Login | F::Email | F::FirstName | F::LastName) => return None,
                (Cell::Empty, F::Active) => text.push_str("True"),
                (Cell::Empty, F::PrivacyPolicyAccepted) => text.push_str("False"),
                (Cell::Empty, _) => {}
                (Cell::Value(v), _) => text.push_str(&val_text(*f, v, refs)),
            }
        }
        let mut codes = Vec::with_capacity(self.codes.len());
        for f in &self.codes {
            codes.push(match (row.get(*f), f) {
                (Cell::Absent, _) | (Cell::Empty, F::Catalogs) => return None,
                (Cell::Empty, _) => text_digest(""),
                (Cell::Value(v), _) => text_digest(&val_text(*f, v, refs)),
            });
        }
        if row.text(F::Password).is_some() {
            return None;
        }
        let superior = if self.superior {
            match row.get(F::Superior) {
                Cell::Absent => return None,
                Cell::Value(Val::Bool(b)) => Some(*b),
                _ => Some(false),
            }
        } else {
            None
        };
        Some(combine(text_digest(&text), &codes, superior))
    }
}

/// The digest of the stored texts.
pub fn text_digest(text: &str) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// The whole digest: of the texts, of each field's codes, of the superior role.
pub fn combine(text: u64, codes: &[u64], superior: Option<bool>) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    text.hash(&mut h);
    codes.hash(&mut h);
    superior.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_format_has_a_digest() {
        let spec = Spec::of(&Layout::standard(Default::default())).expect("digest");
        assert!(spec.superior);
        assert_eq!(
            spec.texts.len() + spec.codes.len(),
            22,
            "every column but Password and Superior"
        );
        assert_eq!(spec.codes, [F::UserGroups, F::EnrollmentProfiles]);
    }
}
