//! The portal's UI texts in English, Dutch and German: `templates/portal/i18n/<lang>.yaml`,
//! embedded in the binary and handed to the templates as `tx` (dotted keys, e.g.
//! `tx["register.title"]`). A page is in the tenant's default language unless the visitor's
//! own language is known.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::web::i18n::{Catalog, parse};

const SOURCES: [(&str, &str); 3] = [
    ("en", include_str!("../../../templates/portal/i18n/en.yaml")),
    ("nl", include_str!("../../../templates/portal/i18n/nl.yaml")),
    ("de", include_str!("../../../templates/portal/i18n/de.yaml")),
];

static CATALOGS: LazyLock<HashMap<&'static str, Catalog>> = LazyLock::new(|| {
    SOURCES
        .iter()
        .map(|(lang, source)| {
            let catalog = parse(source).unwrap_or_else(|e| {
                tracing::error!(language = lang, error = %e, "portal texts do not parse");
                Catalog::new()
            });
            (*lang, catalog)
        })
        .collect()
});

/// The portal texts of `lang`, English filling any gap.
pub fn texts(lang: &str) -> Catalog {
    let mut out = CATALOGS.get("en").cloned().unwrap_or_default();
    if let Some(own) = CATALOGS.get(lang) {
        out.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_portal_text_is_in_every_language() {
        let en = parse(SOURCES[0].1).expect("en");
        for (lang, source) in SOURCES {
            let c = parse(source).expect(lang);
            let missing: Vec<_> = en.keys().filter(|k| !c.contains_key(*k)).collect();
            assert!(missing.is_empty(), "{lang} lacks {missing:?}");
        }
    }
}
