//! `/admin/users`, the administration of user accounts (admins only; staff
//! and everyone else get the 403 page): every user with role, organization
//! and status, a page at a time, and per user two small forms — change the
//! role, disable or enable the account — through the use case of the API's
//! `PATCH /api/v1/users/{id}` (`App::update_user`). Each form works
//! without JavaScript and comes back here with a message (`?done=…`); a
//! change the application refuses is shown on the list with its reason.
//! An admin's own row has no forms: nobody locks themselves out here.

use crate::server::AppState;
use crate::web::field_errors::FieldErrors;
use crate::web::form::Form;
use crate::web::page::Page;
use crate::web::redirect::{query, see_other};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use qiao_app::Principal;
use qiao_core::vocab::{Role, Vocabulary};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Users listed at once.
const PAGE_SIZE: u64 = 50;

/// What the last action did, as `?done=` names it.
const DONE: &[&str] = &["role", "disabled", "enabled"];

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct ListParams {
    offset: Option<String>,
    done: Option<String>,
    user: Option<String>,
}

#[derive(Serialize)]
struct UserRow {
    id: i64,
    email: String,
    display_name: String,
    role: String,
    role_label: String,
    org: Option<String>,
    disabled: bool,
    created_at: String,
    last_login_at: Option<String>,
    /// The signed-in admin's own account: shown, not changed here.
    me: bool,
}

/// The signed-in admin; else the answer: the sign-in page for visitors,
/// the 403 page for everyone else (staff included).
fn admin_only(page: &Page) -> Result<Principal, Box<Response>> {
    match page.principal() {
        None => Err(Box::new(see_other(&page.login_url()))),
        Some(p) if p.role != Role::Admin => Err(Box::new(page.problem(StatusCode::FORBIDDEN))),
        Some(p) => Ok(p.clone()),
    }
}

/// A change the application refused, said on the list.
struct Refused {
    user: i64,
    message: String,
}

async fn list(
    s: &AppState,
    page: &Page,
    who: &Principal,
    offset: u64,
    status: StatusCode,
    flash: Option<String>,
    refused: Option<Refused>,
) -> Response {
    let lang = page.lang.code();
    let (accounts, total) = match s.app.users(who, PAGE_SIZE, offset).await {
        Ok(r) => r,
        Err(e) => return page.error(e),
    };
    // Organization names, each looked up once.
    let mut orgs: HashMap<i64, Option<String>> = HashMap::new();
    for id in accounts.iter().filter_map(|a| a.org_id) {
        if let std::collections::hash_map::Entry::Vacant(slot) = orgs.entry(id) {
            let name = s
                .app
                .organization(&page.viewer, id)
                .await
                .ok()
                .map(|o| o.record.name);
            slot.insert(name);
        }
    }
    let users: Vec<UserRow> = accounts
        .into_iter()
        .map(|a| UserRow {
            role_label: Role::from_code(&a.role)
                .map_or_else(|| a.role.clone(), |r| r.label(lang).to_string()),
            org: a.org_id.and_then(|id| orgs.get(&id).cloned().flatten()),
            me: a.id == who.id,
            id: a.id,
            email: a.email,
            display_name: a.display_name,
            role: a.role,
            disabled: a.disabled,
            created_at: a.created_at.to_rfc3339(),
            last_login_at: a.last_login_at.map(|t| t.to_rfc3339()),
        })
        .collect();
    let roles: Vec<(&str, &str)> = Role::ALL
        .iter()
        .map(|r| (r.code(), r.label(lang)))
        .collect();
    let shown = users.len() as u64;
    let prev = (offset > 0).then(|| offset.saturating_sub(PAGE_SIZE));
    let next = (offset + shown < total).then_some(offset + PAGE_SIZE);
    let (refused_user, refused_message) = match refused {
        Some(r) => (Some(r.user), Some(r.message)),
        None => (None, None),
    };
    page.render_status(
        status,
        "admin_users.html",
        context! {
            flash,
            refused_user,
            refused_message,
            users,
            roles,
            total,
            first => if shown == 0 { 0 } else { offset + 1 },
            last => offset + shown,
            prev,
            next,
        },
    )
}

/// `GET /admin/users?offset=50&done=role&user=12`.
pub async fn users(State(s): State<AppState>, page: Page, Query(q): Query<ListParams>) -> Response {
    let who = match admin_only(&page) {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let offset = q
        .offset
        .as_deref()
        .and_then(|o| o.parse::<u64>().ok())
        .unwrap_or(0)
        .min(qiao_app::limits::MAX_OFFSET);
    let flash = q.done.as_deref().filter(|d| DONE.contains(d)).map(|d| {
        let email = q.user.as_deref().unwrap_or_default();
        page.lang
            .format(&format!("admin.done.{d}"), &[("email", email)])
    });
    list(&s, &page, &who, offset, StatusCode::OK, flash, None).await
}

/// Back to the list with a message about `email`, at the user's row.
fn done(kind: &str, id: i64, email: &str) -> Response {
    see_other(&format!(
        "/admin/users?{}#u-{id}",
        query(&[("done", kind), ("user", email)])
    ))
}

/// The list again with the application's reason for refusing a change,
/// or the problem page when the failure is not the admin's to correct.
async fn refused(
    s: &AppState,
    page: &Page,
    who: &Principal,
    id: i64,
    e: qiao_app::Error,
) -> Response {
    let status = match &e {
        qiao_app::Error::Conflict(_) => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let message = match FieldErrors::from_app(e, page.lang) {
        Ok(errors) => errors
            .form
            .or_else(|| errors.fields.into_values().next())
            .unwrap_or_else(|| page.text("admin.error.refused").to_string()),
        Err(e) => return page.error(e),
    };
    let message = format!("{} {message}", page.text("admin.error.refused"));
    list(
        s,
        page,
        who,
        0,
        status,
        None,
        Some(Refused { user: id, message }),
    )
    .await
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct RoleForm {
    role: String,
}

/// `POST /admin/users/{id}/role` (`role=enterprise|university|staff|admin`).
pub async fn change_role(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Form { page, data }: Form<RoleForm>,
) -> Response {
    let who = match admin_only(&page) {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let Some(role) = Role::from_code(&data.role) else {
        return page.problem(StatusCode::BAD_REQUEST);
    };
    if id == who.id {
        let message = page.text("admin.error.self").to_string();
        let refused = Some(Refused { user: id, message });
        return list(
            &s,
            &page,
            &who,
            0,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            refused,
        )
        .await;
    }
    match s.app.update_user(&who, id, Some(role), None, None).await {
        Ok(account) => done("role", id, &account.email),
        Err(e) => refused(&s, &page, &who, id, e).await,
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct StatusForm {
    /// `true` disables the account, `false` enables it again.
    disabled: String,
}

/// `POST /admin/users/{id}/status` (`disabled=true|false`); disabling ends the user's sessions.
pub async fn change_status(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Form { page, data }: Form<StatusForm>,
) -> Response {
    let who = match admin_only(&page) {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let disabled = match data.disabled.as_str() {
        "true" => true,
        "false" => false,
        _ => return page.problem(StatusCode::BAD_REQUEST),
    };
    if id == who.id {
        let message = page.text("admin.error.self").to_string();
        let refused = Some(Refused { user: id, message });
        return list(
            &s,
            &page,
            &who,
            0,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            refused,
        )
        .await;
    }
    match s
        .app
        .update_user(&who, id, None, Some(disabled), None)
        .await
    {
        Ok(account) => done(
            if disabled { "disabled" } else { "enabled" },
            id,
            &account.email,
        ),
        Err(e) => refused(&s, &page, &who, id, e).await,
    }
}
