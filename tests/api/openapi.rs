//! X2: the OpenAPI 3.1 document at `/api/openapi.json` documents exactly the API routes the
//! router serves, and every guarded operation its security and 401/403 answers.

use std::collections::BTreeSet;
use std::path::Path;

use axum::http::StatusCode;

use crate::authz::world;

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

const TENANT: &str = r#"slug: acme
name: Acme
default_language: en
languages: [en]
roles:
  - {code: customer_admin, name: Customer admin, administrator: true}
"#;

fn documented(doc: &serde_json::Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item.get(method.to_lowercase()).is_some() {
                out.insert((method.to_owned(), path.clone()));
            }
        }
    }
    out
}

/// Every `/api…` path literal given to `.route(` in the web sources: a route added to the
/// router without entering the route list (and so the document) shows up here.
fn routed_api_paths() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src/web") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("source");
                for (at, _) in text.match_indices(".route(") {
                    let rest = text[at + ".route(".len()..].trim_start();
                    if let Some(lit) = rest.strip_prefix('"')
                        && let Some(end) = lit.find('"')
                        && lit[..end].starts_with("/api")
                    {
                        out.insert(lit[..end].to_owned());
                    }
                }
            }
        }
    }
    out
}

/// `path` with the tenant `acme`, `none` for a code and a fresh id for any other parameter.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| match seg {
            "{tenant}" => "acme".to_owned(),
            "{code}" => "none".to_owned(),
            s if s.starts_with('{') => uuid::Uuid::new_v4().to_string(),
            s => s.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn openapi_covers_every_route() {
    let w = world(TENANT).await;
    let (_, token) = w.admin("boss", "customer_admin", None, None).await;
    let (status, text) = w.call_text("GET", "/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_str(&text).expect("the document is JSON");
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1.")),
        "{}",
        doc["openapi"]
    );

    // The documented operations are exactly the route table's.
    let routes: BTreeSet<(String, String)> = roster::web::api::operations()
        .into_iter()
        .map(|op| (op.method.to_owned(), op.path))
        .collect();
    let docs = documented(&doc);
    let undocumented: Vec<_> = routes.difference(&docs).collect();
    let unserved: Vec<_> = docs.difference(&routes).collect();
    assert!(
        undocumented.is_empty(),
        "routes without documentation: {undocumented:?}"
    );
    assert!(
        unserved.is_empty(),
        "documented but not in the route list: {unserved:?}"
    );

    // Nothing under /api is routed outside the list.
    let listed: BTreeSet<String> = routes.iter().map(|(_, p)| p.clone()).collect();
    let unlisted: Vec<_> = routed_api_paths().difference(&listed).cloned().collect();
    assert!(
        unlisted.is_empty(),
        "routed but not listed/documented: {unlisted:?}"
    );

    // On every listed path, the router answers exactly the listed methods (405 otherwise),
    // and serves every listed one (never the fallback 404 for an unknown route).
    for path in &listed {
        let concrete = concrete(path);
        for method in METHODS {
            let (status, body) = w.call(method, &concrete, Some(&token), None).await;
            let listed = routes.contains(&(method.to_owned(), path.clone()));
            if listed {
                assert_ne!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} is listed but not served"
                );
                assert!(
                    !(status == StatusCode::NOT_FOUND && body["detail"] == "resource not found"),
                    "{method} {path} is listed but falls through to the fallback"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} is served but not listed/documented"
                );
            }
        }
    }

    // Guarded operations say how to authenticate and document 401 and 403.
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["session"]["in"], "cookie");
    for (method, path, right) in roster::web::api::guarded() {
        let op = &doc["paths"][&path][method.to_lowercase()];
        for status in ["401", "403"] {
            assert!(
                op["responses"][status].is_object(),
                "{method} {path} documents no {status}"
            );
        }
        assert!(
            op["responses"]["403"]["description"]
                .as_str()
                .is_some_and(|d| d.contains(right.as_str())),
            "{method} {path}: 403 names the right"
        );
        assert!(
            op["security"].as_array().is_some_and(|s| s.len() == 2),
            "{method} {path}"
        );
    }
}
