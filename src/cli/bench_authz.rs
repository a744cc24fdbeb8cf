//! `roster bench authz`: authorization decision latency (cold and cached) and the scoped user
//! list (page of 50 with total) in a tenant of many users across many units, reported as p50 /
//! p99 and as ratios to a reference measured in the same run.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::Utc;
use clap::Args;
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::auth::principal::{Principal, PrincipalKind};
use crate::authz::enforcer::{Registry, account_subject};
use crate::authz::{Permit, Right};
use crate::domain::Source;
use crate::domain::backoffice::{self, NewAccount, RoleGrant};
use crate::domain::user_directory::{self, Query};
use crate::store::TenantId;
use crate::store::entity::{catalogs, organisation_units, user_catalogs, users};

/// Arguments of `roster bench authz`.
#[derive(Debug, Args)]
pub struct AuthzArgs {
    /// Users in the tenant.
    #[arg(long, default_value_t = 100_000)]
    pub users: usize,
    /// Organisation units (10 sub-tenants, the rest below them).
    #[arg(long, default_value_t = 1_000)]
    pub units: usize,
    /// Database to benchmark on: a PostgreSQL URL (a fresh database is created next to it and
    /// dropped afterwards); default: a temporary SQLite file.
    #[arg(long)]
    pub db: Option<String>,
    /// Samples per measurement.
    #[arg(long, default_value_t = 200)]
    pub samples: usize,
}

struct Stats {
    p50: Duration,
    p99: Duration,
}

fn stats(mut d: Vec<Duration>) -> Stats {
    d.sort();
    let at = |q: f64| d[((d.len() as f64 - 1.0) * q).round() as usize];
    Stats {
        p50: at(0.50),
        p99: at(0.99),
    }
}

fn fmt(d: Duration) -> String {
    if d < Duration::from_millis(1) {
        format!("{:.1} µs", d.as_secs_f64() * 1e6)
    } else {
        format!("{:.2} ms", d.as_secs_f64() * 1e3)
    }
}

/// Runs the benchmark and prints a table.
pub async fn run(args: AuthzArgs) -> anyhow::Result<()> {
    let tmp = tempfile_dir()?;
    let (url, cleanup) = match &args.db {
        Some(admin) if admin.starts_with("postgres") => {
            let name = format!("roster_bench_{}", Uuid::new_v4().simple());
            let conn = crate::store::connect(admin).await?;
            conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await?;
            conn.close().await.ok();
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin);
            (format!("{base}/{name}"), Some((admin.clone(), name)))
        }
        Some(other) => (other.clone(), None),
        None => (
            format!(
                "sqlite://{}?mode=rwc",
                Path::new(&tmp).join("bench.db").display()
            ),
            None,
        ),
    };
    let db = crate::store::connect(&url).await?;
    crate::store::migrate(&db).await?;
    let backend = format!("{:?}", db.get_database_backend());
    println!(
        "roster bench authz — {} users, {} units, {backend}",
        args.users, args.units
    );

    let t0 = Instant::now();
    let (tenant, admins) = seed(&db, args.users, args.units).await?;
    println!("seeded in {:.1} s", t0.elapsed().as_secs_f64());

    // Reference: one indexed primary-key read of a user.
    let probe: Vec<Uuid> = tenant
        .find::<users::Entity>()
        .select_only()
        .column(users::Column::Id)
        .limit(args.samples as u64)
        .into_tuple()
        .all(&db)
        .await?;
    let mut reference = Vec::new();
    for id in &probe {
        let s = Instant::now();
        tenant.find_by_id::<users::Entity>(*id).one(&db).await?;
        reference.push(s.elapsed());
    }
    let reference = stats(reference);

    // Decision, cold: the tenant's enforcer is loaded from the role tables each time.
    let registry = Registry::default();
    let subject = account_subject(admins[1].1.id);
    let mut cold = Vec::new();
    for _ in 0..args.samples.min(100) {
        registry.invalidate(tenant.0).await;
        let s = Instant::now();
        let p = registry.policy(&db, tenant).await?;
        let _ = p.allows(&subject, Right::Users);
        cold.push(s.elapsed());
    }
    let cold = stats(cold);
    // Decision, loaded: the per-tenant enforcer in memory.
    let policy = registry.policy(&db, tenant).await?;
    let mut warm = Vec::new();
    for i in 0..args.samples * 50 {
        let right = Right::ALL[i % Right::ALL.len()];
        let s = Instant::now();
        std::hint::black_box(policy.allows(&subject, right));
        warm.push(s.elapsed());
    }
    let warm = stats(warm);

    println!();
    println!(
        "{:<44} {:>10} {:>10} {:>10}",
        "measurement", "p50", "p99", "p50/ref"
    );
    let row = |name: &str, s: &Stats| {
        println!(
            "{:<44} {:>10} {:>10} {:>9.2}x",
            name,
            fmt(s.p50),
            fmt(s.p99),
            s.p50.as_secs_f64() / reference.p50.as_secs_f64()
        )
    };
    row("reference: user by primary key", &reference);
    row("decision, cold (load tenant policy)", &cold);
    row("decision, loaded enforcer", &warm);

    // Lists: a page of 50 with its total, per scope, against the unscoped page as reference.
    let pages = (args.users / 50).max(1) as u64;
    for (label, principal) in &admins {
        let p = Principal {
            tenant_id: tenant.0,
            tenant_slug: "bench".into(),
            kind: PrincipalKind::Backoffice,
            id: principal.id,
            login: principal.login.clone(),
            must_change_password: false,
            via_token: false,
        };
        let permit = Permit::for_principal(p, vec![Right::Users], Source::Cli, None);
        let mut times = Vec::new();
        for i in 0..args.samples.min(100) {
            let s = Instant::now();
            let q = Query {
                page: Some(1 + (i as u64 * 7919) % pages.min(20)),
                per_page: Some(50),
                ..Default::default()
            };
            std::hint::black_box(user_directory::list(&db, &permit, &q).await?);
            times.push(s.elapsed());
        }
        row(&format!("list page of 50 + total: {label}"), &stats(times));
    }

    drop(db);
    if let Some((admin, name)) = cleanup {
        let conn = crate::store::connect(&admin).await?;
        conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await?;
    }
    Ok(())
}

fn tempfile_dir() -> anyhow::Result<String> {
    let dir = std::env::temp_dir().join(format!("roster-bench-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir.display().to_string())
}

type Admins = Vec<(String, crate::store::entity::backoffice_accounts::Model)>;

async fn seed(
    db: &DatabaseConnection,
    n_users: usize,
    n_units: usize,
) -> anyhow::Result<(TenantId, Admins)> {
    let regions = 10.min(n_units);
    let mut yaml = String::from(
        "slug: bench\nname: Bench\ndefault_language: en\nlanguages: [en]\ncatalogs:\n  - {code: A, name: A}\n  - {code: B, name: B}\norganisation_units:\n  - {code: ROOT, name: Root}\n",
    );
    for r in 0..regions {
        yaml += &format!("  - {{code: R{r}, name: Region {r}, parent: ROOT, sub_tenant: true}}\n");
    }
    for u in 0..n_units.saturating_sub(regions + 1) {
        yaml += &format!(
            "  - {{code: U{u}, name: Unit {u}, parent: R{}}}\n",
            u % regions.max(1)
        );
    }
    yaml += "roles:\n  - {code: boss, name: Boss, administrator: true}\n  - {code: sub, name: Sub-tenant admin, scope: subtree, rights: [users]}\n  - {code: ou, name: OU admin, scope: own_ou, rights: [users]}\n  - {code: hr, name: HR, rights: [users]}\n";
    let d = crate::tenancy::parse_descriptor(Path::new("bench.yaml"), &yaml).map_err(|e| {
        anyhow::anyhow!("bench descriptor: {:?}", e.first().map(ToString::to_string))
    })?;
    let tenant = crate::tenancy::apply::apply(db, &d).await?.tenant;
    let units: Vec<Uuid> = tenant
        .find::<organisation_units::Entity>()
        .order_by_asc(organisation_units::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect();
    let cats: Vec<Uuid> = tenant
        .find::<catalogs::Entity>()
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let now = Utc::now();
    let chunk = 500;
    let mut i = 0;
    while i < n_users {
        let end = (i + chunk).min(n_users);
        let mut rows = Vec::with_capacity(end - i);
        let mut links = Vec::with_capacity(end - i);
        for k in i..end {
            let id = Uuid::now_v7();
            rows.push(users::ActiveModel {
                id: Set(id),
                tenant_id: Set(tenant.0),
                login: Set(format!("bench-user-{k}")),
                first_name: Set(format!("First{k}")),
                last_name: Set(format!("Last{}", k % 997)),
                email: Set(Some(format!("user{k}@bench.example"))),
                organisation_unit_id: Set(Some(units[k % units.len()])),
                external_id_scope: Set(String::new()),
                active: Set(true),
                must_change_password: Set(false),
                registration_state: Set("active".into()),
                self_registered: Set(false),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            });
            links.push(user_catalogs::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(tenant.0),
                user_id: Set(id),
                catalog_id: Set(cats[k % cats.len()]),
                created_at: Set(now),
            });
        }
        users::Entity::insert_many(rows).exec(db).await?;
        user_catalogs::Entity::insert_many(links).exec(db).await?;
        i = end;
    }
    let ctx = Permit::operator(tenant, "bench");
    let mut admins = Vec::new();
    for (label, role, unit, catalogs_list) in [
        ("tenant-wide, every catalog", "hr", None, None),
        (
            "tenant-wide, catalog A only",
            "hr",
            None,
            Some(vec!["A".to_owned()]),
        ),
        ("sub-tenant admin (region)", "sub", Some("R1"), None),
        ("OU admin (one unit)", "ou", Some("U5"), None),
    ] {
        let a = backoffice::create(
            db,
            &ctx,
            NewAccount {
                login: format!("bench-{}", admins.len()),
                first_name: "Bench".into(),
                last_name: "Admin".into(),
                roles: vec![RoleGrant {
                    role: role.into(),
                    unit: unit.map(str::to_owned),
                }],
                all_catalogs: catalogs_list.is_none(),
                catalogs: catalogs_list.unwrap_or_default(),
                ..Default::default()
            },
        )
        .await?;
        admins.push((label.to_owned(), a));
    }
    Ok((tenant, admins))
}
