//! I9: staged imports. "Stage for import" stores the file in `imports.content` and queues an
//! `import.run` job in the same transaction, due at the next tick of the import interval
//! (15 minutes by default, `--import-interval`); "run now" moves it to now. The worker runs
//! the ordinary pipeline with the import's id, so every batch is recorded with its report
//! rows and a killed worker's retry resumes after the last recorded batch, ending in the same
//! state with one report row per line. The dashboard lists imports with state, counts,
//! duration and the downloadable report. Front doors (back office, API, CLI) call these
//! functions; none of them knows HTTP.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::layout::Layout;
use super::report::{CsvReport, MatchedBy, Outcome, ReportSink, RowReport};
use super::runs::{self, NewImport};
use super::source::{Input, Source, report_cells};
use super::{Options, Quiet, Summary};
use crate::app::AppState;
use crate::authz::Permit;
use crate::authz::scope::Scope;
use crate::domain::{Actor, ActorKind, Ctx, Source as ChangeSource};
use crate::store::TenantId;
use crate::store::entity::{
    backoffice_accounts, import_configurations, import_rows, imports, jobs,
};
use crate::tenancy::descriptor::ImportFormat;

/// The job kind that runs a staged import.
pub const RUN_JOB: &str = "import.run";

/// What "stage for import" asks for.
#[derive(Debug, Clone)]
pub struct StageRequest {
    /// File name as uploaded.
    pub file_name: String,
    /// The file.
    pub content: Vec<u8>,
    /// Import configuration code; `None` for the standard format.
    pub config: Option<String>,
    /// `csv` or `xml` (default: the configuration's).
    pub format: Option<ImportFormat>,
    /// Catalog code for new users.
    pub catalog: Option<String>,
    /// I8: mail the report to the importer when done.
    pub mail_report: bool,
    /// The import interval (`Settings::import_interval`).
    pub interval: Duration,
}

/// A staged import.
#[derive(Debug, Clone, Serialize)]
pub struct Staged {
    /// The import.
    pub id: Uuid,
    /// When the worker will run it.
    pub run_at: DateTime<Utc>,
}

/// `Scope` as kept in the job, so the worker imports with the importer's reach.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct ScopeDto {
    units: Option<Vec<Uuid>>,
    catalogs: Option<Vec<Uuid>>,
    superior: Option<Uuid>,
    user: Option<Uuid>,
}

impl From<&Scope> for ScopeDto {
    fn from(s: &Scope) -> Self {
        Self {
            units: s.units.clone(),
            catalogs: s.catalogs.clone(),
            superior: s.superior,
            user: s.user,
        }
    }
}

impl From<ScopeDto> for Scope {
    fn from(s: ScopeDto) -> Self {
        Scope {
            units: s.units,
            catalogs: s.catalogs,
            superior: s.superior,
            user: s.user,
        }
    }
}

/// The job payload of `import.run`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RunPayload {
    import_id: Uuid,
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    catalog: Option<String>,
    #[serde(default)]
    scope: ScopeDto,
}

/// The next multiple of `interval` after `now` (the system task's tick).
pub fn next_tick(now: DateTime<Utc>, interval: Duration) -> DateTime<Utc> {
    let step = i64::try_from(interval.as_secs().max(1)).unwrap_or(900);
    let next = (now.timestamp() / step + 1) * step;
    DateTime::from_timestamp(next, 0).unwrap_or(now)
}

/// I9: stores the file and queues it.
/// The importer's reach (its `imports` right) is taken from `permit` and stored with the job:
/// the worker later touches only the users the importer reached when it staged the file.
pub async fn stage(
    db: &DatabaseConnection,
    permit: &Permit,
    req: StageRequest,
) -> crate::Result<Staged> {
    let ctx = permit.ctx();
    let scope = permit.scope(db, crate::authz::Right::Imports).await?;
    let layout = Layout::load(db, ctx.tenant, req.config.as_deref(), req.format).await?;
    let run_at = next_tick(Utc::now(), req.interval);
    let txn = crate::store::begin_write(db).await?;
    let id = runs::begin(
        &txn,
        ctx,
        NewImport {
            layout: &layout,
            file_name: &req.file_name,
            content: Some(req.content),
            state: "staged",
            mail_report: req.mail_report,
        },
    )
    .await?;
    let payload = RunPayload {
        import_id: id,
        format: Some(layout.format.as_str().to_owned()),
        catalog: req.catalog,
        scope: ScopeDto::from(&scope),
    };
    crate::jobs::enqueue(
        &txn,
        crate::jobs::NewJob {
            tenant: Some(ctx.tenant),
            kind: RUN_JOB,
            payload: serde_json::to_value(payload).map_err(anyhow::Error::from)?,
            run_at,
            dedup_key: Some(format!("import:{id}")),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Staged { id, run_at })
}

/// One import on the dashboard.
#[derive(Debug, Clone, Serialize)]
pub struct ImportInfo {
    /// The import.
    pub id: Uuid,
    /// File name.
    pub file_name: String,
    /// `users`, `personal_budget`, `extended_properties`, `hr`.
    pub kind: String,
    /// Configuration code; `None` for the standard format.
    pub config: Option<String>,
    /// `staged` | `running` | `done` | `failed`.
    pub state: String,
    /// Rows.
    pub total: i32,
    /// Created users.
    pub created: i32,
    /// Updated users.
    pub updated: i32,
    /// Unchanged users.
    pub unchanged: i32,
    /// Rows with errors.
    pub errors: i32,
    /// Why the file was refused.
    pub error: Option<String>,
    /// When it was staged or started.
    pub created_at: DateTime<Utc>,
    /// When it started running.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Milliseconds it ran.
    pub duration_ms: Option<i64>,
    /// When a staged import will run.
    pub run_at: Option<DateTime<Utc>>,
    /// The report is mailed to the importer.
    pub mail_report: bool,
}

const INFO_COLUMNS: [imports::Column; 17] = [
    imports::Column::Id,
    imports::Column::TenantId,
    imports::Column::ImportConfigurationId,
    imports::Column::Kind,
    imports::Column::State,
    imports::Column::FileName,
    imports::Column::MailReport,
    imports::Column::TotalRows,
    imports::Column::CreatedCount,
    imports::Column::UpdatedCount,
    imports::Column::UnchangedCount,
    imports::Column::ErrorCount,
    imports::Column::Error,
    imports::Column::CreatedAt,
    imports::Column::StartedAt,
    imports::Column::FinishedAt,
    imports::Column::UpdatedAt,
];

#[derive(Debug, sea_orm::FromQueryResult)]
struct InfoRow {
    id: Uuid,
    import_configuration_id: Option<Uuid>,
    kind: String,
    state: String,
    file_name: String,
    mail_report: bool,
    total_rows: i32,
    created_count: i32,
    updated_count: i32,
    unchanged_count: i32,
    error_count: i32,
    error: Option<String>,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
}

async fn infos(
    db: &DatabaseConnection,
    ctx: &Ctx,
    only: Option<Uuid>,
    limit: u64,
) -> crate::Result<Vec<ImportInfo>> {
    let mut q = ctx
        .tenant
        .find::<imports::Entity>()
        .select_only()
        .columns(INFO_COLUMNS)
        .order_by_desc(imports::Column::CreatedAt)
        .limit(limit);
    if let Some(id) = only {
        q = q.filter(imports::Column::Id.eq(id));
    }
    let rows: Vec<InfoRow> = q.into_model().all(db).await?;
    let configs: Vec<(Uuid, String)> = ctx
        .tenant
        .find::<import_configurations::Entity>()
        .select_only()
        .column(import_configurations::Column::Id)
        .column(import_configurations::Column::Code)
        .into_tuple()
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let run_at = if r.state == "staged" {
            job_of(db, ctx.tenant, r.id).await?.map(|j| j.run_at)
        } else {
            None
        };
        out.push(ImportInfo {
            id: r.id,
            file_name: r.file_name,
            kind: r.kind,
            config: r
                .import_configuration_id
                .and_then(|c| configs.iter().find(|(id, _)| *id == c))
                .map(|(_, code)| code.clone()),
            state: r.state,
            total: r.total_rows,
            created: r.created_count,
            updated: r.updated_count,
            unchanged: r.unchanged_count,
            errors: r.error_count,
            error: r.error,
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
            duration_ms: r
                .started_at
                .zip(r.finished_at)
                .map(|(s, f)| (f - s).num_milliseconds()),
            run_at,
            mail_report: r.mail_report,
        });
    }
    Ok(out)
}

/// I9: the tenant's imports, newest first (at most `limit`).
pub async fn list(
    db: &DatabaseConnection,
    permit: &Permit,
    limit: u64,
) -> crate::Result<Vec<ImportInfo>> {
    permit.require(crate::authz::Right::Imports)?;
    infos(db, permit.ctx(), None, limit).await
}

/// I9: one import of the tenant.
pub async fn get(db: &DatabaseConnection, permit: &Permit, id: Uuid) -> crate::Result<ImportInfo> {
    permit.require(crate::authz::Right::Imports)?;
    infos(db, permit.ctx(), Some(id), 1)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| crate::Error::NotFound("import".into()))
}

async fn job_of(
    db: &DatabaseConnection,
    tenant: TenantId,
    import: Uuid,
) -> crate::Result<Option<jobs::Model>> {
    Ok(tenant
        .find::<jobs::Entity>()
        .filter(jobs::Column::Kind.eq(RUN_JOB))
        .filter(jobs::Column::DedupKey.eq(format!("import:{import}")))
        .one(db)
        .await?)
}

/// I9 "run now": the staged import runs at the worker's next poll. `false` when it is not
/// waiting any more.
pub async fn run_now(db: &DatabaseConnection, permit: &Permit, id: Uuid) -> crate::Result<bool> {
    get(db, permit, id).await?;
    let ctx = permit.ctx();
    let Some(job) = job_of(db, ctx.tenant, id).await? else {
        return Ok(false);
    };
    let moved = ctx
        .tenant
        .update_many::<jobs::Entity>()
        .col_expr(jobs::Column::RunAt, Expr::value(Utc::now()))
        .filter(jobs::Column::Id.eq(job.id))
        .filter(jobs::Column::State.eq("queued"))
        .exec(db)
        .await?;
    Ok(moved.rows_affected == 1)
}

/// The layout an import was staged with.
async fn layout_of(
    db: &DatabaseConnection,
    ctx: &Ctx,
    row: &imports::Model,
    format: Option<&str>,
) -> crate::Result<Layout> {
    let format = match format {
        Some("xml") => Some(ImportFormat::Xml),
        Some(_) => Some(ImportFormat::Csv),
        None => sniff(row.content.as_deref().unwrap_or_default()),
    };
    match row.import_configuration_id {
        None => Ok(Layout::standard(format.unwrap_or_default())),
        Some(config) => {
            let c = ctx
                .tenant
                .find_by_id::<import_configurations::Entity>(config)
                .one(db)
                .await?
                .ok_or_else(|| crate::Error::NotFound("import configuration".into()))?;
            Layout::load(db, ctx.tenant, Some(&c.code), format).await
        }
    }
}

/// XML when the first thing in the file is `<`.
fn sniff(content: &[u8]) -> Option<ImportFormat> {
    let first = content
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(content)
        .iter()
        .find(|b| !b.is_ascii_whitespace())?;
    Some(if *first == b'<' {
        ImportFormat::Xml
    } else {
        ImportFormat::Csv
    })
}

/// The actor recorded as making the import's changes: whoever staged it.
async fn importer(
    db: &DatabaseConnection,
    tenant: TenantId,
    row: &imports::Model,
) -> crate::Result<Ctx> {
    let mut ctx = Ctx::system(tenant, ChangeSource::Import);
    if let Some(account) = row.started_by_backoffice_account_id
        && let Some(a) = tenant
            .find_by_id::<backoffice_accounts::Entity>(account)
            .one(db)
            .await?
    {
        ctx.actor = Actor {
            kind: ActorKind::Backoffice,
            id: Some(a.id),
            label: a.login,
        };
    }
    ctx.request_id = Some(format!("import:{}", row.id));
    Ok(ctx)
}

/// Job `import.run`: runs (or resumes) a staged import. A refused file ends the import as
/// `failed` without a retry; a database failure is an error, so the queue retries and the
/// retry resumes after the last recorded batch.
pub async fn run_job(state: &AppState, job: &jobs::Model) -> crate::Result<()> {
    let payload: RunPayload = serde_json::from_value(job.payload.clone())
        .map_err(|e| crate::Error::BadRequest(format!("bad import job: {e}")))?;
    let tenant = TenantId(
        job.tenant_id
            .ok_or_else(|| crate::Error::BadRequest("import job without tenant".into()))?,
    );
    execute(state, tenant, payload, Options::default())
        .await
        .map(|_| ())
}

/// Runs import `payload.import_id` with `options` (their catalog and scope are replaced by
/// the staged ones). Public for tests, which stop it midway as a killed worker would.
async fn execute(
    state: &AppState,
    tenant: TenantId,
    payload: RunPayload,
    mut options: Options,
) -> crate::Result<Option<Summary>> {
    let db = &state.db;
    let Some(row) = tenant
        .find_by_id::<imports::Entity>(payload.import_id)
        .one(db)
        .await?
    else {
        return Ok(None); // removed since: nothing to do
    };
    if matches!(row.state.as_str(), "done" | "failed") {
        return Ok(None);
    }
    let ctx = importer(db, tenant, &row).await?;
    options.catalog = payload.catalog.clone();
    options.scope = payload.scope.clone().into();
    options.simulate = false;
    runs::start(db, &ctx, row.id).await?;
    let layout = match layout_of(db, &ctx, &row, payload.format.as_deref()).await {
        Ok(l) => l,
        Err(e) => {
            let failed = Summary {
                rejected: Some(e.to_string()),
                ..Summary::default()
            };
            runs::finish(db, &ctx, row.id, &failed).await?;
            return Ok(Some(failed));
        }
    };
    let input = Input::Bytes(row.content.clone().unwrap_or_default().into());
    let summary = super::run(
        db,
        &ctx,
        &input,
        &layout,
        &options,
        Some(row.id),
        &mut super::NoReport,
        &Quiet,
    )
    .await?;
    let txn = crate::store::begin_write(db).await?;
    runs::finish(&txn, &ctx, row.id, &summary).await?;
    if row.mail_report && row.started_by_backoffice_account_id.is_some() {
        crate::jobs::enqueue(
            &txn,
            crate::jobs::NewJob {
                tenant: Some(tenant),
                kind: super::mail::REPORT_JOB,
                payload: json!({ "import_id": row.id }),
                run_at: Utc::now(),
                dedup_key: Some(format!("import_report:{}", row.id)),
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(Some(summary))
}

/// Tests: runs staged import `id` now, stopping after `crash_after` batches when given.
#[doc(hidden)]
pub async fn execute_for_test(
    state: &AppState,
    tenant: TenantId,
    id: Uuid,
    batch_size: usize,
    crash_after: Option<usize>,
) -> crate::Result<Option<Summary>> {
    let job = job_of(&state.db, tenant, id)
        .await?
        .ok_or_else(|| crate::Error::NotFound("import job".into()))?;
    let payload: RunPayload = serde_json::from_value(job.payload)
        .map_err(|e| crate::Error::BadRequest(format!("bad import job: {e}")))?;
    let options = Options {
        batch_size,
        crash_after_batches: crash_after,
        ..Options::default()
    };
    execute(state, tenant, payload, options).await
}

/// I8: the report of a finished import as CSV: outcome and message per line, then the
/// original row (passwords blanked). Streams the stored file against its recorded rows.
pub async fn report_csv(
    db: &DatabaseConnection,
    permit: &Permit,
    id: Uuid,
) -> crate::Result<Vec<u8>> {
    permit.require(crate::authz::Right::Imports)?;
    report_csv_in(db, permit.ctx(), id).await
}

/// The report of import `id` (the mailer's own access, for the report mail).
pub(crate) async fn report_csv_in(
    db: &DatabaseConnection,
    ctx: &Ctx,
    id: Uuid,
) -> crate::Result<Vec<u8>> {
    let row = ctx
        .tenant
        .find_by_id::<imports::Entity>(id)
        .one(db)
        .await?
        .ok_or_else(|| crate::Error::NotFound("import".into()))?;
    let mut out = CsvReport::new(Vec::new());
    let content = row.content.clone().unwrap_or_default();
    let layout = layout_of(db, ctx, &row, None).await?;
    let input = Input::Bytes(content.into());
    let mut source = match Source::open(&input, &layout) {
        Ok(s) => s,
        Err(r) => {
            out.header(&[]).map_err(anyhow::Error::from)?;
            let report = RowReport {
                line: r.line.unwrap_or(0),
                outcome: Outcome::Error,
                matched_by: None,
                user_id: None,
                changes: Vec::new(),
                message: Some(format!("file rejected: {r}")),
            };
            out.row(&report, &[]).map_err(anyhow::Error::from)?;
            return Ok(out.finish().map_err(anyhow::Error::from)?);
        }
    };
    out.header(&source.report_header())
        .map_err(anyhow::Error::from)?;
    if let Some(e) = &row.error {
        let report = RowReport {
            line: 0,
            outcome: Outcome::Error,
            matched_by: None,
            user_id: None,
            changes: Vec::new(),
            message: Some(format!("file rejected: {e}")),
        };
        out.row(&report, &[]).map_err(anyhow::Error::from)?;
    }
    let password = layout.slot(super::fields::ImportField::Password);
    let mut pending: std::collections::VecDeque<import_rows::Model> = Default::default();
    let mut last_line = -1;
    let mut record = super::record::Record::default();
    while source
        .next(&mut record)
        .map_err(|r| crate::Error::BadRequest(r.to_string()))?
    {
        let line = i32::try_from(record.line).unwrap_or(i32::MAX);
        if pending.is_empty() {
            pending.extend(
                ctx.tenant
                    .find::<import_rows::Entity>()
                    .filter(import_rows::Column::ImportId.eq(id))
                    .filter(import_rows::Column::LineNo.gt(last_line))
                    .order_by_asc(import_rows::Column::LineNo)
                    .limit(5000)
                    .all(db)
                    .await?,
            );
        }
        // A row reports one record, or a run of unchanged ones up to `last_line_no`.
        let last_of = |r: &import_rows::Model| r.last_line_no.unwrap_or(r.line_no);
        while let Some(r) = pending.front()
            && last_of(r) < line
        {
            last_line = r.line_no;
            pending.pop_front();
        }
        let Some(r) = pending
            .front()
            .filter(|r| r.line_no <= line && line <= last_of(r))
            .cloned()
        else {
            continue;
        };
        if last_of(&r) == line {
            pending.pop_front();
            last_line = r.line_no;
        }
        let report = RowReport {
            line: record.line,
            outcome: Outcome::parse(&r.outcome).unwrap_or(Outcome::Error),
            matched_by: r.matched_by.as_deref().and_then(MatchedBy::parse),
            user_id: r.user_id,
            changes: r
                .changes
                .and_then(|c| serde_json::from_value(c).ok())
                .unwrap_or_default(),
            message: r.message,
        };
        let by_slots = source.report_by_slots();
        let mut cells = report_cells(&record, by_slots, layout.columns.len());
        let cell = password.and_then(|s| if by_slots { Some(s) } else { record.cell_of(s) });
        if let Some(c) = cell.and_then(|c| cells.get_mut(c)) {
            *c = "";
        }
        out.row(&report, &cells).map_err(anyhow::Error::from)?;
    }
    Ok(out.finish().map_err(anyhow::Error::from)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i9_next_tick_is_the_next_multiple_of_the_interval() {
        let t = DateTime::from_timestamp(1_000_000_123, 0).expect("time");
        let n = next_tick(t, Duration::from_secs(900));
        assert_eq!(n.timestamp() % 900, 0);
        assert!(n > t && (n - t).num_seconds() <= 900);
    }

    #[test]
    fn xml_is_sniffed() {
        assert_eq!(sniff(b"\xEF\xBB\xBF <users/>"), Some(ImportFormat::Xml));
        assert_eq!(sniff(b"Uid;Email"), Some(ImportFormat::Csv));
    }
}
