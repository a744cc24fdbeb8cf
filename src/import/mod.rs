//! Import of users from files (I1–I10, U4, U8, U9). One pipeline for every format and
//! configuration:
//!
//! ```text
//! read (source: csv | xml) → map (layout) → validate (row) → identify (identify, index)
//!      → plan (diff, planner, superiors, hr) → apply (execute, apply) → report
//! ```
//!
//! The file is read twice. The first pass validates, identifies and plans every row without
//! writing, then resolves what spans rows (superiors, departments) and checks the quota; a
//! problem with the file as a whole ([`Rejection`]) stops here, before any write. The second
//! pass writes the planned outcome of each row in batches, each batch in one transaction with
//! its report rows. A simulation (I7) is the same two passes with the writes left out, so it
//! reports exactly what a real run does. Staged imports (I9) run the same pipeline from the
//! job queue: see [`staged`].

pub mod apply;
pub mod checkpoint;
pub mod departments;
pub mod diff;
pub mod digest;
pub mod execute;
pub mod fetch;
pub mod fields;
pub mod hr;
pub mod identify;
pub mod index;
pub mod keys;
pub mod layout;
pub mod mail;
pub mod planner;
pub mod read_csv;
pub mod read_xml;
pub mod record;
pub mod refs;
pub mod report;
pub mod row;
pub mod runs;
pub mod source;
pub mod staged;
pub mod state;
pub mod superiors;
pub mod values;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use sea_orm::{ColumnTrait, DatabaseConnection, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::authz::scope::Scope;
use crate::domain::{Ctx, Source as ChangeSource};
use crate::store::entity::{import_rows, users};
use execute::Executor;
use index::Index;
pub use layout::Layout;
use planner::{Planner, Recorded, RecordedLines};
pub use record::Rejection;
use refs::Refs;
pub use report::{CsvReport, MemoryReport, NoReport, Outcome, ReportSink, RowReport, Summary};
pub use source::Input;
use superiors::Target;

/// Rows per batch: one query per table per batch when planning, one transaction per batch
/// when writing.
pub const BATCH: usize = 2000;

/// How an import runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Catalog code given to new users (default: the configuration's, or the tenant's only
    /// catalog).
    pub catalog: Option<String>,
    /// Users the importer may touch (B4, B5); others are reported, never changed.
    pub scope: Scope,
    /// I7: check and report only.
    pub simulate: bool,
    /// Rows per batch.
    pub batch_size: usize,
    /// Tests: fail after this many written batches, as a killed worker would.
    pub crash_after_batches: Option<usize>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            catalog: None,
            scope: Scope::tenant(),
            simulate: false,
            batch_size: BATCH,
            crash_after_batches: None,
        }
    }
}

/// Told how far an import is: `pass` 1 (checking) or 2 (writing), rows done in that pass.
pub trait Progress: Send + Sync {
    /// Rows done so far.
    fn rows(&self, pass: u8, done: u64);
}

/// No progress display.
pub struct Quiet;

impl Progress for Quiet {
    fn rows(&self, _: u8, _: u64) {}
}

/// Runs an import of `input` with `layout` for `ctx`'s tenant. With `import_id` the report
/// rows are recorded in `import_rows` (and lines recorded by an earlier attempt are skipped:
/// resume); the caller owns the `imports` row. A refused file is a [`Summary`] with
/// `rejected` set, never an error; errors are failures of the database or the file system.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    db: &DatabaseConnection,
    ctx: &Ctx,
    input: &Input,
    layout: &Layout,
    options: &Options,
    import_id: Option<Uuid>,
    sink: &mut dyn ReportSink,
    progress: &dyn Progress,
) -> crate::Result<Summary> {
    // SQLite: one connection for the whole run, so its reads and writes share one page cache.
    let dedicated = crate::store::dedicated(db).await?;
    // …and another for its WAL checkpoints, beside the writes.
    let checkpoints = match &dedicated {
        Some(writer) if !options.simulate => match crate::store::dedicated(db).await? {
            Some(conn) => Some(checkpoint::Checkpoints::start(writer, conn).await?),
            None => None,
        },
        _ => None,
    };
    let result = run_on(
        dedicated.as_ref().unwrap_or(db),
        db,
        checkpoints.clone(),
        ctx,
        input,
        layout,
        options,
        import_id,
        sink,
        progress,
    )
    .await;
    if let Some(c) = checkpoints {
        c.close().await;
    }
    if let Some(conn) = dedicated {
        conn.close().await.ok();
    }
    result
}

/// [`run`] with `db` for the import's reads and writes and `side` for reads that can run
/// beside them (another connection of the pool; on SQLite `db` is a connection of its own).
#[allow(clippy::too_many_arguments)]
async fn run_on(
    db: &DatabaseConnection,
    side: &DatabaseConnection,
    checkpoints: Option<Arc<checkpoint::Checkpoints>>,
    ctx: &Ctx,
    input: &Input,
    layout: &Layout,
    options: &Options,
    import_id: Option<Uuid>,
    sink: &mut dyn ReportSink,
    progress: &dyn Progress,
) -> crate::Result<Summary> {
    let started = Instant::now();
    let mut ctx = ctx.clone();
    ctx.source = ChangeSource::Import;
    if ctx.request_id.is_none() {
        ctx.request_id = import_id.map(|id| format!("import:{id}"));
    }
    let refs = Refs::load(db, ctx.tenant).await?;
    let catalog_code = options.catalog.clone().or_else(|| layout.catalog.clone());
    let default_catalog = match &catalog_code {
        Some(code) => Some(
            refs.catalogs
                .id(code)
                .ok_or_else(|| crate::Error::BadRequest(format!("unknown catalog `{code}`")))?,
        ),
        None if refs.catalogs.id_count() == 1 => refs.catalogs.only(),
        None => None,
    };
    apply::optimize(db).await?;
    let spec = digest::Spec::of(layout);
    let index = Index::load(
        db,
        side,
        ctx.tenant,
        &options.scope,
        refs.superior_role,
        spec.as_ref(),
    )
    .await?;
    let recorded = match import_id {
        Some(id) => recorded_lines(db, &ctx, id).await?,
        None => RecordedLines::default(),
    };
    let rejected = |r: &Rejection| {
        let mut s = Summary::rejected(r, options.simulate);
        s.import_id = import_id;
        s.millis = started.elapsed().as_millis() as u64;
        s
    };
    let size = options.batch_size.max(1);

    // First pass: check and plan, write nothing.
    let source = match source::Source::open(input, layout) {
        Ok(s) => s,
        Err(r) => return Ok(rejected(&r)),
    };
    let mut planner = Planner::new(
        layout,
        &refs,
        &index,
        source.labels(),
        default_catalog,
        recorded,
    );
    let by_slots = source.report_by_slots();
    let mut batches = source.batches(size);
    let mut batch = Vec::new();
    loop {
        let (b, read) = batches.next(batch).await?;
        batch = b;
        let n = match read {
            Ok(n) => n,
            Err(r) => return Ok(rejected(&r)),
        };
        if n == 0 {
            break;
        }
        if batch[..n].last().is_some_and(|r| r.line > state::MAX_LINE) {
            return Ok(rejected(&Rejection::file(format!(
                "the file has more than {} lines",
                state::MAX_LINE
            ))));
        }
        planner.survey(db, &batch[..n]).await?;
        if planner.lines.len() == n
            && !by_slots
            && let Some(size) = input.size()
        {
            // After the first batch of a delimited file: room for all of its rows.
            let bytes: usize = batch[..n].iter().map(record::Record::size).sum();
            let rows = size as usize / (bytes / n).max(1);
            planner.reserve(rows + rows / 20);
        }
        progress.rows(1, planner.lines.len() as u64);
    }
    memory("first pass read", &planner);
    planner.finish(db).await?;
    memory("first pass resolved", &planner);
    if let Some(quota) = refs.settings.user_quota {
        let have = index.len() as u64;
        let creates = planner.creates();
        let quota = u64::from(quota);
        if let Some(why) = crate::domain::quota::refusal(quota, have, creates) {
            return Ok(rejected(&Rejection::file(why)));
        }
    }

    // Second pass: write (or, simulating, only report) what the first pass planned.
    let source = match source::Source::open(input, layout) {
        Ok(s) => s,
        Err(r) => return Ok(rejected(&r)),
    };
    sink.header(&source.report_header())
        .map_err(anyhow::Error::from)?;
    let mut exec = Executor::new(
        &planner,
        &ctx,
        options.simulate,
        import_id,
        source.report_by_slots(),
    );
    exec.checkpoints = checkpoints;
    let mut batches = source.batches(size);
    let mut written = 0;
    loop {
        let (b, read) = batches.next(batch).await?;
        batch = b;
        let n = match read {
            Ok(n) => n,
            Err(r) => return Ok(rejected(&r)),
        };
        if n == 0 {
            break;
        }
        batch = exec.batch(db, batch, n, sink).await?;
        progress.rows(2, exec.summary.total);
        written += 1;
        if !options.simulate && options.crash_after_batches == Some(written) {
            exec.finish(db, sink).await?;
            return Err(anyhow::anyhow!("import stopped after {written} batches (test)").into());
        }
    }
    exec.finish(db, sink).await?;
    progress.rows(2, exec.summary.total);
    if !options.simulate {
        link_superiors(db, &ctx, &planner, &exec).await?;
        planner
            .departments
            .link(db, ctx.tenant, &planner.lines)
            .await?;
        apply::optimize(db).await?;
    }
    memory("second pass", &planner);
    let mut summary = exec.summary.clone();
    summary.millis = started.elapsed().as_millis() as u64;
    Ok(summary)
}

/// Runs an import now, recording it as an `imports` row with its report rows (a
/// simulation records nothing). This is what `roster import` does.
#[allow(clippy::too_many_arguments)]
pub async fn run_now(
    db: &DatabaseConnection,
    ctx: &Ctx,
    input: &Input,
    layout: &Layout,
    options: &Options,
    file_name: &str,
    sink: &mut dyn ReportSink,
    progress: &dyn Progress,
) -> crate::Result<Summary> {
    if options.simulate {
        return run(db, ctx, input, layout, options, None, sink, progress).await;
    }
    let id = runs::begin(
        db,
        ctx,
        runs::NewImport {
            layout,
            file_name,
            content: None,
            state: "running",
            mail_report: false,
        },
    )
    .await?;
    match run(db, ctx, input, layout, options, Some(id), sink, progress).await {
        Ok(summary) => {
            runs::finish(db, ctx, id, &summary).await?;
            Ok(summary)
        }
        Err(e) => {
            let failed = Summary {
                rejected: Some(format!("the import stopped: {e}")),
                ..Summary::default()
            };
            runs::finish(db, ctx, id, &failed).await?;
            Err(e)
        }
    }
}

/// U7: superiors that are created later in the file than the rows naming them are linked
/// once everything exists. Idempotent, so a resumed import links what an interrupted one
/// could not.
async fn link_superiors(
    db: &DatabaseConnection,
    ctx: &Ctx,
    planner: &Planner<'_>,
    exec: &Executor<'_, '_>,
) -> crate::Result<()> {
    let mut links: Vec<(Uuid, u32)> = exec.deferred.clone();
    let mut by_superior: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for (ord, target) in planner.targets.iter() {
        let Some(Some(user)) = planner.lines.recorded(ord as usize) else {
            continue;
        };
        match target {
            Target::Line(o) => links.push((user, o)),
            // A row an interrupted attempt wrote before its superior's row was written (later
            // in the file, by a batch that also committed before the interruption): the
            // superior is stored now, the link was still to be made. A no-op for the rest.
            Target::Stored(slot) => {
                if let Some(superior) = planner.index.ids.get(slot as usize) {
                    by_superior.entry(*superior).or_default().push(user);
                }
            }
        }
    }
    for (user, o) in links {
        if let Some(superior) = exec.created_id(o) {
            by_superior.entry(superior).or_default().push(user);
        }
    }
    if by_superior.is_empty() {
        return Ok(());
    }
    let txn = crate::store::begin_write(db).await?;
    for (superior, users_of) in by_superior {
        for chunk in users_of.chunks(500) {
            ctx.tenant
                .update_many::<users::Entity>()
                .col_expr(
                    users::Column::SuperiorId,
                    sea_orm::sea_query::Expr::value(superior),
                )
                .filter(users::Column::Id.is_in(chunk.iter().copied()))
                .filter(
                    sea_orm::Condition::any()
                        .add(users::Column::SuperiorId.is_null())
                        .add(users::Column::SuperiorId.ne(superior)),
                )
                .exec(&txn)
                .await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// Lines an earlier attempt of import `id` wrote.
async fn recorded_lines(
    db: &DatabaseConnection,
    ctx: &Ctx,
    id: Uuid,
) -> crate::Result<RecordedLines> {
    type RowOf = (i32, Option<i32>, String, Option<Uuid>, Option<String>);
    let rows: Vec<RowOf> = ctx
        .tenant
        .find::<import_rows::Entity>()
        .select_only()
        .column(import_rows::Column::LineNo)
        .column(import_rows::Column::LastLineNo)
        .column(import_rows::Column::Outcome)
        .column(import_rows::Column::UserId)
        .column(import_rows::Column::MatchedBy)
        .filter(import_rows::Column::ImportId.eq(id))
        .into_tuple()
        .all(db)
        .await?;
    let mut lines = RecordedLines::default();
    for (line, last, outcome, user_id, matched_by) in rows {
        let (Ok(line), Some(outcome)) = (u64::try_from(line), Outcome::parse(&outcome)) else {
            continue;
        };
        let recorded = Recorded {
            outcome,
            user_id,
            matched_by: matched_by.as_deref().and_then(report::MatchedBy::parse),
        };
        lines.insert(line, last.and_then(|l| u64::try_from(l).ok()), recorded);
    }
    Ok(lines.sorted())
}

/// Debug log: the process's resident memory now and at its peak, with the planner's sizes.
fn memory(phase: &str, planner: &Planner<'_>) {
    if !tracing::enabled!(tracing::Level::DEBUG) {
        return;
    }
    let mb = |field| crate::telemetry::memory_mb(field).unwrap_or_default() as u64;
    tracing::debug!(
        phase,
        rss_mb = mb("VmRSS"),
        peak_mb = mb("VmHWM"),
        lines = planner.lines.len(),
        planner_mb = planner.bytes() / (1 << 20),
        "import memory"
    );
}
