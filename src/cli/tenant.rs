//! `roster tenant …`: validate, plan (X9), apply and list tenants (T2).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use sea_orm::{EntityTrait, PaginatorTrait, QueryOrder};

use crate::config::Settings;
use crate::store::TenantId;
use crate::store::entity::{tenants, users};
use crate::tenancy::{self, LoadedDescriptor};

/// Tenant subcommands.
#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Check descriptors; prints every problem as file:line:col: message and exits 1 if any.
    Validate {
        /// Descriptor files, or directories of *.yaml files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Validate, then create or update each tenant; prints created / updated / unchanged per
    /// object. Nothing is applied unless every descriptor is valid.
    Apply {
        /// Descriptor files, or directories of *.yaml files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Validate, then print per tenant what `apply` would change (created, changed fields
    /// before → after, kept) without writing; exit 0 when nothing would change, 3 when
    /// something would (X9).
    Plan {
        /// Descriptor files, or directories of *.yaml files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// List the tenants in the database.
    List,
}

/// `roster tenant validate`.
pub fn validate(paths: &[PathBuf]) -> ExitCode {
    match tenancy::load_all(paths) {
        Ok(loaded) => {
            for d in &loaded {
                println!("{}: ok ({})", d.file.display(), d.descriptor.slug);
            }
            ExitCode::SUCCESS
        }
        Err(problems) => {
            for p in &problems {
                eprintln!("{p}");
            }
            eprintln!("{} problem(s) found", problems.len());
            ExitCode::FAILURE
        }
    }
}

/// Runs the subcommands that need the database.
pub async fn run(cmd: TenantCommand, settings: &Settings) -> anyhow::Result<ExitCode> {
    match cmd {
        TenantCommand::Validate { paths } => Ok(validate(&paths)),
        TenantCommand::Apply { paths } => {
            let loaded = match tenancy::load_all(&paths) {
                Ok(l) => l,
                Err(problems) => {
                    for p in &problems {
                        eprintln!("{p}");
                    }
                    eprintln!("{} problem(s) found; nothing applied", problems.len());
                    return Ok(ExitCode::FAILURE);
                }
            };
            let db = crate::store::connect(&settings.database_url).await?;
            crate::store::migrate(&db).await?;
            apply_all(&db, &loaded, true).await?;
            Ok(ExitCode::SUCCESS)
        }
        TenantCommand::Plan { paths } => {
            let loaded = match tenancy::load_all(&paths) {
                Ok(l) => l,
                Err(problems) => {
                    for p in &problems {
                        eprintln!("{p}");
                    }
                    eprintln!("{} problem(s) found; nothing planned", problems.len());
                    return Ok(ExitCode::FAILURE);
                }
            };
            let db = crate::store::connect(&settings.database_url).await?;
            crate::store::migrate(&db).await?;
            let mut unchanged = true;
            for d in &loaded {
                let file = d.file.display().to_string();
                let plan = tenancy::plan::plan(&db, &d.descriptor, &file)
                    .await
                    .map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
                print!("{plan}");
                unchanged &= plan.is_unchanged();
            }
            // X9: like `terraform plan -detailed-exitcode`.
            Ok(if unchanged {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(3)
            })
        }
        TenantCommand::List => {
            let db = crate::store::connect(&settings.database_url).await?;
            crate::store::migrate(&db).await?;
            let rows = tenants::Entity::find()
                .order_by_asc(tenants::Column::Slug)
                .all(&db)
                .await?;
            if rows.is_empty() {
                println!("no tenants; apply descriptors with `roster tenant apply tenants/`");
            } else {
                println!(
                    "{:<20} {:<36} {:<8} {:<10} {:>7}  updated",
                    "SLUG", "NAME", "ACTIVE", "LANGUAGES", "USERS"
                );
            }
            for t in rows {
                let count = TenantId(t.id).find::<users::Entity>().count(&db).await?;
                // The one tenant context: a bad stored setting is reported, not hidden.
                let langs = crate::tenancy::Tenant::from_row(&t)?.languages.join(",");
                println!(
                    "{:<20} {:<36} {:<8} {:<10} {:>7}  {}",
                    t.slug,
                    t.name,
                    if t.active { "yes" } else { "no" },
                    langs,
                    count,
                    t.updated_at.format("%Y-%m-%d %H:%M")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Applies loaded descriptors, printing each report line (`verbose`) or a summary per tenant.
pub async fn apply_all(
    db: &sea_orm::DatabaseConnection,
    loaded: &[LoadedDescriptor],
    verbose: bool,
) -> anyhow::Result<Vec<(String, TenantId)>> {
    let mut applied = Vec::new();
    for d in loaded {
        let file = d.file.display().to_string();
        let report = tenancy::apply::apply_file(db, &d.descriptor, &file)
            .await
            .map_err(|e| anyhow::anyhow!("{}: {e}", d.file.display()))?;
        if verbose {
            println!("{} ({})", d.descriptor.slug, d.file.display());
            for line in &report.lines {
                println!("  {line}");
            }
        } else {
            let changed = report.lines.iter().filter(|l| l.is_change()).count();
            tracing::info!(tenant.slug = %d.descriptor.slug, objects = report.lines.len(), changed, "tenant applied");
        }
        applied.push((d.descriptor.slug.clone(), report.tenant));
    }
    Ok(applied)
}
