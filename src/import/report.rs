//! I8: the import report. Per row: created, updated (which fields, old → new), unchanged, or
//! error (why), with the key that identified the user (U4); totals; and the report as CSV —
//! the row's outcome and message followed by the original row (passwords blanked), written
//! with the export's spreadsheet-safe cells.

use std::fmt;
use std::io::Write;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::record::Rejection;
use crate::export::cells::neutralise;

/// What happened to a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A new user.
    Created,
    /// An existing user changed.
    Updated,
    /// An existing user, already as in the file.
    Unchanged,
    /// Nothing written; see the message.
    Error,
}

impl Outcome {
    /// Stored spelling (`import_rows.outcome`).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
            Outcome::Error => "error",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "created" => Outcome::Created,
            "updated" => Outcome::Updated,
            "unchanged" => Outcome::Unchanged,
            "error" => Outcome::Error,
            _ => return None,
        })
    }
}

/// U4: the key that identified an existing user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MatchedBy {
    /// External id (first).
    ExternalId,
    /// Login name (second).
    Uid,
    /// E-mail (third).
    Email,
    /// User number (configurations keyed by it, e.g. POB).
    UserNumber,
    /// Personnel number (configurations keyed by it, e.g. HR).
    PersonnelNumber,
}

impl MatchedBy {
    /// The column name of the key.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchedBy::ExternalId => "ExternalId",
            MatchedBy::Uid => "Uid",
            MatchedBy::Email => "Email",
            MatchedBy::UserNumber => "UserNumber",
            MatchedBy::PersonnelNumber => "PersonnelNumber",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<Self> {
        [
            MatchedBy::ExternalId,
            MatchedBy::Uid,
            MatchedBy::Email,
            MatchedBy::UserNumber,
            MatchedBy::PersonnelNumber,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }
}

/// One changed field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// Column name (the standard header).
    pub field: String,
    /// Value before (`""` when not set).
    pub old: String,
    /// Value after.
    pub new: String,
}

/// The outcome of one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowReport {
    /// Line in the file.
    pub line: u64,
    /// What happened.
    pub outcome: Outcome,
    /// U4: how the user was identified.
    pub matched_by: Option<MatchedBy>,
    /// The user, when there is one.
    pub user_id: Option<Uuid>,
    /// For `updated`: what changed.
    pub changes: Vec<FieldChange>,
    /// For `error`: why.
    pub message: Option<String>,
}

impl RowReport {
    /// The report's message: the error, or the changes as `Field: old → new; …`.
    pub fn message_text(&self) -> String {
        if let Some(m) = &self.message {
            return m.clone();
        }
        let show = |s: &str| {
            if s.is_empty() {
                "(empty)".to_owned()
            } else {
                s.to_owned()
            }
        };
        self.changes
            .iter()
            .map(|c| format!("{}: {} → {}", c.field, show(&c.old), show(&c.new)))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// I8: the totals of an import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Rows read.
    pub total: u64,
    /// Users created.
    pub created: u64,
    /// Users updated.
    pub updated: u64,
    /// Users unchanged.
    pub unchanged: u64,
    /// Rows with errors.
    pub errors: u64,
    /// Why the whole file was refused, if it was (nothing was written).
    pub rejected: Option<String>,
    /// I7: a simulation (nothing was written).
    pub simulate: bool,
    /// The `imports` row, when the import was recorded.
    pub import_id: Option<Uuid>,
    /// Milliseconds the import took.
    pub millis: u64,
}

impl Summary {
    /// Counts one row.
    pub fn count(&mut self, outcome: Outcome) {
        self.total += 1;
        match outcome {
            Outcome::Created => self.created += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::Error => self.errors += 1,
        }
    }

    /// A refused file.
    pub fn rejected(rejection: &Rejection, simulate: bool) -> Self {
        Self {
            rejected: Some(rejection.to_string()),
            simulate,
            ..Self::default()
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.simulate { "simulation: " } else { "" };
        if let Some(r) = &self.rejected {
            return write!(f, "{what}file rejected, nothing imported: {r}");
        }
        let would = if self.simulate { "would be " } else { "" };
        write!(
            f,
            "{what}{} rows: {} {would}created, {} {would}updated, {} unchanged, {} errors ({:.1} s)",
            self.total,
            self.created,
            self.updated,
            self.unchanged,
            self.errors,
            self.millis as f64 / 1000.0
        )
    }
}

/// Receives the report row by row, in file order.
pub trait ReportSink: Send {
    /// The column names of the original rows.
    fn header(&mut self, columns: &[String]) -> std::io::Result<()>;
    /// One row and its original cells.
    fn row(&mut self, report: &RowReport, original: &[&str]) -> std::io::Result<()>;
}

/// Keeps the rows in memory (simulation in the back office, tests).
#[derive(Debug, Default)]
pub struct MemoryReport {
    /// Every row.
    pub rows: Vec<RowReport>,
}

impl ReportSink for MemoryReport {
    fn header(&mut self, _: &[String]) -> std::io::Result<()> {
        Ok(())
    }
    fn row(&mut self, report: &RowReport, _: &[&str]) -> std::io::Result<()> {
        self.rows.push(report.clone());
        Ok(())
    }
}

/// Discards the rows.
#[derive(Debug, Default)]
pub struct NoReport;

impl ReportSink for NoReport {
    fn header(&mut self, _: &[String]) -> std::io::Result<()> {
        Ok(())
    }
    fn row(&mut self, _: &RowReport, _: &[&str]) -> std::io::Result<()> {
        Ok(())
    }
}

/// I8: the downloadable report: `Line;Outcome;MatchedBy;Message;` then the original columns.
pub struct CsvReport<W: Write + Send> {
    out: csv::Writer<W>,
}

impl<W: Write + Send> CsvReport<W> {
    /// A report written to `out` (semicolon-separated, like the import format).
    pub fn new(out: W) -> Self {
        Self {
            out: csv::WriterBuilder::new().delimiter(b';').from_writer(out),
        }
    }

    /// Flushes and returns the writer.
    pub fn finish(self) -> std::io::Result<W> {
        self.out
            .into_inner()
            .map_err(|e| std::io::Error::other(e.to_string()))
    }
}

impl<W: Write + Send> ReportSink for CsvReport<W> {
    fn header(&mut self, columns: &[String]) -> std::io::Result<()> {
        let mut line: Vec<&str> = vec!["Line", "Outcome", "MatchedBy", "Message"];
        line.extend(columns.iter().map(String::as_str));
        self.out.write_record(line).map_err(std::io::Error::other)
    }

    fn row(&mut self, r: &RowReport, original: &[&str]) -> std::io::Result<()> {
        let line = r.line.to_string();
        let message = r.message_text();
        let mut cells: Vec<std::borrow::Cow<'_, str>> = vec![
            line.as_str().into(),
            r.outcome.as_str().into(),
            r.matched_by.map(MatchedBy::as_str).unwrap_or("").into(),
            neutralise(&message),
        ];
        cells.extend(original.iter().map(|c| neutralise(c)));
        self.out
            .write_record(cells.iter().map(|c| c.as_bytes()))
            .map_err(std::io::Error::other)
    }
}
