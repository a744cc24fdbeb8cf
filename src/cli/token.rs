//! `roster token issue|revoke|list`: API bearer tokens that act as one back-office user.

use std::process::ExitCode;

use clap::Subcommand;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::config::Settings;
use crate::store::TenantId;
use crate::store::entity::{backoffice_accounts, tenants};

/// Token subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Print a new bearer token acting as back-office user LOGIN (shown once).
    Issue {
        /// Tenant slug.
        #[arg(long)]
        tenant: String,
        /// Login of the back-office user.
        #[arg(long)]
        login: String,
        /// A name to recognise the token by.
        #[arg(long, default_value = "cli")]
        name: String,
    },
    /// Revoke a token by its id.
    Revoke {
        /// Tenant slug.
        #[arg(long)]
        tenant: String,
        /// Token id (from `roster token list`).
        id: Uuid,
    },
    /// List a back-office user's tokens.
    List {
        /// Tenant slug.
        #[arg(long)]
        tenant: String,
        /// Login of the back-office user.
        #[arg(long)]
        login: String,
    },
}

async fn tenant(db: &DatabaseConnection, slug: &str) -> anyhow::Result<TenantId> {
    tenants::Entity::find()
        .filter(tenants::Column::Slug.eq(slug))
        .one(db)
        .await?
        .map(|t| TenantId(t.id))
        .ok_or_else(|| anyhow::anyhow!("no tenant `{slug}`; see `roster tenant list`"))
}

async fn account(
    db: &DatabaseConnection,
    t: TenantId,
    login: &str,
) -> anyhow::Result<backoffice_accounts::Model> {
    t.find::<backoffice_accounts::Entity>()
        .filter(backoffice_accounts::Column::Login.eq(login))
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no back-office user `{login}` in this tenant"))
}

/// Runs a token subcommand.
pub async fn run(cmd: TokenCommand, settings: &Settings) -> anyhow::Result<ExitCode> {
    let db = crate::store::connect(&settings.database_url).await?;
    crate::store::migrate(&db).await?;
    match cmd {
        TokenCommand::Issue {
            tenant: slug,
            login,
            name,
        } => {
            let t = tenant(&db, &slug).await?;
            let a = account(&db, t, &login).await?;
            if !a.active {
                anyhow::bail!("back-office user `{login}` is inactive");
            }
            let (id, secret) = crate::auth::tokens::issue(&db, t, a.id, &name).await?;
            eprintln!("token {id} for `{login}` (shown once; store it safely):");
            println!("{secret}");
        }
        TokenCommand::Revoke { tenant: slug, id } => {
            let t = tenant(&db, &slug).await?;
            if crate::auth::tokens::revoke(&db, t, id).await? {
                println!("revoked {id}");
            } else {
                eprintln!("no live token {id} in tenant `{slug}`");
                return Ok(ExitCode::FAILURE);
            }
        }
        TokenCommand::List {
            tenant: slug,
            login,
        } => {
            let t = tenant(&db, &slug).await?;
            let a = account(&db, t, &login).await?;
            println!(
                "{:<36}  {:<16}  {:<16}  {:<16}  STATE",
                "ID", "NAME", "CREATED", "LAST USED"
            );
            for tok in crate::auth::tokens::list(&db, t, a.id).await? {
                println!(
                    "{:<36}  {:<16}  {:<16}  {:<16}  {}",
                    tok.id,
                    tok.name,
                    tok.created_at.format("%Y-%m-%d %H:%M"),
                    tok.last_used_at
                        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
                        .unwrap_or_else(|| "-".into()),
                    if tok.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "live"
                    }
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
