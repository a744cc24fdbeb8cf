//! The second pass: the file is read again and each batch of rows gets the outcome the first
//! pass decided. Rows that change something are planned again against stored data (only
//! those: an unchanged row costs nothing), passwords are hashed in parallel, and the batch is
//! written in one transaction together with its report rows — so a resumed import knows
//! exactly which lines are done (I9). A simulation (I7) runs the same code and writes nothing.
//! If a batch fails to write, its rows are written one by one, so one bad row cannot take its
//! neighbours down and never leaves a half-written user (I8).
//!
//! Batches are pipelined: a batch's statements are built, then written by a task of their
//! own while the next batch is planned and built; the batch after that waits for the write,
//! so batches still commit one after the other, in file order, and each row's report is
//! handed on only once its batch has committed (or failed and been written row by row).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use sea_orm::{ActiveValue::Set, DatabaseConnection, Statement};
use serde_json::json;
use uuid::Uuid;

use super::apply::{self, Writes};
use super::checkpoint::Checkpoints;
use super::diff;
use super::fetch;
use super::fields::ImportField as F;
use super::planner::Planner;
use super::record::Record;
use super::report::{FieldChange, Outcome, ReportSink, RowReport, Summary};
use super::row::{Row, parse};
use super::source::report_cells;
use super::state::at_line;
use super::superiors::Target;
use crate::domain::Ctx;
use crate::store::entity::import_rows;

/// The second pass over one file.
pub struct Executor<'p, 'a> {
    planner: &'p Planner<'a>,
    ctx: &'p Ctx,
    simulate: bool,
    import_id: Option<Uuid>,
    report_by_slots: bool,
    password_slot: Option<usize>,
    /// Users created so far that other rows name as superior, by row ordinal.
    created: HashMap<u32, Uuid>,
    /// Rows named as superior by some row.
    targets: HashSet<u32>,
    /// U7: superiors to link once the superior exists (user, superior's row).
    pub deferred: Vec<(Uuid, u32)>,
    /// Departments this import created, by code (U8).
    departments: HashMap<String, Uuid>,
    /// Totals so far (of the batches whose reports were handed on).
    pub summary: Summary,
    next: usize,
    /// The batch being written while the next one is planned.
    pending: Option<Pending>,
    /// SQLite: the writer's WAL checkpoints, run beside the writes.
    pub checkpoints: Option<Arc<Checkpoints>>,
}

/// A batch that a task of its own is writing.
struct Pending {
    task: Writer,
    /// The batch's rows (the first `n`), for the report.
    records: Vec<Record>,
    n: usize,
    reports: Vec<RowReport>,
    /// Which reports the writes belong to.
    at: Vec<usize>,
    writes: Vec<Writes>,
    recorded: HashSet<usize>,
}

/// A batch's write task, stopped when dropped (an import that stops on an error writes
/// nothing after it).
struct Writer(tokio::task::JoinHandle<crate::Result<()>>);

impl Drop for Writer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Writes one batch's statements in one transaction (then lets `checkpoints` know).
async fn write_batch(
    db: DatabaseConnection,
    statements: Vec<Statement>,
    checkpoints: Option<Arc<Checkpoints>>,
) -> crate::Result<()> {
    let t = std::time::Instant::now();
    let txn = crate::store::begin_write(&db).await?;
    match apply::execute(&txn, statements).await {
        Ok(()) => txn.commit().await?,
        Err(e) => {
            txn.rollback().await?;
            return Err(e);
        }
    }
    tracing::debug!(
        write_ms = t.elapsed().as_millis() as u64,
        "import batch written"
    );
    if let Some(c) = checkpoints {
        c.committed(&db).await;
    }
    Ok(())
}

impl<'p, 'a> Executor<'p, 'a> {
    /// The second pass of `planner`'s file.
    pub fn new(
        planner: &'p Planner<'a>,
        ctx: &'p Ctx,
        simulate: bool,
        import_id: Option<Uuid>,
        report_by_slots: bool,
    ) -> Self {
        let targets = planner
            .targets
            .iter()
            .filter_map(|(_, t)| match t {
                Target::Line(o) => Some(o),
                Target::Stored(_) => None,
            })
            .collect();
        Self {
            planner,
            ctx,
            simulate,
            import_id,
            report_by_slots,
            password_slot: planner.layout.slot(F::Password),
            created: HashMap::new(),
            targets,
            deferred: Vec::new(),
            departments: HashMap::new(),
            summary: Summary {
                simulate,
                import_id,
                ..Summary::default()
            },
            next: 0,
            pending: None,
            checkpoints: None,
        }
    }

    /// The id of the user created or recorded for row `ord`.
    pub fn created_id(&self, ord: u32) -> Option<Uuid> {
        self.created
            .get(&ord)
            .copied()
            .or_else(|| self.planner.lines.recorded(ord as usize).flatten())
    }

    /// Runs one batch: the first `n` of `records` (the same rows, in the same order, as the
    /// first pass read). Its write may still run when this returns (see [`Executor::finish`]);
    /// the records to read the next batch into are returned.
    pub async fn batch(
        &mut self,
        db: &DatabaseConnection,
        records: Vec<Record>,
        n: usize,
        sink: &mut dyn ReportSink,
    ) -> crate::Result<Vec<Record>> {
        let base = self.next;
        self.next += n;
        let (mut reports, writes) = self.plan(db, &records[..n], base).await?;
        if self.simulate {
            self.emit(&records[..n], &reports, sink)?;
            return Ok(records);
        }
        let (at, mut writes): (Vec<usize>, Vec<Writes>) = writes.into_iter().unzip();
        hash_passwords(&mut writes).await?;
        let recorded: HashSet<usize> = (0..n)
            .filter(|i| self.planner.lines.recorded(base + i).is_some())
            .collect();
        if apply::reads_while_writing(&writes) {
            self.flush(db, sink).await?;
            self.write(db, &mut reports, at, writes, &recorded).await?;
            self.emit(&records[..n], &reports, sink)?;
            return Ok(records);
        }
        let mut statements = self.statements(db, &reports, &recorded, &writes);
        let (spare, failed) = self.flush(db, sink).await?;
        // A user of the batch before that could not be saved is no one's superior.
        let mut orphans = false;
        for w in &mut writes {
            if matches!(w.superior_id, Some(Some(s)) if failed.contains(&s)) {
                w.superior_id = None;
                orphans = true;
            }
        }
        if orphans {
            statements = self.statements(db, &reports, &recorded, &writes);
        }
        self.pending = Some(Pending {
            task: Writer(tokio::spawn(write_batch(
                db.clone(),
                statements,
                self.checkpoints.clone(),
            ))),
            records,
            n,
            reports,
            at,
            writes,
            recorded,
        });
        Ok(spare.unwrap_or_default())
    }

    /// The statements that write a batch and its report rows.
    fn statements(
        &self,
        db: &DatabaseConnection,
        reports: &[RowReport],
        recorded: &HashSet<usize>,
        writes: &[Writes],
    ) -> Vec<Statement> {
        // A created user with an external id is found again by it on resume (U4, T3: unique
        // in its namespace), so its report row may join a run.
        let keyed: HashSet<Uuid> = writes
            .iter()
            .filter(|w| {
                w.ops
                    .insert
                    .as_ref()
                    .is_some_and(|u| u.external_id.is_some())
            })
            .map(|w| w.user_id)
            .collect();
        let rows = self.import_rows_with(
            reports,
            recorded,
            |_| true,
            |r| r.user_id.is_some_and(|id| keyed.contains(&id)),
        );
        apply::statements(
            db.get_database_backend(),
            self.ctx,
            self.planner.refs,
            writes,
            rows,
            chrono::Utc::now(),
        )
    }

    /// Waits for the batch being written, and hands its reports on.
    pub async fn finish(
        &mut self,
        db: &DatabaseConnection,
        sink: &mut dyn ReportSink,
    ) -> crate::Result<()> {
        self.flush(db, sink).await.map(|_| ())
    }

    /// Waits for the batch being written (writing its rows one by one if it failed) and
    /// hands its reports on. Returns its records, for reuse, and the users it could not save.
    async fn flush(
        &mut self,
        db: &DatabaseConnection,
        sink: &mut dyn ReportSink,
    ) -> crate::Result<(Option<Vec<Record>>, HashSet<Uuid>)> {
        let Some(mut p) = self.pending.take() else {
            return Ok((None, HashSet::new()));
        };
        let written = (&mut p.task.0)
            .await
            .map_err(|e| anyhow::anyhow!("an import batch's write stopped: {e}"))?;
        let mut failed = HashSet::new();
        if let Err(e) = written {
            tracing::warn!(error = %e, "import batch failed; writing its rows one by one");
            let (at, writes) = (std::mem::take(&mut p.at), std::mem::take(&mut p.writes));
            failed = self
                .one_by_one(db, &mut p.reports, at, writes, &p.recorded)
                .await?;
        }
        self.emit(&p.records[..p.n], &p.reports, sink)?;
        let records = std::mem::take(&mut p.records);
        Ok((Some(records), failed))
    }

    /// Plans the rows of one batch again: their reports, and the writes of those that write.
    /// Stored users are read on the import's own connection (so after the batch before is
    /// written): on SQLite, another connection may plan `tenant_id = ? AND id IN (…)` with
    /// statistics from before the import and scan every user of the tenant per batch.
    async fn plan(
        &mut self,
        db: &DatabaseConnection,
        batch: &[Record],
        base: usize,
    ) -> crate::Result<(Vec<RowReport>, Vec<(usize, Writes)>)> {
        let p = self.planner;
        let env = p.env();
        // Plan again the rows that write.
        let mut rows: Vec<Option<Row>> = Vec::with_capacity(batch.len());
        for (i, rec) in batch.iter().enumerate() {
            let Some(outcome) = p.lines.outcome(base + i) else {
                return Err(anyhow::anyhow!("the file changed between the two passes").into());
            };
            let writes = p.lines.recorded(base + i).is_none()
                && matches!(outcome, Outcome::Created | Outcome::Updated);
            rows.push(if writes {
                parse(rec, p.layout, &p.labels, p.refs).ok()
            } else {
                None
            });
        }
        let ids: Vec<Uuid> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is_some())
            .filter_map(|(i, _)| p.lines.slot(base + i))
            .filter_map(|slot| p.index.ids.get(slot as usize).copied())
            .collect();
        let names = Planner::property_names(rows.iter().flatten());
        let stored =
            fetch::stored(db, p.refs.tenant, &ids, p.needs, &p.index.superiors, &names).await?;
        let mut reports: Vec<RowReport> = Vec::with_capacity(batch.len());
        let mut writes: Vec<(usize, Writes)> = Vec::new();
        for (i, row) in rows.into_iter().enumerate() {
            let ord = (base + i) as u32;
            let Some(st) = p.lines.get(base + i) else {
                return Err(anyhow::anyhow!("the file changed between the two passes").into());
            };
            let stored_id = st.slot.and_then(|s| p.index.ids.get(s as usize).copied());
            let Some(row) = row else {
                let mut r = st.report(stored_id.or(st.recorded.flatten()));
                if st.recorded.is_none()
                    && matches!(st.outcome, Outcome::Created | Outcome::Updated)
                {
                    r.outcome = Outcome::Error;
                    r.message = Some(at_line(st.line, "the row changed between the two passes"));
                }
                reports.push(r);
                continue;
            };
            let planned = match (st.outcome, stored_id.and_then(|id| stored.get(&id))) {
                (Outcome::Created, _) => {
                    diff::new_user(&row, st.login.as_deref().unwrap_or_default(), &env)
                }
                (_, Some(s)) => diff::existing(&row, s, &env),
                (_, None) => Err("the user was removed while the import ran".into()),
            };
            let mut d = match planned {
                Ok(d) => d,
                Err(m) => {
                    let mut r = st.report(stored_id);
                    r.outcome = Outcome::Error;
                    r.message = Some(at_line(st.line, &m));
                    reports.push(r);
                    continue;
                }
            };
            if st.password_changed {
                d.ops.password = row.text(F::Password).map(str::to_owned);
                d.changes.push(FieldChange {
                    field: F::Password.standard_header().into(),
                    old: String::new(),
                    new: "(changed)".into(),
                });
            }
            let created = st.outcome == Outcome::Created;
            let user_id = if created {
                Uuid::now_v7()
            } else {
                stored_id.unwrap_or_default()
            };
            let superior_id = match &d.ops.superior {
                None => None,
                Some(None) => Some(None),
                Some(Some(_)) => match p.targets.get(ord) {
                    Some(Target::Stored(slot)) => {
                        p.index.ids.get(slot as usize).map(|id| Some(*id))
                    }
                    Some(Target::Line(o)) => match self.created_id(o) {
                        Some(id) => Some(Some(id)),
                        None => {
                            self.deferred.push((user_id, o));
                            None
                        }
                    },
                    None => None,
                },
            };
            if created && self.targets.contains(&ord) {
                self.created.insert(ord, user_id);
            }
            let outcome = if created {
                Outcome::Created
            } else if d.changes.is_empty() {
                Outcome::Unchanged
            } else {
                Outcome::Updated
            };
            reports.push(RowReport {
                line: st.line,
                outcome,
                matched_by: st.matched_by,
                user_id: (!(created && self.simulate)).then_some(user_id),
                changes: if created {
                    Vec::new()
                } else {
                    d.changes.clone()
                },
                message: None,
            });
            if outcome != Outcome::Unchanged {
                writes.push((
                    i,
                    Writes {
                        user_id,
                        ops: d.ops,
                        superior_id,
                        password_hash: None,
                        changes: d.changes,
                    },
                ));
            }
        }
        Ok((reports, writes))
    }

    /// Hands the reports of a batch on, and counts them.
    fn emit(
        &mut self,
        batch: &[Record],
        reports: &[RowReport],
        sink: &mut dyn ReportSink,
    ) -> crate::Result<()> {
        let slots = self.planner.layout.columns.len();
        for (r, rec) in reports.iter().zip(batch) {
            self.summary.count(r.outcome);
            let mut cells = report_cells(rec, self.report_by_slots, slots);
            if let Some(cell) = self.password_cell(rec)
                && let Some(c) = cells.get_mut(cell)
            {
                *c = "";
            }
            sink.row(r, &cells).map_err(anyhow::Error::from)?;
        }
        Ok(())
    }

    /// The report never repeats a password.
    fn password_cell(&self, rec: &Record) -> Option<usize> {
        let slot = self.password_slot?;
        if self.report_by_slots {
            Some(slot)
        } else {
            rec.cell_of(slot)
        }
    }

    /// Writes a batch whose rows need the database's answers on the way (HR), in one
    /// transaction, or one by one if that fails.
    async fn write(
        &mut self,
        db: &DatabaseConnection,
        reports: &mut [RowReport],
        at: Vec<usize>,
        writes: Vec<Writes>,
        recorded: &HashSet<usize>,
    ) -> crate::Result<()> {
        let refs = self.planner.refs;
        let before = self.departments.clone();
        let rows = self.import_rows(reports, recorded, |_| true);
        let txn = crate::store::begin_write(db).await?;
        match apply::write(&txn, self.ctx, refs, &mut self.departments, &writes, rows).await {
            Ok(()) => {
                txn.commit().await?;
                if let Some(c) = &self.checkpoints {
                    c.committed(db).await;
                }
                return Ok(());
            }
            Err(e) => {
                txn.rollback().await?;
                self.departments = before;
                tracing::warn!(error = %e, "import batch failed; writing its rows one by one");
            }
        }
        self.one_by_one(db, reports, at, writes, recorded)
            .await
            .map(|_| ())
    }

    /// Writes the rows of a batch that failed as a whole one by one: a row that fails is
    /// reported as an error and writes nothing. Returns the users that could not be saved.
    async fn one_by_one(
        &mut self,
        db: &DatabaseConnection,
        reports: &mut [RowReport],
        at: Vec<usize>,
        writes: Vec<Writes>,
        recorded: &HashSet<usize>,
    ) -> crate::Result<HashSet<Uuid>> {
        let refs = self.planner.refs;
        let mut failed = HashSet::new();
        let writing: HashSet<usize> = at.iter().copied().collect();
        let quiet = self.import_rows(reports, recorded, |i| !writing.contains(&i));
        let txn = crate::store::begin_write(db).await?;
        apply::write(&txn, self.ctx, refs, &mut self.departments, &[], quiet).await?;
        txn.commit().await?;
        for (i, w) in at.into_iter().zip(writes) {
            let rows = self.import_rows(reports, recorded, |j| j == i);
            let txn = crate::store::begin_write(db).await?;
            let before = self.departments.clone();
            match apply::write(
                &txn,
                self.ctx,
                refs,
                &mut self.departments,
                std::slice::from_ref(&w),
                rows,
            )
            .await
            {
                Ok(()) => txn.commit().await?,
                Err(e) => {
                    txn.rollback().await?;
                    self.departments = before;
                    let r = &mut reports[i];
                    r.outcome = Outcome::Error;
                    r.changes.clear();
                    r.message = Some(at_line(r.line, &format!("could not be saved: {e}")));
                    if w.ops.insert.is_some() {
                        // The user was never created: the report names no one.
                        r.user_id = None;
                    }
                    self.created.retain(|_, id| *id != w.user_id);
                    failed.insert(w.user_id);
                    let rows = self.import_rows(reports, recorded, |j| j == i);
                    let txn = crate::store::begin_write(db).await?;
                    apply::write(&txn, self.ctx, refs, &mut self.departments, &[], rows).await?;
                    txn.commit().await?;
                }
            }
        }
        Ok(failed)
    }

    /// The `import_rows` of the reports selected by `pick` (none when not recorded). A run of
    /// consecutive unchanged rows identified by the same key is one row (I8: `line_count`
    /// records, lines `line_no` to `last_line_no`), without a user id: a resumed import
    /// finds their users again by that key (`Planner::replay`). Created rows form runs only
    /// through [`Executor::import_rows_with`].
    fn import_rows(
        &self,
        reports: &[RowReport],
        recorded: &HashSet<usize>,
        pick: impl Fn(usize) -> bool,
    ) -> Vec<import_rows::ActiveModel> {
        self.import_rows_with(reports, recorded, pick, |_| false)
    }

    /// [`Executor::import_rows`], where a created row for which `found_again` holds (its
    /// user is found again by its external id) joins runs too, of created rows.
    fn import_rows_with(
        &self,
        reports: &[RowReport],
        recorded: &HashSet<usize>,
        pick: impl Fn(usize) -> bool,
        found_again: impl Fn(&RowReport) -> bool,
    ) -> Vec<import_rows::ActiveModel> {
        let Some(import_id) = self.import_id else {
            return Vec::new();
        };
        let now = chrono::Utc::now();
        let line = |r: &RowReport| i32::try_from(r.line).unwrap_or(i32::MAX);
        let mut out: Vec<import_rows::ActiveModel> = Vec::new();
        // The run being extended: where it ends (report index), its row in `out`, its size.
        let mut run: Option<(usize, usize, i32)> = None;
        for (i, r) in reports.iter().enumerate() {
            if !pick(i) || recorded.contains(&i) {
                run = None;
                continue;
            }
            let quiet = r.message.is_none()
                && match r.outcome {
                    Outcome::Unchanged => true,
                    Outcome::Created => found_again(r),
                    _ => false,
                };
            if let Some((last, at, count)) = run
                && quiet
                && last + 1 == i
                && reports[last].outcome == r.outcome
                && reports[last].matched_by == r.matched_by
            {
                let row = &mut out[at];
                row.line_count = Set(count + 1);
                row.last_line_no = Set(Some(line(r)));
                row.user_id = Set(None);
                run = Some((i, at, count + 1));
                continue;
            }
            run = quiet.then_some((i, out.len(), 1));
            out.push(import_rows::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(self.ctx.tenant.0),
                import_id: Set(import_id),
                line_no: Set(line(r)),
                last_line_no: Set(None),
                line_count: Set(1),
                outcome: Set(r.outcome.as_str().to_owned()),
                matched_by: Set(r.matched_by.map(|m| m.as_str().to_owned())),
                user_id: Set(r.user_id),
                changes: Set((!r.changes.is_empty()).then(|| json!(r.changes))),
                message: Set(r.message.clone()),
                created_at: Set(now),
            });
        }
        out
    }
}

/// Hashes the batch's new passwords in parallel on blocking threads (argon2id).
async fn hash_passwords(writes: &mut [Writes]) -> crate::Result<()> {
    let mut set = tokio::task::JoinSet::new();
    for (k, w) in writes.iter().enumerate() {
        if let Some(p) = w.ops.password.clone() {
            set.spawn(async move { (k, crate::auth::password::hash(p).await) });
        }
    }
    while let Some(joined) = set.join_next().await {
        let (k, hash) = joined.map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))?;
        if let Some(w) = writes.get_mut(k) {
            w.password_hash = Some(hash?);
        }
    }
    Ok(())
}
