//! R1: a tenant's colours on its sign-in and portal pages (descriptor key `branding`).
//!
//! Colours end up inside a `<style>` element, so a [`Colour`] is parsed at the edge — only
//! `#rgb` and `#rrggbb` exist past it — and nothing else can reach the CSS. The contrast rule
//! (text on the primary colour must be readable, WCAG 2 AA: 4.5:1) needs both colours and is
//! checked with the other whole-document rules in `validate/looks.rs`.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A CSS colour written `#rgb` or `#rrggbb`; kept as lower-case `#rrggbb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colour([u8; 3]);

impl Colour {
    /// Parses `#rgb` or `#rrggbb` (hex digits in either case); anything else is refused.
    pub fn parse(text: &str) -> Result<Self, String> {
        let refuse = || format!("colour `{text}` must be written `#rgb` or `#rrggbb` (hex digits)");
        let hex = text.strip_prefix('#').ok_or_else(refuse)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(refuse());
        }
        let digit = |i: usize| u8::from_str_radix(&hex[i..=i], 16).map_err(|_| refuse());
        match hex.len() {
            3 => Ok(Self([digit(0)? * 17, digit(1)? * 17, digit(2)? * 17])),
            6 => Ok(Self([
                digit(0)? * 16 + digit(1)?,
                digit(2)? * 16 + digit(3)?,
                digit(4)? * 16 + digit(5)?,
            ])),
            _ => Err(refuse()),
        }
    }

    /// WCAG 2 relative luminance, 0 (black) to 1 (white).
    pub fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let [r, g, b] = self.0;
        0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    }

    /// WCAG 2 contrast ratio between two colours, from 1 to 21.
    pub fn contrast(self, other: Colour) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        let (light, dark) = if a >= b { (a, b) } else { (b, a) };
        (light + 0.05) / (dark + 0.05)
    }
}

impl fmt::Display for Colour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [r, g, b] = self.0;
        write!(f, "#{r:02x}{g:02x}{b:02x}")
    }
}

impl Serialize for Colour {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Colour {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Refused inside the string visitor, so serde_yaml reports the value's own position.
        struct Hex;
        impl Visitor<'_> for Hex {
            type Value = Colour;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a colour `#rgb` or `#rrggbb`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Colour, E> {
                Colour::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_str(Hex)
    }
}

/// The smallest contrast between `primary_text` and `primary` (WCAG 2 AA, normal text).
pub const MIN_CONTRAST: f64 = 4.5;

/// The smallest contrast between `primary` and white, the cards links are drawn on (WCAG 2
/// AA for large text and interface components).
pub const MIN_LINK_CONTRAST: f64 = 3.0;

/// R1: the tenant's colours; a key left out keeps Roster's own look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Branding {
    /// Buttons, links and the mark in the header bar.
    #[serde(default = "default_primary")]
    pub primary: Colour,
    /// Text on the primary colour (button labels, the header mark).
    #[serde(default = "default_primary_text")]
    pub primary_text: Colour,
    /// Page background.
    #[serde(default = "default_background")]
    pub background: Colour,
}

// Roster's own look; `templates/layout.html` declares the same values for pages of no tenant.
fn default_primary() -> Colour {
    Colour([0x24, 0x56, 0xc7])
}

fn default_primary_text() -> Colour {
    Colour([0xff, 0xff, 0xff])
}

fn default_background() -> Colour {
    Colour([0xf3, 0xf6, 0xf9])
}

impl Default for Branding {
    fn default() -> Self {
        Self {
            primary: default_primary(),
            primary_text: default_primary_text(),
            background: default_background(),
        }
    }
}

impl Branding {
    /// The contrast of `primary` (links, focus rings) on white cards.
    pub fn link_contrast(&self) -> f64 {
        self.primary.contrast(Colour([0xff, 0xff, 0xff]))
    }

    /// The contrast of `primary_text` on `primary`.
    pub fn text_contrast(&self) -> f64 {
        self.primary.contrast(self.primary_text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r1_colours_are_hex_only() {
        assert_eq!(
            Colour::parse("#0B5FA5").map(|c| c.to_string()),
            Ok("#0b5fa5".into())
        );
        assert_eq!(
            Colour::parse("#fff").map(|c| c.to_string()),
            Ok("#ffffff".into())
        );
        for bad in [
            "0b5fa5",
            "#0b5fa",
            "#0b5fa5ff",
            "#ggg",
            "red",
            "#fff;}body{x:y",
            "#",
            "",
            "#１２３",
        ] {
            assert!(Colour::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn r1_contrast_follows_wcag() {
        let black = Colour::parse("#000").expect("ok");
        let white = Colour::parse("#fff").expect("ok");
        assert!((black.contrast(white) - 21.0).abs() < 1e-9);
        assert!((white.contrast(white) - 1.0).abs() < 1e-9);
        // #777 on white is the classic just-failing grey (4.48:1).
        let grey = Colour::parse("#777").expect("ok");
        assert!((grey.contrast(white) - 4.48).abs() < 0.01);
        assert!(Branding::default().text_contrast() >= MIN_CONTRAST);
    }

    #[test]
    fn r1_default_colours_are_the_layouts() {
        let layout = include_str!("../../templates/layout.html");
        let d = Branding::default();
        for (var, colour) in [
            ("--brand-primary", d.primary),
            ("--brand-primary-text", d.primary_text),
            ("--brand-background", d.background),
        ] {
            assert!(
                layout.contains(&format!("{var}: {colour};")),
                "layout.html lacks `{var}: {colour};`"
            );
        }
    }
}
