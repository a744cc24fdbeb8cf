//! `tenants`: one row per customer tenant, applied from its descriptor (T1, T2).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A customer tenant.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "tenants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// URL-safe identifier, unique system-wide (`tenants/<slug>.yaml`).
    pub slug: String,
    pub name: String,
    pub default_language: String,
    /// Languages offered, from the descriptor.
    #[sea_orm(column_type = "JsonBinary")]
    pub languages: Json,
    /// Login page, registration, features and quota from the descriptor.
    #[sea_orm(column_type = "JsonBinary")]
    pub settings: Json,
    /// The applied descriptor, as JSON.
    #[sea_orm(column_type = "JsonBinary")]
    pub descriptor: Json,
    /// Hash of the applied descriptor, to make applying idempotent.
    pub descriptor_hash: String,
    /// Bumped on every policy change so other instances reload the tenant's casbin policy.
    pub policy_version: i64,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// `tenants` references no other table.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
