//! `roster admin add`: an operator creates or updates a tenant's back-office user without a
//! browser and gets a one-time set-password link.

use std::process::ExitCode;

use clap::Args;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::auth::links::{self, Holder, Purpose};
use crate::authz::Permit;
use crate::config::Settings;
use crate::domain::backoffice::{self, NewAccount, RoleGrant};
use crate::store::TenantId;
use crate::store::entity::{backoffice_accounts, tenants};

/// Arguments of `roster admin add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// Tenant slug.
    #[arg(long)]
    pub tenant: String,
    /// Login name of the back-office user.
    #[arg(long)]
    pub login: String,
    /// Role code; repeat for several roles (each anchored at every --ou given).
    #[arg(long = "role", required = true)]
    pub roles: Vec<String>,
    /// Organisation-unit code anchoring unit-scoped roles (sub-tenant admin, OU admin …).
    #[arg(long = "ou")]
    pub units: Vec<String>,
    /// Catalog code the user may see users of (B4); repeatable.
    #[arg(long = "catalog")]
    pub catalogs: Vec<String>,
    /// Access to every catalog (overrides --catalog).
    #[arg(long)]
    pub all_catalogs: bool,
    /// First name (default: the login).
    #[arg(long)]
    pub first_name: Option<String>,
    /// Last name (default: "Administrator").
    #[arg(long)]
    pub last_name: Option<String>,
    /// E-mail address (for password resets).
    #[arg(long)]
    pub email: Option<String>,
}

/// Runs `roster admin add`.
pub async fn add(args: AddArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    let db = crate::store::connect(&settings.database_url).await?;
    crate::store::migrate(&db).await?;
    let Some(t) = tenants::Entity::find()
        .filter(tenants::Column::Slug.eq(&args.tenant))
        .one(&db)
        .await?
    else {
        eprintln!("no tenant `{}`; see `roster tenant list`", args.tenant);
        return Ok(ExitCode::FAILURE);
    };
    let tenant = TenantId(t.id);
    let ctx = Permit::operator(tenant, "roster admin add");
    let grants: Vec<RoleGrant> = args
        .roles
        .iter()
        .flat_map(|role| {
            if args.units.is_empty() {
                vec![RoleGrant {
                    role: role.clone(),
                    unit: None,
                }]
            } else {
                args.units
                    .iter()
                    .map(|u| RoleGrant {
                        role: role.clone(),
                        unit: Some(u.clone()),
                    })
                    .collect()
            }
        })
        .collect();
    let existing = tenant
        .find::<backoffice_accounts::Entity>()
        .filter(backoffice_accounts::Column::Login.eq(&args.login))
        .one(&db)
        .await?;
    let result = async {
        let account = match existing {
            Some(a) => {
                backoffice::set_roles(&db, &ctx, a.id, &grants, false).await?;
                backoffice::set_catalogs(&db, &ctx, a.id, args.all_catalogs, &args.catalogs)
                    .await?;
                backoffice::set_active(&db, &ctx, a.id, true).await?;
                println!("updated back-office user `{}`", a.login);
                a
            }
            None => {
                let a = backoffice::create(
                    &db,
                    &ctx,
                    NewAccount {
                        login: args.login.clone(),
                        first_name: args
                            .first_name
                            .clone()
                            .unwrap_or_else(|| args.login.clone()),
                        last_name: args
                            .last_name
                            .clone()
                            .unwrap_or_else(|| "Administrator".into()),
                        email: args.email.clone(),
                        roles: grants.clone(),
                        catalogs: args.catalogs.clone(),
                        all_catalogs: args.all_catalogs,
                        is_administrator: false,
                        course_system_role: None,
                    },
                )
                .await?;
                println!("created back-office user `{}`", a.login);
                a
            }
        };
        let issued = links::issue(
            &db,
            tenant,
            Purpose::SetPassword,
            Holder::Backoffice(account.id),
            Purpose::SetPassword.lifetime(),
            None,
        )
        .await?;
        Ok::<_, crate::Error>(issued)
    }
    .await;
    match result {
        Ok(issued) => {
            println!(
                "one-time set-password link (valid until {}):\n{}/t/{}/password/set?token={}",
                issued.expires_at.format("%Y-%m-%d %H:%M UTC"),
                settings.public_url,
                t.slug,
                issued.token
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(crate::Error::Validation(errors)) => {
            for e in errors {
                eprintln!("{}: {}", e.field, e.message);
            }
            Ok(ExitCode::FAILURE)
        }
        Err(e @ (crate::Error::Conflict(_) | crate::Error::Forbidden(_))) => {
            eprintln!("{e}");
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}
