//! U1–U4: the rules of a portal user's fields, as newtypes parsed at the edge (import, API,
//! SCIM, back office), the login-name suggestion (U2), Uid generation (I4), and the two
//! queries every front door needs: which login names are taken system-wide, and queuing
//! set-password mails for new users (U3).
//!
//! Past the edge, code holds a [`LoginName`] or an [`Email`] and never re-checks a string.

use std::collections::HashSet;
use std::fmt;

use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;
use uuid::Uuid;

use crate::jobs::NewJob;
use crate::store::TenantId;
use crate::store::entity::users;

/// Why a value was refused; the caller adds where it came from (field, line, column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem(pub String);

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn problem<T>(message: impl Into<String>) -> Result<T, FieldProblem> {
    Err(FieldProblem(message.into()))
}

/// Most characters of a login name (U1).
pub const LOGIN_MAX: usize = 100;
/// Most characters of a first, middle or last name and a title (U1).
pub const NAME_MAX: usize = 50;
/// Most characters of an e-mail address (U1).
pub const EMAIL_MAX: usize = 255;
/// Most characters of a data field and the other free-text fields (U1).
pub const TEXT_MAX: usize = 255;

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// U1: a login name: unique system-wide, 1–100 characters, any characters (but not blank and
/// without control characters, which no one can type at a login form).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LoginName(String);

impl LoginName {
    /// Checks the U1 rules.
    pub fn parse(s: &str) -> Result<Self, FieldProblem> {
        let n = s.chars().count();
        if s.trim().is_empty() {
            return problem("login name must not be empty");
        }
        if n > LOGIN_MAX {
            return problem(format!(
                "login name has {n} characters, at most {LOGIN_MAX} are allowed"
            ));
        }
        if has_control(s) {
            return problem("login name must not contain control characters");
        }
        Ok(Self(s.to_owned()))
    }

    /// The login name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The login name, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// U1: a first or last name: 1–50 characters, special characters allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    /// Checks the U1 rules; `what` names the field in the message (`first name`).
    pub fn parse(s: &str, what: &str) -> Result<Self, FieldProblem> {
        if s.trim().is_empty() {
            return problem(format!("{what} is required"));
        }
        Ok(Self(bounded(s, NAME_MAX, what)?))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// U1: an optional short text (title, middle name: up to 50; data fields and other free
/// text: up to 255). Returns the text unchanged when it fits.
pub fn bounded(s: &str, max: usize, what: &str) -> Result<String, FieldProblem> {
    let n = s.chars().count();
    if n > max {
        return problem(format!(
            "{what} has {n} characters, at most {max} are allowed"
        ));
    }
    if s.chars().any(|c| c.is_control() && c != '\t') {
        return problem(format!("{what} must not contain control characters"));
    }
    Ok(s.to_owned())
}

/// U1: an e-mail address: up to 255 characters; letters, digits and only `_ - . @` as
/// special characters; valid syntax (`local@domain.tld`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Checks the U1 rules.
    pub fn parse(s: &str) -> Result<Self, FieldProblem> {
        let n = s.chars().count();
        if n > EMAIL_MAX {
            return problem(format!(
                "e-mail address has {n} characters, at most {EMAIL_MAX} are allowed"
            ));
        }
        if let Some(bad) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@')))
        {
            return problem(format!(
                "invalid e-mail address: character `{}` is not allowed (only letters, digits and _ - . @)",
                bad.escape_debug()
            ));
        }
        let Some((local, domain)) = s.split_once('@') else {
            return problem("invalid e-mail address: `@` is missing");
        };
        if domain.contains('@') {
            return problem("invalid e-mail address: more than one `@`");
        }
        if local.is_empty() || local.len() > 64 {
            return problem("invalid e-mail address: the part before `@` must be 1–64 characters");
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return problem("invalid e-mail address: misplaced `.` before `@`");
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let tld_ok = labels
            .last()
            .is_some_and(|t| t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic()));
        let labels_ok = labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
        if labels.len() < 2 || !tld_ok || !labels_ok {
            return problem(format!(
                "invalid e-mail address: `{domain}` is not a valid domain"
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// The address as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// T3/U4: an external id: 1–255 characters without control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExternalId(String);

impl ExternalId {
    /// Checks the rules.
    pub fn parse(s: &str) -> Result<Self, FieldProblem> {
        if s.trim().is_empty() {
            return problem("external id must not be blank");
        }
        Ok(Self(bounded(s, TEXT_MAX, "external id")?))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// `True` / `False` as written in import files and exports (case-insensitive on input).
pub fn parse_bool(s: &str) -> Result<bool, FieldProblem> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => problem(format!("`{s}` is not True or False")),
    }
}

/// The spelling of a boolean in files (I10).
pub fn bool_text(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// I4: the base of a generated login name: `first.last`, lower case, with German umlauts
/// transliterated and everything but letters, digits, `.` and `-` left out; cut so that a
/// numeric suffix still fits in 100 characters.
pub fn login_base(first: &str, last: &str) -> String {
    let mut out = String::new();
    for (i, part) in [first, last].iter().enumerate() {
        let mut cleaned = String::new();
        for c in part.chars().flat_map(char::to_lowercase) {
            match c {
                'ä' => cleaned.push_str("ae"),
                'ö' => cleaned.push_str("oe"),
                'ü' => cleaned.push_str("ue"),
                'ß' => cleaned.push_str("ss"),
                c if c.is_alphanumeric() || c == '-' => cleaned.push(c),
                _ => {}
            }
        }
        if i == 1 && !out.is_empty() && !cleaned.is_empty() {
            out.push('.');
        }
        out.push_str(&cleaned);
    }
    if out.is_empty() {
        out.push_str("user");
    }
    out.chars().take(LOGIN_MAX - 8).collect()
}

/// U2: `base` itself when free, else the first free `base2`, `base3`, …
pub fn suggest_login(base: &str, taken: impl Fn(&str) -> bool) -> String {
    if !taken(base) {
        return base.to_owned();
    }
    let mut n: u64 = 2;
    loop {
        let candidate = format!("{base}{n}");
        if !taken(&candidate) {
            return candidate;
        }
        n += 1;
    }
}

/// U1: which of `logins` are taken by any user of any tenant. Login names are unique
/// system-wide, so this is the one user query that is deliberately not tenant-scoped; it
/// answers only with the names, never with rows.
pub async fn taken_logins<C: ConnectionTrait>(
    db: &C,
    logins: &[String],
) -> crate::Result<HashSet<String>> {
    let mut taken = HashSet::new();
    for chunk in logins.chunks(500) {
        let rows: Vec<String> = users::Entity::find()
            .select_only()
            .column(users::Column::Login)
            .filter(users::Column::Login.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        taken.extend(rows);
    }
    Ok(taken)
}

/// U2/I4: the taken login names that start with any of `bases` (system-wide, see
/// [`taken_logins`]), so numbered suggestions can be picked without a query per try.
pub async fn taken_with_prefixes<C: ConnectionTrait>(
    db: &C,
    bases: &[String],
) -> crate::Result<HashSet<String>> {
    let mut taken = HashSet::new();
    for chunk in bases.chunks(200) {
        let mut any = Condition::any();
        for base in chunk {
            // A range scan on the unique login index: every string with `base` as prefix.
            let upper = format!("{base}\u{10FFFF}");
            any = any.add(
                Condition::all()
                    .add(users::Column::Login.gte(base.as_str()))
                    .add(users::Column::Login.lt(upper)),
            );
        }
        let rows: Vec<String> = users::Entity::find()
            .select_only()
            .column(users::Column::Login)
            .filter(any)
            .into_tuple()
            .all(db)
            .await?;
        taken.extend(rows);
    }
    Ok(taken)
}

/// U3: queues a set-password mail for each new user, in the caller's transaction (the one
/// that inserts the users). One user gets a [`SET_PASSWORD_JOB`] of its own, deduplicated per
/// user. Several users (an import batch) get one [`SET_PASSWORD_BATCH_JOB`] per
/// [`SET_PASSWORD_BATCH_SIZE`] users instead of a job row each: an import may create many
/// thousands of users at once, and a row per user was a tenth of its write time. A batch job is
/// deduplicated by its first user and size, so the same call retried queues nothing twice.
pub async fn queue_set_password_mails<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    user_ids: &[Uuid],
) -> crate::Result<()> {
    for s in set_password_mail_statements(db.get_database_backend(), tenant, user_ids) {
        db.execute_raw(s).await?;
    }
    Ok(())
}

/// The statements of [`queue_set_password_mails`], to run in the transaction that inserts
/// the users.
pub fn set_password_mail_statements(
    backend: sea_orm::DatabaseBackend,
    tenant: TenantId,
    user_ids: &[Uuid],
) -> Vec<sea_orm::Statement> {
    let job = |kind: &'static str, payload: serde_json::Value, dedup_key: String| NewJob {
        dedup_key: Some(dedup_key),
        ..NewJob::now(tenant, kind, payload)
    };
    let queue: Vec<NewJob> = match user_ids {
        [] => return Vec::new(),
        [id] => vec![job(
            SET_PASSWORD_JOB,
            json!({ "user_id": id }),
            format!("set_password:{id}"),
        )],
        many => many
            .chunks(SET_PASSWORD_BATCH_SIZE)
            .map(|chunk| {
                job(
                    SET_PASSWORD_BATCH_JOB,
                    json!({ "user_ids": chunk, "next": 0 }),
                    format!("set_password_batch:{}:{}", chunk[0], chunk.len()),
                )
            })
            .collect(),
    };
    crate::jobs::enqueue_statements(backend, queue)
}

/// The job kind that mails a set-password link (handled in `auth::links`).
pub const SET_PASSWORD_JOB: &str = "mail.set_password";

/// The job kind that mails set-password links to up to [`SET_PASSWORD_BATCH_SIZE`] new users
/// in order (payload `{"user_ids": [...], "next": 0}`; handled in `auth::links`).
pub const SET_PASSWORD_BATCH_JOB: &str = "mail.set_password_batch";

/// Most users one [`SET_PASSWORD_BATCH_JOB`] mails.
pub const SET_PASSWORD_BATCH_SIZE: usize = 1000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u1_login_of_100_characters_is_accepted_101_refused() {
        assert!(LoginName::parse(&"x".repeat(100)).is_ok());
        assert!(
            LoginName::parse(&"ä".repeat(100)).is_ok(),
            "characters, not bytes"
        );
        let err = LoginName::parse(&"x".repeat(101)).expect_err("too long");
        assert!(err.0.contains("101 characters"), "{err}");
    }

    #[test]
    fn u1_login_allows_any_characters() {
        for ok in ["jdoe", "J. Doe", "jörg@例え.jp", "a;b,c'\"", "+49"] {
            assert!(LoginName::parse(ok).is_ok(), "{ok}");
        }
        assert!(LoginName::parse("").is_err());
        assert!(LoginName::parse("   ").is_err());
        assert!(LoginName::parse("a\nb").is_err());
    }

    #[test]
    fn u1_names_up_to_50_with_special_characters() {
        assert!(PersonName::parse("Ørsted-O'Brien Ñúñez", "first name").is_ok());
        assert!(PersonName::parse(&"é".repeat(50), "last name").is_ok());
        assert!(PersonName::parse(&"é".repeat(51), "last name").is_err());
        let err = PersonName::parse("", "first name").expect_err("empty");
        assert_eq!(err.0, "first name is required");
    }

    #[test]
    fn u1_email_allows_only_underscore_hyphen_dot_at() {
        for ok in [
            "jane.doe@example.org",
            "j_d-1@mail.example.co.uk",
            "A.B@EXAMPLE.DE",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "jane+tag@example.org",
            "jäne@example.org",
            "jane doe@example.org",
            "jane@example",
            "@example.org",
            "jane@@example.org",
            "jane@exa_mple.org",
            ".jane@example.org",
            "jane..doe@example.org",
            "jane@-example.org",
            "jane@example.o",
            "janeexample.org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        let long = format!("{}@{}.org", "a".repeat(64), "b".repeat(187));
        assert_eq!(long.len(), 256);
        assert!(Email::parse(&long).is_err());
        let err = Email::parse("a+b@example.org").expect_err("plus");
        assert!(err.0.starts_with("invalid e-mail address"), "{err}");
    }

    #[test]
    fn u1_data_fields_up_to_255() {
        assert!(bounded(&"x".repeat(255), TEXT_MAX, "data field").is_ok());
        assert!(bounded(&"x".repeat(256), TEXT_MAX, "data field").is_err());
    }

    #[test]
    fn u2_suggestion_increments() {
        let taken = ["jdoe", "jdoe2"];
        assert_eq!(suggest_login("jdoe", |s| taken.contains(&s)), "jdoe3");
        assert_eq!(suggest_login("amy", |s| taken.contains(&s)), "amy");
    }

    #[test]
    fn i4_login_base_from_names() {
        assert_eq!(login_base("Jörg", "Müller-Straße"), "joerg.mueller-strasse");
        assert_eq!(login_base("Anna Lena", "de Vries"), "annalena.devries");
        assert_eq!(login_base("", ""), "user");
        assert!(login_base(&"a".repeat(80), &"b".repeat(80)).chars().count() <= 92);
    }

    #[test]
    fn i5_booleans_are_true_or_false() {
        assert_eq!(parse_bool("True"), Ok(true));
        assert_eq!(parse_bool("FALSE"), Ok(false));
        assert!(parse_bool("yes").is_err());
        assert_eq!(bool_text(true), "True");
    }
}
