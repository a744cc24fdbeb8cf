//! I10: export of users in exactly the standard import format — the same columns in the same
//! order, each field written as the importer reads it (`import::values`), cells neutralised
//! against spreadsheet formulas ([`cells`]) — so export → edit → import round-trips with no
//! spurious changes. Every user of the tenant within the exporter's scope (B4, B5) is
//! exported, deactivated ones included (U6), a page at a time: memory stays flat however
//! large the tenant, and an HTTP handler can stream the chunks as they come.

pub mod cells;

use std::collections::{HashMap, HashSet};
use std::io::Write;

use futures_util::StreamExt;
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect, StreamTrait};
use uuid::Uuid;

use crate::authz::Permit;
use crate::authz::scope::Scope;
use crate::domain::Ctx;
use crate::import::fetch::{self, Needs};
use crate::import::fields::STANDARD;
use crate::import::refs::Refs;
use crate::import::values::{Stored, stored_text};
use crate::store::entity::{role_assignments, users};

/// Users per page (one query per table per page).
const PAGE: usize = 1000;

/// An export in progress: call [`Exporter::next_chunk`] until it returns `None`.
pub struct Exporter {
    ctx: Ctx,
    scope: Scope,
    refs: Option<Refs>,
    /// Every user id to export, in order, loaded with the first chunk: paging by id instead
    /// would sort the tenant's users once per page.
    ids: Option<Vec<Uuid>>,
    pos: usize,
    header_done: bool,
    done: bool,
    /// Users written so far.
    pub rows: u64,
}

impl Exporter {
    /// I10: an export of the users the actor's `export` right reaches.
    pub async fn for_permit<C: ConnectionTrait>(db: &C, permit: &Permit) -> crate::Result<Self> {
        let scope = permit.scope(db, crate::authz::Right::Export).await?;
        Ok(Self::new(permit.ctx(), scope))
    }

    /// An export of `ctx`'s tenant, limited to `scope` (the operator's tools and tests).
    pub fn new(ctx: &Ctx, scope: Scope) -> Self {
        Self {
            ctx: ctx.clone(),
            scope,
            refs: None,
            ids: None,
            pos: 0,
            header_done: false,
            done: false,
            rows: 0,
        }
    }

    /// The next piece of the CSV file (the header line with the first page).
    pub async fn next_chunk<C: ConnectionTrait + StreamTrait>(
        &mut self,
        db: &C,
    ) -> crate::Result<Option<Vec<u8>>> {
        if self.done {
            return Ok(None);
        }
        if self.refs.is_none() {
            crate::import::apply::optimize(db).await?;
            self.refs = Some(Refs::load(db, self.ctx.tenant).await?);
        }
        let Some(refs) = &self.refs else {
            return Ok(None);
        };
        let mut out = csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(Vec::with_capacity(256 * 1024));
        if !self.header_done {
            out.write_record(STANDARD.iter().map(|f| f.standard_header()))
                .map_err(anyhow::Error::from)?;
            self.header_done = true;
        }
        if self.ids.is_none() {
            // Streamed: collected by the driver (`all`), 1,000,000 ids were a million driver
            // rows at once (the export's peak: 296 MB; streamed, 16 MB of ids).
            let mut rows = self
                .ctx
                .tenant
                .find::<users::Entity>()
                .select_only()
                .column(users::Column::Id)
                .filter(self.scope.users_condition())
                .order_by_asc(users::Column::Id)
                .into_tuple::<Uuid>()
                .stream(db)
                .await?;
            let mut ids = Vec::new();
            while let Some(id) = rows.next().await {
                ids.push(id?);
            }
            self.ids = Some(ids);
        }
        let all = self.ids.as_deref().unwrap_or_default();
        let ids: Vec<Uuid> = all[self.pos.min(all.len())..]
            .iter()
            .take(PAGE)
            .copied()
            .collect();
        self.pos += ids.len();
        if self.pos >= all.len() {
            self.done = true;
        }
        let page = self
            .ctx
            .tenant
            .find_listed::<users::Entity>(ConnectionTrait::get_database_backend(db))
            .filter(users::Column::Id.is_in(ids.iter().copied()))
            // Consecutive ids: the range lets PostgreSQL read the page by primary key.
            .filter(users::Column::Id.between(
                ids.first().copied().unwrap_or_default(),
                ids.last().copied().unwrap_or_default(),
            ))
            .all(db)
            .await?;
        let superiors = superior_holders(db, &self.ctx, refs, &ids).await?;
        let order: Vec<Uuid> = ids.clone();
        let mut stored: HashMap<Uuid, Stored> = page
            .into_iter()
            .map(|u| {
                let mut s = Stored::bare(u);
                s.is_superior = superiors.contains(&s.user.id);
                (s.user.id, s)
            })
            .collect();
        fetch::attach(
            db,
            self.ctx.tenant,
            &mut stored,
            Needs::standard(),
            &[],
            true,
        )
        .await?;
        for id in order {
            let Some(s) = stored.get(&id) else { continue };
            let cells: Vec<String> = STANDARD
                .iter()
                .map(|f| cells::neutralise(&stored_text(*f, s, refs)).into_owned())
                .collect();
            out.write_record(&cells).map_err(anyhow::Error::from)?;
            self.rows += 1;
        }
        let bytes = out
            .into_inner()
            .map_err(|e| anyhow::anyhow!("export buffer: {e}"))?;
        Ok(Some(bytes))
    }
}

/// U7: which of `ids` hold the superior role.
async fn superior_holders<C: ConnectionTrait>(
    db: &C,
    ctx: &Ctx,
    refs: &Refs,
    ids: &[Uuid],
) -> crate::Result<HashSet<Uuid>> {
    let Some(role) = refs.superior_role else {
        return Ok(HashSet::new());
    };
    let mut out = HashSet::new();
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    for chunk in ids.chunks(500) {
        let (Some(lo), Some(hi)) = (chunk.first().copied(), chunk.last().copied()) else {
            continue;
        };
        let rows: Vec<Option<Uuid>> = ctx
            .tenant
            .find::<role_assignments::Entity>()
            .select_only()
            .column(role_assignments::Column::UserId)
            .filter(role_assignments::Column::RoleId.eq(role))
            .filter(role_assignments::Column::UserId.is_in(chunk.iter().copied()))
            .filter(role_assignments::Column::UserId.between(lo, hi))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(rows.into_iter().flatten());
    }
    Ok(out)
}

/// I10: writes the whole export to `out`; returns how many users it holds.
pub async fn export_users<C: ConnectionTrait + StreamTrait>(
    db: &C,
    ctx: &Ctx,
    scope: Scope,
    out: &mut dyn Write,
) -> crate::Result<u64> {
    let mut exporter = Exporter::new(ctx, scope);
    while let Some(chunk) = exporter.next_chunk(db).await? {
        out.write_all(&chunk).map_err(anyhow::Error::from)?;
    }
    out.flush().map_err(anyhow::Error::from)?;
    Ok(exporter.rows)
}
