//! Property (B4, B5, T4): for random unit trees with sub-tenants, catalogs, users and
//! administrators of every scope, each administrator lists, reads, updates and deletes exactly
//! the users in their scope, and never one outside it.

use std::collections::{BTreeSet, HashMap};

use axum::http::StatusCode;
use proptest::prelude::*;
use serde_json::json;
use uuid::Uuid;

use crate::authz::world;

#[derive(Debug, Clone)]
struct Case {
    /// parent index of unit i (always < i), and its sub-tenant flag
    units: Vec<(Option<usize>, bool)>,
    /// unit index (or none) and catalog mask (bits A, B, C) per user
    users: Vec<(Option<usize>, u8)>,
    /// role (0 tenant, 1 subtree, 2 own unit), anchor unit, catalog mask or every catalog
    admins: Vec<(u8, usize, Option<u8>)>,
}

fn case() -> impl Strategy<Value = Case> {
    (2usize..7).prop_flat_map(|n| {
        let units = (0..n)
            .map(|i| {
                let parent = if i == 0 {
                    Just(None).boxed()
                } else {
                    prop::option::weighted(0.8, 0..i).boxed()
                };
                (parent, any::<bool>())
            })
            .collect::<Vec<_>>();
        let users = prop::collection::vec((prop::option::weighted(0.85, 0..n), 0u8..8), 0..10);
        let admins =
            prop::collection::vec((0u8..3, 0..n, prop::option::weighted(0.6, 0u8..8)), 1..4);
        (units, users, admins).prop_map(|(units, users, admins)| Case {
            units,
            users,
            admins,
        })
    })
}

const CATS: [&str; 3] = ["A", "B", "C"];

fn descriptor(c: &Case) -> String {
    let mut y =
        String::from("slug: prop\nname: Prop\ndefault_language: en\nlanguages: [en]\ncatalogs:\n");
    for cat in CATS {
        y += &format!("  - {{code: {cat}, name: Catalog {cat}}}\n");
    }
    y += "organisation_units:\n";
    for (i, (parent, sub)) in c.units.iter().enumerate() {
        y += &format!("  - {{code: U{i}, name: Unit {i}, sub_tenant: {sub}");
        if let Some(p) = parent {
            y += &format!(", parent: U{p}");
        }
        y += "}\n";
    }
    y += "roles:\n  - {code: boss, name: Boss, administrator: true}\n";
    y += "  - {code: r0, name: Tenant-wide, rights: [users, export]}\n";
    y += "  - {code: r1, name: Sub-tenant admin, scope: subtree, rights: [users, export]}\n";
    y += "  - {code: r2, name: OU admin, scope: own_ou, rights: [users, export]}\n";
    y
}

fn cats(mask: u8) -> Vec<&'static str> {
    CATS.iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, c)| *c)
        .collect()
}

fn within(c: &Case, unit: usize, anchor: usize) -> bool {
    let mut at = Some(unit);
    while let Some(u) = at {
        if u == anchor {
            return true;
        }
        at = c.units[u].0;
    }
    false
}

fn expected(c: &Case, admin: (u8, usize, Option<u8>)) -> BTreeSet<usize> {
    let (role, anchor, admin_cats) = admin;
    (0..c.users.len())
        .filter(|&i| {
            let (unit, mask) = c.users[i];
            let unit_ok = match role {
                0 => true,
                1 => unit.is_some_and(|u| within(c, u, anchor)),
                _ => unit == Some(anchor),
            };
            let cat_ok = admin_cats.is_none_or(|a| mask & !a == 0);
            unit_ok && cat_ok
        })
        .collect()
}

async fn run(c: Case) {
    let w = world(&descriptor(&c)).await;
    let mut ids: Vec<Uuid> = Vec::new();
    for (i, (unit, mask)) in c.users.iter().enumerate() {
        let unit = unit.map(|u| format!("U{u}"));
        ids.push(
            w.user(&format!("user{i}"), unit.as_deref(), &cats(*mask))
                .await,
        );
    }
    let index: HashMap<Uuid, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut tokens = Vec::new();
    for (k, admin) in c.admins.iter().enumerate() {
        let (role, anchor, admin_cats) = *admin;
        let anchor_code = format!("U{anchor}");
        let unit = (role != 0).then_some(anchor_code.as_str());
        let cat_list = admin_cats.map(cats);
        let (_, token) = w
            .admin(
                &format!("admin{k}"),
                &format!("r{role}"),
                unit,
                cat_list.as_deref(),
            )
            .await;
        tokens.push(token);
    }
    for (k, admin) in c.admins.iter().enumerate() {
        let want = expected(&c, *admin);
        let token = Some(tokens[k].as_str());
        let (status, v) = w
            .call("GET", "/api/v1/prop/users?per_page=200", token, None)
            .await;
        assert_eq!(status, StatusCode::OK);
        let listed: BTreeSet<usize> = v["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|u| u["id"].as_str()?.parse::<Uuid>().ok())
            .map(|id| index[&id])
            .collect();
        assert_eq!(listed, want, "list of admin {k} {admin:?} in {c:?}");
        assert_eq!(v["total"].as_u64(), Some(want.len() as u64));
        let (status, exported) = w.call_text("GET", "/api/v1/prop/users-export", token).await;
        assert_eq!(status, StatusCode::OK);
        let exported: BTreeSet<usize> = (0..c.users.len())
            .filter(|i| {
                exported
                    .lines()
                    .any(|l| l.starts_with(&format!("user{i};")))
            })
            .collect();
        assert_eq!(exported, want, "export of admin {k}");
        for (i, id) in ids.iter().enumerate() {
            let expect = if want.contains(&i) {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            let (status, _) = w
                .call("GET", &format!("/api/v1/prop/users/{id}"), token, None)
                .await;
            assert_eq!(status, expect, "read user{i} by admin {k}");
            let (status, _) = w
                .call(
                    "PATCH",
                    &format!("/api/v1/prop/users/{id}"),
                    token,
                    Some(json!({"first_name": format!("F{k}")})),
                )
                .await;
            assert_eq!(status, expect, "update user{i} by admin {k}");
        }
    }
    // Deletion last: the first administrator deletes exactly their users.
    let want = expected(&c, c.admins[0]);
    for (i, id) in ids.iter().enumerate() {
        let expect = if want.contains(&i) {
            StatusCode::NO_CONTENT
        } else {
            StatusCode::NOT_FOUND
        };
        let (status, _) = w
            .call(
                "DELETE",
                &format!("/api/v1/prop/users/{id}"),
                Some(&tokens[0]),
                None,
            )
            .await;
        assert_eq!(status, expect, "delete user{i}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn b5_b4_every_admin_reaches_exactly_their_scope(c in case()) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        rt.block_on(run(c));
    }
}
