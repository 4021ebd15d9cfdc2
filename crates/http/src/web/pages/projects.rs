//! Cooperation projects on the web: `/staff/projects`, staff's board of
//! every project by status (计划中 → 洽谈中 → 已签约 → 实施中 → 已完成,
//! 已终止) with the API list's filters, and `/projects/{id}`, one project
//! for staff and members of its partner organizations (404 for everyone
//! else, as in the API): its fields, partners, milestones, the timeline of
//! notes and the attachments, with the forms of the API's use cases —
//! staff move it to an allowed next status (the contract for `signed`, a
//! reason code to terminate) and add milestones; staff and partners mark
//! a milestone reached and add notes. Every form comes back with a
//! message (`?done=…`), or the page again with the errors beside the
//! fields (422) or the allowed moves (409).

use super::staff_dashboard::current_year;
use crate::server::AppState;
use crate::web::field_errors::FieldErrors;
use crate::web::form::Form;
use crate::web::i18n::Lang;
use crate::web::page::Page;
use crate::web::redirect::{query, see_other};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use minijinja::context;
use qiao_app::Principal;
use qiao_app::projects::{MilestoneDraft, ProjectDraft, ProjectFilter, ProjectView, today};
use qiao_core::vocab::{ContractType, Field, ProjectStatus, TerminationReason, Vocabulary};
use serde::{Deserialize, Serialize};

/// Projects on the board at once (the list's largest page).
const ON_BOARD: u64 = 100;

/// The signed-in staff member or admin; else the answer: the sign-in page
/// for visitors, the 403 page for everyone else.
fn staff_only(page: &Page) -> Result<Principal, Box<Response>> {
    match page.principal() {
        None => Err(Box::new(see_other(&page.login_url()))),
        Some(p) if !p.is_staff() => Err(Box::new(page.problem(StatusCode::FORBIDDEN))),
        Some(p) => Ok(p.clone()),
    }
}

/// The signed-in user; else the sign-in page.
fn signed_in(page: &Page) -> Result<Principal, Box<Response>> {
    page.principal()
        .cloned()
        .ok_or_else(|| Box::new(see_other(&page.login_url())))
}

fn options<V: Vocabulary>(lang: Lang) -> Vec<(&'static str, &'static str)> {
    V::ALL
        .iter()
        .map(|v| (v.code(), v.label(lang.code())))
        .collect()
}

// ---------------------------------------------------------------- the board

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct BoardQuery {
    year: String,
    key_project: String,
    field: String,
    district: String,
    overdue: String,
}

#[derive(Serialize)]
struct Card {
    id: i64,
    title: String,
    enterprise: String,
    institution: String,
    key_project: bool,
    amount: Option<f64>,
    overdue: u64,
    plan_year: i32,
}

#[derive(Serialize)]
struct Column {
    code: &'static str,
    label: &'static str,
    cards: Vec<Card>,
}

/// `GET /staff/projects?year=&key_project=&field=&district=&overdue=`:
/// unknown values of a filter are left out, never an error.
pub async fn board(State(s): State<AppState>, page: Page, Query(q): Query<BoardQuery>) -> Response {
    if let Err(r) = staff_only(&page) {
        return *r;
    }
    let year = q
        .year
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y));
    let key_project = match q.key_project.as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    };
    let field = Field::from_code(q.field.trim());
    let district = Some(q.district.trim())
        .filter(|d| !d.is_empty() && d.chars().count() <= 50)
        .map(str::to_string);
    let overdue = (q.overdue == "true").then_some(true);
    let filter = ProjectFilter {
        year,
        key_project,
        field,
        district: district.clone(),
        overdue,
        limit: ON_BOARD,
        ..ProjectFilter::default()
    };
    let list = match s.app.projects(&page.viewer, &filter).await {
        Ok(l) => l,
        Err(e) => return page.error(e),
    };
    let lang = page.lang.code();
    let shown = list.items.len();
    let mut columns: Vec<Column> = ProjectStatus::ALL
        .iter()
        .map(|st| Column {
            code: st.code(),
            label: st.label(lang),
            cards: Vec::new(),
        })
        .collect();
    for v in list.items {
        let p = &v.project;
        if let Some(c) = columns.iter_mut().find(|c| c.code == p.status.code()) {
            c.cards.push(Card {
                id: p.id,
                title: p.fields.title.clone(),
                enterprise: v.enterprise_name.clone(),
                institution: v.institution_name.clone(),
                key_project: p.fields.key_project,
                amount: p.fields.contract_amount_wan,
                overdue: v.overdue_milestones,
                plan_year: p.fields.plan_year,
            });
        }
    }
    let filtered = year.is_some()
        || key_project.is_some()
        || field.is_some()
        || district.is_some()
        || overdue.is_some();
    page.render(
        "projects_board.html",
        context! {
            columns,
            total => list.total,
            shown,
            filtered,
            fields => options::<Field>(page.lang),
            this_year => current_year(),
            f => context! {
                year => year.map(|y| y.to_string()).unwrap_or_default(),
                key_project => key_project.map(|k| k.to_string()).unwrap_or_default(),
                field => field.map(|f| f.code()).unwrap_or_default(),
                district => district.unwrap_or_default(),
                overdue => overdue.is_some(),
            },
        },
    )
}

// ---------------------------------------------------------- a project's page

/// What was typed into the page's forms, shown again after an error.
#[derive(Serialize, Default, Clone)]
struct Typed {
    contract_type: String,
    contract_amount: String,
    signed_on: String,
    reason: String,
    reason_note: String,
    title: String,
    due_on: String,
    body: String,
    /// The milestone whose "reached" form failed.
    milestone: i64,
    done_on: String,
    evidence: String,
}

/// A form of the page that did not pass: which (`signed`, `terminated`,
/// `milestone`, `done`, `note`), its errors by field, and any error of
/// the form as a whole.
struct Failed {
    form: &'static str,
    errors: FieldErrors,
    typed: Typed,
}

#[derive(Serialize)]
struct MilestoneItem {
    id: i64,
    title: String,
    due_on: String,
    done_on: Option<String>,
    evidence: String,
    overdue: bool,
    version: i32,
}

#[derive(Serialize)]
struct NoteItem {
    author: String,
    body: String,
    at: String,
}

#[derive(Serialize)]
struct FileItem {
    id: i64,
    kind: &'static str,
    name: String,
    media_type: String,
    size_kb: f64,
    by: String,
    at: String,
}

/// What the last action did, as `?done=` names it.
fn flash(page: &Page) -> Option<String> {
    let q = page.path.split_once('?').map_or("", |(_, q)| q);
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(q).ok()?;
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    match get("done")? {
        "moved" => {
            let to = ProjectStatus::from_code(get("to")?)?;
            Some(
                page.lang
                    .format("proj.done.moved", &[("status", to.label(page.lang.code()))]),
            )
        }
        d @ ("milestone_added" | "milestone_done" | "note_added") => {
            Some(page.text(&format!("proj.done.{d}")).to_string())
        }
        _ => None,
    }
}

fn labels(states: &[ProjectStatus], lang: Lang) -> String {
    let sep = if lang == Lang::Zh { "、" } else { ", " };
    states
        .iter()
        .map(|s| s.label(lang.code()))
        .collect::<Vec<_>>()
        .join(sep)
}

/// The project's page with the forms' state.
/// The project page again with a form's errors beside its fields (422).
async fn refused(
    s: &AppState,
    page: &Page,
    id: i64,
    form: &'static str,
    errors: FieldErrors,
    typed: Typed,
) -> Response {
    let failed = Failed {
        form,
        errors,
        typed,
    };
    project_page(
        s,
        page,
        id,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some(failed),
        None,
    )
    .await
}

async fn project_page(
    s: &AppState,
    page: &Page,
    id: i64,
    status: StatusCode,
    failed: Option<Failed>,
    conflict: Option<String>,
) -> Response {
    let Some(who) = page.principal().cloned() else {
        return see_other(&page.login_url());
    };
    let d = match s.app.project(&page.viewer, id).await {
        Ok(d) => d,
        Err(e) => return page.error(e),
    };
    let lang = page.lang;
    let code = lang.code();
    let ProjectView {
        project: p,
        enterprise_name,
        institution_name,
        overdue_milestones,
    } = d.view;
    let f = &p.fields;
    let mut others = Vec::new();
    for org in &f.partners {
        if let Ok(o) = s.app.organization(&page.viewer, *org).await {
            others.push(o.record.name);
        }
    }
    let today = today();
    let milestones: Vec<MilestoneItem> = d
        .milestones
        .iter()
        .map(|m| MilestoneItem {
            id: m.id,
            title: m.fields.title.clone(),
            due_on: m.fields.due_on.to_string(),
            done_on: m.fields.done_on.map(|d| d.to_string()),
            evidence: m.fields.evidence.clone(),
            overdue: m.fields.is_overdue(today),
            version: m.version,
        })
        .collect();
    let notes: Vec<NoteItem> = d
        .notes
        .iter()
        .rev()
        .map(|n| NoteItem {
            author: n.author.clone(),
            body: n.body.clone(),
            at: n.created_at.to_rfc3339(),
        })
        .collect();
    let files: Vec<FileItem> = d
        .attachments
        .iter()
        .map(|a| FileItem {
            id: a.id,
            kind: a.kind.label(code),
            name: a.file_name.clone(),
            media_type: a.media_type.clone(),
            size_kb: (a.size as f64 / 102.4).round() / 10.0,
            by: a.uploaded_by.clone(),
            at: a.uploaded_at.to_rfc3339(),
        })
        .collect();
    let staff = who.is_staff();
    let next: Vec<(&str, &str)> = p
        .status
        .next()
        .iter()
        .map(|st| (st.code(), st.label(code)))
        .collect();
    let project = context! {
        id => p.id,
        title => f.title,
        status_code => p.status.code(),
        status => p.status.label(code),
        key_project => f.key_project,
        enterprise => enterprise_name,
        institution => institution_name,
        others,
        origin => f.origin.label(code),
        plan_year => f.plan_year,
        field => f.field.map(|x| x.label(code)),
        district => f.district,
        contract_type => f.contract_type.map(|x| x.label(code)),
        contract_amount => f.contract_amount_wan,
        contract_reg_no => f.contract_reg_no,
        signed_on => f.signed_on.map(|d| d.to_string()),
        started_on => p.started_on.map(|d| d.to_string()),
        expected_end => f.expected_end.map(|d| d.to_string()),
        completed_on => p.completed_on.map(|d| d.to_string()),
        termination => p.termination.map(|r| r.label(code)),
        termination_note => p.termination_note,
        overdue => overdue_milestones,
        need_id => f.need_id,
        capability_id => f.capability_id,
        version => p.version,
    };
    let (form, errors, typed) = match failed {
        Some(x) => (Some(x.form), x.errors, x.typed),
        None => (None, FieldErrors::default(), Typed::default()),
    };
    page.render_status(
        status,
        "project.html",
        context! {
            project,
            milestones,
            notes,
            files,
            staff,
            next,
            contract_types => options::<ContractType>(lang),
            reasons => options::<TerminationReason>(lang),
            failed_form => form,
            errors,
            typed,
            conflict,
            flash => flash(page),
            today => today.to_string(),
        },
    )
}

/// `GET /projects/{id}` (`?done=…` after a form).
pub async fn show(State(s): State<AppState>, Path(id): Path<i64>, page: Page) -> Response {
    project_page(&s, &page, id, StatusCode::OK, None, None).await
}

/// The answer to a form's failure: the page again with the errors (422), the
/// allowed moves (409), or the problem page.
async fn failed_form(
    s: &AppState,
    page: &Page,
    id: i64,
    e: qiao_app::Error,
    form: &'static str,
    typed: Typed,
) -> Response {
    if matches!(e, qiao_app::Error::Conflict(_)) && matches!(form, "signed" | "terminated") {
        // A move not allowed (a page left open while another moved it), or a stale version.
        let message = match s.app.project(&page.viewer, id).await {
            Ok(d) => {
                let now = d.view.project.status;
                let next = now.next();
                if next.is_empty() {
                    page.lang.format(
                        "proj.error.closed",
                        &[("status", now.label(page.lang.code()))],
                    )
                } else {
                    page.lang.format(
                        "proj.error.conflict",
                        &[
                            ("status", now.label(page.lang.code())),
                            ("allowed", &labels(next, page.lang)),
                        ],
                    )
                }
            }
            Err(e) => return page.error(e),
        };
        return project_page(s, page, id, StatusCode::CONFLICT, None, Some(message)).await;
    }
    match FieldErrors::from_app(e, page.lang) {
        Ok(errors) => refused(s, page, id, form, errors, typed).await,
        Err(e) => page.error(e),
    }
}

/// A date as `<input type=date>` sends it; empty is none.
fn date(value: &str) -> Result<Option<NaiveDate>, ()> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| ())
}

fn some(value: &str) -> Option<String> {
    Some(value.trim().to_string()).filter(|v| !v.is_empty())
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct TransitionForm {
    to: String,
    contract_type: String,
    contract_amount: String,
    signed_on: String,
    reason: String,
    reason_note: String,
}

/// `POST /projects/{id}/transition` (staff): `to`, and for `signed` the
/// contract's type, amount (万元) and date, for `terminated` the reason
/// code and a note — the API's project change with `status`.
pub async fn transition(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Form { page, data }: Form<TransitionForm>,
) -> Response {
    let who = match staff_only(&page) {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let Some(to) = ProjectStatus::from_code(data.to.trim()) else {
        return page.problem(StatusCode::BAD_REQUEST);
    };
    let form = match to {
        ProjectStatus::Terminated => "terminated",
        _ => "signed",
    };
    let typed = Typed {
        contract_type: data.contract_type.clone(),
        contract_amount: data.contract_amount.clone(),
        signed_on: data.signed_on.clone(),
        reason: data.reason.clone(),
        reason_note: data.reason_note.clone(),
        ..Typed::default()
    };
    let mut draft = ProjectDraft {
        status: Some(to.code().to_string()),
        ..ProjectDraft::default()
    };
    let mut errors = FieldErrors::default();
    match to {
        ProjectStatus::Signed => {
            draft.contract_type = some(&data.contract_type);
            match data.contract_amount.trim() {
                "" => {}
                a => match a.parse::<f64>() {
                    Ok(x) if x.is_finite() => draft.contract_amount = Some(x),
                    _ => errors.field("contract_amount", page.text("proj.error.amount")),
                },
            }
            match date(&data.signed_on) {
                Ok(d) => draft.signed_on = d,
                Err(()) => errors.field("signed_on", page.text("needform.error.date")),
            }
        }
        ProjectStatus::Terminated => {
            draft.reason = some(&data.reason);
            draft.reason_note = some(&data.reason_note);
        }
        _ => {}
    }
    if !errors.is_empty() {
        return refused(&s, &page, id, form, errors, typed).await;
    }
    match s.app.update_project(&who, id, draft).await {
        Ok(_) => see_other(&format!(
            "/projects/{id}?{}#flash",
            query(&[("done", "moved"), ("to", to.code())])
        )),
        Err(e) => failed_form(&s, &page, id, e, form, typed).await,
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct MilestoneForm {
    title: String,
    due_on: String,
}

/// `POST /projects/{id}/milestones` (staff): `title`, `due_on`.
pub async fn add_milestone(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Form { page, data }: Form<MilestoneForm>,
) -> Response {
    let who = match staff_only(&page) {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let typed = Typed {
        title: data.title.clone(),
        due_on: data.due_on.clone(),
        ..Typed::default()
    };
    let due_on = match date(&data.due_on) {
        Ok(d) => d,
        Err(()) => {
            let mut errors = FieldErrors::default();
            errors.field("due_on", page.text("needform.error.date"));
            return refused(&s, &page, id, "milestone", errors, typed).await;
        }
    };
    let draft = MilestoneDraft {
        title: Some(data.title.trim().to_string()),
        due_on,
        ..MilestoneDraft::default()
    };
    match s.app.add_milestone(&who, id, draft).await {
        Ok(_) => see_other(&format!("/projects/{id}?done=milestone_added#milestones")),
        Err(e) => failed_form(&s, &page, id, e, "milestone", typed).await,
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct DoneForm {
    done_on: String,
    evidence: String,
    version: String,
}

/// `POST /projects/{id}/milestones/{mid}/done` (staff or a partner):
/// `done_on` (default today), `evidence`.
pub async fn milestone_done(
    State(s): State<AppState>,
    Path((id, mid)): Path<(i64, i64)>,
    Form { page, data }: Form<DoneForm>,
) -> Response {
    let who = match signed_in(&page) {
        Ok(w) => w,
        Err(r) => return *r,
    };
    // The milestone must be one of this project's (as the page shows them).
    match s.app.milestones(&page.viewer, id).await {
        Ok(list) if list.iter().any(|m| m.id == mid) => {}
        Ok(_) => return page.problem(StatusCode::NOT_FOUND),
        Err(e) => return page.error(e),
    }
    let typed = Typed {
        milestone: mid,
        done_on: data.done_on.clone(),
        evidence: data.evidence.clone(),
        ..Typed::default()
    };
    let done_on = match date(&data.done_on) {
        Ok(d) => d.unwrap_or_else(today),
        Err(()) => {
            let mut errors = FieldErrors::default();
            errors.field("done_on", page.text("needform.error.date"));
            return refused(&s, &page, id, "done", errors, typed).await;
        }
    };
    let draft = MilestoneDraft {
        done_on: Some(Some(done_on)),
        evidence: Some(data.evidence.trim().to_string()),
        version: data.version.trim().parse().ok(),
        ..MilestoneDraft::default()
    };
    match s.app.update_milestone(&who, mid, draft).await {
        Ok(_) => see_other(&format!("/projects/{id}?done=milestone_done#milestones")),
        Err(e) => failed_form(&s, &page, id, e, "done", typed).await,
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct NoteForm {
    body: String,
}

/// `POST /projects/{id}/notes` (staff or a partner): `body`.
pub async fn add_note(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Form { page, data }: Form<NoteForm>,
) -> Response {
    let who = match signed_in(&page) {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let typed = Typed {
        body: data.body.clone(),
        ..Typed::default()
    };
    match s.app.add_project_note(&who, id, &data.body).await {
        Ok(_) => see_other(&format!("/projects/{id}?done=note_added#notes")),
        Err(e) => failed_form(&s, &page, id, e, "note", typed).await,
    }
}

// ------------------------------------------- suggestions for a need (console)

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct SuggestForm {
    need: String,
}

/// Suggestions computed per need on the console.
const SUGGESTED: usize = 10;

/// `POST /staff/suggestions/generate` (staff): computes and records the
/// suggestions for a need (the API's `GET /api/v1/needs/{id}/suggestions`
/// as staff), so that they wait in the console's queue.
pub async fn generate_suggestions(
    State(s): State<AppState>,
    Form { page, data }: Form<SuggestForm>,
) -> Response {
    let who = match staff_only(&page) {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let Ok(need) = data.need.trim().parse::<i64>() else {
        return see_other("/staff?done=suggest_none#queue");
    };
    match s.app.need_suggestions(&who, need, SUGGESTED).await {
        Ok(v) => {
            let count = v["items"].as_array().map_or(0, Vec::len).to_string();
            see_other(&format!(
                "/staff?{}#queue",
                query(&[("done", "suggested"), ("count", &count)])
            ))
        }
        Err(e) => page.error(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_come_as_the_date_input_sends_them() {
        assert_eq!(date(""), Ok(None));
        assert_eq!(
            date(" 2026-11-20 "),
            Ok(NaiveDate::from_ymd_opt(2026, 11, 20))
        );
        assert_eq!(date("2026/11/20"), Err(()));
        assert_eq!(some("  "), None);
        assert_eq!(some(" x "), Some("x".into()));
    }

    #[test]
    fn allowed_moves_read_as_a_list() {
        let next = ProjectStatus::Planned.next();
        assert_eq!(labels(next, Lang::Zh), "洽谈中、已终止");
        assert_eq!(labels(next, Lang::En), "Negotiating, Terminated");
    }
}
