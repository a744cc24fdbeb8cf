//! T1/T2: descriptor validation reports every problem as `file:line:col: message`.

use std::path::Path;

use roster::tenancy::parse_descriptor;

use crate::util::MINIMAL;

fn errors(text: &str) -> Vec<String> {
    match parse_descriptor(Path::new("tenants/acme.yaml"), text) {
        Ok(_) => Vec::new(),
        Err(problems) => problems.iter().map(ToString::to_string).collect(),
    }
}

fn edit(from: &str, to: &str) -> String {
    assert!(MINIMAL.contains(from), "fixture lacks {from:?}");
    MINIMAL.replacen(from, to, 1)
}

#[test]
fn t2_minimal_descriptor_is_valid() {
    assert_eq!(errors(MINIMAL), Vec::<String>::new());
}

#[test]
fn t2_yaml_syntax_error_has_position() {
    let text = edit("languages: [en, nl]\n", "languages: [en, nl\n");
    let e = errors(&text);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("tenants/acme.yaml:5:9: "), "{e:?}");
}

#[test]
fn t2_unknown_key_is_an_error_with_position() {
    let text = edit(
        "    name: Main catalog\n",
        "    name: Main catalog\n    colour: red\n",
    );
    assert_eq!(
        errors(&text),
        ["tenants/acme.yaml:8:5: catalogs[0]: unknown field `colour`, expected `code` or `name`"]
    );
}

#[test]
fn t2_wrong_type_has_position() {
    let text = edit("    sub_tenant: true\n", "    sub_tenant: maybe\n");
    let e = errors(&text);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("tenants/acme.yaml:25:17: organisation_units[1].sub_tenant: invalid type"),
        "{e:?}"
    );
}

#[test]
fn t3_unknown_parent_unit() {
    let text = edit("    parent: EU\n", "    parent: XX\n");
    assert_eq!(
        errors(&text),
        ["tenants/acme.yaml:28:13: unknown parent organisation unit `XX`"]
    );
}

#[test]
fn t3_unit_cycle() {
    let text = edit("    name: Acme\n", "    name: Acme\n    parent: NL\n");
    assert_eq!(
        errors(&text),
        ["tenants/acme.yaml:22:13: organisation unit parents form a cycle: ROOT → NL → EU → ROOT"]
    );
}

#[test]
fn t1_department_self_parent_is_a_cycle() {
    let text = edit("        parent: D1\n", "        parent: D2\n");
    assert_eq!(
        errors(&text),
        ["tenants/acme.yaml:18:17: department parents form a cycle: D2 → D2"]
    );
}

#[test]
fn t1_duplicate_code_points_at_first_definition() {
    let text = edit("  - code: SALES\n", "  - code: MAIN\n");
    assert_eq!(
        errors(&text),
        [
            "tenants/acme.yaml:8:11: duplicate catalog code `MAIN` (first defined at line 6, column 11)"
        ]
    );
}

#[test]
fn b3_unknown_right() {
    let text = edit("rights: [users, roles]", "rights: [users, rolez]");
    let e = errors(&text);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("tenants/acme.yaml:33:21: unknown right `rolez`; known rights: users, "),
        "{e:?}"
    );
}

#[test]
fn i2_mapping_to_unknown_field() {
    let text = edit(
        "      - field: personal_budget\n",
        "      - field: budget\n",
    );
    assert_eq!(
        errors(&text),
        [
            "tenants/acme.yaml:49:7: a `personal_budget` import needs a column for `personal_budget`",
            "tenants/acme.yaml:52:16: mapping to unknown field `budget`; see docs/tenants.md for the field list",
        ]
    );
}

#[test]
fn i2_bad_column_letter_and_field_not_allowed_for_kind() {
    let text = edit(
        "        header: Persoonlijk budget\n",
        "        header: Persoonlijk budget\n      - field: first_name\n        column: a1\n",
    );
    assert_eq!(
        errors(&text),
        [
            "tenants/acme.yaml:54:16: field `first_name` cannot be imported by a `personal_budget` import",
            "tenants/acme.yaml:55:17: column `a1` is not a column letter (A, B, …, AE)",
        ]
    );
}

#[test]
fn r4_malformed_domain() {
    let text = edit("[acme.example, ", "[acme..example, ");
    assert_eq!(
        errors(&text),
        [
            "tenants/acme.yaml:58:21: domain `acme..example` is malformed: label `` must be 1–63 letters, digits or inner hyphens"
        ]
    );
}

#[test]
fn t2_every_problem_is_reported_in_file_order() {
    let text = edit("    parent: EU\n", "    parent: XX\n")
        .replacen("  - code: SALES\n", "  - code: MAIN\n", 1)
        .replacen("[users, roles]", "[users, rolez]", 1)
        .replacen("default_language: en", "default_language: fr", 1);
    let e = errors(&text);
    let positions: Vec<&str> = e
        .iter()
        .map(|l| l.split(':').nth(1).unwrap_or(""))
        .collect();
    assert_eq!(positions, ["3", "8", "28", "33"], "{e:#?}");
}

#[test]
fn t2_slug_must_match_file_name() {
    let e = match parse_descriptor(Path::new("tenants/other.yaml"), MINIMAL) {
        Ok(_) => vec![],
        Err(p) => p.iter().map(ToString::to_string).collect(),
    };
    assert_eq!(
        e,
        [
            "tenants/other.yaml:1:7: slug `acme` differs from the file name `other.yaml`; they must match"
        ]
    );
}

#[test]
fn r3_approval_flow_needs_approver_role_and_fixed_codes_must_exist() {
    let text = edit(
        "  flow: email_confirmation\n",
        "  flow: approval\n  fields:\n    organisation_unit: {fixed: MARS}\n",
    );
    assert_eq!(
        errors(&text),
        [
            "tenants/acme.yaml:56:9: flow `approval` needs `approver_role`: the role whose holders approve registrations",
            "tenants/acme.yaml:58:32: unknown organisation unit `MARS`",
        ]
    );
}

#[test]
fn b5_role_kind_and_scope_must_fit() {
    let text = edit(
        "    scope: self\n",
        "    scope: self\n    rights: [settings]\n",
    )
    .replacen(
        "    administrator: true\n",
        "    administrator: true\n    scope: self\n",
        1,
    );
    assert_eq!(
        errors(&text),
        [
            "tenants/acme.yaml:33:12: a back-office role's scope is `tenant`, `subtree` or `own_ou`, not `self`",
            "tenants/acme.yaml:39:14: portal role `learner` cannot hold back-office right `settings`; portal roles may hold only `reports`",
        ]
    );
}

#[test]
fn r4_domains_are_duplicates_regardless_of_case() {
    let text = edit(
        "[acme.example, \"*.acme.example\"]",
        "[acme.example, ACME.example]",
    );
    assert_eq!(
        errors(&text),
        [
            "tenants/acme.yaml:58:35: duplicate allowed domain `acme.example` (first defined at line 58, column 21)"
        ]
    );
}

#[test]
fn r3_approver_role_must_be_able_to_approve() {
    let text = edit(
        "  flow: email_confirmation\n",
        "  flow: approval\n  approver_role: learner\n",
    );
    assert_eq!(
        errors(&text),
        [
            "tenants/acme.yaml:57:18: approver role `learner` must be a back-office role holding `approve_registrations` (or an administrator role)"
        ]
    );
}
