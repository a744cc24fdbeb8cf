//! X9: how a plan reads — for `tenant plan`, the log of `serve`, and `tenant apply`.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::Value;

use super::{Outcome, Plan, ReportLine};

/// The plan as `tenant plan` prints it and `serve` logs it.
impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        render(f, &self.slug, &self.file, &self.lines)
    }
}

/// Renders plan lines: the tenant and its file, every object that changes with each field
/// before → after, the others one line each, then a count of the unchanged ones.
pub(crate) fn render(
    f: &mut fmt::Formatter<'_>,
    slug: &str,
    file: &str,
    lines: &[ReportLine],
) -> fmt::Result {
    let changes = lines.iter().filter(|l| l.is_change()).count();
    write!(f, "{slug} ({file}): ")?;
    if changes == 0 {
        writeln!(f, "no changes")?;
    } else {
        writeln!(f, "{changes} change{}", if changes == 1 { "" } else { "s" })?;
    }
    let mut unchanged = 0;
    for l in lines {
        match &l.outcome {
            Outcome::Unchanged => unchanged += 1,
            Outcome::Updated(_) => {
                writeln!(f, "  {} {}: changed", l.kind, l.code)?;
                for c in &l.changes {
                    diff_lines(f, &c.field, &c.before, &c.after)?;
                }
            }
            _ => writeln!(f, "  {l}")?,
        }
    }
    if unchanged > 0 {
        writeln!(f, "  {unchanged} unchanged")?;
    }
    Ok(())
}

/// `field: before → after`; objects (tenant settings) go down to the keys that differ.
fn diff_lines(
    f: &mut fmt::Formatter<'_>,
    field: &str,
    before: &Value,
    after: &Value,
) -> fmt::Result {
    if let (Value::Object(b), Value::Object(a)) = (before, after) {
        let keys: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
        for k in keys {
            let (x, y) = (
                b.get(k).unwrap_or(&Value::Null),
                a.get(k).unwrap_or(&Value::Null),
            );
            if x != y {
                diff_lines(f, &format!("{field}.{k}"), x, y)?;
            }
        }
        return Ok(());
    }
    writeln!(f, "    {field}: {} → {}", shown(before), shown(after))
}

fn shown(v: &Value) -> String {
    match v {
        Value::Null => "(none)".into(),
        Value::String(s) => format!("{s:?}"),
        Value::Array(items) => {
            let parts: Vec<String> = items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                .collect();
            format!("[{}]", parts.join(", "))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::TenantId;
    use crate::tenancy::plan::{FieldChange, line};
    use serde_json::json;
    use uuid::Uuid;

    fn plan_of(lines: Vec<ReportLine>) -> Plan {
        Plan {
            tenant: TenantId(Uuid::nil()),
            slug: "acme".into(),
            file: "tenants/acme.yaml".into(),
            lines,
            tenant_row: None,
            steps: Vec::new(),
            rights: Vec::new(),
            bump_policy: false,
        }
    }

    /// X9: what `tenant plan` prints and `serve` logs before applying.
    #[test]
    fn x9_plan_renders_each_changed_field_before_and_after() {
        let plan = plan_of(vec![
            line("tenant", "acme", Outcome::Unchanged),
            ReportLine {
                kind: "catalog",
                code: "SALES".into(),
                outcome: Outcome::Updated(vec!["name".into()]),
                changes: vec![FieldChange {
                    field: "name".into(),
                    before: json!("Sales"),
                    after: json!("Sales & Marketing"),
                }],
            },
            ReportLine {
                kind: "role",
                code: "admin".into(),
                outcome: Outcome::Updated(vec!["rights".into()]),
                changes: vec![FieldChange {
                    field: "rights".into(),
                    before: json!(["roles", "users"]),
                    after: json!(["user_groups", "users"]),
                }],
            },
            ReportLine {
                kind: "tenant",
                code: "acme".into(),
                outcome: Outcome::Updated(vec!["registration".into()]),
                changes: vec![FieldChange {
                    field: "registration".into(),
                    before: json!({"flow": "email_confirmation", "captcha": true}),
                    after: json!({"flow": "immediate", "captcha": true}),
                }],
            },
            line("catalog", "NEW", Outcome::Created),
            line("user group", "LOCAL", Outcome::Kept),
        ]);
        assert!(!plan.is_unchanged());
        assert_eq!(
            plan.to_string(),
            "acme (tenants/acme.yaml): 4 changes\n\
             \x20 catalog SALES: changed\n\
             \x20   name: \"Sales\" → \"Sales & Marketing\"\n\
             \x20 role admin: changed\n\
             \x20   rights: [roles, users] → [user_groups, users]\n\
             \x20 tenant acme: changed\n\
             \x20   registration.flow: \"email_confirmation\" → \"immediate\"\n\
             \x20 catalog NEW: created\n\
             \x20 user group LOCAL: not in descriptor, made at run time (kept)\n\
             \x20 1 unchanged\n"
        );
        let quiet = plan_of(vec![
            line("tenant", "acme", Outcome::Unchanged),
            line("user group", "LOCAL", Outcome::Kept),
        ]);
        assert!(quiet.is_unchanged());
        assert_eq!(
            quiet.to_string(),
            "acme (tenants/acme.yaml): no changes\n\
             \x20 user group LOCAL: not in descriptor, made at run time (kept)\n\
             \x20 1 unchanged\n"
        );
    }
}
