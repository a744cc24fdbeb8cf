//! Cross-site request forgery (login CSRF included): the one check of every form post —
//! sign-in, sign-out and password forms, the portal, the back office. A middleware on every
//! route outside `/api` runs it for each request that is not `GET`, `HEAD` or `OPTIONS`,
//! before the form is read; the portal's enroll-on-arrival link (a `GET`) asks it too.
//!
//! A request is refused when the browser announces it as coming from another site
//! (`Sec-Fetch-Site: cross-site` or `same-site`), or when it carries an `Origin` that is not
//! this site's: neither the request's own host (`Host`) nor the configured public URL
//! (`public_url`), or `null` without `Sec-Fetch-Site: same-origin` (our pages'
//! `Referrer-Policy: no-referrer` makes browsers send `Origin: null` on our own posts too). Browsers that send no `Sec-Fetch-*` still send `Origin` on a cross-site
//! post, so both are checked. Requests with neither header (non-browser clients, API tokens)
//! pass; the session cookie's `SameSite=Lax` keeps other sites' posts from carrying a session
//! besides. The JSON API needs `Content-Type: application/json`, which no cross-site form can
//! send without a CORS preflight, which Roster never grants.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::pages::PageError;
use crate::app::AppState;
use crate::error::Error;

/// Whether `headers` show a request from this site (or from no browser at all).
pub fn check(headers: &HeaderMap, public_url: &str) -> Result<(), Error> {
    let refuse = || Error::Forbidden("this form can only be sent from this site".into());
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if let Some("cross-site" | "same-site") = fetch_site {
        return Err(refuse());
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().map_err(|_| refuse())?.trim();
    if origin == "null" {
        // Pages are sent with `Referrer-Policy: no-referrer`, under which browsers send
        // `Origin: null` on every post, our own included; such a post is ours only when the
        // browser says so.
        return match fetch_site {
            Some("same-origin" | "none") => Ok(()),
            _ => Err(refuse()),
        };
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin.split_once("://").map(|(_, rest)| rest);
    let same_host =
        matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h.trim()));
    let public = origin.eq_ignore_ascii_case(public_origin(public_url));
    if same_host || public {
        Ok(())
    } else {
        Err(refuse())
    }
}

/// `scheme://host[:port]` of the configured public URL.
fn public_origin(public_url: &str) -> &str {
    let Some(at) = public_url.find("://") else {
        return public_url;
    };
    let rest = &public_url[at + 3..];
    match rest.find('/') {
        Some(end) => &public_url[..at + 3 + end],
        None => public_url,
    }
}

/// Middleware: refuses (403 page) a cross-site request that could change something, on every
/// route outside `/api`.
pub async fn refuse_cross_site(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe
        && !request.uri().path().starts_with("/api/")
        && let Err(e) = check(request.headers(), &state.settings.public_url)
    {
        return PageError(e).into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUBLIC: &str = "https://roster.example/base";

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().expect("header value"));
        }
        h
    }

    fn ok(pairs: &[(&'static str, &'static str)]) -> bool {
        check(&headers(pairs), PUBLIC).is_ok()
    }

    #[test]
    fn cross_site_requests_are_refused() {
        assert!(ok(&[("sec-fetch-site", "same-origin")]));
        assert!(ok(&[("sec-fetch-site", "none")]));
        assert!(!ok(&[("sec-fetch-site", "cross-site")]));
        assert!(!ok(&[("sec-fetch-site", "same-site")]));
        assert!(!ok(&[("origin", "https://evil.example")]), "no Host");
        assert!(!ok(&[
            ("origin", "https://evil.example"),
            ("host", "roster.example")
        ]));
        assert!(!ok(&[
            ("sec-fetch-site", "same-origin"),
            ("origin", "https://evil.example"),
            ("host", "roster.example")
        ]));
        assert!(ok(&[
            ("origin", "https://roster.example"),
            ("host", "roster.example")
        ]));
        assert!(ok(&[("origin", "https://ROSTER.example")]), "public URL");
        assert!(!ok(&[("origin", "https://roster.example.evil")]));
        assert!(!ok(&[("origin", "null")]));
        assert!(
            ok(&[("origin", "null"), ("sec-fetch-site", "same-origin")]),
            "our own post under Referrer-Policy: no-referrer"
        );
        assert!(!ok(&[("origin", "null"), ("sec-fetch-site", "cross-site")]));
        assert!(ok(&[]), "non-browser clients");
    }

    #[test]
    fn the_public_origin_drops_the_path() {
        assert_eq!(public_origin(PUBLIC), "https://roster.example");
        assert_eq!(
            public_origin("http://127.0.0.1:8080"),
            "http://127.0.0.1:8080"
        );
    }
}
