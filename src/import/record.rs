//! One row of an import file as the readers hand it on, whatever the format: its line, its
//! original cells (for the report), and the value of each mapped field by slot, where an
//! absent column (I3: keep) differs from an empty one (clear). Records are reused from row to
//! row so reading allocates nothing per cell.

use std::fmt;

/// A problem with the file as a whole (I3: unknown or missing column, trailing delimiter,
/// wrong encoding, malformed XML; I6: quota). The file is refused before anything is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Line where the problem is, if it is at one.
    pub line: Option<u64>,
    /// Column (`E (Email)`) or element where it is.
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl Rejection {
    /// A problem of the whole file.
    pub fn file(message: impl Into<String>) -> Self {
        Self {
            line: None,
            column: None,
            message: message.into(),
        }
    }

    /// A problem at `line`.
    pub fn at(line: u64, message: impl Into<String>) -> Self {
        Self {
            line: Some(line),
            column: None,
            message: message.into(),
        }
    }

    /// A problem at `line` in `column`.
    pub fn at_column(line: u64, column: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            line: Some(line),
            column: Some(column.into()),
            message: message.into(),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, &self.column) {
            (Some(l), Some(c)) => write!(f, "line {l}, column {c}: {}", self.message),
            (Some(l), None) => write!(f, "line {l}: {}", self.message),
            (None, Some(c)) => write!(f, "column {c}: {}", self.message),
            (None, None) => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Rejection {}

/// One row of the file.
#[derive(Debug, Clone, Default)]
pub struct Record {
    /// 1-based line where the row starts.
    pub line: u64,
    text: String,
    cells: Vec<(u32, u32)>,
    slots: Vec<Option<u32>>,
}

impl Record {
    /// Empties the record for the next row with `slots` mapped fields.
    pub fn reset(&mut self, line: u64, slots: usize) {
        self.line = line;
        self.text.clear();
        self.cells.clear();
        self.slots.clear();
        self.slots.resize(slots, None);
    }

    /// About the bytes the row took in a delimited file: its cells and their delimiters.
    pub fn size(&self) -> usize {
        self.text.len() + self.cells.len()
    }

    /// Appends an original cell and returns its index.
    pub fn push_cell(&mut self, value: &str) -> usize {
        let start = self.text.len();
        self.text.push_str(value);
        self.cells.push((start as u32, self.text.len() as u32));
        self.cells.len() - 1
    }

    /// Appends more text to the last cell (XML text arrives in pieces).
    pub fn extend_last(&mut self, more: &str) {
        self.text.push_str(more);
        if let Some(last) = self.cells.last_mut() {
            last.1 = self.text.len() as u32;
        }
    }

    /// Says that `slot` holds original cell `cell`.
    pub fn bind(&mut self, slot: usize, cell: usize) {
        if let Some(s) = self.slots.get_mut(slot) {
            *s = Some(cell as u32);
        }
    }

    /// The value of a mapped field: `None` when its column is absent, `Some("")` when empty.
    pub fn get(&self, slot: usize) -> Option<&str> {
        let cell = (*self.slots.get(slot)?)?;
        Some(self.cell(cell as usize))
    }

    /// Original cell `i`.
    pub fn cell(&self, i: usize) -> &str {
        self.cells
            .get(i)
            .and_then(|(s, e)| self.text.get(*s as usize..*e as usize))
            .unwrap_or("")
    }

    /// How many original cells the row has.
    pub fn cell_count(&self) -> usize {
        self.cells.len()
    }

    /// Which original cell a slot comes from.
    pub fn cell_of(&self, slot: usize) -> Option<usize> {
        self.slots.get(slot).copied().flatten().map(|c| c as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i3_absent_differs_from_empty() {
        let mut r = Record::default();
        r.reset(2, 3);
        let a = r.push_cell("x");
        let b = r.push_cell("");
        r.bind(0, a);
        r.bind(1, b);
        assert_eq!(r.get(0), Some("x"));
        assert_eq!(r.get(1), Some(""));
        assert_eq!(r.get(2), None);
        r.reset(3, 1);
        assert_eq!(r.get(0), None);
        assert_eq!(r.cell_count(), 0);
    }

    #[test]
    fn rejection_names_line_and_column() {
        let r = Rejection::at_column(7, "E (Email)", "not valid UTF-8");
        assert_eq!(r.to_string(), "line 7, column E (Email): not valid UTF-8");
    }
}
