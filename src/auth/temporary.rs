//! B6: a new temporary password, mailed to a back-office account; it must be changed at the
//! next sign-in. Made inside the job, so no plaintext password rests in the queue.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::app::AppState;
use crate::error::Error;
use crate::store::TenantId;
use crate::store::entity::{backoffice_accounts, jobs, tenants};

/// Job `mail.temporary_password` with payload `{"account_id"}`.
pub async fn send_job(state: &AppState, job: &jobs::Model) -> crate::Result<()> {
    let tenant = TenantId(
        job.tenant_id
            .ok_or_else(|| Error::BadRequest("no tenant".into()))?,
    );
    let id: Uuid = job
        .payload
        .get("account_id")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::BadRequest("no account_id".into()))?;
    let account = tenant
        .find_by_id::<backoffice_accounts::Entity>(id)
        .one(&state.db)
        .await?
        .ok_or_else(|| Error::NotFound("back-office account".into()))?;
    let Some(email) = account.email.clone() else {
        return Ok(());
    };
    let t = tenants::Entity::find_by_id(tenant.0)
        .one(&state.db)
        .await?
        .ok_or_else(|| Error::NotFound("tenant".into()))?;
    let password = super::password::generate(14);
    let hash = super::password::hash(password.clone()).await?;
    let language = account
        .language
        .clone()
        .unwrap_or(t.default_language.clone());
    let rendered = crate::mail::render_for(
        &t,
        "temporary_password",
        &language,
        json!({
            "tenant_name": t.name,
            "first_name": account.first_name,
            "login": account.login,
            "password": password,
            "link": format!("{}/t/{}/backoffice/login", state.settings.public_url, t.slug),
        }),
    )?;
    let mut am = account.into_active_model();
    am.password_hash = Set(Some(hash));
    am.must_change_password = Set(true);
    am.updated_at = Set(Utc::now());
    am.update(&state.db).await?;
    state
        .mailer
        .send(crate::mail::Mail {
            to: email,
            from: None,
            subject: rendered.subject,
            text: rendered.text,
            attachments: vec![],
        })
        .await?;
    Ok(())
}
