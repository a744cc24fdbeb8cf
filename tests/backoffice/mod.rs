//! Back-office pages over plain HTTP (no browser): rights on every page (B3), form messages
//! per field (U1, G1), the page language (tenant default, overridden per account), and the
//! same-site check of form posts. The browser walks through them in `tests/browser`.

mod history;
mod organisations;
pub mod pages;
