//! R5: learning activities as the portal shows them, enrollment in an execution, and
//! invitations: a link to an activity's detail page that an administrator copies or mails
//! (the mail goes out through the job queue). Enrollments are audited (X3).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::app::AppState;
use crate::authz::{Permit, Right};
use crate::domain::audit::{self, Change};
use crate::domain::ctx::Ctx;
use crate::domain::users::Email;
use crate::error::{Error, FieldError};
use crate::jobs::{self, NewJob};
use crate::store::TenantId;
use crate::store::entity::{
    enrollments, executions, jobs as job_rows, learning_activities, tenants,
};

/// Job kind of the invitation mail.
pub const INVITATION_JOB: &str = "mail.invitation";

/// One execution as the detail page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ExecutionView {
    /// Code (the `enroll` value).
    pub code: String,
    /// Title.
    pub title: Option<String>,
    /// Start.
    pub starts_at: Option<DateTime<Utc>>,
    /// End.
    pub ends_at: Option<DateTime<Utc>>,
    /// Place.
    pub location: Option<String>,
    /// Seats; `None` is unlimited.
    pub capacity: Option<i32>,
    /// Seats still free; `None` is unlimited.
    pub seats_left: Option<i64>,
    /// Whether the viewer is enrolled.
    pub enrolled: bool,
}

/// A learning activity with its executions.
#[derive(Debug, Clone, Serialize)]
pub struct ActivityView {
    /// Code (in the invitation link).
    pub code: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Executions, earliest first.
    pub executions: Vec<ExecutionView>,
}

async fn activity_row(
    db: &DatabaseConnection,
    tenant: TenantId,
    code: &str,
) -> crate::Result<learning_activities::Model> {
    tenant
        .find::<learning_activities::Entity>()
        .filter(learning_activities::Column::Code.eq(code))
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("learning activity".into()))
}

/// R5: the detail page's content; `viewer` marks the executions they are enrolled in.
pub async fn activity(
    db: &DatabaseConnection,
    tenant: TenantId,
    code: &str,
    viewer: Option<Uuid>,
) -> crate::Result<ActivityView> {
    let a = activity_row(db, tenant, code).await?;
    let runs = tenant
        .find::<executions::Entity>()
        .filter(executions::Column::LearningActivityId.eq(a.id))
        .order_by_asc(executions::Column::StartsAt)
        .order_by_asc(executions::Column::Code)
        .all(db)
        .await?;
    let mut views = Vec::new();
    for e in runs {
        let taken = tenant
            .find::<enrollments::Entity>()
            .filter(enrollments::Column::ExecutionId.eq(e.id))
            .count(db)
            .await?;
        let enrolled = match viewer {
            Some(user) => tenant
                .find::<enrollments::Entity>()
                .filter(enrollments::Column::ExecutionId.eq(e.id))
                .filter(enrollments::Column::UserId.eq(user))
                .one(db)
                .await?
                .is_some(),
            None => false,
        };
        views.push(ExecutionView {
            seats_left: e
                .capacity
                .map(|c| (i64::from(c) - i64::try_from(taken).unwrap_or(i64::MAX)).max(0)),
            code: e.code,
            title: e.title,
            starts_at: e.starts_at,
            ends_at: e.ends_at,
            location: e.location,
            capacity: e.capacity,
            enrolled,
        });
    }
    Ok(ActivityView {
        code: a.code,
        title: a.title,
        description: a.description,
        executions: views,
    })
}

/// The result of an enrollment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enrolled {
    /// A new enrollment.
    New,
    /// The user was enrolled already (enrolling is idempotent).
    Already,
}

/// R5: enrolls `user` in execution `execution` of activity `activity`; full executions refuse
/// with a message naming the field. Idempotent.
pub async fn enroll(
    db: &DatabaseConnection,
    ctx: &Ctx,
    user: Uuid,
    activity: &str,
    execution: &str,
) -> crate::Result<Enrolled> {
    let t = ctx.tenant;
    let a = activity_row(db, t, activity).await?;
    let run = t
        .find::<executions::Entity>()
        .filter(executions::Column::LearningActivityId.eq(a.id))
        .filter(executions::Column::Code.eq(execution))
        .one(db)
        .await?
        .ok_or_else(|| {
            Error::Validation(vec![FieldError {
                field: "execution".into(),
                message: format!("`{activity}` has no execution `{execution}`"),
            }])
        })?;
    let txn = crate::store::begin_write(db).await?;
    let existing = t
        .find::<enrollments::Entity>()
        .filter(enrollments::Column::ExecutionId.eq(run.id))
        .filter(enrollments::Column::UserId.eq(user))
        .one(&txn)
        .await?;
    if existing.is_some() {
        return Ok(Enrolled::Already);
    }
    if let Some(capacity) = run.capacity {
        let taken = t
            .find::<enrollments::Entity>()
            .filter(enrollments::Column::ExecutionId.eq(run.id))
            .count(&txn)
            .await?;
        if taken >= u64::try_from(capacity).unwrap_or(0) {
            return Err(Error::Validation(vec![FieldError {
                field: "execution".into(),
                message: format!("execution `{execution}` is full"),
            }]));
        }
    }
    let now = Utc::now();
    let id = Uuid::now_v7();
    enrollments::ActiveModel {
        id: Set(id),
        tenant_id: Set(t.0),
        execution_id: Set(run.id),
        user_id: Set(user),
        status: Set("enrolled".into()),
        source: Set(ctx.source.as_str().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        ctx,
        Change {
            entity: "enrollment",
            entity_id: Some(id),
            action: "create",
            before: None,
            after: Some(json!({ "user_id": user, "activity": activity, "execution": execution })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Enrolled::New)
}

/// One of a learner's enrollments.
#[derive(Debug, Clone, Serialize)]
pub struct MyEnrollment {
    /// Activity code.
    pub activity: String,
    /// Activity title.
    pub title: String,
    /// Execution code.
    pub execution: String,
    /// Execution title.
    pub execution_title: Option<String>,
    /// Start.
    pub starts_at: Option<DateTime<Utc>>,
    /// Place.
    pub location: Option<String>,
}

/// R5: the enrollments of `user`, as the portal's home page lists them.
pub async fn enrollments_of(
    db: &DatabaseConnection,
    tenant: TenantId,
    user: Uuid,
) -> crate::Result<Vec<MyEnrollment>> {
    let rows = tenant
        .find::<enrollments::Entity>()
        .filter(enrollments::Column::UserId.eq(user))
        .order_by_asc(enrollments::Column::CreatedAt)
        .all(db)
        .await?;
    let mut out = Vec::new();
    for r in rows {
        let Some(run) = tenant
            .find_by_id::<executions::Entity>(r.execution_id)
            .one(db)
            .await?
        else {
            continue;
        };
        let Some(a) = tenant
            .find_by_id::<learning_activities::Entity>(run.learning_activity_id)
            .one(db)
            .await?
        else {
            continue;
        };
        out.push(MyEnrollment {
            activity: a.code,
            title: a.title,
            execution: run.code,
            execution_title: run.title,
            starts_at: run.starts_at,
            location: run.location,
        });
    }
    Ok(out)
}

/// R5: the invitation link of an activity: its detail page in the tenant's portal.
pub fn invitation_link(public_url: &str, slug: &str, activity: &str) -> String {
    format!("{public_url}/t/{slug}/activities/{activity}")
}

/// R5: an administrator holding `learning_activities` mails the invitation link of
/// `activity` to `email` (queued; sent by the worker). Returns the link.
pub async fn invite(
    state: &AppState,
    access: &Permit,
    activity: &str,
    email: &str,
    language: Option<&str>,
) -> crate::Result<String> {
    if !access.has(Right::LearningActivities) {
        return Err(Error::Forbidden(
            "inviting needs the right `learning_activities`".into(),
        ));
    }
    let email = Email::parse(email.trim()).map_err(|e| {
        Error::Validation(vec![FieldError {
            field: "email".into(),
            message: e.0,
        }])
    })?;
    let a = activity_row(&state.db, access.tenant(), activity).await?;
    let tenant = tenants::Entity::find_by_id(access.tenant().0)
        .one(&state.db)
        .await?
        .ok_or_else(|| Error::NotFound("tenant".into()))?;
    let link = invitation_link(&state.settings.public_url, &tenant.slug, &a.code);
    let txn = crate::store::begin_write(&state.db).await?;
    jobs::enqueue(
        &txn,
        NewJob::now(
            access.tenant(),
            INVITATION_JOB,
            json!({
                "to": email.as_str(),
                "activity": a.code,
                "language": language,
                "invited_by": access.login(),
            }),
        ),
    )
    .await?;
    audit::record(
        &txn,
        access.ctx(),
        Change {
            entity: "learning_activity",
            entity_id: Some(a.id),
            action: "invite",
            before: None,
            // X3: never an e-mail address in the trail; the domain says enough.
            after: Some(json!({ "invited_domain": email.as_str().rsplit('@').next() })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(link)
}

/// Job `mail.invitation`: mails the invitation link (J2), in the language asked for.
pub async fn send_invitation_job(state: &AppState, job: &job_rows::Model) -> crate::Result<()> {
    let tenant_id = job
        .tenant_id
        .ok_or_else(|| Error::BadRequest("invitation without tenant".into()))?;
    let tenant = tenants::Entity::find_by_id(tenant_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| Error::NotFound("tenant".into()))?;
    let text = |k: &str| {
        job.payload
            .get(k)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let to = text("to").ok_or_else(|| Error::BadRequest("invitation without address".into()))?;
    let code = text("activity").unwrap_or_default();
    let a = activity_row(&state.db, TenantId(tenant.id), &code).await?;
    let language = text("language").unwrap_or_else(|| tenant.default_language.clone());
    let context = json!({
        "tenant_name": tenant.name,
        "activity_title": a.title,
        "link": invitation_link(&state.settings.public_url, &tenant.slug, &a.code),
    });
    crate::domain::registration::mails::send(state, &tenant, &to, &language, "invitation", context)
        .await
}
