//! The OpenAPI 3.1 document of the JSON API (X2), generated from the API route table
//! ([`crate::web::api::routes`]: each route's handlers with their `#[utoipa::path]`
//! annotations) and served unguarded at `GET /api/openapi.json`.
//!
//! Each operation's security comes from its route's gate: an operation behind a right gets
//! the bearer and session-cookie schemes and the 401 and 403 problem answers, with the right
//! it needs; a signed-in one the schemes and 401. The test `openapi_covers_every_route`
//! checks that the documented (method, path) pairs are exactly the table's operations and
//! that the router serves nothing under `/api` beyond them.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::OpenApi;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder, SecurityRequirement};

use super::api;
use super::routes::Gate;

/// An RFC 9457 problem, as every API error answers (`application/problem+json`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Always `about:blank`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The HTTP status phrase.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong (for 409: why the change is refused).
    pub detail: Option<String>,
    /// 422: one entry per invalid field.
    pub errors: Vec<FieldProblem>,
}

/// One invalid field of a 422 answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    /// The field's name as the client sent it.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// The generated document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Roster API",
        description = "Multi-tenant people management: users, groups, organisations, units, \
                       catalogs, back-office accounts, roles, imports. Errors are RFC 9457 \
                       problem+json (`application/problem+json`), also those the framework gives before an \
                       operation runs: 405 with `Allow` for a method a path does not serve, 400 \
                       for a malformed id, 413 for a body over the limit; 422 answers carry one \
                       entry per invalid field (`body` when the body is not the operation's JSON)."
    ),
    components(schemas(Problem, FieldProblem)),
    tags(
        (name = "organisations", description = "Organisations and departments (U8, U10)"),
        (name = "units", description = "Organisation units (T3, B5)"),
        (name = "catalogs", description = "Catalogs (U1, B4)"),
        (name = "session", description = "Sign-in for API clients using a session cookie (R7) and `me`"),
        (name = "backoffice-users", description = "Back-office accounts (B1, B2, B4, B6)"),
        (name = "roles", description = "Roles and rights (B3)"),
        (name = "imports", description = "Imports and export (I8-I10)"),
        (name = "reports", description = "Reports (U7)"),
        (name = "users", description = "Portal users (U1-U10)"),
        (name = "user-groups", description = "User groups (G1)"),
        (name = "audit", description = "The audit trail (X3)"),
        (name = "meta", description = "This document"),
    )
)]
pub struct ApiDoc;

fn problem_response(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}

fn secure(op: &mut Operation) {
    op.security = Some(vec![
        SecurityRequirement::new("bearer", Vec::<String>::new()),
        SecurityRequirement::new("session", Vec::<String>::new()),
    ]);
    op.responses.responses.insert(
        "401".into(),
        problem_response("No valid bearer token or session"),
    );
}

/// What an operation's gate adds to it: the security schemes and 401 when it needs a
/// principal, and 403 naming the right when it needs one (and the grant rule when it grants).
fn gate(op: &mut Operation, gate: Gate, granting: bool) {
    match gate {
        Gate::Open => {}
        Gate::SignedIn => secure(op),
        Gate::Right(right) => {
            secure(op);
            let text = if granting {
                format!(
                    "The caller lacks the `{right}` right, or the grant would exceed what the \
                     caller holds (roles beyond its reach, catalogs beyond its own, rights it \
                     does not hold tenant-wide; the detail says which)"
                )
            } else {
                format!("The caller lacks the `{right}` right")
            };
            op.responses
                .responses
                .insert("403".into(), problem_response(&text));
        }
    }
}

/// The document: [`ApiDoc`] (info, tags, the problem schemas), the table's operations with
/// their gates, the security schemes, and the framework's own answers.
fn build() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    api::routes().document(&mut doc, gate);
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("An API token (`roster token issue`)"))
                .build(),
        ),
    );
    components.add_security_scheme(
        "session",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            "roster_session",
            "The session cookie set by `POST /api/v1/{tenant}/session` or the sign-in page",
        ))),
    );
    for (path, item) in doc.paths.paths.iter_mut() {
        let has_id = path.contains("{id}") || path.contains("{employment}");
        for op in [
            item.get.as_mut(),
            item.post.as_mut(),
            item.put.as_mut(),
            item.patch.as_mut(),
            item.delete.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            malformed_requests(op, has_id);
        }
    }
    doc
}

/// What the framework answers before the handler runs (`web::problems`, `web::api::Json`):
/// 400 for an id that is not a UUID, 422 on `body` for a body that is not the operation's JSON.
fn malformed_requests(op: &mut Operation, has_id: bool) {
    let responses = &mut op.responses.responses;
    if has_id {
        responses.entry("400".into()).or_insert_with(|| {
            problem_response("Malformed request: an id in the path is not a UUID")
        });
    }
    if op.request_body.is_some() {
        responses.entry("422".into()).or_insert_with(|| {
            problem_response("Invalid fields, one entry per field (`body` when the body is not this operation's JSON)")
        });
    }
}

/// The document, built once.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(build)
}

/// `GET /api/openapi.json`
#[utoipa::path(get, path = "/api/openapi.json", tag = "meta", operation_id = "openapi",
    responses((status = 200, description = "This OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi_json() -> impl IntoResponse {
    static JSON: OnceLock<String> = OnceLock::new();
    let body = JSON.get_or_init(|| {
        serde_json::to_string(document()).unwrap_or_else(|e| {
            tracing::error!(error = %e, "openapi document does not serialize");
            "{}".into()
        })
    });
    ([(header::CONTENT_TYPE, "application/json")], body.as_str())
}

#[cfg(test)]
mod tests {
    #[test]
    fn document_names_the_schemas_it_references() {
        let doc = serde_json::to_value(super::document()).expect("serializes");
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        let text = doc.to_string();
        for name in schemas.keys() {
            assert!(
                text.contains(&format!("#/components/schemas/{name}")),
                "{name} unused"
            );
        }
        let mut start = 0;
        while let Some(at) = text[start..].find("#/components/schemas/") {
            let rest = &text[start + at + "#/components/schemas/".len()..];
            let name: String = rest.chars().take_while(|c| *c != '"').collect();
            assert!(
                schemas.contains_key(&name),
                "{name} referenced but not defined"
            );
            start += at + 1;
        }
    }

    #[test]
    fn b5_every_granting_operation_is_a_guarded_route() {
        let granting: Vec<_> = crate::web::api::operations()
            .into_iter()
            .filter(|op| op.granting)
            .map(|op| {
                assert!(
                    matches!(op.gate, super::Gate::Right(_)),
                    "{} {}",
                    op.method,
                    op.path
                );
                (op.method, op.path)
            })
            .collect();
        let expected = [
            ("POST", "/api/v1/{tenant}/backoffice-users"),
            ("PUT", "/api/v1/{tenant}/backoffice-users/{id}/roles"),
            ("PUT", "/api/v1/{tenant}/backoffice-users/{id}/catalogs"),
            ("POST", "/api/v1/{tenant}/roles"),
            ("PUT", "/api/v1/{tenant}/roles/{code}/rights"),
            ("POST", "/api/v1/{tenant}/users"),
            ("PATCH", "/api/v1/{tenant}/users/{id}"),
        ];
        for (method, path) in expected {
            assert!(
                granting.iter().any(|(m, p)| *m == method && p == path),
                "{method} {path} is held to the grant rule"
            );
        }
        assert_eq!(granting.len(), expected.len(), "{granting:?}");
    }
}
