//! The tenant context: one typed [`Tenant`] per tenant row, parsed in one place
//! ([`Tenant::from_row`]) and shared by everything that reads a tenant's settings (the guard
//! and the permit, the user forms, imports and exports, registration, the quota, the sign-in
//! and back-office pages).
//!
//! A stored setting that does not parse is an error naming the setting
//! (`tenant `acme`: setting `registration.enabled` is unreadable: …`), never a silent default.
//! The guard reads the tenant row on every request (so a request never runs on an older row);
//! the [`Tenants`] cache keeps the parsed context per tenant (read by id or slug) until the row's
//! policy version or contents change.

use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::RwLock;
use uuid::Uuid;

use super::descriptor::{
    Branding, Features, Login, MailSettings, PasswordPolicy, Registration, TenantDescriptor,
};
use crate::store::TenantId;
use crate::store::entity::tenants;

/// Tenant behaviour stored with the tenant row (everything not kept in its own table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantSettings {
    /// I6.
    pub user_quota: Option<u32>,
    /// Feature switches.
    pub features: Features,
    /// R1.
    pub login: Login,
    /// R1: colours of the sign-in and portal pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branding: Option<Branding>,
    /// R2–R6.
    pub registration: Registration,
    /// R7.
    pub password_policy: PasswordPolicy,
    /// J2.
    pub mail: MailSettings,
}

impl TenantSettings {
    /// The settings `d` stores with its tenant row (the writing side, used by apply).
    pub(crate) fn of(d: &TenantDescriptor) -> Self {
        Self {
            user_quota: d.user_quota,
            features: d.features.clone(),
            login: d.login.clone(),
            branding: d.branding,
            registration: d.registration.clone(),
            password_policy: d.password_policy.clone(),
            mail: d.mail.clone(),
        }
    }

    /// The one reader of stored settings: an error names the setting that does not parse.
    pub fn parse(slug: &str, stored: &Value) -> crate::Result<Self> {
        serde_path_to_error::deserialize(stored).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let what = if path.is_empty() || path == "." {
                "its settings are unreadable".to_owned()
            } else {
                format!("setting `{path}` is unreadable")
            };
            crate::Error::Internal(anyhow::anyhow!("tenant `{slug}`: {what}: {inner}"))
        })
    }
}

/// One tenant as every request, job and command sees it: typed, parsed once.
#[derive(Debug, Clone)]
pub struct Tenant {
    /// Its id.
    pub id: TenantId,
    /// URL-safe identifier.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Language of visitors and users without one.
    pub default_language: String,
    /// Languages offered.
    pub languages: Vec<String>,
    /// Quota, features, login, registration, password policy, mail.
    pub settings: TenantSettings,
    /// The casbin policy version this context was read at (B3).
    pub policy_version: i64,
    /// Whether the tenant is active.
    pub active: bool,
}

impl Tenant {
    /// The one parser of a tenant row: a bad stored setting or language list is an error.
    pub fn from_row(row: &tenants::Model) -> crate::Result<Self> {
        let settings = TenantSettings::parse(&row.slug, &row.settings)?;
        let languages: Vec<String> =
            serde_json::from_value(row.languages.clone()).map_err(|e| {
                crate::Error::Internal(anyhow::anyhow!(
                    "tenant `{}`: setting `languages` is unreadable: {e}",
                    row.slug
                ))
            })?;
        Ok(Self {
            id: TenantId(row.id),
            slug: row.slug.clone(),
            name: row.name.clone(),
            default_language: row.default_language.clone(),
            languages,
            settings,
            policy_version: row.policy_version,
            active: row.active,
        })
    }

    /// Reads and parses the row of `tenant` (404 when there is none).
    pub async fn load<C: ConnectionTrait>(db: &C, tenant: TenantId) -> crate::Result<Self> {
        let row = tenants::Entity::find_by_id(tenant.0)
            .one(db)
            .await?
            .ok_or_else(|| crate::Error::NotFound("tenant".into()))?;
        Self::from_row(&row)
    }

    /// Whether the tenant offers `language`.
    pub fn offers(&self, language: &str) -> bool {
        self.languages.iter().any(|l| l == language)
    }
}

/// What a cached context was parsed from: when any of it differs, the row changed.
#[derive(PartialEq)]
struct Stamp {
    policy_version: i64,
    updated_at: chrono::DateTime<chrono::Utc>,
    slug: String,
    name: String,
    default_language: String,
    active: bool,
    languages: Value,
    settings: Value,
}

impl Stamp {
    fn of(row: &tenants::Model) -> Self {
        Self {
            policy_version: row.policy_version,
            updated_at: row.updated_at,
            slug: row.slug.clone(),
            name: row.name.clone(),
            default_language: row.default_language.clone(),
            active: row.active,
            languages: row.languages.clone(),
            settings: row.settings.clone(),
        }
    }
}

/// This instance's parsed tenant contexts, by tenant id (a row read by slug finds its id).
#[derive(Default)]
pub struct Tenants {
    by_id: RwLock<HashMap<Uuid, (Stamp, Arc<Tenant>)>>,
}

impl Tenants {
    /// The context of the row just read: the cached one while the row (its policy version,
    /// settings, languages …) is unchanged, else parsed anew and cached.
    pub async fn of_row(&self, row: &tenants::Model) -> crate::Result<Arc<Tenant>> {
        let stamp = Stamp::of(row);
        if let Some((s, t)) = self.by_id.read().await.get(&row.id)
            && *s == stamp
        {
            return Ok(t.clone());
        }
        let tenant = Arc::new(Tenant::from_row(row)?);
        self.by_id
            .write()
            .await
            .insert(row.id, (stamp, tenant.clone()));
        Ok(tenant)
    }

    /// The active tenant with `slug`, read fresh and parsed through the cache (404 when none).
    pub async fn by_slug<C: ConnectionTrait>(
        &self,
        db: &C,
        slug: &str,
    ) -> crate::Result<(tenants::Model, Arc<Tenant>)> {
        let row = tenants::Entity::find()
            .filter(tenants::Column::Slug.eq(slug))
            .filter(tenants::Column::Active.eq(true))
            .one(db)
            .await?
            .ok_or_else(|| crate::Error::NotFound("tenant".into()))?;
        let tenant = self.of_row(&row).await?;
        Ok((row, tenant))
    }

    /// The tenant `id`, read fresh and parsed through the cache (404 when none).
    pub async fn by_id<C: ConnectionTrait>(
        &self,
        db: &C,
        id: TenantId,
    ) -> crate::Result<Arc<Tenant>> {
        let row = tenants::Entity::find_by_id(id.0)
            .one(db)
            .await?
            .ok_or_else(|| crate::Error::NotFound("tenant".into()))?;
        self.of_row(&row).await
    }

    /// Drops the context of `tenant` (its policy changed); the next read parses it anew.
    pub async fn invalidate(&self, tenant: Uuid) {
        self.by_id.write().await.remove(&tenant);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(settings: Value) -> tenants::Model {
        let d: TenantDescriptor =
            serde_yaml::from_str("slug: acme\nname: Acme\ndefault_language: en\nlanguages: [en]\n")
                .expect("descriptor");
        let mut stored = serde_json::to_value(TenantSettings::of(&d)).expect("settings");
        if let (Value::Object(s), Value::Object(patch)) = (&mut stored, settings) {
            for (k, v) in patch {
                s.insert(k, v);
            }
        }
        tenants::Model {
            id: Uuid::nil(),
            slug: "acme".into(),
            name: "Acme".into(),
            default_language: "en".into(),
            languages: json!(["en"]),
            settings: stored,
            descriptor: json!({}),
            descriptor_hash: String::new(),
            policy_version: 1,
            active: true,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn tenant_settings_as_applied_parse() {
        let t = Tenant::from_row(&row(json!({"user_quota": 5}))).expect("parses");
        assert_eq!(t.settings.user_quota, Some(5));
        assert!(t.offers("en"));
    }

    #[tokio::test]
    async fn tenant_cache_reparses_when_the_row_changes() {
        let cache = Tenants::default();
        let mut r = row(json!({}));
        let first = cache.of_row(&r).await.expect("first");
        assert!(Arc::ptr_eq(&first, &cache.of_row(&r).await.expect("again")));
        r.policy_version = 2;
        let moved = cache.of_row(&r).await.expect("moved");
        assert!(!Arc::ptr_eq(&first, &moved));
        assert_eq!(moved.policy_version, 2);
        r.settings["user_quota"] = json!("lots");
        assert!(cache.of_row(&r).await.is_err());
    }
}
