//! T4: rows of one tenant are never returned, changed or deleted when acting as another.

use std::path::Path;

use chrono::Utc;
use roster::store::TenantId;
use roster::store::entity::{catalogs, users};
use roster::tenancy::apply::apply;
use roster::tenancy::parse_descriptor;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, QueryFilter};
use uuid::Uuid;

use crate::util::{MINIMAL, TestDb};

async fn tenant(t: &TestDb, slug: &str) -> TenantId {
    let text = MINIMAL.replacen("slug: acme", &format!("slug: {slug}"), 1);
    let d = parse_descriptor(Path::new(&format!("{slug}.yaml")), &text).expect("valid");
    apply(&t.db, &d).await.expect("apply").tenant
}

async fn user(t: &TestDb, tenant: TenantId, login: &str) -> Uuid {
    let now = Utc::now();
    let id = Uuid::now_v7();
    users::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant.0),
        login: Set(login.into()),
        first_name: Set("Ann".into()),
        last_name: Set("Example".into()),
        external_id: Set(Some(login.to_uppercase())),
        external_id_scope: Set(String::new()),
        email: Set(Some(format!("{login}@example.org"))),
        active: Set(true),
        must_change_password: Set(false),
        registration_state: Set("active".into()),
        self_registered: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&t.db)
    .await
    .expect("insert user");
    id
}

#[tokio::test]
async fn t4_reads_never_cross_tenants() {
    let t = TestDb::new().await;
    let a = tenant(&t, "alpha").await;
    let b = tenant(&t, "beta").await;
    let a_users = [user(&t, a, "a1").await, user(&t, a, "a2").await];
    let b_user = user(&t, b, "b1").await;

    let seen: Vec<Uuid> = a
        .find::<users::Entity>()
        .all(&t.db)
        .await
        .expect("q")
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|id| a_users.contains(id)));
    assert!(
        a.find_by_id::<users::Entity>(b_user)
            .one(&t.db)
            .await
            .expect("q")
            .is_none()
    );
    assert!(
        b.find_by_id::<users::Entity>(b_user)
            .one(&t.db)
            .await
            .expect("q")
            .is_some()
    );

    // Same catalog code in both tenants; each sees exactly its own.
    for tenant in [a, b] {
        let cats = tenant
            .find::<catalogs::Entity>()
            .filter(catalogs::Column::Code.eq("MAIN"))
            .all(&t.db)
            .await
            .expect("q");
        assert_eq!(cats.len(), 1);
        assert_eq!(cats[0].tenant_id, tenant.0);
    }
}

#[tokio::test]
async fn t4_writes_never_cross_tenants() {
    let t = TestDb::new().await;
    let a = tenant(&t, "alpha").await;
    let b = tenant(&t, "beta").await;
    user(&t, a, "a1").await;
    let b_user = user(&t, b, "b1").await;

    let updated = a
        .update_many::<users::Entity>()
        .col_expr(
            users::Column::Active,
            sea_orm::sea_query::Expr::value(false),
        )
        .exec(&t.db)
        .await
        .expect("update");
    assert_eq!(updated.rows_affected, 1);
    let deleted = a
        .delete_many::<users::Entity>()
        .filter(users::Column::Id.eq(b_user))
        .exec(&t.db)
        .await
        .expect("delete");
    assert_eq!(deleted.rows_affected, 0);
    let still = b
        .find_by_id::<users::Entity>(b_user)
        .one(&t.db)
        .await
        .expect("q")
        .expect("b's user");
    assert!(still.active, "tenant A's update must not reach tenant B");
}

#[tokio::test]
async fn u1_login_names_are_unique_system_wide_and_t3_external_ids_per_scope() {
    let t = TestDb::new().await;
    let a = tenant(&t, "alpha").await;
    let b = tenant(&t, "beta").await;
    user(&t, a, "same").await;
    let now = Utc::now();
    let dup = users::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(b.0),
        login: Set("same".into()),
        first_name: Set("B".into()),
        last_name: Set("B".into()),
        external_id_scope: Set(String::new()),
        registration_state: Set("active".into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&t.db)
    .await;
    assert!(dup.is_err(), "login names are unique across tenants");

    // The same external id twice at tenant level is refused by the database …
    let second = users::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(a.0),
        login: Set("other".into()),
        first_name: Set("C".into()),
        last_name: Set("C".into()),
        external_id: Set(Some("SAME".into())),
        external_id_scope: Set(String::new()),
        registration_state: Set("active".into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    assert!(second.clone().insert(&t.db).await.is_err());
    // … but allowed inside a sub-tenant's own namespace (T3), and in another tenant.
    let mut in_sub = second.clone();
    in_sub.external_id_scope = Set(Uuid::now_v7().to_string());
    in_sub.insert(&t.db).await.expect("sub-tenant namespace");
    // Another tenant has its own namespaces.
    let mut in_b = second;
    in_b.id = Set(Uuid::now_v7());
    in_b.tenant_id = Set(b.0);
    in_b.login = Set("other-b".into());
    in_b.insert(&t.db).await.expect("another tenant");
}
