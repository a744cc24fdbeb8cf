//! I10: spreadsheet-safe cells. A cell that a spreadsheet would run as a formula (it starts
//! with `=`, `+`, `-`, `@`, a tab, a carriage return or NUL) is written with a leading `'`
//! (OWASP CSV injection; ASVS 5.0 1.2.10). So that the mapping can be undone exactly, a cell
//! that already starts with `'` gets one more. The importer ([`restore`]) strips exactly one
//! leading `'` when what follows is one of those characters or another `'`, so export →
//! import gives back every value unchanged.

/// Whether `c` makes a spreadsheet treat the cell as a formula.
fn is_trigger(c: char) -> bool {
    matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r' | '\0')
}

/// The cell as written to an exported CSV file.
pub fn neutralise(value: &str) -> std::borrow::Cow<'_, str> {
    match value.chars().next() {
        Some(c) if is_trigger(c) || c == '\'' => format!("'{value}").into(),
        _ => value.into(),
    }
}

/// The value of a cell read from an import file: [`neutralise`] reversed.
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest)
            if rest
                .chars()
                .next()
                .is_some_and(|c| is_trigger(c) || c == '\'') =>
        {
            rest
        }
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i10_formula_cells_are_neutralised_and_restored() {
        for v in [
            "=SUM(A1)",
            "+49 30 1234",
            "-5",
            "@cmd",
            "\tx",
            "\rx",
            "\0x",
            "'",
            "'=x",
            "''",
            "plain",
            "",
            "O'Brien",
            "a=b",
        ] {
            let cell = neutralise(v);
            assert_eq!(restore(&cell), v, "{v:?} via {cell:?}");
            if let Some(c) = cell.chars().next() {
                assert!(!is_trigger(c), "{cell:?} still starts with a trigger");
            }
        }
        assert_eq!(neutralise("=1+1"), "'=1+1");
        assert_eq!(neutralise("-5"), "'-5");
        assert_eq!(neutralise("plain"), "plain");
    }

    #[test]
    fn i10_hand_written_quotes_are_kept() {
        assert_eq!(restore("'abc"), "'abc");
        assert_eq!(restore("'-5"), "-5");
    }
}
