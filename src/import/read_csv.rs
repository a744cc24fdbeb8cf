//! I1/I3: reading CSV: semicolon by default (the layout's delimiter), UTF-8 with or without
//! BOM, quoted fields, CRLF or LF. The header line is checked once (unknown, duplicate or
//! missing required columns, a trailing delimiter); every data line must have as many cells as
//! the header, so a trailing delimiter on any line refuses the file with its line number.
//! Built on `csv_core` with our own buffer, so each record knows the exact line it starts on
//! (blank lines and CRLF included); the record buffers are reused for the whole file.

use std::io::BufRead;

use super::fields::column_letters;
use super::layout::{ColumnSource, Layout};
use super::record::{Record, Rejection};
use crate::export::cells::restore;

/// The raw cells of one record.
#[derive(Default)]
struct Raw {
    fields: Vec<u8>,
    ends: Vec<usize>,
    len: usize,
}

impl Raw {
    fn len(&self) -> usize {
        self.len
    }

    fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.fields[start..self.ends[i]]
    }

    fn iter(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len).map(|i| self.get(i))
    }
}

/// A CSV file being read.
pub struct CsvSource {
    input: Box<dyn BufRead + Send>,
    core: csv_core::Reader,
    rec: Raw,
    /// Line of the next unread byte.
    line: u64,
    /// First line of the record in `rec`.
    rec_line: u64,
    /// Cells every line must have.
    width: usize,
    /// Slot → cell index, `None` when the column is absent.
    slot_cells: Vec<Option<usize>>,
    /// Slot → how messages name the column, `E (Email)`.
    labels: Vec<String>,
    /// Column names for the report: the header line, or letters.
    header: Vec<String>,
    /// Without a header line, the first record is read while opening.
    pending: bool,
    /// What set the width: `the header` or `the first line`.
    width_from: &'static str,
}

fn io_rejection(e: std::io::Error) -> Rejection {
    Rejection::file(format!("cannot read the file: {e}"))
}

fn utf8(bytes: &[u8], line: u64, column: impl FnOnce() -> String) -> Result<&str, Rejection> {
    std::str::from_utf8(bytes).map_err(|_| {
        Rejection::at_column(
            line,
            column(),
            "not valid UTF-8; save the file as UTF-8 (with or without BOM)",
        )
    })
}

impl CsvSource {
    /// Opens `input` and checks its header against `layout`.
    pub fn open(input: Box<dyn BufRead + Send>, layout: &Layout) -> Result<Self, Rejection> {
        let core = csv_core::ReaderBuilder::new()
            .delimiter(layout.delimiter)
            .build();
        let mut source = Self {
            input,
            core,
            rec: Raw {
                fields: vec![0; 4096],
                ends: vec![0; 64],
                len: 0,
            },
            line: 1,
            rec_line: 1,
            width: 0,
            slot_cells: vec![None; layout.columns.len()],
            labels: Vec::with_capacity(layout.columns.len()),
            header: Vec::new(),
            pending: false,
            width_from: "the header",
        };
        let found = source.read_raw().map_err(io_rejection)?;
        if !found {
            return Err(Rejection::file(if layout.has_header {
                "the file is empty: the header line is missing"
            } else {
                "the file is empty"
            }));
        }
        source.width = source.rec.len();
        if layout.has_header {
            source.read_header(layout)?;
        } else {
            source.pending = true;
            source.width_from = "the first line";
            source.header = (0..source.width).map(column_letters).collect();
        }
        for (slot, binding) in layout.columns.iter().enumerate() {
            let cell = match &binding.source {
                ColumnSource::Header(h) => source.header.iter().position(|x| x == h),
                ColumnSource::Letter(i) => (*i < source.width).then_some(*i),
            };
            if cell.is_none() && binding.required {
                return Err(Rejection::at(
                    1,
                    format!("missing required column `{}`", binding.describe()),
                ));
            }
            source.slot_cells[slot] = cell;
            source.labels.push(match (cell, &binding.source) {
                (Some(i), ColumnSource::Header(h)) => format!("{} ({h})", column_letters(i)),
                (_, _) => binding.describe(),
            });
        }
        Ok(source)
    }

    fn read_header(&mut self, layout: &Layout) -> Result<(), Rejection> {
        let mut names = Vec::with_capacity(self.rec.len());
        for (i, bytes) in self.rec.iter().enumerate() {
            let name = utf8(bytes, 1, || column_letters(i))?;
            names.push(name.trim_start_matches('\u{feff}').to_owned());
        }
        // I3: a trailing delimiter leaves an empty last column name.
        if names.len() > 1 && names.last().is_some_and(|n| n.is_empty()) {
            let before = &names[names.len() - 2];
            return Err(Rejection::at(
                1,
                format!("trailing delimiter after the last column `{before}`; remove it"),
            ));
        }
        let known: Vec<&str> = layout
            .columns
            .iter()
            .filter_map(|b| match &b.source {
                ColumnSource::Header(h) => Some(h.as_str()),
                ColumnSource::Letter(_) => None,
            })
            .collect();
        for (i, name) in names.iter().enumerate() {
            let col = || column_letters(i);
            if name.is_empty() && layout.closed() {
                return Err(Rejection::at_column(1, col(), "empty column name"));
            }
            if let Some(first) = names[..i].iter().position(|n| n == name)
                && !name.is_empty()
            {
                return Err(Rejection::at_column(
                    1,
                    col(),
                    format!(
                        "column `{name}` appears twice (also column {})",
                        column_letters(first)
                    ),
                ));
            }
            if layout.closed() && !known.contains(&name.as_str()) {
                let hint = known
                    .iter()
                    .find(|k| k.eq_ignore_ascii_case(name) || k.eq_ignore_ascii_case(name.trim()))
                    .map(|k| format!("; did you mean `{k}`?"))
                    .unwrap_or_else(|| "; column names are fixed, see docs/import.md".into());
                return Err(Rejection::at_column(
                    1,
                    col(),
                    format!("unknown column `{name}`{hint}"),
                ));
            }
        }
        self.header = names;
        Ok(())
    }

    /// Column names for the report.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// How messages name the column of each slot.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Reads the next row into `out`; `false` at the end of the file. Lines whose cells are
    /// all empty are skipped.
    pub fn next(&mut self, out: &mut Record) -> Result<bool, Rejection> {
        loop {
            if self.pending {
                self.pending = false;
            } else if !self.read_raw().map_err(io_rejection)? {
                return Ok(false);
            }
            if self.rec.iter().all(|c| c.is_empty()) {
                continue;
            }
            let line = self.rec_line;
            self.check_width(line)?;
            out.reset(line, self.slot_cells.len());
            for (i, bytes) in self.rec.iter().enumerate() {
                let value = utf8(bytes, line, || {
                    let name = self.header.get(i).map(String::as_str).unwrap_or("");
                    format!("{} ({name})", column_letters(i))
                })?;
                out.push_cell(restore(value));
            }
            for (slot, cell) in self.slot_cells.iter().enumerate() {
                if let Some(c) = cell {
                    out.bind(slot, *c);
                }
            }
            return Ok(true);
        }
    }

    /// Reads the next record into `rec`, noting its first line; `false` at the end.
    fn read_raw(&mut self) -> std::io::Result<bool> {
        use csv_core::ReadRecordResult as R;
        // Line breaks between records (blank lines, the `\n` of a CRLF) are ours to skip, so
        // the record's first line is known before it is read.
        loop {
            let buf = self.input.fill_buf()?;
            let n = buf
                .iter()
                .take_while(|b| matches!(b, b'\n' | b'\r'))
                .count();
            self.line += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
            let all = n == buf.len() && n > 0;
            self.input.consume(n);
            if !all {
                break;
            }
        }
        self.rec_line = self.line;
        let (mut out, mut end) = (0, 0);
        loop {
            let buf = self.input.fill_buf()?;
            let (res, nin, nout, nend) =
                self.core
                    .read_record(buf, &mut self.rec.fields[out..], &mut self.rec.ends[end..]);
            self.line += buf[..nin].iter().filter(|b| **b == b'\n').count() as u64;
            self.input.consume(nin);
            out += nout;
            end += nend;
            match res {
                R::InputEmpty => {}
                R::OutputFull => {
                    let n = self.rec.fields.len().max(1) * 2;
                    self.rec.fields.resize(n, 0);
                }
                R::OutputEndsFull => {
                    let n = self.rec.ends.len().max(1) * 2;
                    self.rec.ends.resize(n, 0);
                }
                R::Record => {
                    // `ends` are relative to where this call's output started.
                    self.rec.len = end;
                    return Ok(true);
                }
                R::End => return Ok(false),
            }
        }
    }

    fn check_width(&self, line: u64) -> Result<(), Rejection> {
        let n = self.rec.len();
        if n == self.width {
            return Ok(());
        }
        let extra_empty = n > self.width && self.rec.iter().skip(self.width).all(|c| c.is_empty());
        let message = if extra_empty {
            format!(
                "trailing delimiter: {n} cells where {} has {}; remove the delimiter at the end of the line",
                self.width_from, self.width
            )
        } else {
            format!("{n} cells where {} has {}", self.width_from, self.width)
        };
        Err(Rejection::at(line, message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenancy::descriptor::ImportFormat;

    fn open(text: &str, layout: &Layout) -> CsvSource {
        let bytes: std::sync::Arc<[u8]> = text.as_bytes().to_vec().into();
        CsvSource::open(Box::new(std::io::Cursor::new(bytes)), layout).expect("opens")
    }

    #[test]
    fn i1_long_and_many_fields_survive_buffer_growth() {
        let layout = Layout::standard(ImportFormat::Csv);
        let header = crate::import::fields::STANDARD
            .iter()
            .map(|f| f.standard_header())
            .collect::<Vec<_>>()
            .join(";");
        let long = "x".repeat(10_000);
        let mut row = vec![String::new(); 24];
        row[1] = "E1".into();
        row[2] = long.clone();
        row[23] = "last".into();
        let text = format!("{header}\r\n\r\n{}\r\n", row.join(";"));
        let mut s = open(&text, &layout);
        let mut r = Record::default();
        assert!(s.next(&mut r).expect("row"));
        assert_eq!(r.line, 3);
        assert_eq!(r.cell(2), long);
        assert_eq!(r.cell(23), "last");
        assert_eq!(r.cell_count(), 24);
        assert!(!s.next(&mut r).expect("end"));
    }

    #[test]
    fn i1_lines_count_quoted_line_breaks() {
        let layout = Layout::standard(ImportFormat::Csv);
        let text = "FirstName;LastName;Email\n\"a\nb\";c;d@example.org\n\ne;f;g@example.org";
        let mut s = open(text, &layout);
        let mut r = Record::default();
        assert!(s.next(&mut r).expect("row"));
        assert_eq!((r.line, r.cell(0)), (2, "a\nb"));
        assert!(s.next(&mut r).expect("row"));
        assert_eq!(r.line, 5);
    }
}
