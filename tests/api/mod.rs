//! The JSON API (X2), one module per resource. Built on the `world()` kit of `crate::authz`.

mod audit;
mod concurrency;
mod groups;
mod openapi;
mod organisations;
mod problems;
mod units;
mod users;

use roster::store::entity::jobs;
use sea_orm::EntityTrait;
use serde_json::Value;

use crate::authz::{World, world};

/// A tenant for the user, group and audit API tests; `{features}` is replaced by the
/// tenant's feature switches.
const PEOPLE: &str = r#"slug: acme
name: Acme
default_language: en
languages: [en, nl]
features: {features}
catalogs:
  - {code: A, name: Catalog A}
  - {code: B, name: Catalog B}
organisations:
  - code: ACME
    name: Acme Holding
    departments:
      - {code: SALES, name: Sales}
      - {code: HRM, name: Human resources}
  - {code: BETA, name: Beta Logistics}
organisation_units:
  - {code: ROOT, name: Acme}
  - {code: EU, name: Europe, parent: ROOT, sub_tenant: true}
  - {code: NL, name: Netherlands, parent: EU}
  - {code: US, name: United States, parent: ROOT}
roles:
  - {code: customer_admin, name: Customer admin, administrator: true}
  - {code: sub_tenant_admin, name: Sub-tenant admin, scope: subtree, rights: [users, user_groups, audit]}
  - {code: helpdesk, name: Helpdesk, rights: [users]}
  - {code: learner, name: Learner, kind: portal, scope: self}
  - {code: superior, name: Superior, kind: portal, scope: assigned_learners, rights: [reports]}
user_groups:
  - {code: sales, name: Sales team}
  - {code: empty, name: Empty group}
enrollment_profiles:
  - {code: onboarding, name: Onboarding}
"#;

/// The people tenant with `features` (YAML flow mapping) and a customer admin's token.
pub async fn people(features: &str) -> (World, String) {
    let w = world(&PEOPLE.replace("{features}", features)).await;
    let (_, token) = w.admin("boss", "customer_admin", None, None).await;
    (w, token)
}

/// The field names of a 422 problem.
pub fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The message for `field` in a 422 problem.
pub fn message(problem: &Value, field: &str) -> String {
    problem["errors"]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["field"] == field))
        .and_then(|e| e["message"].as_str())
        .unwrap_or_default()
        .to_owned()
}

/// Queued jobs of `kind` whose payload names `user`.
pub async fn jobs_for(w: &World, kind: &str, user: &str) -> usize {
    jobs::Entity::find()
        .all(&w.t.db)
        .await
        .expect("jobs")
        .into_iter()
        .filter(|j| j.kind == kind && j.payload["user_id"] == user)
        .count()
}
