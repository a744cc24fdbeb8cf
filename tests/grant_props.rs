//! Property (issue 17, B3–B5): random organisation trees, accounts with random roles, anchors
//! and catalogs, and random sequences of grant / re-anchor / set-catalogs / set-rights /
//! create-account operations by random actors. After every step:
//! - every operation the domain accepted was legitimate by an independent model of "nobody
//!   grants more than they hold" (computed over unit indices, not by the code under test);
//! - every account's stored reach for `users` equals the model's, which changes only through
//!   those legitimate operations — so no account sees a user beyond what was legitimately given.
//!
//! CI runs the default number of cases (256, or `PROPTEST_CASES`); one database serves a run,
//! a fresh tenant each case.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use roster::auth::principal::{Principal, PrincipalKind};
use roster::authz::permit::scope_for;
use roster::authz::{Permit, Right};
use roster::domain::Source;
use roster::domain::backoffice::{self, NewAccount, RoleGrant};
use roster::domain::roles::{self, NewRole};
use roster::store::TenantId;
use roster::store::entity::{catalogs, organisation_units};
use roster::tenancy::{apply::apply, parse_descriptor};
use uuid::Uuid;

use crate::util::TestDb;

/// (code, scope, rights); index 0 is the administrator role of the descriptor, the others are
/// made at run time (so their rights may be edited).
const ROLES: [(&str, &str, &[Right]); 5] = [
    ("admin", "tenant", &[]),
    ("region", "subtree", &[Right::Users, Right::BackofficeUsers]),
    ("unit", "own_ou", &[Right::Users, Right::BackofficeUsers]),
    ("viewer", "tenant", &[Right::Users]),
    ("keeper", "tenant", &[Right::Roles, Right::BackofficeUsers]),
];
const CATALOGS: [&str; 3] = ["A", "B", "C"];
const EDITABLE: [Right; 4] = [
    Right::Users,
    Right::BackofficeUsers,
    Right::Roles,
    Right::Export,
];

type Grants = Vec<(usize, usize)>;

#[derive(Debug, Clone)]
enum Op {
    SetRoles {
        actor: usize,
        target: usize,
        grants: Grants,
    },
    SetCatalogs {
        actor: usize,
        target: usize,
        all: bool,
        cats: [bool; 3],
    },
    SetRights {
        actor: usize,
        role: usize,
        rights: [bool; 4],
    },
    Create {
        actor: usize,
        grants: Grants,
        all: bool,
        cats: [bool; 3],
    },
}

#[derive(Debug, Clone)]
struct Case {
    /// Parent of unit i+1 (unit 0 is the root).
    parents: Vec<usize>,
    accounts: Vec<(Grants, bool, [bool; 3])>,
    ops: Vec<Op>,
}

fn grants() -> impl Strategy<Value = Grants> {
    prop::collection::vec((0..ROLES.len(), 0..8usize), 1..3)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..8usize, 0..8usize, grants()).prop_map(|(actor, target, grants)| Op::SetRoles {
            actor,
            target,
            grants
        }),
        (0..8usize, 0..8usize, any::<bool>(), any::<[bool; 3]>()).prop_map(
            |(actor, target, all, cats)| Op::SetCatalogs {
                actor,
                target,
                all,
                cats
            }
        ),
        (0..8usize, 1..ROLES.len(), any::<[bool; 4]>()).prop_map(|(actor, role, rights)| {
            Op::SetRights {
                actor,
                role,
                rights,
            }
        }),
        (0..8usize, grants(), any::<bool>(), any::<[bool; 3]>()).prop_map(
            |(actor, grants, all, cats)| Op::Create {
                actor,
                grants,
                all,
                cats
            }
        ),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    let parents = (1..7usize).prop_flat_map(|n| (0..n).map(|i| 0..=i).collect::<Vec<_>>());
    (
        parents,
        prop::collection::vec((grants(), any::<bool>(), any::<[bool; 3]>()), 2..5),
        prop::collection::vec(op(), 1..12),
    )
        .prop_map(|(parents, accounts, ops)| Case {
            parents,
            accounts,
            ops,
        })
}

/// The independent model: unit indices, role rights, and each account's grants and catalogs.
#[derive(Debug, Clone)]
struct Model {
    parents: Vec<usize>,
    rights: Vec<BTreeSet<Right>>,
    accounts: Vec<Account>,
}

#[derive(Debug, Clone)]
struct Account {
    id: Uuid,
    login: String,
    grants: Vec<(usize, Option<usize>)>,
    all: bool,
    cats: BTreeSet<usize>,
}

/// Units reached: `None` = the whole tenant.
type Units = Option<BTreeSet<usize>>;

impl Model {
    fn units(&self) -> usize {
        self.parents.len() + 1
    }

    fn below(&self, unit: usize) -> BTreeSet<usize> {
        let mut out = BTreeSet::from([unit]);
        loop {
            let more: Vec<usize> = (1..self.units())
                .filter(|u| out.contains(&self.parents[u - 1]) && !out.contains(u))
                .collect();
            if more.is_empty() {
                return out;
            }
            out.extend(more);
        }
    }

    /// What one grant reaches.
    fn grant_units(&self, role: usize, unit: Option<usize>) -> Units {
        match (ROLES[role].1, unit) {
            ("subtree", Some(u)) => Some(self.below(u)),
            ("own_ou", Some(u)) => Some(BTreeSet::from([u])),
            _ => None,
        }
    }

    fn is_admin(&self, a: usize) -> bool {
        self.accounts[a].grants.iter().any(|(r, _)| *r == 0)
    }

    fn holds(&self, a: usize, right: Right) -> bool {
        self.is_admin(a)
            || self.accounts[a]
                .grants
                .iter()
                .any(|(r, _)| self.rights[*r].contains(&right))
    }

    fn rights_of(&self, a: usize) -> Vec<Right> {
        Right::ALL
            .into_iter()
            .filter(|r| self.holds(a, *r))
            .collect()
    }

    /// The units account `a` reaches with `right`; `None` when it does not hold it.
    fn reach(&self, a: usize, right: Right) -> Option<Units> {
        let mut units = BTreeSet::new();
        let mut any = false;
        for (r, u) in &self.accounts[a].grants {
            if *r != 0 && !self.rights[*r].contains(&right) {
                continue;
            }
            any = true;
            match self.grant_units(*r, *u) {
                None => return Some(None),
                Some(set) => units.extend(set),
            }
        }
        any.then_some(Some(units))
    }

    fn covers(held: &Units, wanted: &Units) -> bool {
        match (held, wanted) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(h), Some(w)) => w.is_subset(h),
        }
    }

    fn catalogs_within(&self, a: usize, all: bool, cats: &BTreeSet<usize>) -> bool {
        let me = &self.accounts[a];
        me.all || (!all && cats.is_subset(&me.cats))
    }

    fn may_grant(&self, a: usize, role: usize, unit: Option<usize>) -> bool {
        if role == 0 {
            return self.is_admin(a);
        }
        let wanted = self.grant_units(role, unit);
        self.rights[role].iter().all(|right| {
            self.reach(a, *right)
                .is_some_and(|held| Self::covers(&held, &wanted))
        })
    }

    fn sees_account(&self, a: usize, t: usize) -> bool {
        if self.is_admin(a) {
            return true;
        }
        let target = &self.accounts[t];
        !self.is_admin(t)
            && target.grants.iter().all(|(r, u)| self.may_grant(a, *r, *u))
            && self.catalogs_within(a, target.all, &target.cats)
    }
}

static CASE: AtomicUsize = AtomicUsize::new(0);
static ACCEPTED: AtomicUsize = AtomicUsize::new(0);

fn descriptor(slug: &str, parents: &[usize]) -> String {
    let mut d = format!(
        "slug: {slug}\nname: P\ndefault_language: en\nlanguages: [en]\ncatalogs:\n  - {{code: A, name: A}}\n  - {{code: B, name: B}}\n  - {{code: C, name: C}}\norganisation_units:\n  - {{code: U0, name: U0}}\n"
    );
    for (i, p) in parents.iter().enumerate() {
        d.push_str(&format!(
            "  - {{code: U{}, name: U{}, parent: U{p}}}\n",
            i + 1,
            i + 1
        ));
    }
    d.push_str("roles:\n  - {code: admin, name: Admin, administrator: true}\n");
    d
}

fn role_grants(m: &Model, grants: &Grants) -> (Vec<RoleGrant>, Vec<(usize, Option<usize>)>) {
    let mut out = Vec::new();
    let mut model = Vec::new();
    for (r, u) in grants {
        let unit = (ROLES[*r].1 != "tenant").then_some(u % m.units());
        if model.contains(&(*r, unit)) {
            continue;
        }
        out.push(RoleGrant {
            role: ROLES[*r].0.into(),
            unit: unit.map(|u| format!("U{u}")),
        });
        model.push((*r, unit));
    }
    (out, model)
}

fn catalog_codes(cats: &[bool; 3]) -> (Vec<String>, BTreeSet<usize>) {
    let set: BTreeSet<usize> = (0..3).filter(|i| cats[*i]).collect();
    (set.iter().map(|i| CATALOGS[*i].to_owned()).collect(), set)
}

async fn run_case(db: &TestDb, case: Case) -> Result<(), TestCaseError> {
    let n = CASE.fetch_add(1, Ordering::SeqCst);
    let slug = format!("p{n}");
    let text = descriptor(&slug, &case.parents);
    let d = parse_descriptor(Path::new(&format!("{slug}.yaml")), &text).expect("descriptor");
    let tenant: TenantId = apply(&db.db, &d).await.expect("apply").tenant;
    let operator = Permit::operator(tenant, "prop");
    for (code, scope, rights) in &ROLES[1..] {
        roles::create(
            &db.db,
            &operator,
            NewRole {
                code: (*code).into(),
                name: (*code).into(),
                scope: (*scope).into(),
                rights: rights.iter().map(|r| r.as_str().to_owned()).collect(),
            },
        )
        .await
        .expect("role");
    }
    let unit_ids: BTreeMap<String, Uuid> = tenant
        .find::<organisation_units::Entity>()
        .all(&db.db)
        .await
        .expect("units")
        .into_iter()
        .map(|u| (u.code, u.id))
        .collect();
    let catalog_ids: BTreeMap<String, Uuid> = tenant
        .find::<catalogs::Entity>()
        .all(&db.db)
        .await
        .expect("catalogs")
        .into_iter()
        .map(|c| (c.code, c.id))
        .collect();
    let mut m = Model {
        parents: case.parents.clone(),
        rights: ROLES
            .iter()
            .map(|(_, _, r)| r.iter().copied().collect())
            .collect(),
        accounts: Vec::new(),
    };
    for (i, (grants, all, cats)) in case.accounts.iter().enumerate() {
        let (roles, model_grants) = role_grants(&m, grants);
        let (codes, set) = catalog_codes(cats);
        let login = format!("{slug}-a{i}");
        let a = backoffice::create(
            &db.db,
            &operator,
            NewAccount {
                login: login.clone(),
                first_name: "A".into(),
                last_name: "A".into(),
                roles,
                catalogs: codes,
                all_catalogs: *all,
                ..Default::default()
            },
        )
        .await
        .expect("account");
        m.accounts.push(Account {
            id: a.id,
            login,
            grants: model_grants,
            all: *all,
            cats: set,
        });
    }
    check_reach(db, tenant, &slug, &m, &unit_ids, &catalog_ids).await?;

    for (step, op) in case.ops.iter().enumerate() {
        let count = m.accounts.len();
        let permit_of = |a: usize| {
            let acc = &m.accounts[a];
            Permit::for_principal(
                Principal {
                    tenant_id: tenant.0,
                    tenant_slug: slug.clone(),
                    kind: PrincipalKind::Backoffice,
                    id: acc.id,
                    login: acc.login.clone(),
                    must_change_password: false,
                    via_token: false,
                },
                m.rights_of(a),
                Source::Api,
                None,
            )
        };
        match op {
            Op::SetRoles {
                actor,
                target,
                grants,
            } => {
                let (a, t) = (actor % count, target % count);
                let (roles, model_grants) = role_grants(&m, grants);
                let result =
                    backoffice::set_roles(&db.db, &permit_of(a), m.accounts[t].id, &roles, false)
                        .await;
                if result.is_ok() {
                    let legit = m.holds(a, Right::BackofficeUsers)
                        && m.sees_account(a, t)
                        && model_grants.iter().all(|(r, u)| m.may_grant(a, *r, *u));
                    prop_assert!(legit, "step {step}: accepted {op:?} in {m:?}");
                    m.accounts[t].grants = model_grants;
                    ACCEPTED.fetch_add(1, Ordering::Relaxed);
                }
            }
            Op::SetCatalogs {
                actor,
                target,
                all,
                cats,
            } => {
                let (a, t) = (actor % count, target % count);
                let (codes, set) = catalog_codes(cats);
                let result =
                    backoffice::set_catalogs(&db.db, &permit_of(a), m.accounts[t].id, *all, &codes)
                        .await;
                if result.is_ok() {
                    let legit = m.holds(a, Right::BackofficeUsers)
                        && m.sees_account(a, t)
                        && m.catalogs_within(a, *all, &set);
                    prop_assert!(legit, "step {step}: accepted {op:?} in {m:?}");
                    m.accounts[t].all = *all;
                    m.accounts[t].cats = set;
                    ACCEPTED.fetch_add(1, Ordering::Relaxed);
                }
            }
            Op::SetRights {
                actor,
                role,
                rights,
            } => {
                let a = actor % count;
                let wanted: BTreeSet<Right> = (0..EDITABLE.len())
                    .filter(|i| rights[*i])
                    .map(|i| EDITABLE[i])
                    .collect();
                let codes: Vec<String> = wanted.iter().map(|r| r.as_str().to_owned()).collect();
                let result = roles::set_rights(&db.db, &permit_of(a), ROLES[*role].0, &codes).await;
                if result.is_ok() {
                    let changed: Vec<Right> = m.rights[*role]
                        .symmetric_difference(&wanted)
                        .copied()
                        .collect();
                    let legit = m.holds(a, Right::Roles)
                        && changed
                            .iter()
                            .all(|r| m.reach(a, *r).is_some_and(|u| u.is_none()));
                    prop_assert!(legit, "step {step}: accepted {op:?} in {m:?}");
                    m.rights[*role] = wanted;
                    ACCEPTED.fetch_add(1, Ordering::Relaxed);
                }
            }
            Op::Create {
                actor,
                grants,
                all,
                cats,
            } => {
                let a = actor % count;
                let (roles, model_grants) = role_grants(&m, grants);
                let (codes, set) = catalog_codes(cats);
                let login = format!("{slug}-c{step}");
                let result = backoffice::create(
                    &db.db,
                    &permit_of(a),
                    NewAccount {
                        login: login.clone(),
                        first_name: "C".into(),
                        last_name: "C".into(),
                        roles,
                        catalogs: codes,
                        all_catalogs: *all,
                        ..Default::default()
                    },
                )
                .await;
                if let Ok(created) = result {
                    let legit = m.holds(a, Right::BackofficeUsers)
                        && model_grants.iter().all(|(r, u)| m.may_grant(a, *r, *u))
                        && m.catalogs_within(a, *all, &set);
                    prop_assert!(legit, "step {step}: accepted {op:?} in {m:?}");
                    m.accounts.push(Account {
                        id: created.id,
                        login,
                        grants: model_grants,
                        all: *all,
                        cats: set,
                    });
                    ACCEPTED.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        check_reach(db, tenant, &slug, &m, &unit_ids, &catalog_ids).await?;
    }
    Ok(())
}

/// Every account's stored reach for `users` equals the model's.
async fn check_reach(
    db: &TestDb,
    tenant: TenantId,
    slug: &str,
    m: &Model,
    units: &BTreeMap<String, Uuid>,
    catalogs: &BTreeMap<String, Uuid>,
) -> Result<(), TestCaseError> {
    for (i, acc) in m.accounts.iter().enumerate() {
        let p = Principal {
            tenant_id: tenant.0,
            tenant_slug: slug.into(),
            kind: PrincipalKind::Backoffice,
            id: acc.id,
            login: acc.login.clone(),
            must_change_password: false,
            via_token: false,
        };
        let scope = scope_for(&db.db, &p, Right::Users).await.expect("scope");
        let expected_units: Option<Vec<Uuid>> = match m.reach(i, Right::Users) {
            None => Some(Vec::new()),
            Some(None) => None,
            Some(Some(set)) => {
                let mut ids: Vec<Uuid> = set.iter().map(|u| units[&format!("U{u}")]).collect();
                ids.sort();
                Some(ids)
            }
        };
        prop_assert_eq!(&scope.units, &expected_units, "units of {} in {:?}", i, m);
        let expected_catalogs: Option<Vec<Uuid>> = (!acc.all).then(|| {
            let mut ids: Vec<Uuid> = acc.cats.iter().map(|c| catalogs[CATALOGS[*c]]).collect();
            ids.sort();
            ids
        });
        prop_assert_eq!(
            &scope.catalogs,
            &expected_catalogs,
            "catalogs of {} in {:?}",
            i,
            m
        );
    }
    Ok(())
}

#[test]
fn b5_no_sequence_of_operations_reaches_beyond_what_was_legitimately_given() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let db = rt.block_on(TestDb::new());
    let config = ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(c in case())| {
        rt.block_on(run_case(&db, c))?;
    });
    eprintln!(
        "grant property: {} cases, {} operations accepted",
        CASE.load(Ordering::SeqCst),
        ACCEPTED.load(Ordering::Relaxed)
    );
    assert!(
        ACCEPTED.load(Ordering::Relaxed) > 0,
        "no operation was ever accepted: the property would be vacuous"
    );
}
