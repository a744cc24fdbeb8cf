//! One route table per front door (B3, X2): each [`Route`] is a path with its handlers, the
//! [`Gate`] that guards them and, for the JSON API, their `#[utoipa::path]` operations
//! (collected by `utoipa_axum::routes!`). From a table come the router (each route behind its
//! gate, see [`Table::router`]), the OpenAPI paths and component schemas (`web::openapi` adds
//! the security and 401/403 answers of each gate) and the lists the tests walk
//! ([`Table::operations`], [`Table::gates`]). The JSON API, the back office and the portal each
//! have one (`routes()` in `web::api`, `web::backoffice`, `web::portal`).

use axum::Router;
use axum::routing::MethodRouter;
use utoipa::openapi::path::{HttpMethod, PathItem};
use utoipa::openapi::{OpenApi, RefOr, schema::Schema};
use utoipa_axum::router::UtoipaMethodRouter;

use crate::app::AppState;
use crate::authz::Right;
use crate::web::guard::{need, signed_in};

/// Who may pass a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Anyone (sign-in itself, the OpenAPI document).
    Open,
    /// A signed-in principal of the tenant, whatever its rights (`me`).
    SignedIn,
    /// A signed-in principal holding this right.
    Right(Right),
}

/// Component schemas an operation references, by name.
type Schemas = Vec<(String, RefOr<Schema>)>;

/// One path: its handlers, the gate in front of all of them, and (API) their operations.
pub struct Route {
    gate: Gate,
    path: String,
    handlers: MethodRouter<AppState>,
    /// The operations of an API route and the schemas they reference; `None` for a page.
    doc: Option<(Schemas, PathItem)>,
    granting: &'static [HttpMethod],
}

impl Route {
    /// An API route; `api` is `utoipa_axum::routes!(…)` of handlers that share one path.
    pub fn new(gate: Gate, (schemas, paths, handlers): UtoipaMethodRouter<AppState>) -> Self {
        assert_eq!(
            paths.paths.len(),
            1,
            "one route, one path: {:?}",
            paths.paths.keys()
        );
        let (path, item) = paths.paths.into_iter().next().expect("one path");
        Self {
            gate,
            path,
            handlers,
            doc: Some((schemas, item)),
            granting: &[],
        }
    }

    /// A page route (no OpenAPI operation): `handlers` at `path`.
    pub fn page(gate: Gate, path: &str, handlers: MethodRouter<AppState>) -> Self {
        Self {
            gate,
            path: path.to_owned(),
            handlers,
            doc: None,
            granting: &[],
        }
    }

    /// Marks the operations (by method) that hand out power, held to the grant rule
    /// (`authz::grant`, B3–B5): their 403 says the grant may be refused.
    pub fn granting(mut self, methods: &'static [HttpMethod]) -> Self {
        assert!(
            matches!(self.gate, Gate::Right(_)),
            "only a route guarded by a right grants"
        );
        self.granting = methods;
        self
    }
}

/// One operation of the table, as the tests walk it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: &'static str,
    /// The path as routed, e.g. `/api/v1/{tenant}/users/{id}`.
    pub path: String,
    /// Its gate.
    pub gate: Gate,
    /// Whether it hands out power ([`Route::granting`]).
    pub granting: bool,
}

/// A front door's routes.
pub struct Table(pub Vec<Route>);

const METHODS: [(HttpMethod, &str); 5] = [
    (HttpMethod::Get, "GET"),
    (HttpMethod::Post, "POST"),
    (HttpMethod::Put, "PUT"),
    (HttpMethod::Patch, "PATCH"),
    (HttpMethod::Delete, "DELETE"),
];

/// The operation of `item` for `method`, if it has one.
pub fn operation_mut<'a>(
    item: &'a mut PathItem,
    method: &HttpMethod,
) -> Option<&'a mut utoipa::openapi::path::Operation> {
    match method {
        HttpMethod::Get => item.get.as_mut(),
        HttpMethod::Post => item.post.as_mut(),
        HttpMethod::Put => item.put.as_mut(),
        HttpMethod::Patch => item.patch.as_mut(),
        HttpMethod::Delete => item.delete.as_mut(),
        _ => None,
    }
}

impl Table {
    /// The router: every route behind its gate.
    pub fn router(self, state: &AppState) -> Router<AppState> {
        self.0.into_iter().fold(Router::new(), |router, route| {
            let handlers = route.handlers;
            let guarded = match route.gate {
                Gate::Open => handlers,
                Gate::SignedIn => signed_in(state, handlers),
                Gate::Right(right) => need(state, right, handlers),
            };
            router.route(&route.path, guarded)
        })
    }

    /// Every path with its gate, in table order.
    pub fn gates(&self) -> Vec<(&str, Gate)> {
        self.0.iter().map(|r| (r.path.as_str(), r.gate)).collect()
    }

    /// Adds `route`.
    pub fn push(&mut self, route: Route) {
        self.0.push(route);
    }

    /// Every documented (API) operation, in table order.
    pub fn operations(&self) -> Vec<Operation> {
        let mut out = Vec::new();
        for route in &self.0 {
            let Some((_, item)) = &route.doc else {
                continue;
            };
            let mut item = item.clone();
            for (method, name) in METHODS {
                if operation_mut(&mut item, &method).is_some() {
                    out.push(Operation {
                        method: name,
                        path: route.path.clone(),
                        gate: route.gate,
                        granting: route.granting.contains(&method),
                    });
                }
            }
        }
        out
    }

    /// Every guarded operation with the right it needs: (method, path, right).
    pub fn guarded(&self) -> Vec<(&'static str, String, Right)> {
        self.operations()
            .into_iter()
            .filter_map(|op| match op.gate {
                Gate::Right(right) => Some((op.method, op.path, right)),
                _ => None,
            })
            .collect()
    }

    /// Adds each route's operations and the schemas they reference to `doc`; `gate_doc` adds
    /// what the gate says (security, 401/403) to each operation, told whether it grants.
    pub fn document(
        self,
        doc: &mut OpenApi,
        gate_doc: impl Fn(&mut utoipa::openapi::path::Operation, Gate, bool),
    ) {
        let mut schemas: Schemas = Vec::new();
        for route in self.0 {
            let Some((route_schemas, mut item)) = route.doc else {
                continue;
            };
            schemas.extend(route_schemas);
            for (method, _) in METHODS {
                let granting = route.granting.contains(&method);
                if let Some(op) = operation_mut(&mut item, &method) {
                    gate_doc(op, route.gate, granting);
                }
            }
            match doc.paths.paths.get_mut(&route.path) {
                Some(existing) => existing.merge_operations(item),
                None => {
                    doc.paths.paths.insert(route.path, item);
                }
            }
        }
        doc.components
            .get_or_insert_with(Default::default)
            .schemas
            .extend(schemas);
    }
}
