//! Agendas (one organization's meetings at an event) as a calendar file, a
//! workbook or a printable page with the check-in QR code; the check-in code
//! alone; and the staff's table plan. The pages are rendered here from
//! `web/templates` (in the printable `sheet.html` layout), with no inline
//! script or style.

use crate::auth::Viewer;
use crate::error::{AppError, ProblemDoc};
use crate::extract::{Path, Query};
use crate::server::AppState;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};
use qiao_app::events::agenda::{
    AGENDA_COLUMNS, Agenda, AgendaFormat, FREE, ICS_MIME, SVG_MIME, TablePlan, XLSX_MIME,
    event_period,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(agenda))
        .routes(routes!(checkin_code))
        .routes(routes!(table_plan))
}

fn render(name: &str, ctx: Value) -> Result<String, AppError> {
    crate::web::templates::render(name, ctx)
        .map_err(|e| AppError::Internal(format!("template {name}: {e}")))
}

/// RFC 5987 `value-chars`: UTF-8 bytes, everything but `attr-char` percent-encoded.
fn rfc5987(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `Content-Disposition` with an ASCII name for old clients and the
/// Chinese one for the rest.
fn disposition(kind: &str, (ascii, utf8): &(String, String)) -> String {
    format!(
        "{kind}; filename=\"{ascii}\"; filename*=UTF-8''{}",
        rfc5987(utf8)
    )
}

/// A response of `mime`, named for saving; never cached, since agendas
/// carry the check-in secret and plans change until the day.
fn file(bytes: Vec<u8>, mime: &'static str, kind: &str, names: &(String, String)) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&disposition(kind, names)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    response
}

const HTML_MIME: &str = "text/html; charset=utf-8";

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AgendaParams {
    /// The organization (staff: required unless they belong to one; members: their own, the default).
    #[param(minimum = 1)]
    pub org_id: Option<i64>,
    #[param(schema_with = agenda_format)]
    pub format: Option<String>,
}

fn agenda_format() -> utoipa::openapi::schema::Schema {
    crate::schema::one_of(
        &["html", "ics", "xlsx"],
        "`html` (default: a printable page with the check-in QR code), `ics` (iCalendar) or `xlsx`.",
    )
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TablePlanParams {
    #[param(schema_with = table_plan_format)]
    pub format: Option<String>,
}

fn table_plan_format() -> utoipa::openapi::schema::Schema {
    crate::schema::one_of(
        &["html", "xlsx"],
        "`html` (default: a printable page) or `xlsx`.",
    )
}

/// The agenda page: the event, the meetings and, for a confirmed registration, the check-in code.
pub fn agenda_page(agenda: &Agenda) -> Result<String, AppError> {
    let e = &agenda.event;
    let base = format!(
        "/api/v1/events/{}/agenda?org_id={}",
        e.id, agenda.registration.org_id
    );
    let qr = agenda.checkin_svg();
    let show_checkin_hint = qr.is_none();
    render(
        "agenda.html",
        context! {
            event => context! {
                name => e.fields.name.clone(),
                venue => e.fields.venue.clone(),
                period => event_period(e),
            },
            org_name => agenda.registration.org_name.clone(),
            columns => AGENDA_COLUMNS,
            rows => agenda.rows(),
            qr => qr.map(Value::from_safe_string),
            show_checkin_hint,
            // Built from ids only, so safe to place as they are.
            links => context! {
                ics => Value::from_safe_string(format!("{base}&amp;format=ics")),
                xlsx => Value::from_safe_string(format!("{base}&amp;format=xlsx")),
            },
        },
    )
}

/// The table-plan page: a row per slot, a column per table.
pub fn table_plan_page(plan: &TablePlan) -> Result<String, AppError> {
    let e = &plan.event;
    render(
        "table_plan.html",
        context! {
            event => context! {
                name => e.fields.name.clone(),
                venue => e.fields.venue.clone(),
                period => event_period(e),
            },
            tables => plan.tables,
            table_numbers => (1..=plan.tables).collect::<Vec<_>>(),
            meetings => plan.meetings,
            unpublished => plan.unpublished,
            slots => plan.slots.clone(),
            free_label => FREE,
            xlsx_link => Value::from_safe_string(format!("/api/v1/events/{}/table-plan?format=xlsx", e.id)),
        },
    )
}

/// One organization's agenda at an event: its meetings in time order with
/// table, counterpart, reason and the need or capability concerned. Staff
/// name any organization; members see their own once the schedule is
/// published. Everyone else finds nothing (404).
#[utoipa::path(get, path = "/api/v1/events/{id}/agenda", tag = "events",
    params(("id" = i64, Path, minimum = 1, description = "Event id"), AgendaParams),
    responses((status = 200, description = "The agenda: an HTML page (inline), an iCalendar file (the event and one VEVENT per meeting, UID `meeting-{id}@qiao`, times in UTC) or a workbook with one sheet `日程`; `Content-Disposition` names it with the event id (`filename*` in UTF-8).",
            headers(("Content-Disposition" = String, description = "`inline` (HTML) or `attachment`, with `filename` and `filename*`")),
            content(
                (String = "text/html"),
                (String = "text/calendar"),
                (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "an unknown or malformed parameter"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json", description = "not signed in, or an invalid API token"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json", description = "no such event, another organization's agenda, or the organization is not registered"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "an unknown format, or staff without `org_id`")))]
pub async fn agenda(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(p): Query<AgendaParams>,
) -> Result<Response, AppError> {
    if viewer.principal().is_none() {
        return Err(AppError::Unauthenticated);
    }
    let format = AgendaFormat::parse(p.format.as_deref())?;
    let agenda = s.app.agenda(&viewer, id, p.org_id).await?;
    let names = agenda.file_names(format);
    Ok(match format {
        AgendaFormat::Ics => file(agenda.to_ics().into_bytes(), ICS_MIME, "attachment", &names),
        AgendaFormat::Xlsx => file(agenda.to_xlsx()?, XLSX_MIME, "attachment", &names),
        AgendaFormat::Html => file(
            agenda_page(&agenda)?.into_bytes(),
            HTML_MIME,
            "inline",
            &names,
        ),
    })
}

/// A registration's check-in QR code (SVG), encoding `QIAO-CHECKIN:<token>`:
/// for staff and the registering organization, once the registration is confirmed.
#[utoipa::path(get, path = "/api/v1/events/{id}/registrations/{rid}/qr.svg", tag = "events",
    params(("id" = i64, Path, minimum = 1, description = "Event id"),
        ("rid" = i64, Path, minimum = 1, description = "Registration id")),
    responses((status = 200, description = "The QR code as an SVG image", body = String, content_type = "image/svg+xml"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json", description = "not signed in, or an invalid API token"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json", description = "no such event or registration, or another organization's"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "the registration is not confirmed")))]
pub async fn checkin_code(
    State(s): State<AppState>,
    viewer: Viewer,
    Path((id, rid)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let svg = s.app.checkin_code_svg(&viewer, id, rid).await?;
    let names = (
        format!("qiao-event-{id}-checkin-{rid}.svg"),
        format!("活动{id}-签到码-{rid}.svg"),
    );
    Ok(file(svg.into_bytes(), SVG_MIME, "inline", &names))
}

/// The event's table plan (staff): for every slot, each table's meeting (the
/// two organizations) or free, as a printable page or a workbook with one
/// sheet `桌位安排` (a row per slot, a column per table).
#[utoipa::path(get, path = "/api/v1/events/{id}/table-plan", tag = "events",
    params(("id" = i64, Path, minimum = 1, description = "Event id"), TablePlanParams),
    responses((status = 200, description = "The plan: an HTML page (inline) or a workbook (attachment) named with the event id",
            headers(("Content-Disposition" = String, description = "`inline` (HTML) or `attachment`, with `filename` and `filename*`")),
            content(
                (String = "text/html"),
                (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "an unknown or malformed parameter"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json", description = "not signed in, or an invalid API token"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "not staff"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json", description = "no such event"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "an unknown format")))]
pub async fn table_plan(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(p): Query<TablePlanParams>,
) -> Result<Response, AppError> {
    let who = viewer.require()?;
    let format = match AgendaFormat::parse(p.format.as_deref())? {
        AgendaFormat::Ics => {
            return Err(
                qiao_app::Error::field("format", "\"ics\" is not one of xlsx, html").into(),
            );
        }
        f => f,
    };
    let plan = s.app.table_plan(&who, id).await?;
    let names = plan.file_names(format);
    Ok(match format {
        AgendaFormat::Xlsx => file(plan.to_xlsx()?, XLSX_MIME, "attachment", &names),
        _ => file(
            table_plan_page(&plan)?.into_bytes(),
            HTML_MIME,
            "inline",
            &names,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_are_encoded_for_rfc_5987() {
        let d = disposition(
            "attachment",
            &(
                "qiao-event-7-agenda-3.ics".into(),
                "活动7-日程 A;B.ics".into(),
            ),
        );
        assert_eq!(
            d,
            "attachment; filename=\"qiao-event-7-agenda-3.ics\"; \
             filename*=UTF-8''%E6%B4%BB%E5%8A%A87-%E6%97%A5%E7%A8%8B%20A%3BB.ics"
        );
        assert!(HeaderValue::from_str(&d).is_ok());
    }

    fn at(h: u32, m: u32) -> chrono::DateTime<chrono::Utc> {
        use chrono::TimeZone;
        chrono::FixedOffset::east_opt(8 * 3600)
            .unwrap()
            .with_ymd_and_hms(2026, 5, 21, h, m, 0)
            .unwrap()
            .to_utc()
    }

    fn event() -> qiao_app::events::EventRow {
        use qiao_core::event::{EventFields, MeetingSettings, Window};
        use qiao_core::vocab::{EventKind, EventStatus};
        qiao_app::events::EventRow {
            id: 7,
            status: EventStatus::RegistrationClosed,
            fields: EventFields {
                external_id: None,
                name: "新能源<对接会>".into(),
                kind: EventKind::Thematic,
                themes: vec![],
                description: String::new(),
                starts_at: at(9, 0),
                ends_at: at(12, 0),
                venue: "会议中心 A厅".into(),
                district: None,
                organizer: String::new(),
                co_organizers: vec![],
                capacity: 50,
                registration_opens_at: None,
                registration_closes_at: None,
                published: true,
                auto_confirm: false,
                meeting: MeetingSettings {
                    slot_minutes: 20,
                    hours: vec![Window {
                        start: at(9, 0),
                        end: at(10, 0),
                    }],
                    tables: 2,
                    spare_share: 0.0,
                },
            },
            cloned_from: None,
            schedule_report: None,
            version: 1,
            created_at: at(0, 0),
            updated_at: at(0, 0),
        }
    }

    fn agenda(status: qiao_core::vocab::RegistrationStatus) -> Agenda {
        use qiao_app::events::agenda::{AgendaMeeting, AgendaRegistration};
        Agenda {
            event: event(),
            registration: AgendaRegistration {
                id: 3,
                event_id: 7,
                org_id: 42,
                org_name: "甲科技".into(),
                status,
                checkin_token: Some("feedc0de".into()),
            },
            meetings: vec![AgendaMeeting {
                id: 11,
                slot_start: at(9, 0),
                slot_end: at(9, 20),
                table_no: 2,
                status: qiao_core::vocab::MeetingStatus::Scheduled,
                published: true,
                counterpart_org_id: 5,
                counterpart: "乙大学".into(),
                reason: "<script>alert(1)</script> 热管理".into(),
                need: None,
                capability: None,
            }],
        }
    }

    /// What the pages' policy refuses: inline scripts, inline styles, handlers.
    fn assert_policy_clean(html: &str) {
        let lower = html.to_lowercase();
        assert!(!lower.contains("<script"), "{html}");
        assert!(!lower.contains("style="), "{html}");
        assert!(!lower.contains("<style"), "{html}");
        assert!(
            !lower.contains(" onload=") && !lower.contains(" onclick="),
            "{html}"
        );
    }

    #[test]
    fn agenda_page_is_escaped_and_carries_the_check_in_code() {
        use qiao_core::vocab::RegistrationStatus;
        let html = agenda_page(&agenda(RegistrationStatus::Confirmed)).unwrap();
        assert_policy_clean(&html);
        assert!(html.contains("<svg class=\"qr\""), "{html}");
        assert!(html.contains("扫码签到"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;"));
        assert!(html.contains("新能源&lt;对接会&gt;"));
        assert!(html.contains("第2桌") && html.contains("乙大学"));
        assert!(html.contains("09:00–09:20"));
        assert!(html.contains("/api/v1/events/7/agenda?org_id=42&amp;format=ics"));
        assert!(html.contains("/assets/app."));

        let pending = agenda_page(&agenda(RegistrationStatus::Pending)).unwrap();
        assert_policy_clean(&pending);
        assert!(!pending.contains("<svg"));
        assert!(pending.contains("报名确认后"));
    }

    #[test]
    fn table_plan_page_shows_every_table() {
        use qiao_app::events::agenda::PlannedMeeting;
        let plan = TablePlan::build(
            event(),
            vec![PlannedMeeting {
                id: 1,
                slot_start: at(9, 20),
                slot_end: at(9, 40),
                table_no: 1,
                status: qiao_core::vocab::MeetingStatus::Scheduled,
                published: false,
                org_a: "甲科技".into(),
                org_b: "乙<大学>".into(),
            }],
        );
        let html = table_plan_page(&plan).unwrap();
        assert_policy_clean(&html);
        assert!(html.contains("第1桌") && html.contains("第2桌"));
        assert!(html.contains("乙&lt;大学&gt;"));
        assert_eq!(html.matches("<td class=\"free\">").count(), 3 * 2 - 1);
        assert!(html.contains("其中 1 场未发布"));
    }
}
