//! The command line: one binary, `roster`, with a subcommand per operator task.

mod admin;
mod bench;
mod bench_authz;
mod export;
mod import;
mod serve;
mod tenant;
mod token;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{Settings, SettingsArgs};

/// Roster: multi-tenant people management for learning platforms.
///
/// Settings come from flags, then environment variables (ROSTER_*), then roster.toml, then
/// built-in defaults (a SQLite file under data/, no Redis, mails as .eml files in data/outbox/).
#[derive(Debug, Parser)]
#[command(name = "roster", version, about, long_about)]
pub struct Cli {
    /// Server settings.
    #[command(flatten)]
    pub settings: SettingsArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the database, apply the tenant descriptors, and serve HTTP until stopped.
    Serve,
    /// Bring the database schema up to date.
    Migrate,
    /// Operate on tenant descriptors and tenants.
    #[command(subcommand)]
    Tenant(tenant::TenantCommand),
    /// Manage back-office users from the command line.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Issue, revoke and list API tokens.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Import users from a CSV or XML file (run, simulate or stage); exit 0 when every row
    /// succeeded, 1 when some rows failed, 2 when the file was rejected.
    Import(import::ImportArgs),
    /// Export every user of a tenant in the standard import format (I10).
    Export(export::ExportArgs),
    /// Benchmarks (see docs/performance.md).
    #[command(subcommand)]
    Bench(BenchCommand),
}

/// `roster bench …`.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Authorization decisions and scoped user lists in a large tenant.
    Authz(bench_authz::AuthzArgs),
    /// Import and export throughput against the database's own bulk load; `--database-url`
    /// picks the database (default: a temporary SQLite file).
    Import(bench::ImportBenchArgs),
}

/// `roster admin …`.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create or update a back-office user and print a one-time set-password link.
    Add(admin::AddArgs),
}

/// Runs a parsed command line; the exit code is 0 on success, 1 on a reported failure.
pub fn run(cli: Cli) -> ExitCode {
    // Validation needs neither settings nor a runtime, so it works on any machine.
    if let Command::Tenant(tenant::TenantCommand::Validate { paths }) = &cli.command {
        return tenant::validate(paths);
    }
    // `roster bench import` uses a throw-away database unless one is named explicitly.
    let explicit_database = cli.settings.database_url.clone();
    let settings = match Settings::resolve(&cli.settings) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    crate::telemetry::init(settings.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve => serve::run(settings).await,
            Command::Migrate => {
                let db = crate::store::connect(&settings.database_url).await?;
                crate::store::migrate(&db).await?;
                println!("database is up to date");
                Ok(ExitCode::SUCCESS)
            }
            Command::Tenant(cmd) => tenant::run(cmd, &settings).await,
            Command::Admin(AdminCommand::Add(args)) => admin::add(args, &settings).await,
            Command::Token(cmd) => token::run(cmd, &settings).await,
            Command::Import(args) => import::run(args, &settings).await,
            Command::Export(args) => export::run(args, &settings).await,
            Command::Bench(BenchCommand::Authz(args)) => {
                bench_authz::run(args).await?;
                Ok(ExitCode::SUCCESS)
            }
            Command::Bench(BenchCommand::Import(args)) => {
                bench::run(args, explicit_database).await?;
                Ok(ExitCode::SUCCESS)
            }
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use clap::{CommandFactory, Parser};

    use super::{Cli, Command};

    /// Every subcommand's flags are checked against the global ones: a subcommand flag with
    /// a global flag's name parses, then panics when read (`roster import --config` did).
    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// I2, issue 5's CLI: `roster import --config NAME` names the tenant's import
    /// configuration; the settings file is `--settings` (or `ROSTER_CONFIG`).
    #[test]
    fn i2_import_config_names_the_import_configuration() {
        let cli = Cli::try_parse_from([
            "roster",
            "--settings",
            "site.toml",
            "import",
            "--tenant",
            "archipel",
            "--config",
            "HR",
            "--simulate",
            "hr.csv",
        ])
        .expect("parses");
        assert_eq!(cli.settings.settings_file, Some(PathBuf::from("site.toml")));
        let Command::Import(args) = cli.command else {
            panic!("not an import: {:?}", cli.command);
        };
        assert_eq!(args.config.as_deref(), Some("HR"));
        assert!(args.simulate);
        assert_eq!(args.file, PathBuf::from("hr.csv"));
    }
}
