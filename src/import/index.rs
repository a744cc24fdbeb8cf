//! U4: the tenant's identity index, loaded once per file: external id (per T3 namespace),
//! login name, e-mail, user number and personnel number → user. Keys are kept as 64-bit
//! hashes so a tenant of a million users fits in a few dozen megabytes; a match is confirmed
//! against the stored row before it is used (see `plan`), so a hash collision can never
//! update the wrong user.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};

use futures_util::StreamExt;
use sea_orm::sea_query::{CaseStatement, Expr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, JoinType, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, RelationTrait, Statement, StreamTrait,
};
use uuid::Uuid;

use super::digest::{SEP, Spec, combine, text_digest};
use super::keys::KeyTable;
use crate::authz::scope::Scope;
use crate::store::TenantId;
use crate::store::entity::{role_assignments, users};

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
    /// Every key of every user → its slot ([`AMBIGUOUS`] when several share it), all kinds
    /// in one table (the kind is part of the hash): 13 bytes an entry; a map per kind took
    /// 17 and grew on its own (1,000,000 users with five keys each: 178 MB → ~109 MB).
    keys: KeyTable,
    /// SQLite: how many users the tenant has (to size `keys` after the first page).
    expected: Option<usize>,
    /// Slots outside the importer's scope (B4, B5), when the scope is not the whole tenant.
    outside: Option<HashSet<Slot>>,
    /// U7: users holding the superior role.
    pub superiors: HashSet<Uuid>,
    /// Each user's digest of what a standard row says about it (see `digest`).
    digests: Vec<u64>,
    /// The slots in the order of their ids, unless `ids` is in that order already.
    by_id: Option<Vec<Slot>>,
    /// SQLite: whether the tenant's users are read in pages (see `pages_pay`).
    paged: bool,
}

/// The identity keys, in the order `add` splits them.
const KEYS: [&str; 6] = [
    r#""users"."login""#,
    r#"COALESCE("users"."external_id", '')"#,
    r#""users"."external_id_scope""#,
    r#"COALESCE("users"."email", '')"#,
    r#"COALESCE("users"."user_number", '')"#,
    r#"COALESCE("users"."personnel_number", '')"#,
];

/// Users whose keys size the key table for the rest of the tenant.
const SIZING_SAMPLE: usize = 1024;

/// Users per page of the identity index (SQLite).
const USERS_PAGE: u64 = 1024;

/// Separates the users of one page (SQLite; a control character no field may contain).
pub const RS: char = '\u{1e}';

/// The texts as one: `concat_ws` builds it in one piece (SQLite's `||` copies the text so
/// far once per part: 30 parts took half of the index query's time).
pub fn joined<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let parts: Vec<&str> = parts.into_iter().collect();
    format!("concat_ws('{SEP}', {})", parts.join(", "))
}

impl Index {
    /// Loads the identities of every user of `tenant`, marking those outside `scope`, and,
    /// with a digest `spec`, each user's digest. One text per user carries the keys and the
    /// digest's texts. On SQLite the users come as pages of such texts (`group_concat` of
    /// [`USERS_PAGE`] users, see [`Index::pages`]): the driver hands every row from
    /// SQLite's thread to ours, a thread wake-up each, which cost more than the query. The
    /// codes the digest covers are read at the same time on `side` (another connection, so
    /// that the database works on both at once; it may be `db` where that is a pool).
    pub async fn load(
        db: &DatabaseConnection,
        side: &DatabaseConnection,
        tenant: TenantId,
        scope: &Scope,
        superior_role: Option<Uuid>,
        spec: Option<&Spec>,
    ) -> crate::Result<Self> {
        let started = std::time::Instant::now();
        let mut index = Self::default();
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
        let backend = db.get_database_backend();
        let paged = if backend == DbBackend::Sqlite {
            let (paged, count) = Self::pages_pay(db, tenant).await?;
            index.expected = Some(count);
            // Room for every user at once: grown by doubling, the vectors left the halves
            // they outgrew behind (untouched room costs no memory until it is written).
            index.ids.reserve_exact(count);
            index.ext_hash.reserve_exact(count);
            index.login_hash.reserve_exact(count);
            if spec.is_some() {
                index.digests.reserve_exact(count);
            }
            paged
        } else {
            false
        };
        let mut parts: Vec<&str> = KEYS.to_vec();
        let spec_parts = spec.map(Spec::sql_parts).unwrap_or_default();
        parts.extend(spec_parts.iter().copied());
        let visible = CaseStatement::new()
            .case(scope.users_condition(), Expr::val(true))
            .finally(Expr::val(false));
        let mut q = if paged {
            tenant.find_listed::<users::Entity>(backend)
        } else {
            tenant.find::<users::Entity>()
        }
        .select_only()
        .expr_as(visible, "v")
        .expr_as(Expr::cust(joined(parts)), "x")
        .column_as(users::Column::Id, "k");
        if spec.is_some() {
            q = q
                .join_as(
                    JoinType::LeftJoin,
                    users::Relation::OrganisationUnit.def(),
                    "digest_ou",
                )
                .join_as(
                    JoinType::LeftJoin,
                    users::Relation::Organisation.def(),
                    "digest_org",
                )
                .join_as(
                    JoinType::LeftJoin,
                    users::Relation::Superior.def(),
                    "digest_sup",
                );
        }
        let expected = index.expected;
        let codes = async {
            match spec {
                Some(spec) => codes(side, tenant, spec, expected).await,
                None => Ok(Vec::new()),
            }
        };
        let tenant_wide = scope.is_tenant_wide();
        let digests = spec.is_some();
        let main = async {
            if paged {
                index.pages(db, q, digests).await
            } else {
                index
                    .stream(db, backend.build(&q.into_query()), digests)
                    .await
            }
        };
        let (main, codes) = tokio::join!(main, codes);
        let outside = main?;
        index.paged = paged;
        if !tenant_wide {
            index.outside = Some(outside);
        }
        index.order();
        if let Some(spec) = spec {
            index.complete_digests(spec, &codes?);
        }
        tracing::debug!(
            users = index.ids.len(),
            ms = started.elapsed().as_millis() as u64,
            "identity index loaded"
        );
        Ok(index)
    }

    /// SQLite: whether to read the tenant's users in pages. Pages walk the primary key of
    /// every tenant's users; a tenant with a small part of the file's users is read through
    /// its `tenant_id` index instead, a row per user (the per-row hand-over costs little
    /// for few users). Two cheap reads: the tenant's count by its index, the largest rowid.
    /// Also returns the tenant's count of users.
    async fn pages_pay(db: &DatabaseConnection, tenant: TenantId) -> crate::Result<(bool, usize)> {
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                r#"SELECT (SELECT count(*) FROM "users" WHERE "tenant_id" = ?), (SELECT max("rowid") FROM "users")"#,
                [tenant.0.into()],
            ))
            .await?;
        let (mine, all) = match row {
            Some(row) => (
                row.try_get_by_index::<Option<i64>>(0)?.unwrap_or_default(),
                row.try_get_by_index::<Option<i64>>(1)?.unwrap_or_default(),
            ),
            None => (0, 0),
        };
        Ok((
            mine.saturating_mul(4) >= all,
            usize::try_from(mine).unwrap_or_default(),
        ))
    }

    /// Reads the users of `st` (rows of in scope, text, id) into the index. Returns the slots
    /// not in scope.
    async fn stream(
        &mut self,
        db: &DatabaseConnection,
        st: Statement,
        digests: bool,
    ) -> crate::Result<HashSet<Slot>> {
        let mut outside = HashSet::new();
        let mut rows = db.stream_raw(st).await?;
        while let Some(row) = rows.next().await {
            let row = row?;
            let in_scope: bool = row.try_get_by_index(0)?;
            let text: String = row.try_get_by_index(1)?;
            let id: Uuid = row.try_get_by_index(2)?;
            self.add(id, in_scope, &text, digests, &mut outside);
        }
        Ok(outside)
    }

    /// SQLite: reads the users of `q` into the index in pages of [`USERS_PAGE`], each one
    /// row of text, in the order of their ids (a page starts after the last id of the one
    /// before and walks the primary key: no sort, so memory stays flat; the tenant condition
    /// is `+tenant_id`, which no index serves, so no statistics can make SQLite sort the
    /// tenant per page). Returns the slots not in scope.
    async fn pages(
        &mut self,
        db: &DatabaseConnection,
        q: sea_orm::Select<users::Entity>,
        digests: bool,
    ) -> crate::Result<HashSet<Slot>> {
        let mut outside = HashSet::new();
        let page = |after: Uuid| {
            let page = q
                .clone()
                .filter(users::Column::Id.gt(after))
                .order_by_asc(users::Column::Id)
                .limit(USERS_PAGE);
            let st = DbBackend::Sqlite.build(&page.into_query());
            Statement {
                sql: format!(
                    r#"SELECT group_concat(hex("k") || '{SEP}' || CASE WHEN "v" THEN '1' ELSE '0' END || '{SEP}' || "x", '{RS}'), max("k") FROM ({})"#,
                    st.sql
                ),
                ..st
            }
        };
        keyset_pages(db, page, |id, rest| {
            let (in_scope, text) = rest.split_once(SEP).ok_or_else(malformed)?;
            self.add(id, in_scope == "1", text, digests, &mut outside);
            Ok(())
        })
        .await?;
        Ok(outside)
    }

    /// Adds one user: its keys, and the digest of the rest of `text`.
    fn add(
        &mut self,
        id: Uuid,
        in_scope: bool,
        text: &str,
        digests: bool,
        outside: &mut HashSet<Slot>,
    ) {
        let slot = self.ids.len() as Slot;
        self.ids.push(id);
        let mut parts = text.splitn(KEYS.len() + 1, SEP);
        let mut next = || parts.next().unwrap_or_default();
        let (login, ext, ns, email, number, personnel) =
            (next(), next(), next(), next(), next(), next());
        let rest = next();
        self.login_hash.push(key(KeyKind::Login, "", login));
        self.ext_hash.push(if ext.is_empty() {
            0
        } else {
            key(KeyKind::ExternalAny, "", ext)
        });
        self.put(KeyKind::Login, "", login, slot);
        if !ext.is_empty() {
            self.put(KeyKind::External, ns, ext, slot);
            self.put(KeyKind::ExternalAny, "", ext, slot);
        }
        for (kind, v) in [
            (KeyKind::Email, email),
            (KeyKind::UserNumber, number),
            (KeyKind::Personnel, personnel),
        ] {
            if !v.is_empty() {
                self.put(kind, "", v, slot);
            }
        }
        if digests {
            self.digests.push(text_digest(rest));
        }
        if !in_scope {
            outside.insert(slot);
        }
        if self.ids.len() == SIZING_SAMPLE
            && let Some(total) = self.expected
        {
            // Room for the rest at the first users' keys per user (plus 2%), so the table
            // does not double near the end (for a moment, both sizes at once).
            let per = self.keys.len() as f64 / SIZING_SAMPLE as f64;
            let want = (total as f64 * per * 1.02) as usize;
            self.keys.reserve(want.saturating_sub(self.keys.len()));
        }
    }

    /// Makes [`Index::slot_of`] work whatever order the users came in (SQLite's pages come
    /// in rowid order, PostgreSQL's rows in any).
    fn order(&mut self) {
        self.by_id = None;
        if !self.ids.is_sorted() {
            let mut by_id: Vec<Slot> = (0..self.ids.len() as Slot).collect();
            by_id.sort_unstable_by_key(|s| self.ids[*s as usize]);
            self.by_id = Some(by_id);
        }
    }

    /// Completes the digests (which hold the texts' digests so far) with each user's codes
    /// (`codes`: per field of the spec, the digest of each linked user's codes, by user id)
    /// and superior role.
    fn complete_digests(&mut self, spec: &Spec, codes: &[Vec<(Uuid, u64)>]) {
        let none = text_digest("");
        let mut these = Vec::with_capacity(codes.len());
        for (slot, digest) in self.digests.iter_mut().enumerate() {
            let id = self.ids[slot];
            these.clear();
            these.extend(codes.iter().map(|of| {
                of.binary_search_by_key(&id, |(user, _)| *user)
                    .map_or(none, |i| of[i].1)
            }));
            let superior = spec.superior.then(|| self.superiors.contains(&id));
            *digest = combine(*digest, &these, superior);
        }
    }

    /// The stored digest of `slot`, when digests were loaded.
    pub fn digest(&self, slot: Slot) -> Option<u64> {
        self.digests.get(slot as usize).copied()
    }

    fn put(&mut self, kind: KeyKind, namespace: &str, value: &str, slot: Slot) {
        self.keys
            .set_or(key(kind, namespace, value), slot, AMBIGUOUS);
    }

    /// The user with this key: `Some(AMBIGUOUS)` when several share it.
    pub fn find(&self, kind: KeyKind, namespace: &str, value: &str) -> Option<Slot> {
        self.keys.get(key(kind, namespace, value))
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

    /// The slot of user `id` (a resumed import, stored superior links).
    pub fn slot_of(&self, id: &Uuid) -> Option<Slot> {
        match &self.by_id {
            None => self.ids.binary_search(id).ok().map(|i| i as Slot),
            Some(by_id) => by_id
                .binary_search_by_key(id, |s| self.ids[*s as usize])
                .ok()
                .map(|i| by_id[i]),
        }
    }
}

impl Index {
    /// U7: the stored superior of each stored user, by slot ([`AMBIGUOUS`] for none); empty
    /// when no user has one. Read in pages like the users themselves where they were (a
    /// tenant of a million users has nearly as many links, and a row each costs SQLite's
    /// thread a hand-over per row).
    pub async fn stored_superiors(
        &self,
        db: &DatabaseConnection,
        tenant: TenantId,
    ) -> crate::Result<Vec<Slot>> {
        let mut up: Vec<Slot> = Vec::new();
        let mut link = |id: Uuid, superior: Uuid| {
            if let (Some(a), Some(b)) = (self.slot_of(&id), self.slot_of(&superior)) {
                if up.is_empty() {
                    up = vec![AMBIGUOUS; self.len()];
                }
                up[a as usize] = b;
            }
        };
        if self.paged {
            let page = |after: Uuid| {
                Statement::from_sql_and_values(
                    DbBackend::Sqlite,
                    format!(
                        r#"SELECT group_concat(hex("id") || '{SEP}' || hex("superior_id"), '{RS}'), max("id") FROM (SELECT "id", "superior_id" FROM "users" WHERE +"tenant_id" = ? AND "superior_id" IS NOT NULL AND "id" > ? ORDER BY "id" LIMIT {USERS_PAGE})"#
                    ),
                    [tenant.0.into(), after.into()],
                )
            };
            keyset_pages(db, page, |id, superior| {
                link(id, Uuid::try_parse(superior).map_err(|_| malformed())?);
                Ok(())
            })
            .await?;
        } else {
            let mut links = tenant
                .find::<users::Entity>()
                .select_only()
                .column(users::Column::Id)
                .column(users::Column::SuperiorId)
                .filter(users::Column::SuperiorId.is_not_null())
                .into_tuple::<(Uuid, Option<Uuid>)>()
                .stream(db)
                .await?;
            while let Some(row) = links.next().await {
                if let (id, Some(superior)) = row? {
                    link(id, superior);
                }
            }
        }
        Ok(up)
    }
}

/// SQLite: reads pages by keyset. `page(after)` is one row: the entries of the users after
/// id `after`, each `hex(id)`, [`SEP`] and a text, joined by [`RS`], and the page's last id
/// (NULL when there are none). `each` gets every entry's id and text.
async fn keyset_pages(
    db: &DatabaseConnection,
    page: impl Fn(Uuid) -> Statement,
    mut each: impl FnMut(Uuid, &str) -> crate::Result<()>,
) -> crate::Result<()> {
    let mut after = Uuid::nil();
    loop {
        let Some(row) = db.query_one_raw(page(after)).await? else {
            return Ok(());
        };
        let (Some(entries), Some(last)) = (
            row.try_get_by_index::<Option<String>>(0)?,
            row.try_get_by_index::<Option<Uuid>>(1)?,
        ) else {
            return Ok(());
        };
        for entry in entries.split(RS) {
            let (hex, text) = entry.split_once(SEP).ok_or_else(malformed)?;
            let id = Uuid::try_parse(hex).map_err(|_| malformed())?;
            each(id, text)?;
        }
        after = last;
    }
}

/// A page of the identity index that does not parse.
fn malformed() -> crate::Error {
    anyhow::anyhow!("identity index: a malformed page").into()
}

/// Per field of `spec` that lists codes, the digest of each linked user's codes, sorted by
/// user id.
async fn codes(
    db: &DatabaseConnection,
    tenant: TenantId,
    spec: &Spec,
    users: Option<usize>,
) -> crate::Result<Vec<Vec<(Uuid, u64)>>> {
    let backend = db.get_database_backend();
    let paged = backend == DbBackend::Sqlite;
    let mut out = Vec::with_capacity(spec.codes.len());
    for sql in spec.codes_sql(backend) {
        // At most one entry per user.
        let mut of = Vec::with_capacity(users.unwrap_or_default());
        if paged {
            let page = |after: Uuid| {
                Statement::from_sql_and_values(
                    backend,
                    sql.as_str(),
                    [tenant.0.into(), after.into()],
                )
            };
            keyset_pages(db, page, |id, text| {
                of.push((id, text_digest(text)));
                Ok(())
            })
            .await?;
        } else {
            let q = Statement::from_sql_and_values(backend, sql, [tenant.0.into()]);
            let mut rows = db.stream_raw(q).await?;
            while let Some(row) = rows.next().await {
                let row = row?;
                let user: Uuid = row.try_get_by_index(0)?;
                let text: String = row.try_get_by_index(1)?;
                of.push((user, text_digest(&text)));
            }
        }
        if !of.is_sorted_by_key(|(user, _)| *user) {
            of.sort_unstable_by_key(|(user, _)| *user);
        }
        out.push(of);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u4_users_loaded_out_of_id_order_are_found_by_id_and_key() {
        let mut index = Index::default();
        let mut outside = HashSet::new();
        for (n, login) in [(3, "c"), (1, "a"), (2, "b")] {
            let text = format!("{login}{SEP}E{n}{SEP}{SEP}{login}@example.org{SEP}{SEP}");
            index.add(Uuid::from_u128(n), n != 2, &text, false, &mut outside);
        }
        index.order();
        for (n, slot) in [(3, 0), (1, 1), (2, 2)] {
            assert_eq!(index.slot_of(&Uuid::from_u128(n)), Some(slot));
        }
        assert_eq!(index.slot_of(&Uuid::from_u128(4)), None);
        assert_eq!(index.find(KeyKind::External, "", "E1"), Some(1));
        assert_eq!(index.find(KeyKind::Email, "", "B@example.org"), Some(2));
        assert_eq!(outside, HashSet::from([2]));
    }

    /// All kinds of keys share one table: the same text as one user's login and another's
    /// external id, e-mail or number finds each by its kind; a key two users share is
    /// ambiguous; and the table sized after the first users still takes the rest.
    #[test]
    fn u4_keys_of_every_kind_share_one_table_apart() {
        let mut index = Index {
            expected: Some(SIZING_SAMPLE + 3),
            ..Index::default()
        };
        let mut outside = HashSet::new();
        let mut add = |index: &mut Index, n: u128, fields: [&str; 6]| {
            let text = fields.join(&SEP.to_string());
            index.add(Uuid::from_u128(n), true, &text, false, &mut outside);
        };
        // login, external id, namespace, e-mail, user number, personnel number
        add(&mut index, 1, ["same", "", "", "a@x.org", "", ""]);
        add(&mut index, 2, ["b", "same", "", "shared@x.org", "", ""]);
        add(&mut index, 3, ["c", "", "", "shared@x.org", "same", "same"]);
        for n in 4..=SIZING_SAMPLE as u128 + 3 {
            let (login, ext) = (format!("u{n}"), format!("X{n}"));
            add(&mut index, n, [&login, &ext, "", "", "", ""]);
        }
        assert_eq!(index.find(KeyKind::Login, "", "same"), Some(0));
        assert_eq!(index.find(KeyKind::External, "", "same"), Some(1));
        assert_eq!(index.find(KeyKind::ExternalAny, "", "same"), Some(1));
        assert_eq!(index.find(KeyKind::UserNumber, "", "same"), Some(2));
        assert_eq!(index.find(KeyKind::Personnel, "", "same"), Some(2));
        assert_eq!(
            index.find(KeyKind::Email, "", "Shared@x.org"),
            Some(AMBIGUOUS)
        );
        assert_eq!(index.find(KeyKind::Email, "", "same"), None);
        let last = SIZING_SAMPLE as u128 + 3;
        assert_eq!(
            index.find(KeyKind::External, "", &format!("X{last}")),
            Some(last as Slot - 1)
        );
        assert!(index.has_login(&format!("u{last}")));
    }

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
