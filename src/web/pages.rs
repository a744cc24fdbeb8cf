//! Server-rendered pages (minijinja), embedded in the binary: `templates/layout.html` and the
//! pages that extend it. Texts live in the templates; code hands them codes and values.
//! Every page answers with headers that keep it out of caches and frames and leak no URL
//! (sign-in pages carry `next` targets and link tokens).

use std::sync::LazyLock;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::Environment;
use serde::Serialize;
use serde_json::json;

use super::error_pages::ErrorPage;
use crate::error::Error;
use crate::store::entity::tenants;
use crate::tenancy::branding::Branding;

/// Every page template, as (name, source). Add new pages here.
const TEMPLATES: &[(&str, &str)] = &[
    ("layout.html", include_str!("../../templates/layout.html")),
    ("error.html", include_str!("../../templates/error.html")),
    (
        "portal/home.html",
        include_str!("../../templates/portal/home.html"),
    ),
    (
        "portal/register.html",
        include_str!("../../templates/portal/register.html"),
    ),
    (
        "portal/thanks.html",
        include_str!("../../templates/portal/thanks.html"),
    ),
    (
        "portal/confirm.html",
        include_str!("../../templates/portal/confirm.html"),
    ),
    (
        "portal/activity.html",
        include_str!("../../templates/portal/activity.html"),
    ),
    (
        "portal/invite.html",
        include_str!("../../templates/portal/invite.html"),
    ),
    (
        "backoffice/approvals.html",
        include_str!("../../templates/backoffice/approvals.html"),
    ),
    (
        "backoffice/page.html",
        include_str!("../../templates/backoffice/page.html"),
    ),
    (
        "backoffice/base.html",
        include_str!("../../templates/backoffice/base.html"),
    ),
    (
        "backoffice/macros.html",
        include_str!("../../templates/backoffice/macros.html"),
    ),
    (
        "backoffice/home.html",
        include_str!("../../templates/backoffice/home.html"),
    ),
    (
        "backoffice/users.html",
        include_str!("../../templates/backoffice/users.html"),
    ),
    (
        "backoffice/user_form.html",
        include_str!("../../templates/backoffice/user_form.html"),
    ),
    (
        "backoffice/groups.html",
        include_str!("../../templates/backoffice/groups.html"),
    ),
    (
        "backoffice/accounts.html",
        include_str!("../../templates/backoffice/accounts.html"),
    ),
    (
        "backoffice/account.html",
        include_str!("../../templates/backoffice/account.html"),
    ),
    (
        "backoffice/roles.html",
        include_str!("../../templates/backoffice/roles.html"),
    ),
    (
        "backoffice/imports.html",
        include_str!("../../templates/backoffice/imports.html"),
    ),
    (
        "backoffice/import.html",
        include_str!("../../templates/backoffice/import.html"),
    ),
    (
        "backoffice/role.html",
        include_str!("../../templates/backoffice/role.html"),
    ),
    (
        "backoffice/organisations.html",
        include_str!("../../templates/backoffice/organisations.html"),
    ),
    (
        "backoffice/organisation.html",
        include_str!("../../templates/backoffice/organisation.html"),
    ),
    (
        "signin/login.html",
        include_str!("../../templates/signin/login.html"),
    ),
    (
        "signin/change.html",
        include_str!("../../templates/signin/change.html"),
    ),
    (
        "signin/set.html",
        include_str!("../../templates/signin/set.html"),
    ),
    (
        "signin/forgot.html",
        include_str!("../../templates/signin/forgot.html"),
    ),
    (
        "signin/problems.html",
        include_str!("../../templates/signin/problems.html"),
    ),
    (
        "signin/policy.html",
        include_str!("../../templates/signin/policy.html"),
    ),
];

/// Every page template, as (name, source), for checks over all of them.
pub fn template_sources() -> &'static [(&'static str, &'static str)] {
    TEMPLATES
}

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // `t("key", name=value)`: UI texts from the message catalogs in the page's `lang`.
    env.add_function("t", crate::web::i18n::t);
    for (name, source) in TEMPLATES {
        // Compiled into the binary; a syntax error fails `every_page_template_compiles`.
        if let Err(e) = env.add_template(name, source) {
            tracing::error!(template = name, error = %e, "page template does not compile");
        }
    }
    env
});

/// R1: the `tenant` of a tenant's pages — name, slug and colours (`brand`), which
/// `layout.html` turns into CSS custom properties. Colours are [`Colour`]s, so only `#rrggbb`
/// reaches the style sheet.
///
/// [`Colour`]: crate::tenancy::branding::Colour
/// A bad stored setting is an error (from the one tenant context), not the default colours.
pub fn tenant_view(tenant: &tenants::Model) -> crate::Result<serde_json::Value> {
    let brand: Branding = crate::tenancy::Tenant::from_row(tenant)?
        .settings
        .branding
        .unwrap_or_default();
    Ok(json!({ "name": tenant.name, "slug": tenant.slug, "brand": brand }))
}

/// R1, R7: renders page template `name` with `ctx` (HTML-escaped: `.html` templates
/// auto-escape).
pub fn render(name: &str, ctx: impl Serialize) -> Result<Html<String>, Error> {
    let template = ENV
        .get_template(name)
        .map_err(|e| Error::Internal(anyhow::anyhow!("page template `{name}`: {e}")))?;
    let html = template
        .render(ctx)
        .map_err(|e| Error::Internal(anyhow::anyhow!("page template `{name}`: {e}")))?;
    Ok(Html(html))
}

/// R1, R7: a rendered page with its status, answered with the page security headers.
#[derive(Debug)]
pub struct Page {
    /// HTTP status.
    pub status: StatusCode,
    /// The document.
    pub html: Html<String>,
}

impl Page {
    /// Renders `name` with `ctx`, answered with `status`.
    pub fn new(status: StatusCode, name: &str, ctx: impl Serialize) -> Result<Self, Error> {
        Ok(Self {
            status,
            html: render(name, ctx)?,
        })
    }

    /// Renders `name` with `ctx`, answered with 200.
    pub fn ok(name: &str, ctx: impl Serialize) -> Result<Self, Error> {
        Self::new(StatusCode::OK, name, ctx)
    }
}

/// R7: adds the headers every page carries (no caching, framing, referrer or scripts).
pub fn secure_headers(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.html).into_response();
        secure_headers(&mut response);
        response
    }
}

/// An [`Error`] shown as a page rather than problem+json; internal errors are logged once and
/// shown without detail. Under `/t/{tenant}/` the page speaks the tenant's language
/// ([`super::error_pages`]).
#[derive(Debug)]
pub struct PageError(pub Error);

impl<E: Into<Error>> From<E> for PageError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let (kind, detail) = match &self.0 {
            Error::Db(e) => {
                tracing::error!(error = %e, "database error");
                ("internal", None)
            }
            Error::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                ("internal", None)
            }
            Error::NotFound(_) => ("not_found", None),
            Error::Unauthenticated => ("unauthenticated", None),
            Error::Unavailable(_) => ("unavailable", None),
            Error::Forbidden(m) => ("forbidden", Some(m.clone())),
            other => ("bad_request", Some(other.to_string())),
        };
        // English here; under /t/{tenant}/ `error_pages::localise` renders it for the tenant.
        super::error_pages::render(status, ErrorPage { kind, detail }, "en", None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_template_compiles() {
        for (name, source) in TEMPLATES {
            let mut env = Environment::new();
            env.add_function("t", crate::web::i18n::t);
            for (n, s) in TEMPLATES {
                env.add_template(n, s).expect(n);
            }
            assert!(env.get_template(name).is_ok(), "{name}: {source:.40}");
        }
    }

    #[test]
    fn pages_escape_what_they_show() {
        let html = render(
            "error.html",
            json!({ "status": 400, "kind": "bad_request", "detail": "<script>x</script>" }),
        )
        .expect("render");
        assert!(html.0.contains("&lt;script&gt;"), "{}", html.0);
        assert!(html.0.contains("lang=\"en\""));
    }
}
