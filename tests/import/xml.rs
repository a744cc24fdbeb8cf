//! I1: XML imports — `<users><user><Uid>…</Uid>…</user></users>` with the standard names —
//! and the XML that is refused: DTDs and entities (no external entities, no entity bombs),
//! deep nesting, unknown elements, missing required elements, malformed documents.

use roster::import::Outcome;
use roster::tenancy::descriptor::ImportFormat;

use super::kit::Kit;

async fn xml(k: &Kit, text: &str) -> super::kit::Run {
    k.run(
        text.as_bytes(),
        None,
        Some(ImportFormat::Xml),
        Default::default(),
    )
    .await
}

#[tokio::test]
async fn i1_xml_users_with_entities_and_cdata() {
    let k = Kit::new().await;
    let text = r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- exported by an HR system -->
<users>
  <user>
    <ExternalId>E1</ExternalId>
    <FirstName>J&#246;rg</FirstName>
    <LastName>M&amp;M</LastName>
    <Email>j@example.org</Email>
    <DataField01><![CDATA[<b>bold</b>]]></DataField01>
    <UserGroups>G1,G2</UserGroups>
  </user>
  <user><ExternalId>E2</ExternalId><FirstName>Ann</FirstName><LastName>Lee</LastName><Email>bad mail</Email></user>
</users>
"#;
    let run = xml(&k, text).await;
    assert_eq!(
        run.outcomes(),
        [Outcome::Created, Outcome::Error],
        "{:#?}",
        run.rows
    );
    assert_eq!(run.line(4).line, 4, "rows are named by the line of <user>");
    assert!(
        run.message(12)
            .starts_with("line 12, column <Email>: invalid e-mail address"),
        "{}",
        run.message(12)
    );
    let u = k.by_ext("E1").await;
    assert_eq!(
        (u.first_name.as_str(), u.last_name.as_str()),
        ("Jörg", "M&M")
    );
    assert_eq!(u.data_field_01.as_deref(), Some("<b>bold</b>"));
    assert_eq!(k.groups_of(u.id).await, 2);
}

#[tokio::test]
async fn i3_xml_absent_element_keeps_empty_element_clears() {
    let k = Kit::new().await;
    xml(&k, "<users><user><ExternalId>E1</ExternalId><FirstName>A</FirstName><LastName>B</LastName><Email>a@example.org</Email><Title>Dr.</Title><DataField01>x</DataField01></user></users>").await;
    let run = xml(&k, "<users><user><ExternalId>E1</ExternalId><FirstName>A</FirstName><LastName>B</LastName><Email>a@example.org</Email><DataField01/></user></users>").await;
    assert_eq!(run.line(1).message_text(), "DataField01: x → (empty)");
    let u = k.by_ext("E1").await;
    assert_eq!(u.title.as_deref(), Some("Dr."));
    assert_eq!(u.data_field_01, None);
}

#[tokio::test]
async fn i1_xml_doctype_and_entity_bombs_are_refused() {
    let k = Kit::new().await;
    let bomb = r#"<?xml version="1.0"?>
<!DOCTYPE users [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
]>
<users><user><FirstName>&lol2;</FirstName></user></users>"#;
    assert_eq!(
        xml(&k, bomb).await.rejection(),
        "line 2: DOCTYPE declarations are not allowed (no DTDs, no custom entities)"
    );
    let external = r#"<!DOCTYPE users SYSTEM "file:///etc/passwd"><users/>"#;
    assert!(xml(&k, external).await.rejection().contains("DOCTYPE"));
    let undeclared = "<users>\n<user><ExternalId>E1</ExternalId><FirstName>&xxe;</FirstName><LastName>B</LastName><Email>a@example.org</Email></user></users>";
    assert_eq!(
        xml(&k, undeclared).await.rejection(),
        "line 2: entity `&xxe;` is not allowed; only &lt; &gt; &amp; &apos; &quot; and character references"
    );
    assert_eq!(k.users().await, 0);
}

#[tokio::test]
async fn i1_xml_structure_problems_name_their_line() {
    let k = Kit::new().await;
    let deep = "<users>\n<user>\n<FirstName><b>x</b></FirstName></user></users>";
    assert!(
        xml(&k, deep)
            .await
            .rejection()
            .starts_with("line 3: element <b> is nested too deep"),
    );
    let unknown = "<users>\n<user><Colour>red</Colour></user></users>";
    assert_eq!(
        xml(&k, unknown).await.rejection(),
        "line 2: unknown element <Colour>; element names are fixed, see docs/import.md"
    );
    let missing = "<users>\n<user><FirstName>A</FirstName><LastName>B</LastName></user></users>";
    assert_eq!(
        xml(&k, missing).await.rejection(),
        "line 2: missing required element <Email>"
    );
    let broken = "<users>\n<user><FirstName>A</LastName></user></users>";
    assert!(
        xml(&k, broken)
            .await
            .rejection()
            .starts_with("line 2: malformed XML")
    );
    assert!(xml(&k, "").await.rejection().contains("empty"));
}

/// I1/I5: a document on one line has every `<user>` on line 1: rows are still told apart
/// (superiors link the right users; a duplicate names the line of the first).
#[tokio::test]
async fn i1_i5_xml_users_on_one_line_keep_their_superiors_apart() {
    let k = Kit::new().await;
    let user = |ext: &str, sup: &str, superior: &str| {
        format!(
            "<user><ExternalId>{ext}</ExternalId><FirstName>F{ext}</FirstName><LastName>L{ext}</LastName><Email>{ext}@example.org</Email><Superior>{sup}</Superior><SuperiorExternalId>{superior}</SuperiorExternalId></user>"
        )
    };
    let text = format!(
        "<users>{}{}{}{}{}</users>",
        user("A1", "False", "S2"),
        user("S1", "True", ""),
        user("S2", "True", ""),
        user("A2", "False", "S1"),
        user("S1", "True", ""),
    );
    let run = xml(&k, &text).await;
    let outcomes: Vec<Outcome> = run.rows.iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        [
            Outcome::Created,
            Outcome::Created,
            Outcome::Created,
            Outcome::Created,
            Outcome::Error
        ],
        "{:#?}",
        run.rows
    );
    let duplicate = run.rows[4].message.clone().unwrap_or_default();
    assert!(duplicate.contains("the same user as line 1"), "{duplicate}");
    let (s1, s2) = (k.by_ext("S1").await.id, k.by_ext("S2").await.id);
    assert_eq!(k.by_ext("A1").await.superior_id, Some(s2));
    assert_eq!(k.by_ext("A2").await.superior_id, Some(s1));
}
