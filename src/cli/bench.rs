//! `roster bench import`: generates a standard import file of N users and measures, in one
//! run on one database, rows per second for: creating them, simulating a re-import with 1%
//! changed, re-importing it for real, and exporting them; and, as the yardstick, the
//! database's own bulk load of the same rows into a plain table (SQLite: prepared inserts of
//! 100 rows each in one transaction; PostgreSQL: COPY). Also prints the peak resident memory
//! of each phase.
//! Results and the command are recorded in docs/performance.md.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection};
use uuid::Uuid;

use crate::authz::scope::Scope;
use crate::domain::Ctx;
use crate::import::{Input, Layout, NoReport, Options, Quiet, Summary};
use crate::tenancy::descriptor::ImportFormat;

/// Arguments of `roster bench import`.
#[derive(Debug, Args)]
pub struct ImportBenchArgs {
    /// Users in the generated file.
    #[arg(long, default_value_t = 100_000)]
    pub rows: usize,
    /// Rows per batch (one transaction each).
    #[arg(long, default_value_t = crate::import::BATCH)]
    pub batch: usize,
    /// Keep the temporary SQLite database (its path is printed) to inspect it afterwards.
    #[arg(long)]
    pub keep: bool,
}

const TENANT: &str = include_str!("../../benches/bench-import.yaml");

/// Writes the standard file of `n` users; every 100th row is a superior of the 99 after
/// it; with `changed`, every 100th user has a new DataField01 (1%).
fn generate(path: &Path, n: usize, changed: bool) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let header: Vec<&str> = crate::import::fields::STANDARD
        .iter()
        .map(|f| f.standard_header())
        .collect();
    writeln!(out, "{}", header.join(";"))?;
    for i in 0..n {
        let head = i - i % 100;
        let (superior, superior_ext) = if i % 100 == 0 {
            ("True", String::new())
        } else {
            ("False", format!("X{head}"))
        };
        let data = if changed && i % 100 == 50 {
            format!("data {i} v2")
        } else {
            format!("data {i}")
        };
        writeln!(
            out,
            "u{i};X{i};First{i};Last{i};user{i}@bench.example;;;;OU{};P{i};Role {};ORG;Area {};Dept {};CC{};G{};{data};;;de;{superior};{superior_ext};True;P{}",
            i % 3,
            i % 7,
            i % 3,
            i % 11,
            i % 13,
            i % 3,
            i % 2
        )?;
    }
    out.flush()?;
    Ok(())
}

fn rate(rows: u64, secs: f64) -> f64 {
    rows as f64 / secs.max(1e-9)
}

/// Starts a new peak: the next [`peak_mb`] is the highest resident memory from now on
/// (Linux: writing 5 to `clear_refs` resets the process's `VmHWM`).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peak resident memory of this process (Linux), in MB, since [`reset_peak`].
fn peak_mb() -> Option<f64> {
    crate::telemetry::memory_mb("VmHWM")
}

/// Runs the benchmark on `url` (PostgreSQL: a fresh database next to it, dropped after), or
/// on a temporary SQLite file.
pub async fn run(args: ImportBenchArgs, url: Option<String>) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("roster-bench-import-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let (url, cleanup) = match url {
        Some(admin) if admin.starts_with("postgres") => {
            let name = format!("roster_bench_{}", Uuid::new_v4().simple());
            let conn = crate::store::connect(&admin).await?;
            conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await?;
            conn.close().await.ok();
            let base = admin
                .rsplit_once('/')
                .map(|(b, _)| b)
                .unwrap_or(&admin)
                .to_owned();
            (format!("{base}/{name}"), Some((admin, name)))
        }
        Some(other) => (other, None),
        None => (
            format!("sqlite://{}?mode=rwc", dir.join("bench.db").display()),
            None,
        ),
    };
    let result = bench(&args, &url, &dir).await;
    let pg = cleanup.is_some();
    if let Some((admin, name)) = cleanup {
        let conn = crate::store::connect(&admin).await?;
        conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await?;
    }
    if args.keep && !pg {
        println!("kept: {}", dir.display());
    } else {
        std::fs::remove_dir_all(&dir).ok();
    }
    result
}

async fn bench(args: &ImportBenchArgs, url: &str, dir: &Path) -> anyhow::Result<()> {
    let mut db = crate::store::connect(url).await?;
    crate::store::migrate(&db).await?;
    let backend = db.get_database_backend();
    let d = crate::tenancy::parse_descriptor(Path::new("bench-import.yaml"), TENANT)
        .map_err(|p| anyhow::anyhow!("bench descriptor: {p:?}"))?;
    let tenant = crate::tenancy::apply::apply(&db, &d).await?.tenant;
    let ctx = Ctx::operator(tenant, "bench");
    let n = args.rows;
    let first = dir.join("users.csv");
    let second = dir.join("users-1pct.csv");
    generate(&first, n, false)?;
    generate(&second, n, true)?;
    let size_mb = std::fs::metadata(&first)?.len() as f64 / 1e6;
    println!(
        "roster bench import — {n} rows ({size_mb:.1} MB), {backend:?}, batches of {}",
        args.batch
    );

    reset_peak();
    let bulk = bulk_load(&db, &first).await?;
    println!(
        "{:<34} {:>10.0} rows/s  (yardstick; peak {:.0} MB)",
        "database bulk load, plain table",
        bulk,
        peak_mb().unwrap_or_default()
    );
    // A fresh pool: the yardstick's connection and its page cache are not the import's.
    db.close().await.ok();
    db = crate::store::connect(url).await?;
    let layout = Layout::standard(ImportFormat::Csv);
    let mut options = Options {
        batch_size: args.batch,
        ..Options::default()
    };
    let report = |what: &str, s: &Summary, secs: f64| {
        let r = rate(s.total, secs);
        println!(
            "{what:<34} {r:>10.0} rows/s  {:>5.2}× bulk  ({:.2} s; {} created, {} updated, {} unchanged, {} errors; peak {:.0} MB)",
            r / bulk,
            secs,
            s.created,
            s.updated,
            s.unchanged,
            s.errors,
            peak_mb().unwrap_or_default()
        );
    };
    reset_peak();
    let t = Instant::now();
    let s = import(&db, &ctx, &first, &layout, &options).await?;
    report("create", &s, t.elapsed().as_secs_f64());

    options.simulate = true;
    reset_peak();
    let t = Instant::now();
    let s = import(&db, &ctx, &second, &layout, &options).await?;
    report(
        "simulate re-import, 1% changed",
        &s,
        t.elapsed().as_secs_f64(),
    );

    options.simulate = false;
    reset_peak();
    let t = Instant::now();
    let s = import(&db, &ctx, &second, &layout, &options).await?;
    report("re-import, 1% changed", &s, t.elapsed().as_secs_f64());

    reset_peak();
    let t = Instant::now();
    let mut sink = std::io::sink();
    let rows = crate::export::export_users(&db, &ctx, Scope::tenant(), &mut sink).await?;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{:<34} {:>10.0} rows/s  {:>5.2}× bulk  ({secs:.2} s; peak {:.0} MB)",
        "export",
        rate(rows, secs),
        rate(rows, secs) / bulk,
        peak_mb().unwrap_or_default()
    );
    db.close().await.ok();
    Ok(())
}

async fn import(
    db: &DatabaseConnection,
    ctx: &Ctx,
    file: &Path,
    layout: &Layout,
    options: &Options,
) -> anyhow::Result<Summary> {
    let s = crate::import::run_now(
        db,
        ctx,
        &Input::File(PathBuf::from(file)),
        layout,
        options,
        "bench.csv",
        &mut NoReport,
        &Quiet,
    )
    .await?;
    if let Some(r) = &s.rejected {
        anyhow::bail!("the bench file was rejected: {r}");
    }
    Ok(s)
}

/// Rows per statement of the SQLite yardstick (2,400 bound values).
const BULK_ROWS: usize = 100;

/// The database's own bulk load of the file's rows into a plain table of 24 text columns,
/// read from the file as it goes (so the yardstick's memory stays flat too).
async fn bulk_load(db: &DatabaseConnection, file: &Path) -> anyhow::Result<f64> {
    use std::io::BufRead;
    let columns: Vec<String> = (0..24).map(|i| format!("c{i} TEXT")).collect();
    db.execute_unprepared(&format!(
        "CREATE TABLE bench_plain ({})",
        columns.join(", ")
    ))
    .await?;
    let lines = || -> anyhow::Result<_> {
        Ok(std::io::BufReader::new(std::fs::File::open(file)?)
            .lines()
            .skip(1))
    };
    let mut rows = 0u64;
    let t = Instant::now();
    match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            use sea_orm::sqlx::postgres::PgPoolCopyExt;
            let pool = db.get_postgres_connection_pool();
            let mut copy = pool
                .copy_in_raw("COPY bench_plain FROM STDIN WITH (FORMAT text, DELIMITER ';')")
                .await?;
            let mut buf = Vec::with_capacity(1 << 20);
            for line in lines()? {
                buf.extend_from_slice(line?.as_bytes());
                buf.push(b'\n');
                rows += 1;
                if buf.len() > (1 << 20) {
                    copy.send(std::mem::take(&mut buf)).await?;
                }
            }
            copy.send(buf).await?;
            copy.finish().await?;
        }
        _ => {
            // Prepared inserts of 100 rows each in one transaction. One row per statement
            // measured the driver instead of SQLite: each statement is a hand-over to the
            // connection's thread and back, ~110 µs on an idle 2-core VM (9,000 rows/s,
            // where the `sqlite3` shell's `.import` of the same file loads ~150,000).
            let pool = db.get_sqlite_connection_pool();
            let row = format!("({})", vec!["?"; 24].join(", "));
            let statement = |n: usize| {
                format!(
                    "INSERT INTO bench_plain VALUES {}",
                    vec![row.as_str(); n].join(", ")
                )
            };
            let full = statement(BULK_ROWS);
            let mut tx = pool.begin().await?;
            let mut pending: Vec<String> = Vec::with_capacity(BULK_ROWS);
            let flush = |sql: &str, pending: &mut Vec<String>| {
                let mut q = sea_orm::sqlx::query(sea_orm::sqlx::AssertSqlSafe(sql.to_owned()));
                for line in pending.drain(..) {
                    let mut cells = line.split(';');
                    for _ in 0..24 {
                        q = q.bind(cells.next().unwrap_or("").to_owned());
                    }
                }
                q
            };
            for line in lines()? {
                pending.push(line?);
                rows += 1;
                if pending.len() == BULK_ROWS {
                    flush(&full, &mut pending).execute(&mut *tx).await?;
                }
            }
            if !pending.is_empty() {
                let sql = statement(pending.len());
                flush(&sql, &mut pending).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    db.execute_unprepared("DROP TABLE bench_plain").await?;
    Ok(rate(rows, secs))
}
