//! Validate: a [`Record`]'s cells become typed values by the rules of U1 (via
//! `domain::users`), I5 (codes that must exist) and the tenant's settings. A problem names
//! the line, the column and the field: `line 7, column E (Email): invalid e-mail address …`;
//! every problem of a row is reported at once.

use chrono::NaiveDate;
use uuid::Uuid;

use super::fields::ImportField;
use super::layout::Layout;
use super::record::Record;
use super::refs::{Codes, Refs};
use crate::domain::users::{Email, ExternalId, LoginName, NAME_MAX, TEXT_MAX, bounded, parse_bool};

/// A typed cell value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    /// Text.
    Text(String),
    /// A referenced object (unit, organisation).
    Id(Uuid),
    /// Referenced objects (groups, profiles, catalogs), sorted, without duplicates.
    Ids(Vec<Uuid>),
    /// True / False.
    Bool(bool),
    /// An amount in cents.
    Cents(i64),
    /// A day.
    Date(NaiveDate),
}

/// I3: a column absent from the file keeps the stored value; an empty cell clears it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell<'a> {
    /// The column is not in the file.
    Absent,
    /// The cell is empty.
    Empty,
    /// The cell's value.
    Value(&'a Val),
}

impl<'a> Cell<'a> {
    /// The text of a text value.
    pub fn text(self) -> Option<&'a str> {
        match self {
            Cell::Value(Val::Text(s)) => Some(s),
            _ => None,
        }
    }

    /// Whether the column is in the file.
    pub fn present(self) -> bool {
        !matches!(self, Cell::Absent)
    }
}

/// A validated row.
#[derive(Debug, Clone, Default)]
pub struct Row {
    /// Line in the file.
    pub line: u64,
    cells: Vec<(ImportField, Option<Val>)>,
}

impl Row {
    /// The cell of `field`.
    pub fn get(&self, field: ImportField) -> Cell<'_> {
        match self.cells.iter().find(|(f, _)| *f == field) {
            None => Cell::Absent,
            Some((_, None)) => Cell::Empty,
            Some((_, Some(v))) => Cell::Value(v),
        }
    }

    /// The text of `field`, when given.
    pub fn text(&self, field: ImportField) -> Option<&str> {
        self.get(field).text()
    }

    /// The fields present in the file, in layout order.
    pub fn present(&self) -> impl Iterator<Item = (ImportField, Option<&Val>)> {
        self.cells.iter().map(|(f, v)| (*f, v.as_ref()))
    }
}

/// Parses `record` for `layout`; `labels` name each slot's column in messages.
pub fn parse(
    record: &Record,
    layout: &Layout,
    labels: &[String],
    refs: &Refs,
) -> Result<Row, String> {
    let mut row = Row {
        line: record.line,
        cells: Vec::with_capacity(layout.columns.len()),
    };
    let mut problems = Vec::new();
    for (slot, binding) in layout.columns.iter().enumerate() {
        let Some(raw) = record.get(slot) else {
            continue;
        };
        if raw.is_empty() {
            row.cells.push((binding.field, None));
            continue;
        }
        match value(binding.field, raw, refs) {
            Ok(v) => row.cells.push((binding.field, Some(v))),
            Err(message) => {
                let label = labels.get(slot).map(String::as_str).unwrap_or("?");
                problems.push(format!("column {label}: {message}"));
            }
        }
    }
    if problems.is_empty() {
        Ok(row)
    } else {
        Err(format!("line {}, {}", record.line, problems.join("; ")))
    }
}

fn text(raw: &str, max: usize, what: &str) -> Result<Val, String> {
    bounded(raw, max, what).map(Val::Text).map_err(|e| e.0)
}

fn codes(raw: &str, codes: &Codes, what: &str, rule: &str) -> Result<Val, String> {
    let mut ids = Vec::new();
    let mut unknown = Vec::new();
    for code in raw.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        match codes.id(code) {
            Some(id) => ids.push(id),
            None => unknown.push(format!("`{code}`")),
        }
    }
    if !unknown.is_empty() {
        return Err(format!("unknown {what} {}{rule}", unknown.join(", ")));
    }
    ids.sort_by(|a, b| codes.code(*a).cmp(&codes.code(*b)));
    ids.dedup();
    Ok(Val::Ids(ids))
}

fn value(field: ImportField, raw: &str, refs: &Refs) -> Result<Val, String> {
    use ImportField as F;
    match field {
        F::ExternalId | F::SuperiorExternalId => ExternalId::parse(raw)
            .map(|v| Val::Text(v.into_string()))
            .map_err(|e| e.0),
        F::Login => LoginName::parse(raw)
            .map(|v| Val::Text(v.into_string()))
            .map_err(|e| e.0),
        F::Email => Email::parse(raw)
            .map(|v| Val::Text(v.into_string()))
            .map_err(|e| e.0),
        F::FirstName => text(raw, NAME_MAX, "first name"),
        F::LastName => text(raw, NAME_MAX, "last name"),
        F::MiddleName => text(raw, NAME_MAX, "middle name"),
        F::Title => text(raw, NAME_MAX, "title"),
        F::Password => password(raw, refs),
        F::Language => {
            if refs.languages.iter().any(|l| l == raw) {
                Ok(Val::Text(raw.to_owned()))
            } else {
                Err(format!(
                    "language `{raw}` is not one of this tenant's languages ({})",
                    refs.languages.join(", ")
                ))
            }
        }
        F::OrganisationUnit => refs
            .units
            .id(raw)
            .map(Val::Id)
            .ok_or_else(|| format!("unknown organisation unit `{raw}`")),
        F::Organisation | F::OrganisationCode => refs
            .organisations
            .id(raw)
            .map(Val::Id)
            .ok_or_else(|| format!("unknown organisation `{raw}`")),
        F::UserGroups => codes(
            raw,
            &refs.groups,
            "user group",
            " (user groups must exist; an import never creates them)",
        ),
        F::EnrollmentProfiles => codes(raw, &refs.profiles, "enrollment profile", ""),
        F::Catalogs => codes(raw, &refs.catalogs, "catalog", ""),
        F::Superior | F::Active | F::PrivacyPolicyAccepted => {
            parse_bool(raw).map(Val::Bool).map_err(|e| e.0)
        }
        F::PersonalBudget => parse_amount(raw).map(Val::Cents),
        F::EmploymentStart | F::EmploymentEnd => parse_date(raw).map(Val::Date),
        F::PropertyValue => text(raw, 4000, "value"),
        F::UserNumber
        | F::PersonnelNumber
        | F::CompanyRole
        | F::Area
        | F::Department
        | F::CostCentre
        | F::DataField01
        | F::DataField02
        | F::DataField03
        | F::PropertyName
        | F::DepartmentCode
        | F::DepartmentName
        | F::ParentDepartmentCode
        | F::JobTitle => text(raw, TEXT_MAX, field.as_str()),
    }
}

fn password(raw: &str, refs: &Refs) -> Result<Val, String> {
    let policy = &refs.settings.password_policy;
    let n = raw.chars().count();
    if n < policy.min_length as usize {
        return Err(format!(
            "password has {n} characters, at least {} are required",
            policy.min_length
        ));
    }
    if n > 1024 {
        return Err("password is longer than 1024 characters".into());
    }
    if policy.require_letter && !raw.chars().any(char::is_alphabetic) {
        return Err("password needs a letter".into());
    }
    if policy.require_digit && !raw.chars().any(|c| c.is_ascii_digit()) {
        return Err("password needs a digit".into());
    }
    if policy.require_symbol && raw.chars().all(char::is_alphanumeric) {
        return Err("password needs a character other than a letter or digit".into());
    }
    Ok(Val::Text(raw.to_owned()))
}

/// U9: an amount like `1234`, `1234,50`, `1.234,50` or `1,234.50`, in cents.
pub fn parse_amount(raw: &str) -> Result<i64, String> {
    let bad = || format!("`{raw}` is not an amount (e.g. 1234 or 1234,50)");
    let s = raw.trim().trim_start_matches(['€', '$']).trim();
    if s.is_empty()
        || !s
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return Err(bad());
    }
    // The decimal separator is the last `.` or `,` followed by one or two digits.
    let decimal_at = s
        .rfind(['.', ','])
        .filter(|i| matches!(s.len() - i - 1, 1 | 2));
    let (whole, frac) = match decimal_at {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    };
    let whole: String = whole.chars().filter(char::is_ascii_digit).collect();
    if whole.is_empty() && frac.is_empty() {
        return Err(bad());
    }
    let units: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let cents: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().map_err(|_| bad())? * 10,
        _ => frac.parse().map_err(|_| bad())?,
    };
    units
        .checked_mul(100)
        .and_then(|u| u.checked_add(cents))
        .ok_or_else(bad)
}

/// U8: a day as `2026-03-01`, `01-03-2026`, `01.03.2026` or `01/03/2026`.
pub fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    let s = raw.trim();
    ["%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
        .ok_or_else(|| format!("`{raw}` is not a date (e.g. 2026-03-01 or 01-03-2026)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u9_amounts() {
        assert_eq!(parse_amount("1234"), Ok(123_400));
        assert_eq!(parse_amount("1234,5"), Ok(123_450));
        assert_eq!(parse_amount("1.234,50"), Ok(123_450));
        assert_eq!(parse_amount("1,234.50"), Ok(123_450));
        assert_eq!(parse_amount("1.234"), Ok(123_400));
        assert_eq!(parse_amount("0,99"), Ok(99));
        assert!(parse_amount("12a").is_err());
        assert!(parse_amount("-5").is_err());
        assert!(parse_amount("").is_err());
    }

    #[test]
    fn u8_dates() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
        for s in ["2026-03-01", "01-03-2026", "01.03.2026", "01/03/2026"] {
            assert_eq!(parse_date(s), Ok(d), "{s}");
        }
        assert!(parse_date("2026-13-01").is_err());
    }
}
