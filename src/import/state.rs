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

/// The most lines a file may have: line numbers and row ordinals are kept as 31-bit
/// values (claims, superiors).
pub const MAX_LINE: u64 = (1 << 31) - 1;

/// `line` as kept in 32 bits (files are refused beyond [`MAX_LINE`]).
pub fn line32(line: u64) -> u32 {
    u32::try_from(line.min(MAX_LINE)).unwrap_or(0)
}

/// Prefixes a row-level message with its line, unless it already names one.
pub fn at_line(line: u64, message: &str) -> String {
    if message.starts_with("line ") {
        message.to_owned()
    } else {
        format!("line {line}: {message}")
    }
}

/// Every row's verdict, stored compactly: 16 bytes a row, generated logins in one string
/// (each after its length in two bytes), messages and resume records on the side (only
/// rows that have them pay for them). A file of a million rows keeps ~35 MB here.
#[derive(Debug, Default)]
pub struct Lines {
    items: Vec<Compact>,
    logins: Vec<u8>,
    messages: std::collections::HashMap<u32, Box<str>>,
    recorded: std::collections::HashMap<u32, Option<Uuid>>,
}

#[derive(Debug, Clone, Copy)]
struct Compact {
    line: u32,
    slot: u32,
    /// Where the login's length starts in `logins`; [`NO_LOGIN`] for none.
    login_at: u32,
    outcome: Outcome,
    matched_by: Option<MatchedBy>,
    password_changed: bool,
}

const NO_SLOT: u32 = u32::MAX;
const NO_LOGIN: u32 = u32::MAX;

impl Lines {
    /// Room for about `n` rows (an estimate from the file's size), so the store does not
    /// double (and briefly hold both copies) near its end.
    pub fn reserve(&mut self, n: usize) {
        let per_row = self.logins.len() / self.items.len().max(1);
        self.items.reserve(n.saturating_sub(self.items.len()));
        self.logins
            .reserve((per_row * n).saturating_sub(self.logins.len()));
    }

    /// Adds the next row's verdict.
    pub fn push(&mut self, s: LineState) {
        self.items.push(Compact {
            line: 0,
            slot: NO_SLOT,
            login_at: NO_LOGIN,
            outcome: Outcome::Unchanged,
            matched_by: None,
            password_changed: false,
        });
        self.set(self.items.len() - 1, s);
    }

    /// Replaces the verdict on row `ord` (pushed before as a placeholder, so the rows of a
    /// batch have their ordinals while the batch is planned).
    pub fn set(&mut self, ord: usize, s: LineState) {
        if ord >= self.items.len() {
            return;
        }
        let key = ord as u32;
        // Most rows have neither: spare them the hashing.
        if !self.messages.is_empty() {
            self.messages.remove(&key);
        }
        if !self.recorded.is_empty() {
            self.recorded.remove(&key);
        }
        let login_at = match s.login.as_deref() {
            Some(l) if self.logins.len() + l.len() + 2 < NO_LOGIN as usize => {
                let at = self.logins.len() as u32;
                // Logins are at most 100 characters (U1): the length fits two bytes.
                let len = u16::try_from(l.len()).unwrap_or(u16::MAX);
                self.logins.extend_from_slice(&len.to_le_bytes());
                self.logins
                    .extend_from_slice(&l.as_bytes()[..usize::from(len)]);
                at
            }
            _ => NO_LOGIN,
        };
        if let Some(m) = s.message {
            self.messages.insert(key, m);
        }
        if let Some(r) = s.recorded {
            self.recorded.insert(key, r);
        }
        self.items[ord] = Compact {
            line: line32(s.line),
            slot: s.slot.unwrap_or(NO_SLOT),
            login_at,
            outcome: s.outcome,
            matched_by: s.matched_by,
            password_changed: s.password_changed,
        };
    }

    /// Rows so far.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The verdict on row `ord`, whole.
    pub fn get(&self, ord: usize) -> Option<LineState> {
        let c = self.items.get(ord)?;
        let ord32 = ord as u32;
        let login = (c.login_at != NO_LOGIN).then(|| {
            let at = c.login_at as usize;
            let len = usize::from(u16::from_le_bytes([self.logins[at], self.logins[at + 1]]));
            String::from_utf8_lossy(&self.logins[at + 2..at + 2 + len])
                .into_owned()
                .into_boxed_str()
        });
        Some(LineState {
            line: u64::from(c.line),
            outcome: c.outcome,
            matched_by: c.matched_by,
            slot: (c.slot != NO_SLOT).then_some(c.slot),
            login,
            message: self.messages.get(&ord32).cloned(),
            password_changed: c.password_changed,
            recorded: self.recorded.get(&ord32).copied(),
        })
    }

    /// Whether row `ord` exists and still succeeds.
    pub fn ok(&self, ord: usize) -> bool {
        self.items
            .get(ord)
            .is_some_and(|c| c.outcome != Outcome::Error)
    }

    /// The file line of row `ord`.
    pub fn line(&self, ord: usize) -> Option<u64> {
        self.items.get(ord).map(|c| u64::from(c.line))
    }

    /// The outcome of row `ord`.
    pub fn outcome(&self, ord: usize) -> Option<Outcome> {
        self.items.get(ord).map(|c| c.outcome)
    }

    /// The stored user of row `ord`.
    pub fn slot(&self, ord: usize) -> Option<Slot> {
        self.items
            .get(ord)
            .and_then(|c| (c.slot != NO_SLOT).then_some(c.slot))
    }

    /// What an earlier attempt recorded for row `ord` (resume).
    pub fn recorded(&self, ord: usize) -> Option<Option<Uuid>> {
        self.recorded.get(&(ord as u32)).copied()
    }

    /// Turns row `ord` into an error, as [`LineState::fail`] does.
    pub fn fail(&mut self, ord: usize, message: impl Into<String>) {
        let recorded = self.recorded.contains_key(&(ord as u32));
        let Some(c) = self.items.get_mut(ord) else {
            return;
        };
        if c.outcome != Outcome::Error && !recorded {
            c.outcome = Outcome::Error;
            let m = at_line(u64::from(c.line), &message.into()).into_boxed_str();
            self.messages.insert(ord as u32, m);
        }
    }

    /// Row `ord` changes the stored password: it updates.
    pub fn password_changed(&mut self, ord: usize) {
        if let Some(c) = self.items.get_mut(ord)
            && c.outcome != Outcome::Error
        {
            c.outcome = Outcome::Updated;
            c.password_changed = true;
        }
    }

    /// Rows this attempt creates (not counting rows an earlier attempt wrote).
    pub fn creates(&self) -> u64 {
        self.items
            .iter()
            .enumerate()
            .filter(|(i, c)| {
                c.outcome == Outcome::Created && !self.recorded.contains_key(&(*i as u32))
            })
            .count() as u64
    }

    /// Bytes held (for the debug log).
    pub fn bytes(&self) -> usize {
        self.items.capacity() * std::mem::size_of::<Compact>() + self.logins.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_keep_every_field() {
        let mut lines = Lines::default();
        let mut created = LineState::new(2);
        created.outcome = Outcome::Created;
        created.login = Some("jan.jansen".into());
        lines.push(created);
        let mut stored = LineState::new(3);
        stored.slot = Some(7);
        stored.matched_by = Some(MatchedBy::Email);
        lines.push(stored);
        lines.push(LineState::error(4, "line 4: bad"));
        let mut resumed = LineState::new(5);
        resumed.recorded = Some(None);
        lines.push(resumed);

        assert_eq!(lines.len(), 4);
        assert_eq!(
            lines.get(0).expect("row").login.as_deref(),
            Some("jan.jansen")
        );
        assert_eq!(lines.get(1).expect("row").slot, Some(7));
        assert_eq!(
            lines.get(1).expect("row").matched_by,
            Some(MatchedBy::Email)
        );
        assert_eq!(lines.get(1).expect("row").login, None);
        assert_eq!(
            lines.get(2).expect("row").message.as_deref(),
            Some("line 4: bad")
        );
        assert!(!lines.ok(2));
        assert_eq!(lines.creates(), 1);
        assert_eq!(std::mem::size_of::<Compact>(), 16);

        lines.password_changed(1);
        assert_eq!(lines.outcome(1), Some(Outcome::Updated));
        assert!(lines.get(1).expect("row").password_changed);
        lines.fail(1, "no");
        assert_eq!(
            lines.get(1).expect("row").message.as_deref(),
            Some("line 3: no")
        );
        // A row an earlier attempt wrote keeps its outcome.
        lines.fail(3, "no");
        assert!(lines.ok(3));
        assert_eq!(lines.recorded(3), Some(None));

        // A placeholder replaced in the middle keeps its place and takes the new verdict.
        let mut later = LineState::new(3);
        later.outcome = Outcome::Created;
        later.login = Some("piet".into());
        lines.set(1, later);
        assert_eq!(lines.len(), 4);
        assert_eq!(lines.get(1).expect("row").login.as_deref(), Some("piet"));
        assert_eq!(lines.get(1).expect("row").slot, None);
        assert_eq!(lines.get(1).expect("row").message, None);
        assert_eq!(lines.line(1), Some(3));
        assert_eq!(
            lines.get(0).expect("row").login.as_deref(),
            Some("jan.jansen")
        );
        lines.set(3, LineState::new(5));
        assert_eq!(lines.recorded(3), None);
    }
}
