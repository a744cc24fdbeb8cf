//! I1/I3: reading CSV files, and the file-level problems that refuse a file before any write.

use roster::import::Outcome;

use super::kit::{HEADER, Kit, csv, std_row};

#[tokio::test]
async fn i1_utf8_bom_crlf_and_quoted_delimiter() {
    let k = Kit::new().await;
    let text = format!(
        "\u{feff}{HEADER}\r\n{}\r\n;E2;Ann;\"Smith; Jones\";ann@example.org;;;;;;;;;;;;\"a \"\"quoted\"\" word\";;;;;;;\r\n",
        std_row("E1", "Jörg", "Müller", "joerg@example.org"),
    );
    let run = k.import(&text).await;
    assert_eq!(
        run.outcomes(),
        [Outcome::Created, Outcome::Created],
        "{:#?}",
        run.rows
    );
    let ann = k.by_ext("E2").await;
    assert_eq!(ann.last_name, "Smith; Jones");
    assert_eq!(ann.data_field_01.as_deref(), Some("a \"quoted\" word"));
    assert_eq!(k.by_ext("E1").await.first_name, "Jörg");
    assert_eq!(run.line(3).line, 3, "lines count from the header line");
}

#[tokio::test]
async fn i1_configured_delimiter() {
    let k = Kit::new().await;
    let text = "id,first,last,mail\nC1,Cleo,Comma,cleo@example.org\n";
    let run = k
        .run(text.as_bytes(), Some("COMMA"), None, Default::default())
        .await;
    assert_eq!(run.outcomes(), [Outcome::Created], "{:#?}", run.rows);
    assert_eq!(k.by_ext("C1").await.last_name, "Comma");
}

#[tokio::test]
async fn i3_unknown_column_rejects_the_file_naming_it() {
    let k = Kit::new().await;
    let text = csv(
        "ExternalId;FirstName;LastName;Email;Colour",
        &["E1;A;B;a@example.org;red"],
    );
    let run = k.import(&text).await;
    assert_eq!(
        run.rejection(),
        "line 1, column E: unknown column `Colour`; column names are fixed, see docs/import.md"
    );
    assert_eq!(k.users().await, 0);
    let typo = k
        .import(&csv("ExternalId;FirstName;LastName;email", &[]))
        .await;
    assert!(
        typo.rejection().contains("did you mean `Email`?"),
        "{}",
        typo.rejection()
    );
}

#[tokio::test]
async fn i3_missing_required_column_rejects_the_file() {
    let k = Kit::new().await;
    let run = k
        .import(&csv("ExternalId;FirstName;LastName", &["E1;A;B"]))
        .await;
    assert_eq!(run.rejection(), "line 1: missing required column `Email`");
    assert_eq!(k.users().await, 0);
}

#[tokio::test]
async fn i3_trailing_delimiter_rejects_the_file_with_its_line() {
    let k = Kit::new().await;
    let text = csv(
        "ExternalId;FirstName;LastName;Email",
        &[
            "E1;A;B;a@example.org",
            "E2;C;D;c@example.org;",
            "E3;E;F;e@example.org",
        ],
    );
    let run = k.import(&text).await;
    assert_eq!(
        run.rejection(),
        "line 3: trailing delimiter: 5 cells where the header has 4; remove the delimiter at the end of the line"
    );
    assert_eq!(k.users().await, 0, "nothing is written, not even line 2");
    let header = k
        .import(&csv("ExternalId;FirstName;LastName;Email;", &[]))
        .await;
    assert_eq!(
        header.rejection(),
        "line 1: trailing delimiter after the last column `Email`; remove it"
    );
}

#[tokio::test]
async fn i3_wrong_encoding_rejects_the_file_naming_line_and_column() {
    let k = Kit::new().await;
    let mut bytes = b"ExternalId;FirstName;LastName;Email\nE1;A;B;a@example.org\nE2;J".to_vec();
    bytes.extend([0xF6, b'r', b'g']); // "Jörg" in Latin-1
    bytes.extend(b";M;m@example.org\n");
    let run = k.run(&bytes, None, None, Default::default()).await;
    assert_eq!(
        run.rejection(),
        "line 3, column B (FirstName): not valid UTF-8; save the file as UTF-8 (with or without BOM)"
    );
    assert_eq!(k.users().await, 0);
}

#[tokio::test]
async fn i3_columns_in_any_order() {
    let k = Kit::new().await;
    let run = k
        .import(&csv(
            "Email;LastName;ExternalId;FirstName",
            &["x@example.org;Xu;E1;Xi"],
        ))
        .await;
    assert_eq!(run.outcomes(), [Outcome::Created]);
    let u = k.by_ext("E1").await;
    assert_eq!((u.first_name.as_str(), u.last_name.as_str()), ("Xi", "Xu"));
}

#[tokio::test]
async fn i3_empty_file_is_rejected() {
    let k = Kit::new().await;
    let run = k.import("").await;
    assert_eq!(
        run.rejection(),
        "the file is empty: the header line is missing"
    );
}

#[tokio::test]
async fn i3_header_only_imports_nothing() {
    let k = Kit::new().await;
    let run = k.import(&csv(HEADER, &[])).await;
    assert!(run.summary.rejected.is_none());
    assert_eq!(run.summary.total, 0);
    assert_eq!(k.users().await, 0);
}

#[tokio::test]
async fn i3_blank_lines_are_skipped() {
    let k = Kit::new().await;
    let text = format!(
        "{HEADER}\n{}\n;;;;;;;;;;;;;;;;;;;;;;;\n\n{}\n",
        std_row("E1", "A", "B", "a@example.org"),
        std_row("E2", "C", "D", "c@example.org")
    );
    let run = k.import(&text).await;
    assert_eq!(run.outcomes(), [Outcome::Created, Outcome::Created]);
    assert_eq!(run.rows[1].line, 5);
}
