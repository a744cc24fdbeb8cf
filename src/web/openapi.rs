//! The OpenAPI 3.1 document of the JSON API (X2), generated from the handlers'
//! `#[utoipa::path]` annotations and served unguarded at `GET /api/openapi.json`.
//!
//! The route guard's table ([`crate::web::api::GUARDED`]) is the source of each operation's
//! security: every guarded operation gets the bearer and session-cookie schemes and the 401
//! and 403 problem answers, with the right it needs. The test `openapi_covers_every_route`
//! checks that the documented (method, path) pairs are exactly [`api_routes`] and that the
//! router serves nothing under `/api` beyond them.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::OpenApi;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder, SecurityRequirement};

use super::api::{self, GUARDED};

/// API routes outside the guard table: signed-in only, or open (method, path).
pub const UNGUARDED: &[(&str, &str)] = &[
    ("GET", "/api/openapi.json"),
    ("GET", "/api/v1/{tenant}/me"),
    ("GET", "/api/v1/{tenant}/session"),
    ("POST", "/api/v1/{tenant}/session"),
    ("DELETE", "/api/v1/{tenant}/session"),
    ("PUT", "/api/v1/{tenant}/session/password"),
];

/// Operations that hand out power, held to the grant rule (`authz::grant`, B3–B5).
const GRANTING: &[(&str, &str)] = &[
    ("POST", "/api/v1/{tenant}/backoffice-users"),
    ("PUT", "/api/v1/{tenant}/backoffice-users/{id}/roles"),
    ("PUT", "/api/v1/{tenant}/backoffice-users/{id}/catalogs"),
    ("POST", "/api/v1/{tenant}/roles"),
    ("PUT", "/api/v1/{tenant}/roles/{code}/rights"),
    ("POST", "/api/v1/{tenant}/users"),
    ("PATCH", "/api/v1/{tenant}/users/{id}"),
];

/// Routes that need a signed-in caller but no particular right.
const SIGNED_IN: &[(&str, &str)] = &[("GET", "/api/v1/{tenant}/me")];

/// Every API route the router serves: the guard table plus [`UNGUARDED`].
pub fn api_routes() -> BTreeSet<(String, String)> {
    GUARDED
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .chain(
            UNGUARDED
                .iter()
                .map(|(m, p)| (m.to_string(), p.to_string())),
        )
        .collect()
}

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
    paths(
        openapi_json,
        api::organisations::list,
        api::organisations::create,
        api::organisations::get,
        api::organisations::update,
        api::organisations::delete,
        api::organisations::departments,
        api::organisations::create_department,
        api::organisations::get_department,
        api::organisations::update_department,
        api::organisations::delete_department,
        api::units::tree,
        api::units::create,
        api::units::get,
        api::units::update,
        api::units::delete,
        api::catalogs::list,
        api::catalogs::create,
        api::catalogs::rename,
        api::me::me,
        crate::web::signin::api::sign_in,
        crate::web::signin::api::whoami,
        crate::web::signin::api::sign_out,
        crate::web::signin::api::change_password,
        api::backoffice::list,
        api::backoffice::create,
        api::backoffice::get,
        api::backoffice::update,
        api::backoffice::activate,
        api::backoffice::deactivate,
        api::backoffice::set_roles,
        api::backoffice::set_catalogs,
        api::backoffice::temporary_password,
        api::roles::list,
        api::roles::create,
        api::roles::set_rights,
        api::imports::stage,
        api::imports::list,
        api::imports::get,
        api::imports::run_now,
        api::imports::report,
        api::imports::export,
        api::reports::learners,
        api::users::list,
        api::users::create,
        api::users::get,
        api::users::update,
        api::users::delete,
        api::users::deactivate,
        api::users::reactivate,
        api::users::account_mail,
        api::users::employments,
        api::users::add_employment,
        api::users::end_employment,
        api::users::set_budget,
        api::users::delete_budget,
        api::users::set_properties,
        api::users::organisation_typeahead,
        api::users::login_suggestion,
        api::groups::list,
        api::groups::create,
        api::groups::get,
        api::groups::rename,
        api::groups::delete,
        api::audit::user_trail,
    ),
    components(schemas(Problem, FieldProblem)),
    modifiers(&Guarded),
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

/// Adds security schemes, and per guarded operation its security and 401/403 answers.
struct Guarded;

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

fn operation_mut<'a>(
    doc: &'a mut utoipa::openapi::OpenApi,
    method: &str,
    path: &str,
) -> Option<&'a mut Operation> {
    let item = doc.paths.paths.get_mut(path)?;
    match method {
        "GET" => item.get.as_mut(),
        "POST" => item.post.as_mut(),
        "PUT" => item.put.as_mut(),
        "PATCH" => item.patch.as_mut(),
        "DELETE" => item.delete.as_mut(),
        _ => None,
    }
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

impl utoipa::Modify for Guarded {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
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
        for (method, path, right) in GUARDED {
            if let Some(op) = operation_mut(doc, method, path) {
                secure(op);
                let text = if GRANTING.contains(&(*method, *path)) {
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
        for (method, path) in SIGNED_IN {
            if let Some(op) = operation_mut(doc, method, path) {
                secure(op);
            }
        }
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
    }
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
    DOC.get_or_init(ApiDoc::openapi)
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
        for (method, path) in super::GRANTING {
            assert!(
                super::GUARDED
                    .iter()
                    .any(|(m, p, _)| m == method && p == path),
                "{method} {path}"
            );
        }
    }
}
