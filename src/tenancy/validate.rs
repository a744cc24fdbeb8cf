//! T2: the checks a descriptor must pass beyond its shape, each reported with its position.
//!
//! Every problem is collected (an operator fixes a file in one go, not one error per run).
//! A check names the path of the offending value; [`PositionIndex`] turns it into line:col.

mod looks;

use std::collections::{HashMap, HashSet};

use super::descriptor::{ChoiceFieldRule, ImportFormat, RoleKind, RoleScope, TenantDescriptor};
use super::positions::{Position, PositionIndex};
use crate::authz::Right;
use crate::domain::email_domain::DomainPattern;
use crate::import::fields::{ImportField, column_index};

/// UI languages Roster ships message catalogs and mail templates for.
pub const SUPPORTED_LANGUAGES: &[&str] = &["en", "nl", "de"];

/// One semantic problem: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Position of the offending value.
    pub position: Position,
    /// What is wrong, in words an operator can act on.
    pub message: String,
}

struct Checker<'a> {
    index: &'a PositionIndex,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn report(&mut self, path: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            position: self.index.get(path),
            message: message.into(),
        });
    }

    /// Codes are short identifiers that files and imports refer to.
    fn code(&mut self, path: &str, what: &str, code: &str) {
        if code.is_empty() {
            self.report(path, format!("{what} code must not be empty"));
        } else if code.trim() != code {
            self.report(path, format!("{what} code `{code}` has surrounding spaces"));
        } else if code.chars().count() > 64 {
            self.report(
                path,
                format!("{what} code `{code}` is longer than 64 characters"),
            );
        } else if code.chars().any(|c| c == ',' || c.is_control()) {
            self.report(
                path,
                format!("{what} code `{code}` contains a comma or control character"),
            );
        }
    }

    fn name(&mut self, path: &str, what: &str, name: &str) {
        if name.trim().is_empty() {
            self.report(path, format!("{what} name must not be empty"));
        }
    }

    /// Reports the second and later uses of a key, pointing back at the first.
    fn unique<'k>(
        &mut self,
        seen: &mut HashMap<&'k str, String>,
        key: &'k str,
        path: String,
        what: &str,
    ) {
        if let Some(first) = seen.get(key) {
            let first = self.index.get(first);
            self.report(
                &path,
                format!(
                    "duplicate {what} `{key}` (first defined at line {}, column {})",
                    first.line, first.column
                ),
            );
        } else {
            seen.insert(key, path);
        }
    }
}

/// Checks `d` against every rule that needs the whole document; `expected_slug` is the file
/// stem when the descriptor came from a file.
pub fn validate(
    d: &TenantDescriptor,
    index: &PositionIndex,
    expected_slug: Option<&str>,
) -> Vec<Problem> {
    let mut c = Checker {
        index,
        problems: Vec::new(),
    };
    check_identity(&mut c, d, expected_slug);
    let catalogs = check_catalogs(&mut c, d);
    let (organisations, _departments) = check_organisations(&mut c, d);
    let units = check_units(&mut c, d);
    let roles = check_roles(&mut c, d);
    check_groups_and_profiles(&mut c, d);
    check_registration(&mut c, d, &catalogs, &organisations, &units, &roles);
    check_imports(&mut c, d, &catalogs);
    check_activities(&mut c, d, &catalogs);
    looks::check_branding(&mut c, d);
    looks::check_mail_templates(&mut c, d);
    c.problems
        .sort_by_key(|p| (p.position.line, p.position.column));
    c.problems
}

fn check_identity(c: &mut Checker<'_>, d: &TenantDescriptor, expected_slug: Option<&str>) {
    let slug_ok = !d.slug.is_empty()
        && d.slug.len() <= 63
        && d.slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !d.slug.starts_with('-');
    if !slug_ok {
        c.report(
            "slug",
            format!(
                "slug `{}` must be 1–63 lower-case letters, digits or hyphens, not starting with a hyphen",
                d.slug
            ),
        );
    } else if let Some(expected) = expected_slug
        && expected != d.slug
    {
        c.report(
            "slug",
            format!(
                "slug `{}` differs from the file name `{expected}.yaml`; they must match",
                d.slug
            ),
        );
    }
    c.name("name", "tenant", &d.name);
    if d.languages.is_empty() {
        c.report("languages", "at least one language is needed");
    }
    let mut seen = HashMap::new();
    for (i, lang) in d.languages.iter().enumerate() {
        let path = format!("languages[{i}]");
        if !SUPPORTED_LANGUAGES.contains(&lang.as_str()) {
            c.report(
                &path,
                format!(
                    "unsupported language `{lang}`; supported: {}",
                    SUPPORTED_LANGUAGES.join(", ")
                ),
            );
        }
        c.unique(&mut seen, lang, path, "language");
    }
    if !d.languages.contains(&d.default_language) {
        c.report(
            "default_language",
            format!(
                "default language `{}` is not among `languages`",
                d.default_language
            ),
        );
    }
    if d.user_quota == Some(0) {
        c.report(
            "user_quota",
            "user quota must be at least 1 (leave it out for no limit)",
        );
    }
    if d.password_policy.min_length < 8 || d.password_policy.min_length > 64 {
        c.report(
            "password_policy.min_length",
            "minimum password length must be between 8 and 64",
        );
    }
    if let Some(addr) = &d.mail.from_address {
        check_email(c, "mail.from_address", addr);
    }
    if let Some(addr) = &d.mail.reply_to {
        check_email(c, "mail.reply_to", addr);
    }
}

fn check_email(c: &mut Checker<'_>, path: &str, addr: &str) {
    let ok = addr.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && !domain.contains('*') && DomainPattern::parse(domain).is_ok()
    });
    if !ok {
        c.report(path, format!("`{addr}` is not a valid e-mail address"));
    }
}

fn check_catalogs<'d>(c: &mut Checker<'_>, d: &'d TenantDescriptor) -> HashSet<&'d str> {
    let mut seen = HashMap::new();
    for (i, cat) in d.catalogs.iter().enumerate() {
        let path = format!("catalogs[{i}]");
        c.code(&format!("{path}.code"), "catalog", &cat.code);
        c.name(&format!("{path}.name"), "catalog", &cat.name);
        c.unique(&mut seen, &cat.code, format!("{path}.code"), "catalog code");
    }
    seen.into_keys().collect()
}

fn check_organisations<'d>(
    c: &mut Checker<'_>,
    d: &'d TenantDescriptor,
) -> (HashSet<&'d str>, HashSet<&'d str>) {
    let mut orgs = HashMap::new();
    let mut depts = HashMap::new();
    let mut parents: Vec<(&str, &str, String)> = Vec::new();
    for (i, org) in d.organisations.iter().enumerate() {
        let path = format!("organisations[{i}]");
        c.code(&format!("{path}.code"), "organisation", &org.code);
        c.name(&format!("{path}.name"), "organisation", &org.name);
        c.unique(
            &mut orgs,
            &org.code,
            format!("{path}.code"),
            "organisation code",
        );
        for (j, dept) in org.departments.iter().enumerate() {
            let dpath = format!("{path}.departments[{j}]");
            c.code(&format!("{dpath}.code"), "department", &dept.code);
            c.name(&format!("{dpath}.name"), "department", &dept.name);
            c.unique(
                &mut depts,
                &dept.code,
                format!("{dpath}.code"),
                "department code",
            );
            if let Some(parent) = &dept.parent {
                parents.push((&dept.code, parent, format!("{dpath}.parent")));
            }
        }
    }
    check_tree(c, &depts, &parents, "department");
    (orgs.into_keys().collect(), depts.into_keys().collect())
}

fn check_units<'d>(c: &mut Checker<'_>, d: &'d TenantDescriptor) -> HashSet<&'d str> {
    let mut units = HashMap::new();
    let mut parents = Vec::new();
    for (i, unit) in d.organisation_units.iter().enumerate() {
        let path = format!("organisation_units[{i}]");
        c.code(&format!("{path}.code"), "organisation unit", &unit.code);
        c.name(&format!("{path}.name"), "organisation unit", &unit.name);
        c.unique(
            &mut units,
            &unit.code,
            format!("{path}.code"),
            "organisation unit code",
        );
        if let Some(parent) = &unit.parent {
            parents.push((
                unit.code.as_str(),
                parent.as_str(),
                format!("{path}.parent"),
            ));
        }
    }
    check_tree(c, &units, &parents, "organisation unit");
    units.into_keys().collect()
}

/// Parents must exist, and following parents must never come back to where it started.
fn check_tree(
    c: &mut Checker<'_>,
    known: &HashMap<&str, String>,
    parents: &[(&str, &str, String)],
    what: &str,
) {
    let mut parent_of: HashMap<&str, &str> = HashMap::new();
    for (child, parent, path) in parents {
        if !known.contains_key(parent) {
            c.report(path, format!("unknown parent {what} `{parent}`"));
        } else {
            parent_of.entry(child).or_insert(parent);
        }
    }
    let mut reported: HashSet<&str> = HashSet::new();
    for (child, _, path) in parents {
        let mut seen = vec![*child];
        let mut at = *child;
        while let Some(next) = parent_of.get(at) {
            if *next == *child {
                if seen.iter().all(|s| !reported.contains(s)) {
                    seen.push(child);
                    c.report(
                        path,
                        format!("{what} parents form a cycle: {}", seen.join(" → ")),
                    );
                    reported.extend(seen.iter().copied());
                }
                break;
            }
            if seen.contains(next) {
                break; // a cycle further up, reported from one of its own members
            }
            seen.push(next);
            at = next;
        }
    }
}

fn check_roles<'d>(c: &mut Checker<'_>, d: &'d TenantDescriptor) -> HashMap<&'d str, RoleKind> {
    let mut seen = HashMap::new();
    let mut kinds = HashMap::new();
    for (i, role) in d.roles.iter().enumerate() {
        let path = format!("roles[{i}]");
        c.code(&format!("{path}.code"), "role", &role.code);
        c.name(&format!("{path}.name"), "role", &role.name);
        c.unique(&mut seen, &role.code, format!("{path}.code"), "role code");
        kinds.insert(role.code.as_str(), role.kind);
        match (role.kind, role.scope) {
            (RoleKind::Portal, RoleScope::Own | RoleScope::AssignedLearners) => {
                for (j, right) in role.rights.iter().enumerate() {
                    if right.parse::<Right>().is_ok_and(|r| r != Right::Reports) {
                        c.report(
                            &format!("{path}.rights[{j}]"),
                            format!(
                                "portal role `{}` cannot hold back-office right `{right}`; portal roles may hold only `reports`",
                                role.code
                            ),
                        );
                    }
                }
            }
            (RoleKind::Portal, scope) => c.report(
                &format!("{path}.scope"),
                format!(
                    "a portal role's scope is `self` or `assigned_learners`, not `{}`",
                    scope.as_str()
                ),
            ),
            (RoleKind::Backoffice, RoleScope::Own | RoleScope::AssignedLearners) => c.report(
                &format!("{path}.scope"),
                format!(
                    "a back-office role's scope is `tenant`, `subtree` or `own_ou`, not `{}`",
                    role.scope.as_str()
                ),
            ),
            (RoleKind::Backoffice, _) => {}
        }
        if role.administrator && role.kind != RoleKind::Backoffice {
            c.report(
                &format!("{path}.administrator"),
                "an administrator role must be of kind `backoffice`",
            );
        }
        let mut rights = HashMap::new();
        for (j, right) in role.rights.iter().enumerate() {
            let rpath = format!("{path}.rights[{j}]");
            if right.parse::<Right>().is_err() {
                let known: Vec<&str> = Right::ALL.iter().map(|r| r.as_str()).collect();
                c.report(
                    &rpath,
                    format!(
                        "unknown right `{right}`; known rights: {}",
                        known.join(", ")
                    ),
                );
            }
            c.unique(&mut rights, right, rpath, "right");
        }
    }
    if !d
        .roles
        .iter()
        .any(|r| r.administrator && r.kind == RoleKind::Backoffice)
    {
        c.report(
            "roles",
            "no role has `administrator: true`; the tenant's first administrator needs one",
        );
    }
    kinds
}

/// R5: learning activities and executions have tenant-unique codes and known catalogs.
fn check_activities(c: &mut Checker<'_>, d: &TenantDescriptor, catalogs: &HashSet<&str>) {
    let mut seen = HashMap::new();
    let mut runs = HashMap::new();
    for (i, a) in d.learning_activities.iter().enumerate() {
        let path = format!("learning_activities[{i}]");
        c.code(&format!("{path}.code"), "learning activity", &a.code);
        if a.title.trim().is_empty() {
            c.report(
                &format!("{path}.title"),
                "learning activity title must not be empty",
            );
        }
        c.unique(
            &mut seen,
            &a.code,
            format!("{path}.code"),
            "learning activity code",
        );
        if let Some(cat) = &a.catalog
            && !catalogs.contains(cat.as_str())
        {
            c.report(
                &format!("{path}.catalog"),
                format!("unknown catalog `{cat}`"),
            );
        }
        for (j, e) in a.executions.iter().enumerate() {
            let epath = format!("{path}.executions[{j}]");
            c.code(&format!("{epath}.code"), "execution", &e.code);
            c.unique(
                &mut runs,
                &e.code,
                format!("{epath}.code"),
                "execution code",
            );
            if let (Some(s), Some(end)) = (e.starts_at, e.ends_at)
                && end < s
            {
                c.report(
                    &format!("{epath}.ends_at"),
                    "execution ends before it starts",
                );
            }
        }
    }
}

fn check_groups_and_profiles(c: &mut Checker<'_>, d: &TenantDescriptor) {
    let mut codes = HashMap::new();
    let mut names = HashMap::new();
    for (i, group) in d.user_groups.iter().enumerate() {
        let path = format!("user_groups[{i}]");
        c.code(&format!("{path}.code"), "user group", &group.code);
        c.name(&format!("{path}.name"), "user group", &group.name);
        c.unique(
            &mut codes,
            &group.code,
            format!("{path}.code"),
            "user group code",
        );
        c.unique(
            &mut names,
            &group.name,
            format!("{path}.name"),
            "user group name",
        );
    }
    let mut seen = HashMap::new();
    for (i, profile) in d.enrollment_profiles.iter().enumerate() {
        let path = format!("enrollment_profiles[{i}]");
        c.code(&format!("{path}.code"), "enrollment profile", &profile.code);
        c.name(&format!("{path}.name"), "enrollment profile", &profile.name);
        c.unique(
            &mut seen,
            &profile.code,
            format!("{path}.code"),
            "enrollment profile code",
        );
    }
}

fn check_registration(
    c: &mut Checker<'_>,
    d: &TenantDescriptor,
    catalogs: &HashSet<&str>,
    organisations: &HashSet<&str>,
    units: &HashSet<&str>,
    roles: &HashMap<&str, RoleKind>,
) {
    let r = &d.registration;
    // Domains compare case-insensitively, so duplicates do too.
    let normalised: Vec<Option<String>> = r
        .allowed_domains
        .iter()
        .enumerate()
        .map(|(i, pattern)| match DomainPattern::parse(pattern) {
            Ok(p) => Some(p.to_string()),
            Err(e) => {
                c.report(&format!("registration.allowed_domains[{i}]"), e);
                None
            }
        })
        .collect();
    let mut seen = HashMap::new();
    for (i, pattern) in normalised.iter().enumerate() {
        if let Some(pattern) = pattern {
            let path = format!("registration.allowed_domains[{i}]");
            c.unique(&mut seen, pattern, path, "allowed domain");
        }
    }
    for (i, code) in r.catalogs.iter().enumerate() {
        if !catalogs.contains(code.as_str()) {
            c.report(
                &format!("registration.catalogs[{i}]"),
                format!("unknown catalog `{code}`"),
            );
        }
    }
    if r.enabled && r.catalogs.is_empty() && !catalogs.is_empty() {
        c.report(
            "registration.enabled",
            "registration is enabled but `registration.catalogs` is empty; a registrant needs a catalog",
        );
    }
    if let Some(role) = &r.role {
        match roles.get(role.as_str()) {
            None => c.report("registration.role", format!("unknown role `{role}`")),
            Some(RoleKind::Backoffice) => c.report(
                "registration.role",
                format!("role `{role}` is a back-office role; registrants get a portal role"),
            ),
            Some(RoleKind::Portal) => {}
        }
    }
    match (&r.approver_role, r.flow) {
        (Some(role), _) if !roles.contains_key(role.as_str()) => c.report(
            "registration.approver_role",
            format!("unknown role `{role}`"),
        ),
        (Some(code), _)
            if !d.roles.iter().any(|r| {
                r.code == *code
                    && r.kind == RoleKind::Backoffice
                    && (r.administrator || r.rights.iter().any(|x| x == "approve_registrations"))
            }) =>
        {
            c.report(
                "registration.approver_role",
                format!(
                    "approver role `{code}` must be a back-office role holding `approve_registrations` (or an administrator role)"
                ),
            )
        }
        (None, super::descriptor::RegistrationFlow::Approval) => c.report(
            "registration.flow",
            "flow `approval` needs `approver_role`: the role whose holders approve registrations",
        ),
        _ => {}
    }
    if r.link_valid_hours == 0 {
        c.report(
            "registration.link_valid_hours",
            "links must stay valid at least one hour",
        );
    }
    if let Some(url) = &r.privacy_policy_url
        && !(url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/'))
    {
        c.report(
            "registration.privacy_policy_url",
            format!("`{url}` is not an http(s) address or a path"),
        );
    }
    let f = &r.fields;
    let plain = [
        ("personnel_number", f.personnel_number),
        ("password", f.password),
        ("address", f.address),
        ("phone", f.phone),
        ("mobile", f.mobile),
        ("private_email", f.private_email),
        ("gender", f.gender),
        ("birth_date", f.birth_date),
        ("billing_details", f.billing_details),
        ("order_number", f.order_number),
        ("pe_online_id", f.pe_online_id),
        ("newsletter", f.newsletter),
        ("captcha", f.captcha),
        ("disclaimer", f.disclaimer),
    ];
    for (name, rule) in plain {
        if rule.required && !rule.enabled {
            c.report(
                &format!("registration.fields.{name}.required"),
                format!("field `{name}` is required but not enabled"),
            );
        }
    }
    if f.properties.required && !f.properties.enabled {
        c.report(
            "registration.fields.properties.required",
            "field `properties` is required but not enabled",
        );
    }
    if f.properties.enabled && f.properties.names.is_empty() {
        c.report(
            "registration.fields.properties.names",
            "field `properties` is enabled but names no property",
        );
    }
    check_choice(c, "organisation", &f.organisation, organisations);
    check_choice(c, "organisation_unit", &f.organisation_unit, units);
}

fn check_choice(c: &mut Checker<'_>, name: &str, rule: &ChoiceFieldRule, known: &HashSet<&str>) {
    if rule.required && !rule.enabled && rule.fixed.is_none() {
        c.report(
            &format!("registration.fields.{name}.required"),
            format!("field `{name}` is required but neither enabled nor fixed"),
        );
    }
    if let Some(code) = &rule.fixed
        && !known.contains(code.as_str())
    {
        c.report(
            &format!("registration.fields.{name}.fixed"),
            format!("unknown {} `{code}`", name.replace('_', " ")),
        );
    }
}

fn check_imports(c: &mut Checker<'_>, d: &TenantDescriptor, catalogs: &HashSet<&str>) {
    let mut codes = HashMap::new();
    for (i, imp) in d.imports.iter().enumerate() {
        let path = format!("imports[{i}]");
        c.code(&format!("{path}.code"), "import configuration", &imp.code);
        c.name(&format!("{path}.name"), "import configuration", &imp.name);
        c.unique(
            &mut codes,
            &imp.code,
            format!("{path}.code"),
            "import configuration code",
        );
        let mut chars = imp.delimiter.chars();
        match (chars.next(), chars.next()) {
            (Some(ch), None) if !matches!(ch, '"' | '\n' | '\r') => {}
            _ => c.report(
                &format!("{path}.delimiter"),
                format!(
                    "delimiter `{}` must be exactly one character other than a quote or line break",
                    imp.delimiter
                ),
            ),
        }
        if let Some(cat) = &imp.catalog
            && !catalogs.contains(cat.as_str())
        {
            c.report(
                &format!("{path}.catalog"),
                format!("unknown catalog `{cat}`"),
            );
        }
        if imp.columns.is_empty() {
            c.report(
                &format!("{path}.columns"),
                "an import configuration needs columns",
            );
            continue;
        }
        let mut fields = HashMap::new();
        let mut headers = HashMap::new();
        let mut letters = HashMap::new();
        let mut mapped = HashSet::new();
        for (j, col) in imp.columns.iter().enumerate() {
            let cpath = format!("{path}.columns[{j}]");
            match col.field.parse::<ImportField>() {
                Err(_) => c.report(
                    &format!("{cpath}.field"),
                    format!(
                        "mapping to unknown field `{}`; see docs/tenants.md for the field list",
                        col.field
                    ),
                ),
                Ok(field) if !field.allowed_in(imp.kind) => c.report(
                    &format!("{cpath}.field"),
                    format!(
                        "field `{field}` cannot be imported by a `{}` import",
                        imp.kind.as_str()
                    ),
                ),
                Ok(field) => {
                    mapped.insert(field);
                }
            }
            c.unique(
                &mut fields,
                &col.field,
                format!("{cpath}.field"),
                "mapped field",
            );
            match (&col.header, &col.column) {
                (Some(_), Some(_)) => {
                    c.report(&cpath, "give either `header` or `column`, not both")
                }
                (None, None) => c.report(
                    &cpath,
                    "give `header` (a column name) or `column` (a letter)",
                ),
                (Some(h), None) => {
                    if h.trim().is_empty() {
                        c.report(&format!("{cpath}.header"), "header must not be empty");
                    }
                    if !imp.header && imp.format == ImportFormat::Csv {
                        c.report(
                            &format!("{cpath}.header"),
                            "maps by header name, but the configuration says `header: false`",
                        );
                    }
                    c.unique(&mut headers, h, format!("{cpath}.header"), "header");
                }
                (None, Some(letter)) => {
                    if column_index(letter).is_none() {
                        c.report(
                            &format!("{cpath}.column"),
                            format!("column `{letter}` is not a column letter (A, B, …, AE)"),
                        );
                    }
                    if imp.format == ImportFormat::Xml {
                        c.report(
                            &format!("{cpath}.column"),
                            "XML imports map by element name (`header`), not by column letter",
                        );
                    }
                    c.unique(&mut letters, letter, format!("{cpath}.column"), "column");
                }
            }
        }
        if !mapped.iter().any(|f| f.identifies_user()) {
            c.report(
                &format!("{path}.columns"),
                "no column identifies the user (external_id, login, email, user_number or personnel_number)",
            );
        }
        for needed in ImportField::required_for(imp.kind) {
            if !mapped.contains(needed) {
                c.report(
                    &format!("{path}.columns"),
                    format!(
                        "a `{}` import needs a column for `{needed}`",
                        imp.kind.as_str()
                    ),
                );
            }
        }
    }
}
