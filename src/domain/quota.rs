//! I6: the tenant's user quota (`user_quota` in the descriptor, kept in the tenant's
//! settings). One check for every way a user is created — the API and the back office
//! (`people::create`), self-registration (`registration`), imports (`import`, which counts
//! with its identity index and states the refusal with [`refusal`]) — so that a refusal reads
//! the same everywhere and says how many seats are left.

use sea_orm::sea_query::LockType;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect,
};

use crate::error::Error;
use crate::store::TenantId;
use crate::store::entity::{tenants, users};
use crate::tenancy::Tenant;

/// I6: why adding `adding` users to a tenant that holds `have` of at most `quota` is refused,
/// or `None` when they fit.
pub fn refusal(quota: u64, have: u64, adding: u64) -> Option<String> {
    if have.saturating_add(adding) <= quota {
        return None;
    }
    let left = quota.saturating_sub(have);
    let seats = |n: u64| if n == 1 { "seat" } else { "seats" };
    Some(if left == 0 {
        format!("the tenant's user quota of {quota} is reached (0 seats left)")
    } else {
        let over = have + adding - quota;
        format!(
            "the tenant's user quota of {quota} would be exceeded by {over}: {adding} new users, {left} {} left",
            seats(left)
        )
    })
}

/// I6: the tenant's quota, if it has one.
pub async fn quota_of<C: ConnectionTrait>(db: &C, tenant: TenantId) -> crate::Result<Option<u64>> {
    let mut find = tenants::Entity::find_by_id(tenant.0);
    if db.get_database_backend() == DatabaseBackend::Postgres {
        // Creations in one tenant take turns, so two of them cannot both take the last seat
        // (on SQLite the write transaction, begun IMMEDIATE, already does).
        find = find.lock(LockType::Update);
    }
    let Some(t) = find.one(db).await? else {
        return Err(Error::NotFound("tenant".into()));
    };
    Ok(Tenant::from_row(&t)?.settings.user_quota.map(u64::from))
}

/// I6: refuses (409, saying how many seats are left) when `adding` more users would take the
/// tenant past its quota. Call it inside the transaction that creates them.
pub async fn ensure_seats<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    adding: u64,
) -> crate::Result<()> {
    let Some(quota) = quota_of(db, tenant).await? else {
        return Ok(());
    };
    let have = users::Entity::find()
        .filter(users::Column::TenantId.eq(tenant.0))
        .count(db)
        .await?;
    match refusal(quota, have, adding) {
        Some(why) => Err(Error::Conflict(why)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::refusal;

    #[test]
    fn i6_refusals_say_how_many_seats_are_left() {
        assert_eq!(refusal(3, 2, 1), None);
        assert_eq!(
            refusal(3, 3, 1).as_deref(),
            Some("the tenant's user quota of 3 is reached (0 seats left)")
        );
        assert_eq!(
            refusal(3, 1, 3).as_deref(),
            Some("the tenant's user quota of 3 would be exceeded by 1: 3 new users, 2 seats left")
        );
        assert_eq!(
            refusal(3, 2, 2).as_deref(),
            Some("the tenant's user quota of 3 would be exceeded by 1: 2 new users, 1 seat left")
        );
        assert_eq!(
            refusal(3, 5, 1).as_deref(),
            Some("the tenant's user quota of 3 is reached (0 seats left)")
        );
    }
}
