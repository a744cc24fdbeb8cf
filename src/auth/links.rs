//! Single-use links (R7, U3, B6): set-password, password reset, e-mail confirmation, approval
//! and invitation. The token is shown once and stored only as its SHA-256; a link works once
//! and expires. Mails carrying links are sent by jobs.

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter,
};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::app::AppState;
use crate::error::Error;
use crate::store::TenantId;
use crate::store::entity::{backoffice_accounts, jobs, single_use_tokens, tenants, users};

/// What a link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// First password of a new account.
    SetPassword,
    /// Forgotten password.
    PasswordReset,
    /// R3: confirm a registration's e-mail address.
    EmailConfirmation,
}

impl Purpose {
    /// Stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::SetPassword => "set_password",
            Purpose::PasswordReset => "password_reset",
            Purpose::EmailConfirmation => "email_confirmation",
        }
    }

    /// How long a link stays valid by default.
    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::SetPassword => Duration::hours(72),
            Purpose::PasswordReset => Duration::hours(1),
            Purpose::EmailConfirmation => Duration::hours(48),
        }
    }
}

/// Whose link it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// A portal user.
    User(Uuid),
    /// A back-office account.
    Backoffice(Uuid),
}

/// A link's token as issued, and when it expires.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The secret for the URL.
    pub token: String,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
}

/// A consumed link.
#[derive(Debug, Clone)]
pub struct Consumed {
    /// Tenant.
    pub tenant: TenantId,
    /// Whose link it was.
    pub holder: Holder,
    /// Extra data stored with the link.
    pub data: Option<Value>,
}

/// Hash under which a token is stored.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A new random token: 32 bytes, URL-safe.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Issues a link for `holder`, valid for `lifetime`.
pub async fn issue<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    purpose: Purpose,
    holder: Holder,
    lifetime: Duration,
    data: Option<Value>,
) -> crate::Result<Issued> {
    let token = new_token();
    let now = Utc::now();
    let expires_at = now + lifetime;
    let (user_id, backoffice_account_id) = match holder {
        Holder::User(id) => (Some(id), None),
        Holder::Backoffice(id) => (None, Some(id)),
    };
    single_use_tokens::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant.0),
        purpose: Set(purpose.as_str().to_owned()),
        token_hash: Set(token_hash(&token)),
        user_id: Set(user_id),
        backoffice_account_id: Set(backoffice_account_id),
        data: Set(data),
        expires_at: Set(expires_at),
        used_at: Set(None),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(Issued { token, expires_at })
}

/// Looks a link up without using it (to show the form it leads to).
pub async fn peek<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    purpose: Purpose,
    token: &str,
) -> crate::Result<Consumed> {
    let row = find(db, tenant, purpose, token).await?;
    Ok(consumed(&row))
}

/// Uses a link: it works once, before it expires, in its own tenant only.
pub async fn consume<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    purpose: Purpose,
    token: &str,
) -> crate::Result<Consumed> {
    let row = find(db, tenant, purpose, token).await?;
    let now = Utc::now();
    let used = single_use_tokens::Entity::update_many()
        .col_expr(single_use_tokens::Column::UsedAt, Expr::value(now))
        .filter(single_use_tokens::Column::Id.eq(row.id))
        .filter(single_use_tokens::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    if used.rows_affected != 1 {
        return Err(Error::BadRequest("this link has already been used".into()));
    }
    Ok(consumed(&row))
}

async fn find<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    purpose: Purpose,
    token: &str,
) -> crate::Result<single_use_tokens::Model> {
    let row = tenant
        .find::<single_use_tokens::Entity>()
        .filter(single_use_tokens::Column::TokenHash.eq(token_hash(token)))
        .filter(single_use_tokens::Column::Purpose.eq(purpose.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| Error::BadRequest("this link is not valid".into()))?;
    if row.used_at.is_some() {
        return Err(Error::BadRequest("this link has already been used".into()));
    }
    if row.expires_at <= Utc::now() {
        return Err(Error::BadRequest(
            "this link has expired; ask for a new one".into(),
        ));
    }
    Ok(row)
}

fn consumed(row: &single_use_tokens::Model) -> Consumed {
    let holder = match (row.user_id, row.backoffice_account_id) {
        (_, Some(id)) => Holder::Backoffice(id),
        (Some(id), None) => Holder::User(id),
        (None, None) => Holder::User(Uuid::nil()),
    };
    Consumed {
        tenant: TenantId(row.tenant_id),
        holder,
        data: row.data.clone(),
    }
}

/// The URL of a link page.
pub fn url(state: &AppState, slug: &str, purpose: Purpose, token: &str) -> String {
    let page = match purpose {
        Purpose::SetPassword | Purpose::PasswordReset => "password/set",
        Purpose::EmailConfirmation => "register/confirm",
    };
    format!(
        "{}/t/{slug}/{page}?token={token}",
        state.settings.public_url
    )
}

struct Recipient {
    email: Option<String>,
    first_name: String,
    login: String,
    language: Option<String>,
    holder: Holder,
}

/// Whose link a job's payload names: `user_id` or `account_id`.
fn holder_of(payload: &Value) -> crate::Result<Holder> {
    let id = |key: &str| {
        payload
            .get(key)
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<Uuid>().ok())
    };
    if let Some(uid) = id("user_id") {
        return Ok(Holder::User(uid));
    }
    id("account_id")
        .map(Holder::Backoffice)
        .ok_or_else(|| Error::BadRequest("job payload names no holder".into()))
}

async fn recipient(state: &AppState, tenant: TenantId, holder: Holder) -> crate::Result<Recipient> {
    match holder {
        Holder::User(uid) => {
            let u = tenant
                .find_by_id::<users::Entity>(uid)
                .one(&state.db)
                .await?
                .ok_or_else(|| Error::NotFound("user".into()))?;
            Ok(Recipient {
                email: u.email,
                first_name: u.first_name,
                login: u.login,
                language: u.language,
                holder,
            })
        }
        Holder::Backoffice(aid) => {
            let a = tenant
                .find_by_id::<backoffice_accounts::Entity>(aid)
                .one(&state.db)
                .await?
                .ok_or_else(|| Error::NotFound("back-office account".into()))?;
            Ok(Recipient {
                email: a.email,
                first_name: a.first_name,
                login: a.login,
                language: a.language,
                holder,
            })
        }
    }
}

/// The tenant a link-mail job works for.
async fn job_tenant(state: &AppState, job: &jobs::Model) -> crate::Result<tenants::Model> {
    let tenant = job
        .tenant_id
        .ok_or_else(|| Error::BadRequest("link mail without tenant".into()))?;
    tenants::Entity::find_by_id(tenant)
        .one(&state.db)
        .await?
        .ok_or_else(|| Error::NotFound("tenant".into()))
}

async fn send_link_mail(
    state: &AppState,
    job: &jobs::Model,
    purpose: Purpose,
    template: &str,
) -> crate::Result<()> {
    let t = job_tenant(state, job).await?;
    let holder = holder_of(&job.payload)?;
    mail_link(state, &t, holder, purpose, template).await
}

/// Issues a link for `holder` and mails it; a holder without an e-mail address gets nothing.
async fn mail_link(
    state: &AppState,
    t: &tenants::Model,
    holder: Holder,
    purpose: Purpose,
    template: &str,
) -> crate::Result<()> {
    let tenant = TenantId(t.id);
    let r = recipient(state, tenant, holder).await?;
    let Some(email) = r.email.clone() else {
        // U3: nothing to send without an address; the administrator was told so when asking.
        tracing::info!("no e-mail address; link mail skipped");
        return Ok(());
    };
    let issued = issue(
        &state.db,
        tenant,
        purpose,
        r.holder,
        purpose.lifetime(),
        None,
    )
    .await?;
    let language = r.language.clone().unwrap_or(t.default_language.clone());
    let rendered = crate::mail::render_for(
        t,
        template,
        &language,
        json!({
            "tenant_name": t.name,
            "first_name": r.first_name,
            "login": r.login,
            "link": url(state, &t.slug, purpose, &issued.token),
            "expires": issued.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        }),
    )?;
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

/// Job `mail.set_password`: mails a new account its set-password link (U3).
pub async fn send_set_password_job(state: &AppState, job: &jobs::Model) -> crate::Result<()> {
    send_link_mail(state, job, Purpose::SetPassword, "set_password").await
}

/// Payload of a `mail.set_password_batch` job.
#[derive(Debug, Deserialize)]
struct Batch {
    user_ids: Vec<Uuid>,
    /// Index of the first user not yet mailed.
    #[serde(default)]
    next: usize,
}

/// Job `mail.set_password_batch` (U3, queued by an import): mails each user its set-password
/// link, in order, from `next` on. After each user the job's `next` is advanced (and its lease
/// renewed) by one small UPDATE, so a worker that crashes and runs the job again re-sends at
/// most the mail that was in flight. A user whose mail fails gets a `mail.set_password` job of
/// its own (with that job's retries), and the batch goes on; the job succeeds at the end.
pub async fn send_set_password_batch_job(state: &AppState, job: &jobs::Model) -> crate::Result<()> {
    let t = job_tenant(state, job).await?;
    let tenant = TenantId(t.id);
    let batch: Batch = serde_json::from_value(job.payload.clone()).map_err(|e| {
        Error::BadRequest(format!(
            "job payload of `{}` is not a set-password batch: {e}",
            job.kind
        ))
    })?;
    for (i, &uid) in batch.user_ids.iter().enumerate().skip(batch.next) {
        let holder = Holder::User(uid);
        if let Err(e) = mail_link(state, &t, holder, Purpose::SetPassword, "set_password").await {
            tracing::warn!(user.id = %uid, error = %e, "set-password mail failed; queued on its own");
            crate::jobs::enqueue(
                &state.db,
                crate::jobs::NewJob {
                    dedup_key: Some(format!("set_password:{uid}")),
                    ..crate::jobs::NewJob::now(
                        tenant,
                        crate::domain::users::SET_PASSWORD_JOB,
                        json!({ "user_id": uid }),
                    )
                },
            )
            .await?;
        }
        advance(&state.db, job, i + 1).await?;
    }
    Ok(())
}

/// Records that a batch job's users before `next` are done (the worker holds the lease).
async fn advance(db: &DatabaseConnection, job: &jobs::Model, next: usize) -> crate::Result<()> {
    let next = i64::try_from(next).map_err(|e| anyhow::anyhow!(e))?;
    crate::jobs::record_progress(db, job, next).await
}

/// Job `mail.password_reset`: mails a password-reset link (R7).
pub async fn send_reset_job(state: &AppState, job: &jobs::Model) -> crate::Result<()> {
    send_link_mail(state, job, Purpose::PasswordReset, "password_reset").await
}
