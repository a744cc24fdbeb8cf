//! I10: the export writes every user in exactly the standard import format, neutralises
//! formula cells, and export → import reports every row unchanged (on SQLite, and on
//! PostgreSQL when `ROSTER_TEST_DATABASE_URL` is set).

use roster::authz::scope::Scope;
use roster::domain::Ctx;
use roster::export::export_users;
use roster::import::digest::Spec;
use roster::import::fields::ImportField as F;
use roster::import::index::{Index, KeyKind};
use roster::import::refs::Refs;
use roster::import::row::parse;
use roster::import::source::Source;
use roster::import::{Input, Layout, Outcome};
use roster::store::entity::users;
use roster::tenancy::descriptor::ImportFormat;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, QueryFilter};

use crate::import::kit::{HEADER, Kit, csv};

async fn export(k: &Kit, scope: Scope) -> String {
    let mut out = Vec::new();
    export_users(&k.t.db, &k.ctx, scope, &mut out)
        .await
        .expect("export");
    String::from_utf8(out).expect("utf-8")
}

/// Users with every kind of value: groups, profiles, superiors (one without an external
/// id), a sub-tenant, deactivated, formula-like cells, quotes and delimiters.
const SEED: &str = "Uid;ExternalId;FirstName;LastName;Email;Password;Title;MiddleName;OrganisationUnit;PersonnelNumber;CompanyRole;Organisation;Area;Department;CostCentre;UserGroups;DataField01;DataField02;DataField03;Language;Superior;SuperiorExternalId;Active;EnrollmentProfiles
boss;B1;Bea;Boss;bea@example.org;;Dr.;;HR;P-1;CEO;ACME;North;Board;CC-1;G1,G2;=1+1;+49 30 1234;@home;de;True;;True;DS-KR-001-DE
;E2;Ann;\"Lee; Jr.\";ann@example.org;;;Maria;SUB-A;;;OTHER;;;;G2;-5;'quoted;\"say \"\"hi\"\"\";en;False;B1;False;DS-COC-001-EN,DS-KR-001-DE
nosup;;No;Ext;noext@example.org;;;;;;;;;;;;;;;;True;;True;
";

#[tokio::test]
async fn i10_export_writes_the_standard_format_with_every_user() {
    let k = Kit::new().await;
    let run = k.import(SEED).await;
    assert_eq!(run.summary.created, 3, "{:#?}", run.rows);
    let text = export(&k, Scope::tenant()).await;
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(HEADER));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 3, "deactivated users included: {text}");
    assert_eq!(
        rows[0],
        "boss;B1;Bea;Boss;bea@example.org;;Dr.;;HR;P-1;CEO;ACME;North;Board;CC-1;G1,G2;'=1+1;'+49 30 1234;'@home;de;True;;True;DS-KR-001-DE"
    );
    assert_eq!(
        rows[1],
        "ann.leejr;E2;Ann;\"Lee; Jr.\";ann@example.org;;;Maria;SUB-A;;;OTHER;;;;G2;'-5;''quoted;\"say \"\"hi\"\"\";en;False;B1;False;DS-COC-001-EN,DS-KR-001-DE"
    );
}

#[tokio::test]
async fn i10_export_then_import_reports_every_row_unchanged() {
    let k = Kit::new().await;
    k.import(SEED).await;
    // A superior without an external id cannot be named in a file, yet survives the trip.
    k.import(&csv(
        "Uid;FirstName;LastName;Email;Superior",
        &["nosup;No;Ext;noext@example.org;True"],
    ))
    .await;
    let nosup = k.user("nosup").await.id;
    let boss = k.user("boss").await;
    k.tenant
        .update_many::<users::Entity>()
        .col_expr(users::Column::SuperiorId, Expr::value(nosup))
        .filter(users::Column::Id.eq(boss.id))
        .exec(&k.t.db)
        .await
        .expect("link");
    let text = export(&k, Scope::tenant()).await;
    let before = crate::import::kit::fingerprint(&k.t.db, k.tenant).await;
    let run = k.import(&text).await;
    assert!(
        run.rows.iter().all(|r| r.outcome == Outcome::Unchanged),
        "{:#?}",
        run.rows
    );
    assert_eq!(run.summary.unchanged, 3);
    assert_eq!(
        crate::import::kit::fingerprint(&k.t.db, k.tenant).await,
        before
    );
    assert_eq!(
        export(&k, Scope::tenant()).await,
        text,
        "a second export is identical"
    );
}

#[tokio::test]
async fn i10_export_is_limited_to_the_exporters_scope() {
    let k = Kit::new().await;
    k.import(SEED).await;
    let refs = roster::import::refs::Refs::load(&k.t.db, k.tenant)
        .await
        .expect("refs");
    let scope = Scope {
        units: Some(vec![refs.units.id("SUB-A").expect("unit")]),
        ..Scope::default()
    };
    let text = export(&k, scope).await;
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains("ann.leejr;E2"));
}

/// The re-import of an unchanged user costs no query because its row's digest equals the
/// one computed from stored data (see `import::digest`): every exported row must match, or
/// each would be loaded and compared field by field (still right, but slower).
#[tokio::test]
async fn i10_every_exported_row_matches_its_users_stored_digest() {
    let k = Kit::new().await;
    k.import(SEED).await;
    assert_digests_match(&k.t.db, &k.ctx, 3).await;
}

/// The same over several pages: SQLite reads the index in pages of ~1,024 users and the
/// codes in pages of 1,024 linked users; every user must get its own codes across them.
#[tokio::test]
async fn i10_digests_match_across_the_index_pages() {
    let descriptor = crate::import::kit::DESCRIPTOR.replace("user_quota: 50", "user_quota: 5000");
    let k = Kit::with(&descriptor).await;
    let rows: Vec<String> = (0..2100)
        .map(|i| {
            let groups = ["G1", "G2", "G1,G2", ""][i % 4];
            let profile = if i % 3 == 0 { "DS-KR-001-DE" } else { "" };
            format!(
                "u{i};X{i};First{i};Last{i};u{i}@example.org;;;;;;;;;;;{groups};;;;;;;True;{profile}"
            )
        })
        .collect();
    let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    let run = k.import(&csv(HEADER, &refs)).await;
    assert_eq!(run.summary.created, 2100, "{:?}", run.summary);
    assert_digests_match(&k.t.db, &k.ctx, 2100).await;
    // A small tenant beside it is read through its tenant index, a row per user.
    let small = k.other_tenant("small").await;
    let rows: Vec<String> = (0..30)
        .map(|i| {
            let groups = ["G1", "G1,G2", ""][i % 3];
            format!(
                "s{i};S{i};F{i};L{i};s{i}@example.org;;;;;;;;;;;{groups};;;;;;;True;DS-KR-001-DE"
            )
        })
        .collect();
    let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    assert_eq!(small.import(&csv(HEADER, &refs)).await.summary.created, 30);
    assert_digests_match(&k.t.db, small.ctx(), 30).await;
}

async fn assert_digests_match(db: &sea_orm::DatabaseConnection, ctx: &Ctx, users: usize) {
    let mut out = Vec::new();
    export_users(db, ctx, Scope::tenant(), &mut out)
        .await
        .expect("export");
    let text = String::from_utf8(out).expect("utf-8");
    let layout = Layout::standard(ImportFormat::Csv);
    let refs = Refs::load(db, ctx.tenant).await.expect("refs");
    let spec = Spec::of(&layout).expect("the standard format has a digest");
    let index = Index::load(
        db,
        db,
        ctx.tenant,
        &Scope::tenant(),
        refs.superior_role,
        Some(&spec),
    )
    .await
    .expect("index");
    let input = Input::Bytes(text.into_bytes().into());
    let source = Source::open(&input, &layout).expect("open");
    let labels = source.labels();
    let (_, batch, read) = source.fill(Vec::new(), users + 1).await.expect("read");
    let n = read.expect("rows");
    assert_eq!(n, users);
    for rec in &batch[..n] {
        let row = parse(rec, &layout, &labels, &refs).expect("row");
        let login = row.text(F::Login).expect("login");
        let slot = index.find(KeyKind::Login, "", login).expect("stored");
        assert_eq!(
            spec.row(&row, &refs),
            index.digest(slot),
            "line {} ({login})",
            rec.line
        );
    }
}
