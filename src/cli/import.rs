//! `roster import`: run (or simulate, or stage) a user import from a file (I1–I9). Prints a
//! progress bar when stderr is a terminal, the first errors, and a summary line. Exit code 0
//! when every row succeeded, 1 when some rows failed, 2 when the file was rejected.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::config::Settings;
use crate::domain::Ctx;
use crate::import::report::{CsvReport, ReportSink, RowReport};
use crate::import::{Input, Layout, Options, Outcome, Progress};
use crate::store::TenantId;
use crate::store::entity::{catalogs, tenants};
use crate::tenancy::descriptor::ImportFormat;

/// `roster import` flags.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The tenant's slug.
    #[arg(long)]
    pub tenant: String,
    /// Import configuration code from the tenant's descriptor (default: the standard format).
    #[arg(long)]
    pub config: Option<String>,
    /// File format: `csv` or `xml` (default: the configuration's, or csv).
    #[arg(long)]
    pub format: Option<String>,
    /// Catalog code given to new users (default: the configuration's, or the only one).
    #[arg(long)]
    pub catalog: Option<String>,
    /// I7: check everything and report what would happen, writing nothing.
    #[arg(long)]
    pub simulate: bool,
    /// Write the report (CSV: outcome and message per row, then the original row) here.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// I9: store the file and queue it for the background worker instead of running it.
    #[arg(long, conflicts_with = "simulate")]
    pub stage: bool,
    /// The file.
    pub file: PathBuf,
}

/// Finds a tenant by slug.
pub async fn tenant_by_slug(db: &DatabaseConnection, slug: &str) -> anyhow::Result<TenantId> {
    let t = tenants::Entity::find()
        .filter(tenants::Column::Slug.eq(slug))
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no tenant `{slug}`; see `roster tenant list`"))?;
    Ok(TenantId(t.id))
}

/// Parses `--format`.
pub fn parse_format(format: Option<&str>) -> anyhow::Result<Option<ImportFormat>> {
    Ok(match format {
        None => None,
        Some("csv") => Some(ImportFormat::Csv),
        Some("xml") => Some(ImportFormat::Xml),
        Some(other) => anyhow::bail!("format `{other}` is not `csv` or `xml`"),
    })
}

fn operator(tenant: TenantId) -> Ctx {
    let who = std::env::var("USER").unwrap_or_else(|_| "operator".into());
    Ctx::operator(tenant, who)
}

/// Runs `roster import`. Whatever stops it before the first row (no such tenant,
/// configuration or format, an unreadable file or report path, no database) exits 2 like a
/// rejected file: nothing was imported, and 1 stays "some rows failed".
pub async fn run(args: ImportArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    match prepare(&args, settings).await {
        Ok(Prepared::Staged) => Ok(ExitCode::SUCCESS),
        Ok(Prepared::Ready(ready)) => import(args, *ready).await,
        Err(e) => {
            eprintln!("error: {e:#}");
            println!("nothing imported");
            Ok(ExitCode::from(2))
        }
    }
}

/// What `prepare` leaves to do.
enum Prepared {
    /// The file was staged for the worker.
    Staged,
    /// The import is ready to run.
    Ready(Box<Ready>),
}

struct Ready {
    db: DatabaseConnection,
    ctx: Ctx,
    layout: Layout,
    file_name: String,
    report: Option<CsvReport<std::io::BufWriter<std::fs::File>>>,
}

/// Everything before the first row: the tenant, the configuration, the report file (or the
/// staging of the file).
async fn prepare(args: &ImportArgs, settings: &Settings) -> anyhow::Result<Prepared> {
    let db = crate::store::connect(&settings.database_url).await?;
    crate::store::migrate(&db).await?;
    let tenant = tenant_by_slug(&db, &args.tenant).await?;
    let ctx = operator(tenant);
    let format = parse_format(args.format.as_deref())?;
    let file_name = args
        .file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("import")
        .to_owned();
    if args.stage {
        let content = std::fs::read(&args.file)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", args.file.display()))?;
        let staged = crate::import::staged::stage(
            &db,
            &crate::authz::Permit::operator(tenant, ctx.actor.label.clone()),
            crate::import::staged::StageRequest {
                file_name,
                content,
                config: args.config.clone(),
                format,
                catalog: args.catalog.clone(),
                mail_report: false,
                interval: settings.import_interval,
            },
        )
        .await?;
        println!(
            "staged import {} ; the worker runs it at {} (or earlier with \"run now\")",
            staged.id,
            staged.run_at.format("%Y-%m-%d %H:%M:%S UTC")
        );
        return Ok(Prepared::Staged);
    }
    let layout = Layout::load(&db, tenant, args.config.as_deref(), format).await?;
    if let Some(code) = &args.catalog {
        let known = tenant
            .find::<catalogs::Entity>()
            .filter(catalogs::Column::Code.eq(code.as_str()))
            .one(&db)
            .await?;
        if known.is_none() {
            anyhow::bail!("unknown catalog `{code}`");
        }
    }
    if let Err(e) = std::fs::File::open(&args.file) {
        anyhow::bail!("cannot read {}: {e}", args.file.display());
    }
    let report = match &args.report {
        Some(path) => Some(CsvReport::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?,
        ))),
        None => None,
    };
    Ok(Prepared::Ready(Box::new(Ready {
        db,
        ctx,
        layout,
        file_name,
        report,
    })))
}

/// Runs a prepared import.
async fn import(args: ImportArgs, ready: Ready) -> anyhow::Result<ExitCode> {
    let Ready {
        db,
        ctx,
        layout,
        file_name,
        report,
    } = ready;
    let options = Options {
        catalog: args.catalog,
        simulate: args.simulate,
        ..Options::default()
    };
    let mut sink = Cli { report, errors: 0 };
    let progress = Bar::new();
    let summary = crate::import::run_now(
        &db,
        &ctx,
        &Input::File(args.file.clone()),
        &layout,
        &options,
        &file_name,
        &mut sink,
        &progress,
    )
    .await?;
    progress.done();
    if let Some(r) = sink.report.take() {
        r.finish()?;
    }
    if sink.errors > SHOWN_ERRORS {
        eprintln!(
            "… and {} more errors (see --report)",
            sink.errors - SHOWN_ERRORS
        );
    }
    println!("{summary}");
    Ok(if summary.rejected.is_some() {
        ExitCode::from(2)
    } else if summary.errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

const SHOWN_ERRORS: u64 = 20;

/// The report file, plus the first errors on stderr.
struct Cli {
    report: Option<CsvReport<std::io::BufWriter<std::fs::File>>>,
    errors: u64,
}

impl ReportSink for Cli {
    fn header(&mut self, columns: &[String]) -> std::io::Result<()> {
        match &mut self.report {
            Some(r) => r.header(columns),
            None => Ok(()),
        }
    }

    fn row(&mut self, report: &RowReport, original: &[&str]) -> std::io::Result<()> {
        if report.outcome == Outcome::Error {
            self.errors += 1;
            if self.errors <= SHOWN_ERRORS {
                eprintln!("error: {}", report.message_text());
            }
        }
        match &mut self.report {
            Some(r) => r.row(report, original),
            None => Ok(()),
        }
    }
}

/// A progress bar on a terminal, nothing otherwise.
struct Bar(Option<Arc<ProgressBar>>);

impl Bar {
    fn new() -> Self {
        if !std::io::stderr().is_terminal() {
            return Self(None);
        }
        let bar = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} [{elapsed}]") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Self(Some(Arc::new(bar)))
    }

    fn done(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

impl Progress for Bar {
    fn rows(&self, pass: u8, done: u64) {
        if let Some(b) = &self.0 {
            let what = if pass == 1 { "checked" } else { "imported" };
            b.set_message(format!("{done} rows {what}"));
        }
    }
}
