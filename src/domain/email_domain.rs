//! R4: allowed e-mail domains for self-registration, exact (`example.org`) or wildcard
//! (`*.example.org`, which matches sub-domains only, not `example.org` itself).

use std::fmt;

/// A parsed allowed-domain pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainPattern {
    wildcard: bool,
    domain: String,
}

impl DomainPattern {
    /// Parses a pattern; domains are compared in lower case.
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        if trimmed != text {
            return Err(format!("domain `{text}` has surrounding spaces"));
        }
        if trimmed.contains('@') {
            return Err(format!(
                "domain `{text}` contains `@`; write only the part after it (e.g. `example.org`)"
            ));
        }
        let (wildcard, rest) = match trimmed.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        let domain = rest.to_ascii_lowercase();
        if domain.len() > 253 {
            return Err(format!("domain `{text}` is longer than 253 characters"));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 {
            return Err(format!(
                "domain `{text}` needs at least two labels (e.g. `example.org`)"
            ));
        }
        for label in &labels {
            let valid = !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !valid {
                return Err(format!(
                    "domain `{text}` is malformed: label `{label}` must be 1–63 letters, digits or inner hyphens{}",
                    if label.contains('*') {
                        " (a wildcard may only lead, as `*.example.org`)"
                    } else {
                        ""
                    }
                ));
            }
        }
        Ok(Self { wildcard, domain })
    }

    /// Whether an e-mail address's domain is allowed by this pattern.
    pub fn allows_email(&self, email: &str) -> bool {
        let Some((_, host)) = email.rsplit_once('@') else {
            return false;
        };
        let host = host.to_ascii_lowercase();
        if self.wildcard {
            host.strip_suffix(&self.domain)
                .is_some_and(|prefix| prefix.len() > 1 && prefix.ends_with('.'))
        } else {
            host == self.domain
        }
    }
}

impl fmt::Display for DomainPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.wildcard {
            write!(f, "*.{}", self.domain)
        } else {
            f.write_str(&self.domain)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r4_exact_and_wildcard() {
        let exact = DomainPattern::parse("archipel.academy").expect("valid");
        assert!(exact.allows_email("jan@archipel.academy"));
        assert!(exact.allows_email("jan@ARCHIPEL.Academy"));
        assert!(!exact.allows_email("jan@mail.archipel.academy"));
        assert!(!exact.allows_email("jan@archipel.academy.evil.com"));
        assert!(!exact.allows_email("jan@evilarchipel.academy"));

        let wild = DomainPattern::parse("*.Example.org").expect("valid");
        assert!(wild.allows_email("a@mail.example.org"));
        assert!(!wild.allows_email("a@example.org"));
        assert!(!wild.allows_email("a@badexample.org"));
    }

    #[test]
    fn r4_malformed_patterns() {
        for bad in [
            "",
            "org",
            "@example.org",
            "ex ample.org",
            "*example.org",
            "a..b",
            "-a.org",
            "example.*",
        ] {
            assert!(DomainPattern::parse(bad).is_err(), "{bad}");
        }
    }
}
