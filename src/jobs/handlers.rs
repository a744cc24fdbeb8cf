//! What each job kind does. Every handler is idempotent: a job may run again after a crash.

use crate::app::AppState;
use crate::store::entity::jobs;

/// Runs one claimed job.
pub async fn run(state: &AppState, job: &jobs::Model) -> crate::Result<()> {
    match job.kind.as_str() {
        crate::domain::users::SET_PASSWORD_JOB => {
            crate::auth::links::send_set_password_job(state, job).await
        }
        crate::domain::users::SET_PASSWORD_BATCH_JOB => {
            crate::auth::links::send_set_password_batch_job(state, job).await
        }
        "mail.password_reset" => crate::auth::links::send_reset_job(state, job).await,
        "mail.temporary_password" => crate::auth::temporary::send_job(state, job).await,
        crate::domain::registration::job::CONFIRM => {
            crate::domain::registration::mails::send_confirmation_job(state, job).await
        }
        crate::domain::registration::job::APPROVAL_REQUEST => {
            crate::domain::registration::mails::send_approval_request_job(state, job).await
        }
        crate::domain::registration::job::OUTCOME => {
            crate::domain::registration::mails::send_outcome_job(state, job).await
        }
        crate::domain::registration::job::WELCOME => {
            crate::domain::registration::mails::send_welcome_job(state, job).await
        }
        crate::domain::invitations::INVITATION_JOB => {
            crate::domain::invitations::send_invitation_job(state, job).await
        }
        crate::import::staged::RUN_JOB => crate::import::staged::run_job(state, job).await,
        crate::import::mail::REPORT_JOB => crate::import::mail::send_report_job(state, job).await,
        other => Err(anyhow::anyhow!("no handler for job kind `{other}`").into()),
    }
}
