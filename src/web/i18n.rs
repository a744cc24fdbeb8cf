//! UI languages of the pages: message catalogs `templates/i18n/{en,nl,de}.yaml`, embedded in the
//! binary, and the template function `t("key", name=value…)` that looks a text up in the language
//! of the page (the template variable `lang`).
//!
//! Which language a page is in: the signed-in account's own language when it has one we
//! support, else the tenant's default language, else English ([`choose`]). A key missing from a
//! catalog falls back to English, then to the key itself — and `every_key_is_in_every_catalog`
//! keeps that from ever happening in a build.
//!
//! Catalogs are nested YAML maps; a text's key is its path joined with dots (`users.search`).
//! Placeholders are `{name}`, filled from the keyword arguments of `t`.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use minijinja::State;
use minijinja::value::{Kwargs, Value};

/// The languages the pages are written in; the first is the fallback.
pub const LANGUAGES: [&str; 3] = ["en", "nl", "de"];

const SOURCES: [(&str, &str); 3] = [
    ("en", include_str!("../../templates/i18n/en.yaml")),
    ("nl", include_str!("../../templates/i18n/nl.yaml")),
    ("de", include_str!("../../templates/i18n/de.yaml")),
];

/// A language's texts by dotted key.
pub type Catalog = BTreeMap<String, String>;

/// Parses one catalog source into dotted keys.
pub fn parse(source: &str) -> Result<Catalog, String> {
    let root: serde_yaml::Value = serde_yaml::from_str(source).map_err(|e| e.to_string())?;
    let mut out = Catalog::new();
    flatten("", &root, &mut out)?;
    Ok(out)
}

fn flatten(prefix: &str, value: &serde_yaml::Value, out: &mut Catalog) -> Result<(), String> {
    match value {
        serde_yaml::Value::Mapping(map) => {
            for (k, v) in map {
                let k = k
                    .as_str()
                    .ok_or_else(|| format!("{prefix}: keys must be text"))?;
                let key = if prefix.is_empty() {
                    k.to_owned()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out)?;
            }
            Ok(())
        }
        serde_yaml::Value::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
            Ok(())
        }
        other => Err(format!("{prefix}: expected a text, found {other:?}")),
    }
}

static CATALOGS: LazyLock<HashMap<&'static str, Catalog>> = LazyLock::new(|| {
    SOURCES
        .iter()
        .map(|(lang, source)| {
            // Embedded at build time; a broken catalog fails `every_catalog_parses`.
            let catalog = parse(source).unwrap_or_else(|e| {
                tracing::error!(language = lang, error = %e, "message catalog does not parse");
                Catalog::new()
            });
            (*lang, catalog)
        })
        .collect()
});

/// The catalog of `lang` (an unknown language gets English).
pub fn catalog(lang: &str) -> &'static Catalog {
    let lang = supported(lang).unwrap_or(LANGUAGES[0]);
    static EMPTY: Catalog = Catalog::new();
    CATALOGS.get(lang).unwrap_or(&EMPTY)
}

/// `lang` if the pages are written in it (`"de-CH"` counts as `de`).
pub fn supported(lang: &str) -> Option<&'static str> {
    let base = lang.split(['-', '_']).next().unwrap_or_default();
    LANGUAGES.into_iter().find(|l| l.eq_ignore_ascii_case(base))
}

/// The language of a page: the account's own language if set and supported, else the
/// tenant's default language, else English.
pub fn choose(own: Option<&str>, tenant_default: &str) -> &'static str {
    own.and_then(supported)
        .or_else(|| supported(tenant_default))
        .unwrap_or(LANGUAGES[0])
}

/// The text of `key` in `lang` with `{name}` placeholders filled from `args`.
pub fn text(lang: &str, key: &str, args: &[(&str, String)]) -> String {
    let raw = catalog(lang)
        .get(key)
        .or_else(|| catalog(LANGUAGES[0]).get(key))
        .cloned()
        .unwrap_or_else(|| key.to_owned());
    args.iter().fold(raw, |s, (name, value)| {
        s.replace(&format!("{{{name}}}"), value)
    })
}

/// A domain message (English, e.g. a field rule) in `lang`: the catalog's `messages` section
/// is keyed by the English text; a message it does not know is shown as written. A message
/// that names things puts them after its last `": "` (`"… you do not hold: hr (users)"`):
/// the sentence before it is translated and the names kept.
pub fn message(lang: &str, english: &str) -> String {
    let known = |text: &str| catalog(lang).get(&format!("messages.{text}")).cloned();
    if let Some(text) = known(english) {
        return text;
    }
    match english.rsplit_once(": ") {
        Some((sentence, names)) => match known(sentence) {
            Some(text) => format!("{text}: {names}"),
            None => english.to_owned(),
        },
        None => english.to_owned(),
    }
}

/// The template function `t("key", name=value…)`: the text in the page's language (`lang`).
pub fn t(state: &State, key: &str, kwargs: Kwargs) -> Result<String, minijinja::Error> {
    let lang = state
        .lookup("lang")
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| LANGUAGES[0].to_owned());
    let mut args = Vec::new();
    for name in kwargs.args() {
        let value: Value = kwargs.get(name)?;
        args.push((name, value.to_string()));
    }
    Ok(text(&lang, key, &args))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalog_parses() {
        for (lang, source) in SOURCES {
            let c = parse(source).unwrap_or_else(|e| panic!("{lang}: {e}"));
            assert!(c.len() > 50, "{lang} has only {} texts", c.len());
        }
    }

    #[test]
    fn every_key_is_in_every_catalog() {
        let en = catalog("en");
        for lang in LANGUAGES {
            let other = catalog(lang);
            let missing: Vec<_> = en.keys().filter(|k| !other.contains_key(*k)).collect();
            let extra: Vec<_> = other.keys().filter(|k| !en.contains_key(*k)).collect();
            assert!(missing.is_empty(), "{lang} lacks {missing:?}");
            assert!(extra.is_empty(), "{lang} has keys English lacks: {extra:?}");
            for (k, v) in other {
                assert!(!v.trim().is_empty(), "{lang}: `{k}` is empty");
                // The same placeholders in every language.
                let holes = |s: &str| {
                    let mut h: Vec<String> = s
                        .split('{')
                        .skip(1)
                        .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_owned()))
                        .collect();
                    h.sort();
                    h
                };
                assert_eq!(holes(v), holes(&en[k]), "{lang}: placeholders of `{k}`");
            }
        }
    }

    #[test]
    fn every_key_a_template_uses_exists() {
        // `t("…")` with a literal key in any page template must be in the English catalog.
        let en = catalog("en");
        for (name, source) in crate::web::pages::template_sources() {
            for (at, _) in source.match_indices("t(\"") {
                let before = source[..at].chars().next_back().unwrap_or(' ');
                if before.is_alphanumeric() || before == '_' {
                    continue; // `default("…")` and the like
                }
                let rest = &source[at + 3..];
                let key = rest.split('"').next().unwrap_or_default();
                let joined = rest[key.len() + 1..].trim_start().starts_with('~');
                if joined {
                    // `t("right." ~ code)`: a section of keys.
                    assert!(
                        en.keys().any(|k| k.starts_with(key)),
                        "{name}: unknown texts `{key}…`"
                    );
                } else {
                    assert!(en.contains_key(key), "{name}: unknown text `{key}`");
                }
            }
        }
    }

    #[test]
    fn language_is_the_accounts_then_the_tenants() {
        assert_eq!(choose(Some("de"), "nl"), "de");
        assert_eq!(choose(None, "nl"), "nl");
        assert_eq!(choose(Some("fr"), "nl"), "nl", "unsupported own language");
        assert_eq!(choose(Some(""), "de-AT"), "de");
        assert_eq!(choose(None, "fr"), "en");
    }

    #[test]
    fn placeholders_are_filled_and_missing_keys_fall_back() {
        assert_eq!(
            text("nl", "users.total", &[("count", "3".into())]),
            catalog("nl")["users.total"].replace("{count}", "3")
        );
        assert_eq!(text("nl", "no.such.key", &[]), "no.such.key");
    }

    #[test]
    fn b5_a_refusal_that_names_things_is_translated_and_keeps_the_names() {
        assert_eq!(
            message("de", "the role carries a right you do not hold: hr (users)"),
            "die Rolle trägt ein Recht, das Sie selbst nicht haben: hr (users)"
        );
        assert_eq!(
            message("nl", "you cannot deactivate your own account"),
            "u kunt uw eigen account niet deactiveren"
        );
        assert_eq!(message("de", "unknown: x"), "unknown: x");
    }
}
