//! I8/I9: the `imports` row of an import: who started it, with which configuration, its state
//! (`staged` → `running` → `done` | `failed`), counts, times, and why a file was refused.

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::layout::Layout;
use super::report::Summary;
use crate::domain::{ActorKind, Ctx};
use crate::store::entity::{import_rows, imports};

/// What a new `imports` row records.
pub struct NewImport<'a> {
    /// The layout.
    pub layout: &'a Layout,
    /// File name as uploaded.
    pub file_name: &'a str,
    /// I9: the file itself, for staged imports.
    pub content: Option<Vec<u8>>,
    /// `staged` or `running`.
    pub state: &'a str,
    /// I8: mail the report to whoever started the import.
    pub mail_report: bool,
}

/// The back-office account behind `ctx`, if any.
pub fn account_of(ctx: &Ctx) -> Option<Uuid> {
    matches!(ctx.actor.kind, ActorKind::Backoffice | ActorKind::Token)
        .then_some(ctx.actor.id)
        .flatten()
}

/// Creates the `imports` row.
pub async fn begin<C: ConnectionTrait>(
    db: &C,
    ctx: &Ctx,
    new: NewImport<'_>,
) -> crate::Result<Uuid> {
    let id = Uuid::now_v7();
    let now = Utc::now();
    let running = new.state == "running";
    imports::ActiveModel {
        id: Set(id),
        tenant_id: Set(ctx.tenant.0),
        import_configuration_id: Set(new.layout.config_id),
        kind: Set(new.layout.kind.as_str().to_owned()),
        state: Set(new.state.to_owned()),
        simulate: Set(false),
        file_name: Set(new.file_name.to_owned()),
        content: Set(new.content),
        started_by_backoffice_account_id: Set(account_of(ctx)),
        mail_report: Set(new.mail_report),
        total_rows: Set(0),
        created_count: Set(0),
        updated_count: Set(0),
        unchanged_count: Set(0),
        error_count: Set(0),
        error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        started_at: Set(running.then_some(now)),
        finished_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(id)
}

/// Marks import `id` running (again, when resumed).
pub async fn start<C: ConnectionTrait>(db: &C, ctx: &Ctx, id: Uuid) -> crate::Result<()> {
    let now = Utc::now();
    ctx.tenant
        .update_many::<imports::Entity>()
        .col_expr(imports::Column::State, Expr::value("running"))
        .col_expr(
            imports::Column::StartedAt,
            Expr::col(imports::Column::StartedAt).if_null(now),
        )
        .col_expr(imports::Column::UpdatedAt, Expr::value(now))
        .filter(imports::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Records how import `id` ended. The counts come from its recorded rows, so a resumed
/// import counts every line exactly once.
pub async fn finish<C: ConnectionTrait>(
    db: &C,
    ctx: &Ctx,
    id: Uuid,
    summary: &Summary,
) -> crate::Result<()> {
    let now = Utc::now();
    // A row may report a run of records (`line_count`).
    let counts: Vec<(String, i64)> = ctx
        .tenant
        .find::<import_rows::Entity>()
        .select_only()
        .column(import_rows::Column::Outcome)
        .expr(Expr::col(import_rows::Column::LineCount).sum())
        .filter(import_rows::Column::ImportId.eq(id))
        .group_by(import_rows::Column::Outcome)
        .into_tuple()
        .all(db)
        .await?;
    let count = |outcome: &str| {
        counts
            .iter()
            .find(|(o, _)| o == outcome)
            .map_or(0, |(_, n)| u64::try_from(*n).unwrap_or_default())
    };
    let created = count("created");
    let updated = count("updated");
    let unchanged = count("unchanged");
    let errors = count("error");
    let n = |v: u64| i32::try_from(v).unwrap_or(i32::MAX);
    let state = if summary.rejected.is_some() {
        "failed"
    } else {
        "done"
    };
    ctx.tenant
        .update_many::<imports::Entity>()
        .col_expr(imports::Column::State, Expr::value(state))
        .col_expr(
            imports::Column::Error,
            Expr::value(summary.rejected.clone()),
        )
        .col_expr(
            imports::Column::TotalRows,
            Expr::value(n(created + updated + unchanged + errors)),
        )
        .col_expr(imports::Column::CreatedCount, Expr::value(n(created)))
        .col_expr(imports::Column::UpdatedCount, Expr::value(n(updated)))
        .col_expr(imports::Column::UnchangedCount, Expr::value(n(unchanged)))
        .col_expr(imports::Column::ErrorCount, Expr::value(n(errors)))
        .col_expr(imports::Column::FinishedAt, Expr::value(now))
        .col_expr(imports::Column::UpdatedAt, Expr::value(now))
        .filter(imports::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
