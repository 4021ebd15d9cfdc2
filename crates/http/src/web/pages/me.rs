//! `/me`, the workspace: who the user is, their organization and its
//! review, pending requests to join one, and by role what their
//! organization has on the platform — an enterprise's needs (every
//! status, drafts and staff-only ones marked) with links to create and
//! edit them, a university's or institute's capabilities, and the
//! cooperation projects it takes part in with their milestones (overdue
//! ones flagged). Everything comes from the same use cases as the API.

use crate::server::AppState;
use crate::web::i18n::Lang;
use crate::web::page::Page;
use crate::web::redirect::see_other;
use axum::extract::State;
use axum::response::Response;
use minijinja::context;
use qiao_app::projects::{ProjectFilter, today};
use qiao_core::record::{CapabilityRecord, NeedRecord};
use qiao_core::stored::ListQuery;
use qiao_core::vocab::{
    CapabilityKind, CapabilityStatus, NeedStatus, ReviewStatus, Role, Visibility, Vocabulary,
};
use serde::Serialize;
use serde_json::Value;

/// Listings and projects shown in the workspace (the most recently changed).
const SHOWN: u64 = 100;
/// Projects shown with their milestones.
const PROJECTS_SHOWN: u64 = 30;

pub async fn me(State(s): State<AppState>, page: Page) -> Response {
    let Some(who) = page.principal().cloned() else {
        return see_other(&page.login_url());
    };
    let code = page.lang.code();
    let account = match s.app.account(who.id).await {
        Ok(a) => a,
        Err(e) => return page.error(e),
    };
    let org = match who.org_id {
        Some(id) => s.app.organization(&page.viewer, id).await.ok(),
        None => None,
    };
    let org = org.map(|o| {
        context! {
            name => o.record.name,
            status => o.review_status.label(code),
            pending => o.review_status == ReviewStatus::Pending,
        }
    });
    let mut requests = Vec::new();
    if who.org_id.is_none() && who.role.needs_organization() {
        match s.app.membership_requests(&who, Some("pending")).await {
            Ok(list) => {
                for r in list {
                    if let Ok(o) = s.app.organization(&page.viewer, r.org_id).await {
                        requests.push(o.record.name);
                    }
                }
            }
            Err(e) => return page.error(e),
        }
    }
    let role =
        Role::from_code(&account.role).map_or(account.role.clone(), |r| r.label(code).to_string());
    let account = context! {
        email => account.email,
        display_name => account.display_name,
        role,
        org_admin => account.org_admin,
    };
    let member_role = who.role.needs_organization();
    let flash = flash_of(&page);

    // What the member's organization has on the platform.
    let (mut needs, mut capabilities, mut projects) = (None, None, None);
    if let (Some(org_id), false) = (who.org_id, who.is_staff()) {
        let query = ListQuery {
            org_id: Some(org_id),
            sort: Some("-updated_at".into()),
            limit: SHOWN,
            ..ListQuery::default()
        };
        match who.role {
            Role::Enterprise => {
                match qiao_app::listings::list::<NeedRecord>(&s.app, &page.viewer, &query).await {
                    Ok(list) => needs = Some(need_rows(&list, page.lang)),
                    Err(e) => return page.error(e),
                }
            }
            Role::University => {
                let listed =
                    qiao_app::listings::list::<CapabilityRecord>(&s.app, &page.viewer, &query)
                        .await;
                match listed {
                    Ok(list) => capabilities = Some(capability_rows(&list, page.lang)),
                    Err(e) => return page.error(e),
                }
            }
            _ => {}
        }
        match project_rows(&s, &page).await {
            Ok(rows) => projects = Some(rows),
            Err(e) => return page.error(e),
        }
    }
    page.render(
        "me.html",
        context! { account, org, requests, member_role, needs, capabilities, projects, flash },
    )
}

/// The message of a redirect after a saved form (`/me?saved=…`).
pub(super) fn flash_of(page: &Page) -> Option<&'static str> {
    let query = page.path.split_once('?').map_or("", |(_, q)| q);
    let saved = serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == "saved")?
        .1;
    let key = match saved.as_str() {
        "draft" => "ws.flash.draft",
        "published" => "ws.flash.published",
        "updated" => "ws.flash.updated",
        "cap_published" => "ws.flash.cap_published",
        _ => return None,
    };
    Some(page.lang.text(key))
}

#[derive(Serialize)]
struct NeedRow {
    id: i64,
    title: String,
    status_code: &'static str,
    status: &'static str,
    staff_only: bool,
    fields: Vec<&'static str>,
    budget_min: Option<f64>,
    budget_max: Option<f64>,
    deadline: Option<String>,
    updated: String,
}

fn text(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

fn labels<V: Vocabulary>(v: &Value, lang: Lang) -> Vec<&'static str> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c.as_str().and_then(V::from_code))
                .map(|t| t.label(lang.code()))
                .collect()
        })
        .unwrap_or_default()
}

/// The day part of an RFC 3339 time.
fn day(v: &Value) -> String {
    v.as_str().unwrap_or_default().chars().take(10).collect()
}

fn need_rows(list: &Value, lang: Lang) -> Vec<NeedRow> {
    let items = list["items"].as_array().cloned().unwrap_or_default();
    items
        .iter()
        .map(|n| {
            let status = NeedStatus::from_code(n["status"].as_str().unwrap_or_default())
                .unwrap_or(NeedStatus::Draft);
            NeedRow {
                id: n["id"].as_i64().unwrap_or_default(),
                title: text(n, "title"),
                status_code: status.code(),
                status: status.label(lang.code()),
                staff_only: n["visibility"].as_str() == Some(Visibility::StaffOnly.code()),
                fields: labels::<qiao_core::vocab::Field>(&n["fields"], lang),
                budget_min: n["budget_min"].as_f64(),
                budget_max: n["budget_max"].as_f64(),
                deadline: n["deadline"].as_str().map(str::to_string),
                updated: day(&n["updated_at"]),
            }
        })
        .collect()
}

#[derive(Serialize)]
struct CapabilityRow {
    id: i64,
    title: String,
    kind: &'static str,
    status_code: &'static str,
    status: &'static str,
    fields: Vec<&'static str>,
    trl: Option<i64>,
    updated: String,
}

fn capability_rows(list: &Value, lang: Lang) -> Vec<CapabilityRow> {
    let items = list["items"].as_array().cloned().unwrap_or_default();
    items
        .iter()
        .map(|c| {
            let status = CapabilityStatus::from_code(c["status"].as_str().unwrap_or_default())
                .unwrap_or(CapabilityStatus::Draft);
            let kind = CapabilityKind::from_code(c["kind"].as_str().unwrap_or_default())
                .unwrap_or(CapabilityKind::Achievement);
            CapabilityRow {
                id: c["id"].as_i64().unwrap_or_default(),
                title: text(c, "title"),
                kind: kind.label(lang.code()),
                status_code: status.code(),
                status: status.label(lang.code()),
                fields: labels::<qiao_core::vocab::Field>(&c["fields"], lang),
                trl: c["trl"].as_i64(),
                updated: day(&c["updated_at"]),
            }
        })
        .collect()
}

#[derive(Serialize)]
struct MilestoneItem {
    title: String,
    due_on: String,
    done_on: Option<String>,
    overdue: bool,
}

#[derive(Serialize)]
struct ProjectItem {
    id: i64,
    title: String,
    status_code: &'static str,
    status: &'static str,
    partner: String,
    key_project: bool,
    overdue: u64,
    milestones: Vec<MilestoneItem>,
}

/// The projects the member's organization takes part in, with their milestones.
async fn project_rows(s: &AppState, page: &Page) -> Result<Vec<ProjectItem>, qiao_app::Error> {
    let filter = ProjectFilter {
        limit: PROJECTS_SHOWN,
        ..ProjectFilter::default()
    };
    let list = s.app.projects(&page.viewer, &filter).await?;
    let own = page.principal().and_then(|p| p.org_id);
    let today = today();
    let mut rows = Vec::with_capacity(list.items.len());
    for v in list.items {
        let p = &v.project;
        let milestones = s.app.milestones(&page.viewer, p.id).await?;
        let partner = if own == Some(p.fields.enterprise_org_id) {
            v.institution_name.clone()
        } else {
            v.enterprise_name.clone()
        };
        rows.push(ProjectItem {
            id: p.id,
            title: p.fields.title.clone(),
            status_code: p.status.code(),
            status: p.status.label(page.lang.code()),
            partner,
            key_project: p.fields.key_project,
            overdue: v.overdue_milestones,
            milestones: milestones
                .iter()
                .map(|m| MilestoneItem {
                    title: m.fields.title.clone(),
                    due_on: m.fields.due_on.to_string(),
                    done_on: m.fields.done_on.map(|d| d.to_string()),
                    overdue: m.fields.is_overdue(today),
                })
                .collect(),
        });
    }
    Ok(rows)
}
