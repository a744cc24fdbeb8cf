//! `roster export`: every user of a tenant, deactivated included, in the standard import
//! format (I10), to a file or standard output.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::authz::scope::Scope;
use crate::config::Settings;
use crate::domain::Ctx;
use crate::export::Exporter;

/// `roster export` flags.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The tenant's slug.
    #[arg(long)]
    pub tenant: String,
    /// Write here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Runs `roster export`.
pub async fn run(args: ExportArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    let db = crate::store::connect(&settings.database_url).await?;
    crate::store::migrate(&db).await?;
    let tenant = super::import::tenant_by_slug(&db, &args.tenant).await?;
    let ctx = Ctx::operator(
        tenant,
        std::env::var("USER").unwrap_or_else(|_| "operator".into()),
    );
    let mut out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let mut exporter = Exporter::new(&ctx, Scope::tenant());
    while let Some(chunk) = exporter.next_chunk(&db).await? {
        out.write_all(&chunk)?;
    }
    out.flush()?;
    if let Some(path) = &args.out {
        eprintln!("{} users exported to {}", exporter.rows, path.display());
    }
    Ok(ExitCode::SUCCESS)
}
