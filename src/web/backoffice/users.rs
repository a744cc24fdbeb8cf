//! Portal users (U1–U10, B4, B5): the list with search, group filter and paging (U5), the
//! create and edit form with every U1 field and its messages, and deactivate / reactivate (U6).
//! Every rule lives in `domain::people` and `domain::user_directory`; a refused form comes
//! back with the entered values and one message per field.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::view::{Frame, field_errors, notice, see_other};
use crate::app::AppState;
use crate::authz::{Permit, Right};
use crate::domain::audit_trail::{self, AuditEntry, TrailQuery};
use crate::domain::people::{self, BudgetInput, NewUser, PasswordMode, UserPatch};
use crate::domain::{catalogs, groups, organisations, roles, units, user_directory};
use crate::error::{Error, FieldError};
use crate::web::pages::PageError;

/// Query of the list page.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    group: Option<String>,
    page: Option<u64>,
    done: Option<String>,
}

/// Users per page of the list.
const PER_PAGE: u64 = 25;

/// `GET …/users`: U5 — search by the beginning of any word, filter by group, paged in SQL,
/// only users in the account's scope (B4, B5).
pub async fn list(
    State(state): State<AppState>,
    access: Permit,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let group = q.group.clone().filter(|g| !g.is_empty());
    let query = user_directory::Query {
        q: q.q.clone(),
        group: group.clone(),
        active: None,
        page: q.page,
        per_page: Some(PER_PAGE),
    };
    let frame = Frame::new(&state, &access, "users").await?;
    let all_groups = groups::list(&state.db, &access).await?;
    let (page, group_error) = match user_directory::list(&state.db, &access, &query).await {
        Ok(p) => (p, None),
        // An unknown group in the address: say so and list nobody.
        Err(Error::Validation(v)) => (
            user_directory::Page {
                items: Vec::new(),
                total: 0,
                page: 1,
                per_page: PER_PAGE,
            },
            field_errors(frame.lang, &v).remove("group"),
        ),
        Err(e) => return Err(e.into()),
    };
    let pages = page.total.div_ceil(page.per_page).max(1);
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|u| {
            let name = [
                Some(u.first_name.as_str()),
                u.middle_name.as_deref(),
                Some(u.last_name.as_str()),
            ]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
            json!({
                "id": u.id,
                "login": u.login,
                "name": name,
                "email": u.email,
                "user_number": u.user_number,
                "active": u.active,
            })
        })
        .collect();
    let title = frame.text("right.users");
    Ok(frame
        .set("title", title)
        .set("items", items)
        .set("total", page.total)
        .set("page", page.page)
        .set("pages", pages)
        .set("q", q.q.unwrap_or_default())
        .set("group", group.unwrap_or_default())
        .set("group_error", group_error)
        .set("groups", all_groups)
        .set("notice", notice(q.done.as_deref()))
        .render("backoffice/users.html")?
        .into_response())
}

/// A posted form: every (name, value) pair in order, checkboxes repeated.
struct Fields(Vec<(String, String)>);

impl Fields {
    fn text(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    }
    fn opt(&self, name: &str) -> Option<String> {
        Some(self.text(name)).filter(|v| !v.is_empty())
    }
    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect()
    }
    fn flag(&self, name: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && v != "false")
    }
    /// U9: "name = value" per line.
    fn properties(&self) -> BTreeMap<String, String> {
        self.text("properties")
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .filter(|(k, _)| !k.is_empty())
            .collect()
    }
}

/// The single-valued text fields of the form, in form order.
const TEXT_FIELDS: &[&str] = &[
    "login",
    "user_number",
    "title",
    "first_name",
    "middle_name",
    "last_name",
    "email",
    "language",
    "organisation_unit",
    "organisation",
    "personnel_number",
    "company_role",
    "area",
    "department",
    "cost_centre",
    "external_id",
    "superior",
    "data_field_01",
    "data_field_02",
    "data_field_03",
    "budget",
    "properties",
    "enrollment_profiles",
    "password_mode",
];

/// What the form shows: entered or stored values, chosen sets and flags.
fn values_from_fields(f: &Fields) -> Value {
    let mut v = Map::new();
    for name in TEXT_FIELDS {
        v.insert((*name).into(), json!(f.text(name)));
    }
    json!({
        "v": v,
        "catalogs": f.all("catalogs"),
        "user_groups": f.all("user_groups"),
        "roles": f.all("roles"),
        "active": f.flag("active"),
        "privacy_policy_accepted": f.flag("privacy_policy_accepted"),
        "must_change_password": f.flag("must_change_password"),
        "generate_user_number": f.flag("generate_user_number"),
    })
}

fn values_from_details(d: &people::UserDetails) -> Value {
    let u = &d.user;
    let d_json = serde_json::to_value(d).unwrap_or(Value::Null);
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let properties: String = d
        .properties
        .iter()
        .map(|(k, v)| format!("{k} = {v}\n"))
        .collect();
    let v = json!({
        "login": u.login,
        "user_number": text(&u.user_number),
        "title": text(&u.title),
        "first_name": u.first_name,
        "middle_name": text(&u.middle_name),
        "last_name": u.last_name,
        "email": text(&u.email),
        "language": text(&u.language),
        "organisation_unit": text(&d.organisation_unit),
        "organisation": d_json["organisation"]["code"].as_str().unwrap_or_default(),
        "personnel_number": text(&u.personnel_number),
        "company_role": text(&u.company_role),
        "area": text(&u.area),
        "department": text(&u.department),
        "cost_centre": text(&u.cost_centre),
        "external_id": text(&u.external_id),
        "superior": d_json["superior"]["login"].as_str().unwrap_or_default(),
        "data_field_01": text(&u.data_field_01),
        "data_field_02": text(&u.data_field_02),
        "data_field_03": text(&u.data_field_03),
        "budget": d_json["budget"]["amount"].as_str().unwrap_or_default(),
        "properties": properties,
        "enrollment_profiles": d.enrollment_profiles.join(","),
        "password_mode": "link",
    });
    json!({
        "v": v,
        "catalogs": d.catalogs,
        "user_groups": d.user_groups,
        "roles": d.roles,
        "active": u.active,
        "privacy_policy_accepted": u.privacy_policy_accepted_at.is_some(),
        "must_change_password": u.must_change_password,
        "generate_user_number": false,
        "registration_state": u.registration_state,
        "employments": d_json["employments"],
    })
}

/// The choices of the form: catalogs, units in scope, groups, portal roles, organisations
/// (a `datalist` gives U10's type-ahead without script), languages.
async fn choices(state: &AppState, access: &Permit, frame: Frame) -> Result<Frame, PageError> {
    let mut unit_options = Vec::new();
    fn walk(units: &[units::Unit], depth: usize, out: &mut Vec<Value>) {
        for u in units {
            out.push(json!({"code": u.code, "name": u.name, "depth": depth,
                "label": format!("{}{}", "— ".repeat(depth), u.name)}));
            walk(&u.children, depth + 1, out);
        }
    }
    walk(
        &units::for_users(&state.db, access).await?,
        0,
        &mut unit_options,
    );
    let portal_roles: Vec<Value> = roles::list(&state.db, access)
        .await?
        .into_iter()
        .filter(|r| r.kind == "portal")
        .map(|r| json!({"code": r.code, "name": r.name}))
        .collect();
    let orgs: Vec<Value> = organisations::list(&state.db, access)
        .await?
        .into_iter()
        .filter(|o| o.active)
        .map(|o| json!({"code": o.code, "name": o.name}))
        .collect();
    let languages = frame.languages.clone();
    let features = json!({
        "editable_login_name": frame.features.editable_login_name,
        "generate_user_number": frame.features.generate_user_number,
        "superiors": frame.features.superiors,
    });
    Ok(frame
        .set("catalog_options", catalogs::list(&state.db, access).await?)
        .set("unit_options", unit_options)
        .set("group_options", groups::list(&state.db, access).await?)
        .set("role_options", portal_roles)
        .set("organisation_options", orgs)
        .set("language_options", languages)
        .set("features", features))
}

/// Renders the user form (new when `id` is `None`).
#[allow(clippy::too_many_arguments)]
async fn form_page(
    state: &AppState,
    access: &Permit,
    id: Option<Uuid>,
    values: Value,
    errors: &[FieldError],
    status: StatusCode,
    extra: Option<(&str, Value)>,
) -> Result<Response, PageError> {
    let frame = Frame::new(state, access, "users").await?;
    let lang = frame.lang;
    let title = match (&id, values["v"]["first_name"].as_str()) {
        (Some(_), Some(first)) => format!(
            "{first} {}",
            values["v"]["last_name"].as_str().unwrap_or_default()
        ),
        _ => frame.text("users.new"),
    };
    let mut frame = choices(state, access, frame)
        .await?
        .set("title", title)
        .set("id", id)
        .set("form", values)
        .set("tab", "details")
        // X3: the History tab is offered to accounts holding the audit right.
        .set("can_audit", access.has(Right::Audit))
        .set("errors", field_errors(lang, errors))
        // Problems of fields the form does not show get a list at the top.
        .set(
            "other_errors",
            errors
                .iter()
                .filter(|e| !on_form(e.field.split('[').next().unwrap_or("")))
                .map(|e| {
                    format!(
                        "{}: {}",
                        e.field,
                        crate::web::i18n::message(lang, &e.message)
                    )
                })
                .collect::<Vec<_>>(),
        );
    if let Some((k, v)) = extra {
        frame = frame.set(k, v);
    }
    Ok(frame
        .render_status(status, "backoffice/user_form.html")?
        .into_response())
}

/// Fields the form shows a message next to besides [`TEXT_FIELDS`].
const OTHER_FORM_FIELDS: &[&str] = &[
    "password",
    "catalogs",
    "user_groups",
    "roles",
    "active",
    "privacy_policy_accepted",
    "must_change_password",
];

/// Whether the form shows a message next to `field`.
fn on_form(field: &str) -> bool {
    TEXT_FIELDS.contains(&field) || OTHER_FORM_FIELDS.contains(&field)
}

/// `GET …/users/new`: the empty form.
pub async fn new_form(
    State(state): State<AppState>,
    access: Permit,
) -> Result<Response, PageError> {
    let values = json!({
        "v": {"password_mode": "link"},
        "catalogs": [], "user_groups": [], "roles": ["learner"],
        "active": true, "privacy_policy_accepted": false,
        "must_change_password": true, "generate_user_number": false,
    });
    form_page(&state, &access, None, values, &[], StatusCode::OK, None).await
}

fn budget(f: &Fields) -> Option<BudgetInput> {
    f.opt("budget").map(|amount| BudgetInput {
        amount,
        ..BudgetInput::default()
    })
}

fn codes(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `POST …/users/new`: creates the user (U1–U3); on success opens their page and shows a
/// generated password once.
pub async fn create(
    State(state): State<AppState>,
    access: Permit,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = Fields(fields);
    let password_mode = match f.text("password_mode").as_str() {
        "generate" => PasswordMode::Generate,
        "typed" => PasswordMode::Typed,
        _ => PasswordMode::Link,
    };
    let new = NewUser {
        login: f.text("login"),
        first_name: f.text("first_name"),
        last_name: f.text("last_name"),
        email: f.text("email"),
        catalogs: f.all("catalogs"),
        title: f.opt("title"),
        middle_name: f.opt("middle_name"),
        organisation_unit: f.opt("organisation_unit"),
        organisation: f.opt("organisation"),
        personnel_number: f.opt("personnel_number"),
        company_role: f.opt("company_role"),
        area: f.opt("area"),
        department: f.opt("department"),
        cost_centre: f.opt("cost_centre"),
        external_id: f.opt("external_id"),
        data_field_01: f.opt("data_field_01"),
        data_field_02: f.opt("data_field_02"),
        data_field_03: f.opt("data_field_03"),
        language: f.opt("language"),
        superior: f.opt("superior"),
        roles: f.all("roles"),
        privacy_policy_accepted: f.flag("privacy_policy_accepted"),
        active: Some(f.flag("active")),
        enrollment_profiles: codes(&f.text("enrollment_profiles")),
        user_groups: f.all("user_groups"),
        user_number: f.opt("user_number"),
        generate_user_number: f.flag("generate_user_number"),
        password_mode,
        password: f.opt("password"),
        must_change_password: Some(f.flag("must_change_password")),
        budget: budget(&f),
        properties: f.properties(),
    };
    match people::create(&state.db, &access, new).await {
        Ok(created) => {
            if let Some(password) = created.generated_password {
                // U3: shown once, on this answer only — never put in an address.
                let details = people::details(&state.db, &access, created.user.id).await?;
                return form_page(
                    &state,
                    &access,
                    Some(created.user.id),
                    values_from_details(&details),
                    &[],
                    StatusCode::OK,
                    Some(("generated_password", json!(password))),
                )
                .await;
            }
            Ok(see_other(&format!(
                "/t/{}/backoffice/users/{}?done=created",
                access.tenant_slug(),
                created.user.id
            )))
        }
        Err(Error::Validation(errors)) => {
            form_page(
                &state,
                &access,
                None,
                values_from_fields(&f),
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `?done=` after a redirect.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// `GET …/users/{id}`: the edit form with the stored values.
pub async fn edit(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let details = people::details(&state.db, &access, id).await?;
    form_page(
        &state,
        &access,
        Some(id),
        values_from_details(&details),
        &[],
        StatusCode::OK,
        notice(q.done.as_deref()).map(|n| ("notice", json!(n))),
    )
    .await
}

/// `POST …/users/{id}`: saves the form; every shown field is sent, so an emptied field clears.
pub async fn update(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = Fields(fields);
    let current = people::details(&state.db, &access, id).await?;
    // U2: the login name is sent only when changed (the domain refuses a change where the
    // tenant does not allow it).
    let login = f.opt("login").filter(|l| *l != current.user.login);
    let patch = UserPatch {
        login,
        user_number: Some(f.text("user_number")),
        title: Some(f.text("title")),
        first_name: Some(f.text("first_name")),
        middle_name: Some(f.text("middle_name")),
        last_name: Some(f.text("last_name")),
        email: Some(f.text("email")),
        language: Some(f.text("language")),
        organisation_unit: Some(f.text("organisation_unit")),
        organisation: Some(f.text("organisation")),
        personnel_number: Some(f.text("personnel_number")),
        company_role: Some(f.text("company_role")),
        area: Some(f.text("area")),
        department: Some(f.text("department")),
        cost_centre: Some(f.text("cost_centre")),
        external_id: Some(f.text("external_id")),
        data_field_01: Some(f.text("data_field_01")),
        data_field_02: Some(f.text("data_field_02")),
        data_field_03: Some(f.text("data_field_03")),
        superior: Some(f.text("superior")),
        catalogs: Some(f.all("catalogs")),
        roles: Some(f.all("roles")),
        enrollment_profiles: Some(codes(&f.text("enrollment_profiles"))),
        user_groups: Some(f.all("user_groups")),
        privacy_policy_accepted: Some(f.flag("privacy_policy_accepted")),
        must_change_password: Some(f.flag("must_change_password")),
    };
    let result = async {
        people::update(&state.db, &access, id, patch).await?;
        people::set_budget(&state.db, &access, id, budget(&f)).await?;
        people::set_properties(&state.db, &access, id, f.properties()).await?;
        Ok::<_, Error>(())
    }
    .await;
    match result {
        Ok(()) => Ok(see_other(&format!(
            "/t/{}/backoffice/users/{id}?done=saved",
            access.tenant_slug()
        ))),
        Err(Error::Validation(errors)) => {
            let mut values = values_from_fields(&f);
            values["active"] = json!(current.user.active);
            values["v"]["login"] = json!(f.text("login"));
            form_page(
                &state,
                &access,
                Some(id),
                values,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn set_active(
    state: AppState,
    access: Permit,
    id: Uuid,
    active: bool,
) -> Result<Response, PageError> {
    user_directory::set_active(&state.db, &access, id, active).await?;
    let done = if active { "reactivated" } else { "deactivated" };
    Ok(see_other(&format!(
        "/t/{}/backoffice/users/{id}?done={done}",
        access.tenant_slug()
    )))
}

/// `POST …/users/{id}/deactivate` (U6): the user can no longer sign in.
pub async fn deactivate(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Response, PageError> {
    set_active(state, access, id, false).await
}

/// `POST …/users/{id}/reactivate` (U6)
pub async fn reactivate(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Response, PageError> {
    set_active(state, access, id, true).await
}

/// `POST …/users/{id}/account-mail` (U3): queues the account (set-password) mail; a user
/// without e-mail gets the message next to the e-mail field.
pub async fn account_mail(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Response, PageError> {
    match people::send_account_mail(&state.db, &access, id).await {
        Ok(()) => Ok(see_other(&format!(
            "/t/{}/backoffice/users/{id}?done=mail_queued",
            access.tenant_slug()
        ))),
        Err(Error::Validation(errors)) => {
            let details = people::details(&state.db, &access, id).await?;
            form_page(
                &state,
                &access,
                Some(id),
                values_from_details(&details),
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// Query of the History tab.
#[derive(Debug, Default, Deserialize)]
pub struct HistoryQuery {
    page: Option<u64>,
}

/// Events per page of the History tab.
const HISTORY_PER_PAGE: u64 = 50;

/// A recorded value as the History tab shows it: text as is, nothing as empty, anything else
/// (numbers, lists, objects) as JSON.
fn shown(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// One event for the template: when, who, source, entity, action and each changed field
/// with its value before and after.
fn history_row(e: &AuditEntry) -> Value {
    let before = e.before.as_ref().and_then(Value::as_object);
    let after = e.after.as_ref().and_then(Value::as_object);
    let mut fields: Vec<&String> = before
        .into_iter()
        .chain(after)
        .flat_map(|m| m.keys())
        .collect();
    fields.sort();
    fields.dedup();
    let changes: Vec<Value> = fields
        .into_iter()
        .map(|f| {
            json!({
                "field": f,
                "before": shown(before.and_then(|m| m.get(f))),
                "after": shown(after.and_then(|m| m.get(f))),
            })
        })
        .collect();
    json!({
        "when": e.occurred_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        "who": e.actor_label.clone().unwrap_or_else(|| e.actor_kind.clone()),
        "source": e.source,
        "entity": e.entity,
        "action": e.action,
        "changes": changes,
    })
}

/// `GET …/users/{id}/history?page=` (X3): the user's audit trail, newest first, 50 a page.
/// Needs the audit right; a user outside the scope that right gives is "not found".
pub async fn history(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
    Query(q): Query<HistoryQuery>,
) -> Result<Response, PageError> {
    let trail = audit_trail::of_user(
        &state.db,
        &access,
        id,
        &TrailQuery {
            page: q.page,
            per_page: Some(HISTORY_PER_PAGE),
        },
    )
    .await?;
    let user = audit_trail::subject(&state.db, &access, id).await?;
    let title = format!("{} {}", user.first_name, user.last_name);
    let rows: Vec<Value> = trail.items.iter().map(history_row).collect();
    let more = trail.page * trail.per_page < trail.total;
    let frame = Frame::new(&state, &access, "users").await?;
    Ok(frame
        .set("title", title)
        .set("id", id)
        .set("tab", "history")
        .set("can_audit", true)
        .set("form", json!({"v": {}, "active": user.active}))
        .set("errors", Map::new())
        .set("history", rows)
        .set("history_total", trail.total)
        .set("history_page", trail.page)
        .set("history_more", more)
        .render("backoffice/user_form.html")?
        .into_response())
}
