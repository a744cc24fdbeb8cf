//! U4/I4: who a row is. Keys are tried in order — ExternalId, then Uid, then e-mail (then
//! user number and personnel number, for configurations keyed by them) — skipping keys the
//! row leaves empty; the first key that finds a stored user identifies it, unless the user
//! contradicts a key the row gives (a Uid match whose user has another external id is an
//! error; an e-mail match whose user has another external id or Uid is no match). External
//! ids are looked up in the namespace of the row's organisation unit (T3), or in every
//! namespace when the file has no OrganisationUnit column.
//!
//! Claims keep a file consistent with itself: a user may appear only once per file (once per
//! property for extended properties), and logins and external ids the file gives to new users
//! must be unique within it.

use super::fields::ImportField as F;
use super::index::{AMBIGUOUS, Index, KeyKind, Slot, key};
use super::keys::KeyTable;
use super::refs::Refs;
use super::report::MatchedBy;
use super::row::{Cell, Row, Val};
use super::state::Lines;

/// Who a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// A stored user.
    Stored {
        /// Its index slot.
        slot: Slot,
        /// The key that found it.
        by: MatchedBy,
    },
    /// A user the import creates.
    New,
}

/// What rows of this file have taken so far, with the row (by ordinal) taking it.
#[derive(Debug, Default)]
pub struct Claims {
    /// Stored users, by slot: 1 + the ordinal of the row about it (0: none yet).
    users: Vec<u32>,
    /// Everything else, by key (the key's kind is part of its hash): the identities of new
    /// users, login names, external ids and user numbers rows give, each user's extended
    /// properties — and, for superiors, every row's external id after the import.
    pub keys: KeyTable,
}

impl Claims {
    /// Takes a stored user for row `ord`; an earlier claim is an error naming its line.
    pub fn user(
        &mut self,
        slot: Slot,
        ord: u32,
        extra: Option<&str>,
        lines: &Lines,
    ) -> Result<(), String> {
        let first = match extra {
            None => {
                let at = slot as usize;
                if self.users.len() <= at {
                    self.users.resize(at + 1, 0);
                }
                match self.users[at] {
                    0 => {
                        self.users[at] = ord + 1;
                        return Ok(());
                    }
                    first => first - 1,
                }
            }
            // Extended properties: once per user *and* property.
            Some(name) => match self
                .keys
                .first(key(KeyKind::Login, &slot.to_string(), name), ord)
            {
                Ok(()) => return Ok(()),
                Err(first) => first,
            },
        };
        let first = line_of(lines, first);
        Err(match extra {
            None => format!("the same user as line {first}; a user may appear only once per file"),
            Some(name) => format!("property `{name}` of this user is already on line {first}"),
        })
    }

    /// Takes the identity of a new user (its first key) for row `ord`.
    pub fn new_user(
        &mut self,
        k: u64,
        by: MatchedBy,
        ord: u32,
        value: &str,
        lines: &Lines,
    ) -> Result<(), String> {
        self.keys.first(k, ord).map_err(|first| {
            format!(
                "the same user as line {} (same {} `{value}`); a user may appear only once per file",
                line_of(lines, first),
                by.as_str()
            )
        })
    }

    /// Another row than `ord` that takes `k`.
    pub fn other(&self, k: u64, ord: u32) -> Option<u32> {
        self.keys.get(k).filter(|first| *first != ord)
    }

    /// Takes `k` for row `ord` (kept by the first row taking it).
    pub fn take(&mut self, k: u64, ord: u32) {
        let _ = self.keys.first(k, ord);
    }

    /// Another row than `ord` that takes login name `login`.
    pub fn login_taken(&self, login: &str, ord: u32) -> Option<u32> {
        self.other(key(KeyKind::Login, "", login), ord)
    }

    /// Bytes held (for the debug log).
    pub fn bytes(&self) -> usize {
        self.users.capacity() * 4 + self.keys.bytes()
    }

    /// Takes a login name for row `ord`.
    pub fn take_login(&mut self, login: &str, ord: u32) {
        self.take(key(KeyKind::Login, "", login), ord);
    }
}

/// The file line of row `ord`.
pub fn line_of(lines: &Lines, ord: u32) -> u64 {
    lines.line(ord as usize).unwrap_or_default()
}

/// T3: the namespace a row's external ids live in: from its OrganisationUnit column, or
/// `None` (any namespace) when the file has none.
pub fn row_namespace(row: &Row, refs: &Refs) -> Option<String> {
    match row.get(F::OrganisationUnit) {
        Cell::Absent => None,
        Cell::Empty => Some(String::new()),
        Cell::Value(Val::Id(unit)) => Some(refs.namespace(Some(*unit)).to_owned()),
        Cell::Value(_) => Some(String::new()),
    }
}

/// Finds the user a row is about (see the module comment), without claiming.
pub fn identify(row: &Row, refs: &Refs, index: &Index) -> Result<Who, String> {
    let ext = row.text(F::ExternalId);
    let login = row.text(F::Login);
    if let Some(ext) = ext {
        let found = match row_namespace(row, refs) {
            Some(ns) => index.find(KeyKind::External, &ns, ext),
            None => index.find(KeyKind::ExternalAny, "", ext),
        };
        match found {
            Some(AMBIGUOUS) => {
                return Err(format!(
                    "ExternalId `{ext}` is used in several sub-tenants; add the OrganisationUnit column to say which"
                ));
            }
            Some(slot) => return stored(slot, MatchedBy::ExternalId, index),
            None => {}
        }
    }
    let ext_hash = ext.map(|e| key(KeyKind::ExternalAny, "", e));
    let contradicts_ext =
        |slot: Slot| ext_hash.is_some_and(|h| index.ext_of(slot).is_some_and(|stored| stored != h));
    if let Some(login) = login
        && let Some(slot) = index.find(KeyKind::Login, "", login)
    {
        if contradicts_ext(slot) {
            return Err(format!(
                "Uid `{login}` belongs to a user with another ExternalId; the ExternalId identifies first"
            ));
        }
        return stored(slot, MatchedBy::Uid, index);
    }
    if let Some(email) = row.text(F::Email) {
        match index.find(KeyKind::Email, "", email) {
            Some(AMBIGUOUS) if ext.is_none() && login.is_none() => {
                return Err(format!(
                    "Email `{email}` belongs to several users; add ExternalId or Uid to say which"
                ));
            }
            Some(AMBIGUOUS) | None => {}
            Some(slot) => {
                let other_login =
                    login.is_some_and(|l| index.login_of(slot) != Some(key(KeyKind::Login, "", l)));
                if !contradicts_ext(slot) && !other_login {
                    return stored(slot, MatchedBy::Email, index);
                }
            }
        }
    }
    for (field, kind, by) in [
        (F::UserNumber, KeyKind::UserNumber, MatchedBy::UserNumber),
        (
            F::PersonnelNumber,
            KeyKind::Personnel,
            MatchedBy::PersonnelNumber,
        ),
    ] {
        // Only as a key when nothing stronger was given.
        if ext.is_some() || login.is_some() || row.text(F::Email).is_some() {
            break;
        }
        if let Some(value) = row.text(field) {
            match index.find(kind, "", value) {
                Some(AMBIGUOUS) => {
                    return Err(format!(
                        "{} `{value}` belongs to several users",
                        by.as_str()
                    ));
                }
                Some(slot) => return stored(slot, by, index),
                None => {}
            }
        }
    }
    Ok(Who::New)
}

fn stored(slot: Slot, by: MatchedBy, index: &Index) -> Result<Who, String> {
    if index.is_outside(slot) {
        return Err(format!(
            "the user found by {} is outside the part of the tenant you manage",
            by.as_str()
        ));
    }
    Ok(Who::Stored { slot, by })
}

/// The first key a new row gives, to detect the same new user twice in one file.
pub fn first_key(row: &Row, refs: &Refs) -> Option<(u64, MatchedBy, String)> {
    let ns = row_namespace(row, refs).unwrap_or_default();
    if let Some(v) = row.text(F::ExternalId) {
        return Some((
            key(KeyKind::External, &ns, v),
            MatchedBy::ExternalId,
            v.to_owned(),
        ));
    }
    for (field, kind, by) in [
        (F::Login, KeyKind::Login, MatchedBy::Uid),
        (F::Email, KeyKind::Email, MatchedBy::Email),
        (F::UserNumber, KeyKind::UserNumber, MatchedBy::UserNumber),
        (
            F::PersonnelNumber,
            KeyKind::Personnel,
            MatchedBy::PersonnelNumber,
        ),
    ] {
        if let Some(v) = row.text(field) {
            return Some((key(kind, "", v), by, v.to_owned()));
        }
    }
    None
}
