//! I8/J2: the import report mailed to whoever started the import, rendered from
//! `templates/mail/<lang>/import_report.txt` in their language, with the report CSV attached.
//! Sent by the job queue, never inline.

use sea_orm::EntityTrait;
use serde_json::json;
use uuid::Uuid;

use crate::app::AppState;
use crate::domain::Ctx;
use crate::mail::{Mail, MailAttachment};
use crate::store::TenantId;
use crate::store::entity::{backoffice_accounts, imports, jobs, tenants};

/// The job kind that mails an import report.
pub const REPORT_JOB: &str = "import.report_mail";

/// Job `import.report_mail`: mails import `payload.import_id`'s report to its importer.
pub async fn send_report_job(state: &AppState, job: &jobs::Model) -> crate::Result<()> {
    let tenant = TenantId(
        job.tenant_id
            .ok_or_else(|| crate::Error::BadRequest("report mail without tenant".into()))?,
    );
    let id: Uuid = serde_json::from_value(job.payload["import_id"].clone())
        .map_err(|e| crate::Error::BadRequest(format!("bad report mail job: {e}")))?;
    let db = &state.db;
    let Some(import) = tenant.find_by_id::<imports::Entity>(id).one(db).await? else {
        return Ok(());
    };
    let Some(account) = import.started_by_backoffice_account_id else {
        return Ok(());
    };
    let Some(account) = tenant
        .find_by_id::<backoffice_accounts::Entity>(account)
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let Some(to) = account.email.clone() else {
        tracing::info!("importer has no e-mail address; report mail skipped");
        return Ok(());
    };
    let t = tenants::Entity::find_by_id(tenant.0)
        .one(db)
        .await?
        .ok_or_else(|| crate::Error::NotFound("tenant".into()))?;
    let ctx = Ctx::system(tenant, crate::domain::Source::Job);
    let csv = super::staged::report_csv_in(db, &ctx, id).await?;
    let language = account
        .language
        .clone()
        .unwrap_or(t.default_language.clone());
    let rendered = crate::mail::render_for(
        &t,
        "import_report",
        &language,
        json!({
            "tenant_name": t.name,
            "first_name": account.first_name,
            "file_name": import.file_name,
            "state": import.state,
            "total": import.total_rows,
            "created": import.created_count,
            "updated": import.updated_count,
            "unchanged": import.unchanged_count,
            "errors": import.error_count,
            "error": import.error,
            "finished": import.finished_at.map(|f| f.format("%Y-%m-%d %H:%M UTC").to_string()),
        }),
    )?;
    let stem = import
        .file_name
        .rsplit_once('.')
        .map(|(s, _)| s)
        .unwrap_or(&import.file_name)
        .to_owned();
    state
        .mailer
        .send(Mail {
            to,
            from: None,
            subject: rendered.subject,
            text: rendered.text,
            attachments: vec![MailAttachment {
                filename: format!("{stem}-report.csv"),
                content_type: "text/csv".into(),
                content: csv,
            }],
        })
        .await?;
    Ok(())
}
