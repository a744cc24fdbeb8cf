//! The tenant's reference data an import resolves codes against, loaded once per file:
//! settings (quota, features, languages, password policy), organisation units with their
//! external-id namespace (T3), organisations, departments, user groups, enrollment profiles,
//! catalogs, and the superior role (U7).

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};
use uuid::Uuid;

use crate::store::TenantId;
use crate::store::entity::{
    catalogs, departments, enrollment_profiles, organisation_units, organisations, roles,
    user_groups,
};
use crate::tenancy::{Tenant, TenantSettings};

/// Codes ↔ ids of one kind of object.
#[derive(Debug, Clone, Default)]
pub struct Codes {
    by_code: HashMap<String, Uuid>,
    by_id: HashMap<Uuid, String>,
}

impl Codes {
    fn insert(&mut self, code: &str, id: Uuid) {
        self.by_code.insert(code.to_owned(), id);
        self.by_id.insert(id, code.to_owned());
    }

    /// The id of `code`.
    pub fn id(&self, code: &str) -> Option<Uuid> {
        self.by_code.get(code).copied()
    }

    /// The code of `id`.
    pub fn code(&self, id: Uuid) -> Option<&str> {
        self.by_id.get(&id).map(String::as_str)
    }

    /// How many there are.
    pub fn id_count(&self) -> usize {
        self.by_id.len()
    }

    /// The id, when there is exactly one.
    pub fn only(&self) -> Option<Uuid> {
        match self.by_id.len() {
            1 => self.by_id.keys().next().copied(),
            _ => None,
        }
    }
}

/// A department (U8).
#[derive(Debug, Clone)]
pub struct Department {
    /// Its id.
    pub id: Uuid,
    /// Its organisation.
    pub organisation_id: Uuid,
    /// Display name.
    pub name: String,
    /// Parent department (the extra organisation layer).
    pub parent_id: Option<Uuid>,
    /// X9: a tenant descriptor declares it; imports leave its name and parent as declared.
    pub managed: bool,
}

/// Everything an import looks codes up in.
#[derive(Debug, Clone)]
pub struct Refs {
    /// The tenant.
    pub tenant: TenantId,
    /// Its slug.
    pub slug: String,
    /// Its name.
    pub name: String,
    /// Language of users without one.
    pub default_language: String,
    /// Languages users may have.
    pub languages: Vec<String>,
    /// Quota, features, password policy.
    pub settings: TenantSettings,
    /// Organisation units.
    pub units: Codes,
    /// T3: unit id → its external-id namespace (`""`, or the nearest sub-tenant's id).
    pub unit_namespace: HashMap<Uuid, String>,
    /// Organisations.
    pub organisations: Codes,
    /// Departments by code.
    pub departments: HashMap<String, Department>,
    /// Department id → code.
    pub department_codes: HashMap<Uuid, String>,
    /// User groups (G1).
    pub groups: Codes,
    /// Enrollment profiles (I5).
    pub profiles: Codes,
    /// Catalogs (U1, B4).
    pub catalogs: Codes,
    /// U7: the portal role whose holders may be superiors.
    pub superior_role: Option<Uuid>,
}

impl Refs {
    /// Loads the reference data of `tenant`.
    pub async fn load<C: ConnectionTrait>(db: &C, tenant: TenantId) -> crate::Result<Self> {
        // The tenant context's one parser: a bad stored setting fails the import.
        let t = Tenant::load(db, tenant).await?;

        let unit_rows = tenant.find::<organisation_units::Entity>().all(db).await?;
        let mut units = Codes::default();
        let by_id: HashMap<Uuid, &organisation_units::Model> =
            unit_rows.iter().map(|u| (u.id, u)).collect();
        let mut unit_namespace = HashMap::new();
        for u in &unit_rows {
            units.insert(&u.code, u.id);
            unit_namespace.insert(u.id, namespace_of(u.id, &by_id));
        }

        let mut organisations = Codes::default();
        for o in tenant.find::<organisations::Entity>().all(db).await? {
            organisations.insert(&o.code, o.id);
        }
        let mut departments = HashMap::new();
        let mut department_codes = HashMap::new();
        for d in tenant.find::<departments::Entity>().all(db).await? {
            department_codes.insert(d.id, d.code.clone());
            departments.insert(
                d.code,
                Department {
                    id: d.id,
                    organisation_id: d.organisation_id,
                    name: d.name,
                    parent_id: d.parent_id,
                    managed: d.managed_by.is_some(),
                },
            );
        }
        let mut groups = Codes::default();
        for g in tenant.find::<user_groups::Entity>().all(db).await? {
            groups.insert(&g.code, g.id);
        }
        let mut profiles = Codes::default();
        for p in tenant.find::<enrollment_profiles::Entity>().all(db).await? {
            profiles.insert(&p.code, p.id);
        }
        let mut catalogs = Codes::default();
        for c in tenant.find::<catalogs::Entity>().all(db).await? {
            catalogs.insert(&c.code, c.id);
        }
        let portal_roles = tenant
            .find::<roles::Entity>()
            .filter(roles::Column::Kind.eq("portal"))
            .filter(roles::Column::Scope.eq("assigned_learners"))
            .all(db)
            .await?;
        let superior_role = portal_roles
            .iter()
            .find(|r| r.code == "superior")
            .or(portal_roles.first())
            .map(|r| r.id);
        Ok(Self {
            tenant,
            slug: t.slug,
            name: t.name,
            default_language: t.default_language,
            languages: t.languages,
            settings: t.settings,
            units,
            unit_namespace,
            organisations,
            departments,
            department_codes,
            groups,
            profiles,
            catalogs,
            superior_role,
        })
    }

    /// T3: the external-id namespace of users in `unit` (`None`: the tenant level, `""`).
    pub fn namespace(&self, unit: Option<Uuid>) -> &str {
        unit.and_then(|u| self.unit_namespace.get(&u))
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// T3: the nearest sub-tenant at or above `unit`, as the namespace string; `""` when there
/// is none (the unit is part of the tenant).
fn namespace_of(unit: Uuid, by_id: &HashMap<Uuid, &organisation_units::Model>) -> String {
    let mut current = Some(unit);
    let mut steps = 0;
    while let Some(id) = current {
        let Some(u) = by_id.get(&id) else { break };
        if u.is_sub_tenant {
            return id.to_string();
        }
        current = u.parent_id;
        steps += 1;
        if steps > by_id.len() {
            break; // a cycle cannot be applied from a descriptor; never loop on bad data
        }
    }
    String::new()
}
