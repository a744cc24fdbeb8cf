//! Where each value of a descriptor stands in its file, so that checks made after parsing
//! (unknown parent, cycle, duplicate code …) can still say `file:line:col`.
//!
//! serde_yaml reports positions for its own errors only; marked-yaml keeps a span on every
//! node. We walk that tree once and index each value by its path (`organisation_units[2].parent`).

use std::collections::HashMap;

use marked_yaml::Node;

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
}

impl Position {
    /// The start of the file, used when nothing better is known.
    pub const START: Position = Position { line: 1, column: 1 };
}

/// Positions of every value (and every mapping key, as `path.key#key`) in one document.
#[derive(Debug, Default)]
pub struct PositionIndex {
    values: HashMap<String, Position>,
}

impl PositionIndex {
    /// Indexes `text`; a document marked-yaml cannot read gives an empty index.
    pub fn build(text: &str) -> Self {
        let mut index = Self::default();
        if let Ok(node) = marked_yaml::parse_yaml(0, text) {
            index.walk(String::new(), &node);
        }
        index
    }

    fn walk(&mut self, path: String, node: &Node) {
        // A mapping is located at its first key (marked-yaml starts block mappings later).
        let start = match node {
            Node::Mapping(map) => map
                .iter()
                .next()
                .and_then(|(k, _)| k.span().start())
                .or(node.span().start()),
            _ => node.span().start(),
        };
        if let Some(start) = start {
            self.values.insert(
                path.clone(),
                Position {
                    line: start.line(),
                    column: start.column(),
                },
            );
        }
        match node {
            Node::Scalar(_) => {}
            Node::Sequence(seq) => {
                for (i, item) in seq.iter().enumerate() {
                    self.walk(format!("{path}[{i}]"), item);
                }
            }
            Node::Mapping(map) => {
                for (key, value) in map.iter() {
                    let child = if path.is_empty() {
                        key.as_str().to_owned()
                    } else {
                        format!("{path}.{}", key.as_str())
                    };
                    if let Some(start) = key.span().start() {
                        self.values.insert(
                            format!("{child}#key"),
                            Position {
                                line: start.line(),
                                column: start.column(),
                            },
                        );
                    }
                    self.walk(child, value);
                }
            }
        }
    }

    /// Position of the value at `path`, or of its nearest indexed ancestor.
    pub fn get(&self, path: &str) -> Position {
        let mut p = path;
        loop {
            if let Some(pos) = self.values.get(p) {
                return *pos;
            }
            match p.rfind(['.', '[']) {
                Some(i) => p = &p[..i],
                None => return self.values.get("").copied().unwrap_or(Position::START),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_nested_values() {
        let text = "slug: a\nunits:\n  - code: X\n    parent: Y\n";
        let index = PositionIndex::build(text);
        assert_eq!(index.get("slug"), Position { line: 1, column: 7 });
        assert_eq!(
            index.get("units[0].parent"),
            Position {
                line: 4,
                column: 13
            }
        );
        assert_eq!(
            index.get("units[0].missing"),
            Position { line: 3, column: 5 }
        );
    }
}
