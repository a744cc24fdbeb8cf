//! What every back-office page shares: the frame context (tenant, language, signed-in account,
//! menu), rendering with the page security headers, the notice after a saved form, field
//! errors keyed by field, and the same-site check of form posts.

use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Map, Value, json};

use crate::app::AppState;
use crate::auth::principal::PrincipalKind;
use crate::authz::Permit;
use crate::domain::{backoffice, user_directory};
use crate::error::{Error, FieldError};
use crate::store::entity::tenants;
use crate::tenancy::descriptor::Features;
use crate::web::i18n;
use crate::web::pages::{Page, PageError};
use sea_orm::EntityTrait;

/// The frame of a back-office page: tenant, language, who is signed in, the menu (B3) and
/// which section is current.
pub struct Frame {
    /// The page language (`en`, `nl`, `de`).
    pub lang: &'static str,
    /// Template context so far.
    pub ctx: Map<String, Value>,
    /// The tenant's feature switches (U2 editable login, U3 generated numbers, U7 superiors).
    pub features: Features,
    /// The languages the tenant offers its users.
    pub languages: Vec<String>,
}

impl Frame {
    /// Builds the frame for `access`, with `section` marked current in the menu.
    pub async fn new(state: &AppState, access: &Permit, section: &str) -> Result<Self, Error> {
        let tenant = tenants::Entity::find_by_id(access.tenant().0)
            .one(&state.db)
            .await?
            .ok_or_else(|| Error::NotFound("tenant".into()))?;
        let own = own_language(state, access).await?;
        let lang = i18n::choose(own.as_deref(), &tenant.default_language);
        let mut ctx = Map::new();
        ctx.insert("tenant".into(), crate::web::pages::tenant_view(&tenant)?);
        ctx.insert("lang".into(), json!(lang));
        ctx.insert("login".into(), json!(access.login()));
        ctx.insert("menu".into(), json!(super::menu(access.rights())));
        ctx.insert("section".into(), json!(section));
        ctx.insert(
            "base".into(),
            json!(format!("/t/{}/backoffice", tenant.slug)),
        );
        let context = access.tenant_context(&state.db).await?;
        let features = context.settings.features.clone();
        let languages = context.languages.clone();
        Ok(Self {
            lang,
            ctx,
            features,
            languages,
        })
    }

    /// Adds `key` = `value` to the context.
    pub fn set(mut self, key: &str, value: impl serde::Serialize) -> Self {
        self.ctx.insert(
            key.into(),
            serde_json::to_value(value).unwrap_or(Value::Null),
        );
        self
    }

    /// The text of `key` in this page's language.
    pub fn text(&self, key: &str) -> String {
        i18n::text(self.lang, key, &[])
    }

    /// The tenant's back-office base path (`/t/{slug}/backoffice`).
    pub fn base(&self) -> String {
        self.ctx
            .get("base")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }

    /// Renders `template` with this frame and status 200.
    pub fn render(self, template: &str) -> Result<Page, PageError> {
        Ok(Page::ok(template, Value::Object(self.ctx))?)
    }

    /// Renders `template` with `status`.
    pub fn render_status(
        self,
        status: axum::http::StatusCode,
        template: &str,
    ) -> Result<Page, PageError> {
        Ok(Page::new(status, template, Value::Object(self.ctx))?)
    }
}

/// The signed-in account's own language, if it set one.
async fn own_language(state: &AppState, access: &Permit) -> Result<Option<String>, Error> {
    Ok(match access.signed_in()?.kind {
        PrincipalKind::Backoffice => backoffice::own(&state.db, access).await?.language,
        // A portal user with back-office rights (e.g. a superior's reports): their own record.
        PrincipalKind::User => user_directory::own(&state.db, access).await?.language,
    })
}

/// Field errors as `{field: message}` for the templates, each message in the page language
/// where the catalog knows it (`messages.<English text>`), else as the domain wrote it.
pub fn field_errors(lang: &str, errors: &[FieldError]) -> Map<String, Value> {
    let mut out = Map::new();
    for e in errors {
        // The first problem of a field is the one shown next to it.
        out.entry(e.field.clone())
            .or_insert_with(|| json!(i18n::message(lang, &e.message)));
    }
    out
}

/// Notices shown after a redirect (`?done=…`): only known codes, never free text.
pub const NOTICES: &[&str] = &[
    "saved",
    "created",
    "deleted",
    "deactivated",
    "reactivated",
    "renamed",
    "mail_queued",
];

/// The notice code to show, if `done` is a known one.
pub fn notice(done: Option<&str>) -> Option<&'static str> {
    let done = done?;
    NOTICES.iter().copied().find(|n| *n == done)
}

/// Redirects (303) to `path` after a successful post.
pub fn see_other(path: &str) -> Response {
    Redirect::to(path).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_notices_are_shown() {
        assert_eq!(notice(Some("saved")), Some("saved"));
        assert_eq!(notice(Some("<script>")), None);
    }
}
