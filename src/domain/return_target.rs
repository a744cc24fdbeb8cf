//! R5: where people land after signing in or registering — a return target (`next`) is kept
//! only when it stays inside the tenant. A domain rule: the sign-in pages and registration
//! both use it.

/// R5: after signing in, people land where they were going — but no open redirect: `next` is
/// followed only when it is a plain path inside this tenant (`/t/{slug}/…`), with no scheme, host, backslash, control character or dot segment, so
/// neither the browser nor a proxy can read it as another site or tenant.
pub fn safe_next(slug: &str, next: Option<&str>) -> Option<String> {
    let next = next?.trim();
    let prefix = format!("/t/{slug}/");
    if !next.starts_with(&prefix) {
        return None;
    }
    let (path, query) = match next.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (next, None),
    };
    let path_ok = path
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-._~/".contains(c))
        && !path.contains("//")
        && !path.split('/').any(|seg| seg == "." || seg == "..");
    let query_ok = query.is_none_or(|q| {
        q.chars()
            .all(|c| c.is_ascii_graphic() && c != '\\' && c != '#')
    });
    (path_ok && query_ok).then(|| next.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r5_next_stays_inside_the_tenant() {
        let ok = |n: &str| safe_next("acme", Some(n));
        assert_eq!(
            ok("/t/acme/portal/x?y=1").as_deref(),
            Some("/t/acme/portal/x?y=1")
        );
        for bad in [
            "https://evil.example/",
            "//evil.example/t/acme/",
            "/t/acme//evil.example",
            "/t/other/portal",
            "/t/acme/../other/portal",
            "/t/acme/%2e%2e/other",
            "/t/acme\\@evil.example",
            "/t/acme/x?a=b#frag",
            "/t/acmeevil/",
            "javascript:alert(1)",
        ] {
            assert_eq!(ok(bad), None, "{bad}");
        }
        assert_eq!(safe_next("acme", None), None);
    }
}
