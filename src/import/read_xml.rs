//! I1: reading XML: `<users><user><Uid>…</Uid>…</user></users>`, element names being the
//! layout's column names (the standard headers, or a configuration's `header`s). Streaming
//! with quick-xml, which fetches no external entity and expands only the predefined ones; a
//! DOCTYPE (where entities would be declared), an undeclared entity reference, text outside
//! field elements, or nesting deeper than the three levels above refuses the file with its
//! line. An element absent from a `<user>` keeps the stored value (I3), an empty one clears it.

use std::io::BufRead;

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;

use super::layout::{ColumnSource, Layout};
use super::record::{Record, Rejection};

/// A `BufRead` that counts the lines it has handed on, so events get their line.
struct Lines<R> {
    inner: R,
    line: u64,
}

impl<R: BufRead> std::io::Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Lines<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        // The data is already buffered: this fill_buf does no I/O.
        if let Ok(buf) = self.inner.fill_buf() {
            let n = amt.min(buf.len());
            self.line += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
        }
        self.inner.consume(amt);
    }
}

/// Most nesting: the root, a row, a field.
const MAX_DEPTH: usize = 3;

/// An XML file being read.
pub struct XmlSource {
    reader: Reader<Lines<Box<dyn BufRead + Send>>>,
    buf: Vec<u8>,
    /// Element name of each slot.
    names: Vec<String>,
    labels: Vec<String>,
    /// Slot → the element must be in every row.
    required: Vec<bool>,
    depth: usize,
    root_seen: bool,
}

impl XmlSource {
    /// Opens `input` for `layout` (every column mapped by name).
    pub fn open(input: Box<dyn BufRead + Send>, layout: &Layout) -> Result<Self, Rejection> {
        let mut reader = Reader::from_reader(Lines {
            inner: input,
            line: 1,
        });
        reader.config_mut().check_end_names = true;
        let names: Vec<String> = layout
            .columns
            .iter()
            .map(|b| match &b.source {
                ColumnSource::Header(h) => h.clone(),
                ColumnSource::Letter(_) => b.field.standard_header().to_owned(),
            })
            .collect();
        let labels = names.iter().map(|n| format!("<{n}>")).collect();
        Ok(Self {
            reader,
            buf: Vec::new(),
            names,
            labels,
            required: layout.columns.iter().map(|b| b.required).collect(),
            depth: 0,
            root_seen: false,
        })
    }

    fn line(&self) -> u64 {
        self.reader.get_ref().line
    }

    /// Column names for the report: the element names, in layout order.
    pub fn header(&self) -> &[String] {
        &self.names
    }

    /// How messages name the element of each slot.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Reads the next `<user>` into `out`; `false` after the root element closes. Required
    /// elements missing from a row refuse the file, like a missing CSV column.
    pub fn next(&mut self, out: &mut Record) -> Result<bool, Rejection> {
        // Slot being filled, when inside a field element.
        let mut field: Option<usize> = None;
        let mut in_row = false;
        loop {
            self.buf.clear();
            let line = self.line();
            let event = self
                .reader
                .read_event_into(&mut self.buf)
                .map_err(|e| Rejection::at(line, format!("malformed XML: {e}")))?;
            let empty = matches!(event, Event::Empty(_));
            match event {
                Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
                Event::DocType(_) => {
                    return Err(Rejection::at(
                        line,
                        "DOCTYPE declarations are not allowed (no DTDs, no custom entities)",
                    ));
                }
                Event::Start(e) | Event::Empty(e) if !self.root_seen || self.depth == 0 => {
                    if self.root_seen {
                        return Err(Rejection::at(line, "more than one root element"));
                    }
                    self.root_seen = true;
                    // `<users/>`: a file without rows.
                    if !empty {
                        self.depth = 1;
                    }
                    let _ = e;
                }
                Event::Start(e) => {
                    self.depth += 1;
                    if self.depth > MAX_DEPTH {
                        return Err(Rejection::at(
                            line,
                            format!(
                                "element <{}> is nested too deep; expected <users><user><Field>…</Field></user></users>",
                                e.name().0
                            ),
                        ));
                    }
                    if self.depth == 2 {
                        in_row = true;
                        out.reset(line, self.names.len());
                    } else {
                        let slot = field_slot(&self.names, e.name().0, out, line)?;
                        let cell = out.push_cell("");
                        out.bind(slot, cell);
                        field = Some(slot);
                    }
                }
                Event::Empty(e) => {
                    if self.depth + 1 > MAX_DEPTH {
                        return Err(Rejection::at(
                            line,
                            format!("element <{}> is nested too deep", e.name().0),
                        ));
                    }
                    if self.depth == 1 {
                        // `<user/>`: a row without fields.
                        out.reset(line, self.names.len());
                        check_required(&self.names, &self.required, out)?;
                        return Ok(true);
                    }
                    let slot = field_slot(&self.names, e.name().0, out, line)?;
                    let cell = out.push_cell("");
                    out.bind(slot, cell);
                }
                Event::Text(t) => {
                    let text = t.xml10_content();
                    match field {
                        Some(_) => out.extend_last(&text),
                        None if text.trim().is_empty() => {}
                        None => {
                            return Err(Rejection::at(line, "text outside a field element"));
                        }
                    }
                }
                Event::CData(t) => match field {
                    Some(_) => out.extend_last(&t),
                    None => return Err(Rejection::at(line, "CDATA outside a field element")),
                },
                Event::GeneralRef(r) => {
                    let Some(_) = field else {
                        return Err(Rejection::at(
                            line,
                            "entity reference outside a field element",
                        ));
                    };
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        Ok(None) => match resolve_predefined_entity(&r) {
                            Some(s) => s.to_owned(),
                            None => {
                                return Err(Rejection::at(
                                    line,
                                    format!(
                                        "entity `&{};` is not allowed; only &lt; &gt; &amp; &apos; &quot; and character references",
                                        &*r
                                    ),
                                ));
                            }
                        },
                        Err(e) => {
                            return Err(Rejection::at(
                                line,
                                format!("bad character reference: {e}"),
                            ));
                        }
                    };
                    out.extend_last(&resolved);
                }
                Event::End(_) => {
                    self.depth = self.depth.saturating_sub(1);
                    match self.depth {
                        2 => field = None,
                        1 if in_row => {
                            check_required(&self.names, &self.required, out)?;
                            return Ok(true);
                        }
                        _ => {}
                    }
                }
                Event::Eof => {
                    if !self.root_seen {
                        return Err(Rejection::file("the file is empty: no <users> element"));
                    }
                    if self.depth > 0 {
                        return Err(Rejection::at(line, "the file ends inside an element"));
                    }
                    return Ok(false);
                }
            }
        }
    }
}

fn field_slot(names: &[String], name: &str, out: &Record, line: u64) -> Result<usize, Rejection> {
    let Some(slot) = names.iter().position(|n| n == name) else {
        let hint = names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(name))
            .map(|n| format!("; did you mean <{n}>?"))
            .unwrap_or_else(|| "; element names are fixed, see docs/import.md".into());
        return Err(Rejection::at(
            line,
            format!("unknown element <{name}>{hint}"),
        ));
    };
    if out.get(slot).is_some() {
        return Err(Rejection::at(
            line,
            format!("element <{name}> appears twice in one row"),
        ));
    }
    Ok(slot)
}

fn check_required(names: &[String], required: &[bool], out: &Record) -> Result<(), Rejection> {
    for (slot, required) in required.iter().enumerate() {
        if *required && out.get(slot).is_none() {
            return Err(Rejection::at(
                out.line,
                format!("missing required element <{}>", names[slot]),
            ));
        }
    }
    Ok(())
}
