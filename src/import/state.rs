//! What the first pass learnt about each row, kept compactly (a few dozen bytes a row) so a
//! file of a million rows fits: the outcome, the user, how it was identified, the generated
//! login, and the error. The second pass writes exactly these outcomes (I7: a simulation and
//! a real run report the same).

use uuid::Uuid;

use super::index::Slot;
use super::report::{MatchedBy, Outcome, RowReport};

/// The first pass's verdict on one row.
#[derive(Debug, Clone)]
pub struct LineState {
    /// Line in the file.
    pub line: u64,
    /// What the row does.
    pub outcome: Outcome,
    /// U4: the key that found the stored user.
    pub matched_by: Option<MatchedBy>,
    /// The stored user.
    pub slot: Option<Slot>,
    /// I4: the login name a new user gets.
    pub login: Option<Box<str>>,
    /// Why the row fails.
    pub message: Option<Box<str>>,
    /// The file's password differs from the stored one.
    pub password_changed: bool,
    /// `Some(user)`: an earlier attempt of this import already wrote this row (resume).
    pub recorded: Option<Option<Uuid>>,
}

impl LineState {
    /// A row about to be planned (unchanged until the plan says otherwise).
    pub fn new(line: u64) -> Self {
        Self {
            line,
            outcome: Outcome::Unchanged,
            matched_by: None,
            slot: None,
            login: None,
            message: None,
            password_changed: false,
            recorded: None,
        }
    }

    /// A row that fails.
    pub fn error(line: u64, message: impl Into<String>) -> Self {
        Self {
            line,
            outcome: Outcome::Error,
            matched_by: None,
            slot: None,
            login: None,
            message: Some(message.into().into_boxed_str()),
            password_changed: false,
            recorded: None,
        }
    }

    /// Turns the row into an error, keeping how it was identified. A row an earlier
    /// attempt already wrote keeps its outcome.
    pub fn fail(&mut self, message: impl Into<String>) {
        if self.outcome != Outcome::Error && self.recorded.is_none() {
            self.outcome = Outcome::Error;
            self.message = Some(at_line(self.line, &message.into()).into_boxed_str());
        }
    }

    /// Whether the row still succeeds.
    pub fn ok(&self) -> bool {
        self.outcome != Outcome::Error
    }

    /// The report row for an outcome that writes nothing (unchanged, error).
    pub fn report(&self, user_id: Option<Uuid>) -> RowReport {
        RowReport {
            line: self.line,
            outcome: self.outcome,
            matched_by: self.matched_by,
            user_id,
            changes: Vec::new(),
            message: self.message.as_deref().map(str::to_owned),
        }
    }
}

/// Prefixes a row-level message with its line, unless it already names one.
pub fn at_line(line: u64, message: &str) -> String {
    if message.starts_with("line ") {
        message.to_owned()
    } else {
        format!("line {line}: {message}")
    }
}
