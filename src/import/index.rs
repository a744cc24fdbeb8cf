//! U4: the tenant's identity index, loaded once per file: external id (per T3 namespace),
//! login name, e-mail, user number and personnel number → user. Keys are kept as 64-bit
//! hashes so a tenant of a million users fits in a few dozen megabytes; a match is confirmed
//! against the stored row before it is used (see `plan`), so a hash collision can never
//! update the wrong user.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hash, Hasher};

use sea_orm::sea_query::{CaseStatement, Expr};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::authz::scope::Scope;
use crate::store::TenantId;
use crate::store::entity::{role_assignments, users};

/// Passes a hash through: the keys are hashes already.
#[derive(Default)]
pub struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A map from key hash to a value.
pub type KeyMap<V> = HashMap<u64, V, BuildHasherDefault<PassThrough>>;

/// A position in [`Index::ids`]; [`AMBIGUOUS`] when several users share the key.
pub type Slot = u32;
/// Several users share this (non-unique) key.
pub const AMBIGUOUS: Slot = Slot::MAX;

/// What a key identifies by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// External id within a namespace.
    External,
    /// External id in any namespace.
    ExternalAny,
    /// Login name.
    Login,
    /// E-mail, lower case.
    Email,
    /// User number.
    UserNumber,
    /// Personnel number.
    Personnel,
}

/// The hash of a key; e-mails are compared case-insensitively.
pub fn key(kind: KeyKind, namespace: &str, value: &str) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    (kind as u8).hash(&mut h);
    namespace.hash(&mut h);
    if kind == KeyKind::Email {
        value.to_lowercase().hash(&mut h);
    } else {
        value.hash(&mut h);
    }
    h.finish()
}

/// The identity index of one tenant.
#[derive(Default)]
pub struct Index {
    /// User ids by slot.
    pub ids: Vec<Uuid>,
    /// Hash of each user's external id (any namespace); 0 when it has none.
    ext_hash: Vec<u64>,
    /// Hash of each user's login name.
    login_hash: Vec<u64>,
    maps: HashMap<KeyKind, KeyMap<Slot>>,
    /// Slots outside the importer's scope (B4, B5), when the scope is not the whole tenant.
    outside: Option<HashSet<Slot>>,
    /// U7: users holding the superior role.
    pub superiors: HashSet<Uuid>,
}

const PAGE: u64 = 20_000;

type IdentityRow = (
    Uuid,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    bool,
);

impl Index {
    /// Loads the identities of every user of `tenant`, marking those outside `scope`.
    pub async fn load<C: ConnectionTrait>(
        db: &C,
        tenant: TenantId,
        scope: &Scope,
        superior_role: Option<Uuid>,
    ) -> crate::Result<Self> {
        let mut index = Self::default();
        let tenant_wide = scope.is_tenant_wide();
        let mut outside = HashSet::new();
        let mut last: Option<Uuid> = None;
        loop {
            let visible = CaseStatement::new()
                .case(scope.users_condition(), Expr::val(true))
                .finally(Expr::val(false));
            let mut q = tenant
                .find::<users::Entity>()
                .select_only()
                .column(users::Column::Id)
                .column(users::Column::Login)
                .column(users::Column::ExternalId)
                .column(users::Column::ExternalIdScope)
                .column(users::Column::Email)
                .column(users::Column::UserNumber)
                .column(users::Column::PersonnelNumber)
                .expr(visible)
                .order_by_asc(users::Column::Id)
                .limit(PAGE);
            if let Some(l) = last {
                q = q.filter(users::Column::Id.gt(l));
            }
            let rows: Vec<IdentityRow> = q.into_tuple().all(db).await?;
            let n = rows.len() as u64;
            for (id, login, ext, ns, email, number, personnel, in_scope) in rows {
                let slot = index.ids.len() as Slot;
                index.ids.push(id);
                last = Some(id);
                index.login_hash.push(key(KeyKind::Login, "", &login));
                index.ext_hash.push(
                    ext.as_deref()
                        .map_or(0, |e| key(KeyKind::ExternalAny, "", e)),
                );
                index.put(KeyKind::Login, "", &login, slot);
                if let Some(ext) = ext {
                    index.put(KeyKind::External, &ns, &ext, slot);
                    index.put(KeyKind::ExternalAny, "", &ext, slot);
                }
                if let Some(v) = email.filter(|v| !v.is_empty()) {
                    index.put(KeyKind::Email, "", &v, slot);
                }
                if let Some(v) = number.filter(|v| !v.is_empty()) {
                    index.put(KeyKind::UserNumber, "", &v, slot);
                }
                if let Some(v) = personnel.filter(|v| !v.is_empty()) {
                    index.put(KeyKind::Personnel, "", &v, slot);
                }
                if !tenant_wide && !in_scope {
                    outside.insert(slot);
                }
            }
            if n < PAGE {
                break;
            }
        }
        if !tenant_wide {
            index.outside = Some(outside);
        }
        if let Some(role) = superior_role {
            let holders: Vec<Option<Uuid>> = tenant
                .find::<role_assignments::Entity>()
                .select_only()
                .column(role_assignments::Column::UserId)
                .filter(role_assignments::Column::RoleId.eq(role))
                .filter(role_assignments::Column::UserId.is_not_null())
                .into_tuple()
                .all(db)
                .await?;
            index.superiors = holders.into_iter().flatten().collect();
        }
        Ok(index)
    }

    fn put(&mut self, kind: KeyKind, namespace: &str, value: &str, slot: Slot) {
        let map = self.maps.entry(kind).or_default();
        map.entry(key(kind, namespace, value))
            .and_modify(|s| {
                if *s != slot {
                    *s = AMBIGUOUS;
                }
            })
            .or_insert(slot);
    }

    /// The user with this key: `Some(AMBIGUOUS)` when several share it.
    pub fn find(&self, kind: KeyKind, namespace: &str, value: &str) -> Option<Slot> {
        self.maps
            .get(&kind)?
            .get(&key(kind, namespace, value))
            .copied()
    }

    /// Whether a stored user has this login name.
    pub fn has_login(&self, login: &str) -> bool {
        self.find(KeyKind::Login, "", login).is_some()
    }

    /// Whether `slot` is outside the importer's scope.
    pub fn is_outside(&self, slot: Slot) -> bool {
        self.outside.as_ref().is_some_and(|o| o.contains(&slot))
    }

    /// How many users the tenant has.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the tenant has no users.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The hash of a user's external id (as [`key`] with [`KeyKind::ExternalAny`]).
    pub fn ext_of(&self, slot: Slot) -> Option<u64> {
        self.ext_hash
            .get(slot as usize)
            .copied()
            .filter(|h| *h != 0)
    }

    /// The hash of a user's login name (as [`key`] with [`KeyKind::Login`]).
    pub fn login_of(&self, slot: Slot) -> Option<u64> {
        self.login_hash.get(slot as usize).copied()
    }

    /// Slot by user id, for the few lookups that start from an id (a resumed import).
    pub fn slots_by_id(&self) -> HashMap<Uuid, Slot> {
        self.ids
            .iter()
            .enumerate()
            .map(|(i, id)| (*id, i as Slot))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u4_email_keys_ignore_case_other_keys_do_not() {
        assert_eq!(
            key(KeyKind::Email, "", "Jane@Example.org"),
            key(KeyKind::Email, "", "jane@example.org")
        );
        assert_ne!(
            key(KeyKind::Login, "", "Jane"),
            key(KeyKind::Login, "", "jane")
        );
        assert_ne!(
            key(KeyKind::External, "a", "1"),
            key(KeyKind::External, "b", "1")
        );
    }
}
