//! `/staff`, the staff console (staff and admins): what awaits them, and
//! two working sections — organizations awaiting review (approve or reject,
//! the API's `POST /api/v1/organizations/{id}/review` use case) and the
//! queue of match suggestions awaiting a decision (accept and open a
//! project, reject with a reason code, mark contacted; the use cases of
//! `POST /api/v1/suggestions/{id}/accept|reject|contacted`). Every action
//! is a small form that works without JavaScript and comes back here with
//! a message (`?done=…`); a reject form that does not pass is shown again
//! with its error beside it.

use super::staff_dashboard::current_year;
use crate::server::AppState;
use crate::web::form::Form;
use crate::web::page::Page;
use crate::web::redirect::{query, see_other};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use qiao_app::Principal;
use qiao_app::review_queue::ReviewQueue;
use qiao_core::stored::ListQuery;
use qiao_core::vocab::{RejectReason, ReviewStatus, Vocabulary};
use serde::{Deserialize, Serialize};

/// Organizations and suggestions listed at once.
const LISTED: usize = 50;

/// What the last action did, as `?done=` names it.
const DONE: &[&str] = &[
    "org_approved",
    "org_rejected",
    "accepted",
    "rejected",
    "contacted",
];

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct ConsoleQuery {
    done: Option<String>,
    project: Option<String>,
    count: Option<String>,
}

#[derive(Serialize)]
struct OrgRow {
    id: i64,
    name: String,
    kind: &'static str,
    region: Option<String>,
    created_at: String,
}

#[derive(Serialize)]
struct QueueRow {
    id: i64,
    need_id: i64,
    need_title: String,
    need_org: String,
    capability_id: i64,
    capability_title: String,
    capability_org: String,
    /// Per cent.
    score: f64,
    confidence: Option<&'static str>,
    confidence_label: Option<&'static str>,
    summary: String,
    matched_terms: Vec<String>,
}

/// A reject form that did not pass, shown again in its row.
#[derive(Serialize, Default)]
struct Failed {
    id: i64,
    reason: String,
    note: String,
    reason_error: Option<String>,
    note_error: Option<String>,
}

/// The signed-in staff member or admin; else the answer: the sign-in page
/// for visitors, the 403 page for everyone else.
fn staff_only(page: &Page) -> Result<Principal, Box<Response>> {
    match page.principal() {
        None => Err(Box::new(see_other(&page.login_url()))),
        Some(p) if !p.is_staff() => Err(Box::new(page.problem(StatusCode::FORBIDDEN))),
        Some(p) => Ok(p.clone()),
    }
}

async fn console(
    s: &AppState,
    page: &Page,
    status: StatusCode,
    flash: Option<String>,
    failed: Option<Failed>,
) -> Response {
    let Ok(who) = staff_only(page) else {
        return page.problem(StatusCode::FORBIDDEN);
    };
    let lang = page.lang.code();
    let pending = ListQuery {
        status: Some(ReviewStatus::Pending.code().to_string()),
        sort: Some("created_at".into()),
        limit: LISTED as u64,
        ..ListQuery::default()
    };
    let orgs = match s.app.organizations(&page.viewer, &pending).await {
        Ok(o) => o,
        Err(e) => return page.error(e),
    };
    let org_total = orgs.total;
    let orgs: Vec<OrgRow> = orgs
        .items
        .into_iter()
        .map(|o| OrgRow {
            id: o.id,
            kind: o.record.kind.label(lang),
            region: o.record.region.map(|r| r.name),
            name: o.record.name,
            created_at: o.created_at.to_rfc3339(),
        })
        .collect();
    let ReviewQueue { total, items } = match s.app.suggestion_queue(&who, LISTED).await {
        Ok(q) => q,
        Err(e) => return page.error(e),
    };
    let queue: Vec<QueueRow> = items
        .into_iter()
        .map(|q| QueueRow {
            id: q.id,
            need_id: q.need.id,
            need_title: q.need.title,
            need_org: q.need.org_name,
            capability_id: q.capability.id,
            capability_title: q.capability.title,
            capability_org: q.capability.org_name,
            score: (q.score * 1000.0).round() / 10.0,
            confidence: q.confidence.map(|c| c.code()),
            confidence_label: q.confidence.map(|c| c.label(lang)),
            summary: q.summary,
            matched_terms: q.matched_terms,
        })
        .collect();
    // Published needs, latest first, for the form that computes suggestions.
    let recent = ListQuery {
        status: Some("published".into()),
        sort: Some("-updated_at".into()),
        limit: LISTED as u64,
        ..ListQuery::default()
    };
    let recent_needs: Vec<(i64, String)> =
        qiao_app::listings::list::<qiao_core::record::NeedRecord>(&s.app, &page.viewer, &recent)
            .await
            .map(|v| {
                v["items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|n| Some((n["id"].as_i64()?, n["title"].as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
    let reasons: Vec<(&str, &str)> = RejectReason::ALL
        .iter()
        .map(|r| (r.code(), r.label(lang)))
        .collect();
    page.render_status(
        status,
        "staff.html",
        context! {
            flash,
            org_total,
            orgs,
            queue_total => total,
            queue,
            reasons,
            failed,
            recent_needs,
            plan_year => current_year(),
        },
    )
}

/// `GET /staff?done=accepted&project=12`.
pub async fn home(
    State(s): State<AppState>,
    page: Page,
    Query(q): Query<ConsoleQuery>,
) -> Response {
    if let Err(r) = staff_only(&page) {
        return *r;
    }
    let suggested = match q.done.as_deref() {
        Some("suggested") => {
            let count = q.count.as_deref().and_then(|c| c.parse::<u32>().ok());
            let count = count.unwrap_or(0).to_string();
            Some(page.lang.format("proj.suggest.done", &[("count", &count)]))
        }
        Some("suggest_none") => Some(page.text("proj.suggest.none").to_string()),
        _ => None,
    };
    let flash = suggested.or_else(|| {
        q.done.as_deref().filter(|d| DONE.contains(d)).map(|d| {
            match q.project.as_deref().and_then(|p| p.parse::<i64>().ok()) {
                Some(id) if d == "accepted" => page
                    .lang
                    .format("staff.done.accepted_project", &[("id", &id.to_string())]),
                _ => page.text(&format!("staff.done.{d}")).to_string(),
            }
        })
    });
    console(&s, &page, StatusCode::OK, flash, None).await
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct ReviewForm {
    status: String,
}

/// `POST /staff/organizations/{id}/review` (`status=approved|rejected`).
pub async fn review_organization(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Form { page, data }: Form<ReviewForm>,
) -> Response {
    let who = match staff_only(&page) {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let done = match ReviewStatus::from_code(&data.status) {
        Some(ReviewStatus::Approved) => "org_approved",
        Some(ReviewStatus::Rejected) => "org_rejected",
        _ => return page.problem(StatusCode::BAD_REQUEST),
    };
    match s.app.review_organization(&who, id, &data.status).await {
        Ok(_) => see_other(&format!("/staff?{}#orgs", query(&[("done", done)]))),
        Err(e) => page.error(e),
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct AcceptForm {
    plan_year: String,
    key_project: Option<String>,
}

/// `POST /staff/suggestions/{id}/accept`: accepts and opens a planned project.
pub async fn accept(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Form { page, data }: Form<AcceptForm>,
) -> Response {
    let who = match staff_only(&page) {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let year = data
        .plan_year
        .trim()
        .parse()
        .unwrap_or_else(|_| current_year());
    let key_project = data.key_project.is_some();
    match s
        .app
        .accept_suggestion(&who, id, true, year, key_project)
        .await
    {
        Ok(v) => {
            let project = v["project_id"].as_i64().map(|p| p.to_string());
            let mut pairs = vec![("done", "accepted")];
            if let Some(p) = &project {
                pairs.push(("project", p));
            }
            see_other(&format!("/staff?{}#queue", query(&pairs)))
        }
        Err(e) => page.error(e),
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct RejectForm {
    reason: String,
    note: String,
}

/// `POST /staff/suggestions/{id}/reject` (`reason`, `note`; a note is needed for `other`).
pub async fn reject(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Form { page, data }: Form<RejectForm>,
) -> Response {
    let who = match staff_only(&page) {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let reason = RejectReason::from_code(&data.reason);
    let mut failed = Failed {
        id,
        reason: data.reason.clone(),
        note: data.note.clone(),
        ..Failed::default()
    };
    if reason.is_none() {
        failed.reason_error = Some(page.text("staff.error.reason").to_string());
    }
    if reason == Some(RejectReason::Other) && data.note.trim().is_empty() {
        failed.note_error = Some(page.text("staff.error.note_required").to_string());
    }
    if data.note.chars().count() > 1000 {
        failed.note_error = Some(page.lang.format("error.too_long", &[("max", "1000")]));
    }
    if failed.reason_error.is_some() || failed.note_error.is_some() {
        return console(
            &s,
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(failed),
        )
        .await;
    }
    match s
        .app
        .reject_suggestion(&who, id, &data.reason, &data.note)
        .await
    {
        Ok(_) => see_other("/staff?done=rejected#queue"),
        Err(e) => page.error(e),
    }
}

#[derive(Deserialize)]
pub struct NoFields {}

/// `POST /staff/suggestions/{id}/contacted`.
pub async fn contacted(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Form { page, .. }: Form<NoFields>,
) -> Response {
    let who = match staff_only(&page) {
        Ok(w) => w,
        Err(r) => return *r,
    };
    match s.app.mark_contacted(&who, id).await {
        Ok(_) => see_other("/staff?done=contacted#queue"),
        Err(e) => page.error(e),
    }
}
