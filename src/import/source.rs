//! I1: the file, whatever its format: opened (again for the second pass), read row by row
//! into reusable [`Record`]s, in batches off the async threads.

use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;

use super::layout::Layout;
use super::read_csv::CsvSource;
use super::read_xml::XmlSource;
use super::record::{Record, Rejection};
use crate::tenancy::descriptor::ImportFormat;

/// Where the file is. It is read twice: once to check and plan, once to apply.
#[derive(Debug, Clone)]
pub enum Input {
    /// A file on disk (the CLI).
    File(PathBuf),
    /// Bytes in memory (an upload, a staged import).
    Bytes(Arc<[u8]>),
}

impl Input {
    /// Its length in bytes, when known.
    pub fn size(&self) -> Option<u64> {
        match self {
            Input::File(path) => std::fs::metadata(path).ok().map(|m| m.len()),
            Input::Bytes(bytes) => Some(bytes.len() as u64),
        }
    }

    /// A fresh reader from the start.
    pub fn open(&self) -> std::io::Result<Box<dyn BufRead + Send>> {
        Ok(match self {
            Input::File(path) => Box::new(std::io::BufReader::with_capacity(
                256 * 1024,
                std::fs::File::open(path)?,
            )),
            Input::Bytes(bytes) => Box::new(std::io::Cursor::new(bytes.clone())),
        })
    }
}

// One value per running import; boxing the larger reader would buy nothing.
#[allow(clippy::large_enum_variant)]
enum Inner {
    Csv(CsvSource),
    Xml(XmlSource),
}

/// An open import file.
pub struct Source {
    inner: Inner,
}

impl Source {
    /// Opens `input` for `layout`; header problems refuse the file here.
    pub fn open(input: &Input, layout: &Layout) -> Result<Self, Rejection> {
        let reader = input
            .open()
            .map_err(|e| Rejection::file(format!("cannot open the file: {e}")))?;
        let inner = match layout.format {
            ImportFormat::Csv => Inner::Csv(CsvSource::open(reader, layout)?),
            ImportFormat::Xml => Inner::Xml(XmlSource::open(reader, layout)?),
        };
        Ok(Self { inner })
    }

    /// Reads the next row into `out`; `false` at the end.
    pub fn next(&mut self, out: &mut Record) -> Result<bool, Rejection> {
        match &mut self.inner {
            Inner::Csv(s) => s.next(out),
            Inner::Xml(s) => s.next(out),
        }
    }

    /// How messages name the column of each slot (`E (Email)`, `<Email>`).
    pub fn labels(&self) -> Vec<String> {
        match &self.inner {
            Inner::Csv(s) => s.labels().to_vec(),
            Inner::Xml(s) => s.labels().to_vec(),
        }
    }

    /// Column names of the original row in the report.
    pub fn report_header(&self) -> Vec<String> {
        match &self.inner {
            Inner::Csv(s) => s.header().to_vec(),
            Inner::Xml(s) => s.header().to_vec(),
        }
    }

    /// Whether the report's original row is the record's cells (CSV) or its slots (XML).
    pub fn report_by_slots(&self) -> bool {
        matches!(self.inner, Inner::Xml(_))
    }

    /// Reads up to `max` rows into `batch` (reusing its records) on a blocking thread;
    /// returns the source, the batch and how many rows were read.
    pub async fn fill(
        self,
        batch: Vec<Record>,
        max: usize,
    ) -> crate::Result<(Self, Vec<Record>, Result<usize, Rejection>)> {
        let joined = tokio::task::spawn_blocking(move || self.fill_now(batch, max))
            .await
            .map_err(|e| anyhow::anyhow!("import reader failed: {e}"))?;
        Ok(joined)
    }

    fn fill_now(
        mut self,
        mut batch: Vec<Record>,
        max: usize,
    ) -> (Self, Vec<Record>, Result<usize, Rejection>) {
        let mut n = 0;
        let result = loop {
            if n == max {
                break Ok(n);
            }
            if batch.len() <= n {
                batch.push(Record::default());
            }
            match self.next(&mut batch[n]) {
                Ok(true) => n += 1,
                Ok(false) => break Ok(n),
                Err(e) => break Err(e),
            }
        };
        (self, batch, result)
    }

    /// Reads the file in batches of `max` rows, each read on a blocking thread while the
    /// batch before is planned or written (the two took turns: a fifth of a re-import's
    /// time was spent waiting for the reader).
    pub fn batches(self, max: usize) -> Batches {
        let mut b = Batches { task: None, max };
        b.start(self, Vec::new());
        b
    }
}

type Filled = (Source, Vec<Record>, Result<usize, Rejection>);

/// A file read one batch ahead (see [`Source::batches`]).
pub struct Batches {
    task: Option<tokio::task::JoinHandle<Filled>>,
    max: usize,
}

impl Batches {
    fn start(&mut self, source: Source, records: Vec<Record>) {
        let max = self.max;
        self.task = Some(tokio::task::spawn_blocking(move || {
            source.fill_now(records, max)
        }));
    }

    /// The next batch and how many rows it holds (0 at the end), or why the file is
    /// refused. `spare` is where the batch after it is read (the records of a batch done
    /// with, so they are reused).
    pub async fn next(
        &mut self,
        spare: Vec<Record>,
    ) -> crate::Result<(Vec<Record>, Result<usize, Rejection>)> {
        let Some(task) = self.task.take() else {
            return Ok((spare, Ok(0)));
        };
        let (source, batch, read) = task
            .await
            .map_err(|e| anyhow::anyhow!("import reader failed: {e}"))?;
        if matches!(read, Ok(n) if n > 0) {
            self.start(source, spare);
        }
        Ok((batch, read))
    }
}

/// The original row of `record` as the report shows it.
pub fn report_cells(record: &Record, by_slots: bool, slots: usize) -> Vec<&str> {
    if by_slots {
        (0..slots).map(|s| record.get(s).unwrap_or("")).collect()
    } else {
        (0..record.cell_count()).map(|i| record.cell(i)).collect()
    }
}
