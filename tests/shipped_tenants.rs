//! T1: the tenants shipped in `tenants/` (one per seed product) validate and apply on both
//! backends, and applying them again changes nothing.

use std::path::PathBuf;

use roster::store::entity::{import_configurations, organisation_units, roles};
use roster::tenancy::{self, apply::apply};

use crate::util::TestDb;

fn shipped() -> Vec<tenancy::LoadedDescriptor> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tenants");
    match tenancy::load_all(&[dir]) {
        Ok(l) => l,
        Err(problems) => panic!(
            "shipped descriptors are invalid:\n{}",
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

#[test]
fn t1_shipped_descriptors_validate() {
    let loaded = shipped();
    let mut slugs: Vec<_> = loaded.iter().map(|d| d.descriptor.slug.as_str()).collect();
    slugs.sort();
    assert_eq!(slugs, ["archipel", "nordwerk"]);
}

#[tokio::test]
async fn t1_shipped_descriptors_apply_idempotently() {
    let t = TestDb::new().await;
    for d in shipped() {
        let first = apply(&t.db, &d.descriptor).await.expect("apply");
        let again = apply(&t.db, &d.descriptor).await.expect("apply again");
        assert!(
            again.is_unchanged(),
            "{}: {:#?}",
            d.descriptor.slug,
            again.lines
        );
        let tenant = first.tenant;
        match d.descriptor.slug.as_str() {
            "archipel" => {
                let imports = tenant
                    .find::<import_configurations::Entity>()
                    .all(&t.db)
                    .await
                    .expect("q");
                let hr = imports
                    .iter()
                    .find(|i| i.kind == "hr")
                    .expect("an HR import");
                let mapping = hr.mapping.to_string();
                assert!(
                    mapping.contains("\"AE\"") && mapping.contains("parent_department_code"),
                    "{mapping}"
                );
                assert!(imports.iter().any(|i| i.kind == "personal_budget"));
                assert!(imports.iter().any(|i| i.kind == "extended_properties"));
            }
            "nordwerk" => {
                let units = tenant
                    .find::<organisation_units::Entity>()
                    .all(&t.db)
                    .await
                    .expect("q");
                assert!(units.iter().any(|u| u.is_sub_tenant));
                let roles = tenant.find::<roles::Entity>().all(&t.db).await.expect("q");
                assert_eq!(roles.len(), 6, "the six roles of the German product");
            }
            other => panic!("unexpected tenant {other}"),
        }
    }
}
