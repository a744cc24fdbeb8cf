//! Tenants: descriptors (T1), their validation with positions (T2), and applying them to the
//! database. Server settings live in [`crate::config`]; everything here is per tenant.

pub mod apply;
pub mod branding;
pub mod context;
pub mod descriptor;
pub mod ownership;
pub mod plan;
pub mod positions;
pub mod validate;

use std::fmt;
use std::path::{Path, PathBuf};

pub use context::{Tenant, TenantSettings, Tenants};
pub use descriptor::TenantDescriptor;
use positions::{Position, PositionIndex};

/// A problem in a descriptor file, printed as `file:line:col: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The descriptor file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl Diagnostic {
    fn at(file: &Path, position: Position, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            line: position.line,
            column: position.column,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

/// A descriptor that parsed and passed every check, with the file it came from.
#[derive(Debug, Clone)]
pub struct LoadedDescriptor {
    /// Source file.
    pub file: PathBuf,
    /// The descriptor.
    pub descriptor: TenantDescriptor,
}

/// Parses and validates one descriptor's text; `file` names it in diagnostics and its stem
/// must equal the slug.
pub fn parse_descriptor(file: &Path, text: &str) -> Result<TenantDescriptor, Vec<Diagnostic>> {
    let descriptor: TenantDescriptor = serde_yaml::from_str(text).map_err(|e| {
        let position = e
            .location()
            .map(|l| Position {
                line: l.line(),
                column: l.column(),
            })
            .unwrap_or(Position::START);
        vec![Diagnostic::at(
            file,
            position,
            strip_location(&e.to_string()),
        )]
    })?;
    let index = PositionIndex::build(text);
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty());
    let problems = validate::validate(&descriptor, &index, stem);
    if problems.is_empty() {
        Ok(descriptor)
    } else {
        Err(problems
            .into_iter()
            .map(|p| Diagnostic::at(file, p.position, p.message))
            .collect())
    }
}

/// serde_yaml appends " at line L column C"; the diagnostic carries the position already.
fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) if message[i..].contains(" column ") => message[..i].to_owned(),
        _ => message.to_owned(),
    }
}

/// Reads and checks one descriptor file.
pub fn load_file(file: &Path) -> Result<LoadedDescriptor, Vec<Diagnostic>> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        vec![Diagnostic::at(
            file,
            Position::START,
            format!("cannot read descriptor: {e}"),
        )]
    })?;
    parse_descriptor(file, &text).map(|descriptor| LoadedDescriptor {
        file: file.to_owned(),
        descriptor,
    })
}

/// Expands the given paths (files, or directories holding `*.yaml` / `*.yml`) in a stable
/// order.
pub fn descriptor_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Vec<Diagnostic>> {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        if path.is_dir() {
            match std::fs::read_dir(path) {
                Ok(entries) => {
                    let mut found: Vec<PathBuf> = entries
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| {
                            p.is_file()
                                && matches!(
                                    p.extension().and_then(|e| e.to_str()),
                                    Some("yaml" | "yml")
                                )
                        })
                        .collect();
                    found.sort();
                    files.extend(found);
                }
                Err(e) => problems.push(Diagnostic::at(
                    path,
                    Position::START,
                    format!("cannot read directory: {e}"),
                )),
            }
        } else if path.exists() {
            files.push(path.clone());
        } else {
            problems.push(Diagnostic::at(
                path,
                Position::START,
                "no such file or directory",
            ));
        }
    }
    if problems.is_empty() {
        Ok(files)
    } else {
        Err(problems)
    }
}

/// Loads every descriptor under `paths`, reporting every problem of every file, including a
/// slug used by two files.
pub fn load_all(paths: &[PathBuf]) -> Result<Vec<LoadedDescriptor>, Vec<Diagnostic>> {
    let files = descriptor_files(paths)?;
    let mut loaded: Vec<LoadedDescriptor> = Vec::new();
    let mut problems = Vec::new();
    for file in files {
        match load_file(&file) {
            Ok(d) => {
                if let Some(other) = loaded
                    .iter()
                    .find(|o| o.descriptor.slug == d.descriptor.slug)
                {
                    let text = std::fs::read_to_string(&file).unwrap_or_default();
                    problems.push(Diagnostic::at(
                        &file,
                        PositionIndex::build(&text).get("slug"),
                        format!(
                            "slug `{}` is also used by {}",
                            d.descriptor.slug,
                            other.file.display()
                        ),
                    ));
                } else {
                    loaded.push(d);
                }
            }
            Err(mut p) => problems.append(&mut p),
        }
    }
    if problems.is_empty() {
        Ok(loaded)
    } else {
        Err(problems)
    }
}
