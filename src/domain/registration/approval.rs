//! R3: the approval queue. An approver (a back-office account whose role grants
//! `approve_registrations`) sees only the registrations in the scope of that right — their own
//! organisation unit for an OU administrator, the sub-tree for a sub-tenant administrator, the
//! whole tenant for a customer administrator — and approves or rejects them; the registrant is
//! told the outcome by mail.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, QueryFilter, QueryOrder};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::{job, queue, state};
use crate::authz::{Permit, Right};
use crate::domain::audit::{self, Change};
use crate::domain::users::queue_set_password_mails;
use crate::error::Error;
use crate::store::entity::{organisation_units, organisations, users};

/// One registration waiting for a decision.
#[derive(Debug, Clone, Serialize)]
pub struct Pending {
    /// The registrant.
    pub user_id: Uuid,
    /// Login name.
    pub login: String,
    /// Full name.
    pub name: String,
    /// E-mail address.
    pub email: Option<String>,
    /// Organisation name.
    pub organisation: Option<String>,
    /// Organisation-unit name.
    pub organisation_unit: Option<String>,
    /// When they registered.
    pub registered_at: DateTime<Utc>,
}

/// R3: the registrations waiting for `access`'s decision, oldest first, limited in SQL to the
/// scope of [`Right::ApproveRegistrations`].
pub async fn pending(db: &DatabaseConnection, access: &Permit) -> crate::Result<Vec<Pending>> {
    if !access.has(Right::ApproveRegistrations) {
        return Err(Error::Forbidden(
            "approving registrations needs the right `approve_registrations`".into(),
        ));
    }
    let scope = access.scope(db, Right::ApproveRegistrations).await?;
    let rows = access
        .tenant()
        .find::<users::Entity>()
        .filter(users::Column::RegistrationState.eq(state::PENDING_APPROVAL))
        .filter(scope.users_condition())
        .order_by_asc(users::Column::CreatedAt)
        .all(db)
        .await?;
    let units = access
        .tenant()
        .find::<organisation_units::Entity>()
        .all(db)
        .await?;
    let orgs = access
        .tenant()
        .find::<organisations::Entity>()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|u| Pending {
            user_id: u.id,
            name: [
                Some(u.first_name.as_str()),
                u.middle_name.as_deref(),
                Some(u.last_name.as_str()),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" "),
            login: u.login,
            email: u.email,
            organisation: u
                .organisation_id
                .and_then(|id| orgs.iter().find(|o| o.id == id))
                .map(|o| o.name.clone()),
            organisation_unit: u
                .organisation_unit_id
                .and_then(|id| units.iter().find(|o| o.id == id))
                .map(|o| o.name.clone()),
            registered_at: u.created_at,
        })
        .collect())
}

/// An approver's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The account becomes active.
    Approve,
    /// The account stays unusable; the reason is mailed to the registrant.
    Reject {
        /// Free text, may be empty.
        reason: String,
    },
}

/// R3: decides on one waiting registration. A registration outside the approver's scope, or
/// not waiting, is "not found" (no existence leak). The registrant gets a mail with the
/// outcome; an approved registrant without a password also gets a set-password link.
pub async fn decide(
    db: &DatabaseConnection,
    access: &Permit,
    user_id: Uuid,
    decision: Decision,
) -> crate::Result<()> {
    if !access.has(Right::ApproveRegistrations) {
        return Err(Error::Forbidden(
            "approving registrations needs the right `approve_registrations`".into(),
        ));
    }
    let scope = access.scope(db, Right::ApproveRegistrations).await?;
    let user = access
        .tenant()
        .find_by_id::<users::Entity>(user_id)
        .filter(users::Column::RegistrationState.eq(state::PENDING_APPROVAL))
        .filter(scope.users_condition())
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("registration".into()))?;
    let needs_password = user.password_hash.is_none();
    let (new_state, outcome, reason) = match &decision {
        Decision::Approve => (state::ACTIVE, "approved", None),
        Decision::Reject { reason } => (
            state::REJECTED,
            "rejected",
            Some(reason.trim().chars().take(1000).collect::<String>()).filter(|r| !r.is_empty()),
        ),
    };
    let txn = crate::store::begin_write(db).await?;
    let updated = access
        .tenant()
        .update_many::<users::Entity>()
        .col_expr(
            users::Column::RegistrationState,
            sea_orm::sea_query::Expr::value(new_state),
        )
        .col_expr(
            users::Column::Active,
            sea_orm::sea_query::Expr::value(decision == Decision::Approve),
        )
        .col_expr(
            users::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(users::Column::Id.eq(user.id))
        .filter(users::Column::RegistrationState.eq(state::PENDING_APPROVAL))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        // Decided by another approver meanwhile.
        return Err(Error::Conflict(
            "this registration was decided already".into(),
        ));
    }
    audit::record(
        &txn,
        access.ctx(),
        Change {
            entity: "user",
            entity_id: Some(user.id),
            action: if outcome == "approved" {
                "registration_approved"
            } else {
                "registration_rejected"
            },
            before: Some(json!({ "registration_state": state::PENDING_APPROVAL })),
            after: Some(json!({ "registration_state": new_state, "reason": reason })),
        },
    )
    .await?;
    queue(
        &txn,
        access.tenant(),
        job::OUTCOME,
        user.id,
        json!({ "user_id": user.id, "outcome": outcome, "reason": reason }),
    )
    .await?;
    if outcome == "approved" && needs_password {
        queue_set_password_mails(&txn, access.tenant(), &[user.id]).await?;
    }
    txn.commit().await?;
    Ok(())
}
