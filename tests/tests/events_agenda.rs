//! Agendas, check-in codes and table plans over HTTP, on every backend: an
//! event with three registered organizations, one meeting between two of
//! them placed by the scheduler, then published. Only staff and the
//! organization's own members get its agenda, members only once the schedule
//! is published; the files parse back.

use icalendar::{Calendar, Component, EventLike};
use qiao_store::testkit::{TestDb, each_backend};
use qiao_tests::{Response, approved_org, call, capability_of, need_of, user_with_token};
use serde_json::{Value, json};
use std::net::SocketAddr;

const ENTERPRISE: &str = "甲新能源科技有限公司";
const UNIVERSITY: &str = "琴岛理工大学";
const THIRD: &str = "丙海工装备有限公司";
const NEED: &str = "动力电池低温热管理系统开发";
const CAPABILITY: &str = "相变储热材料与电池热管理";
/// Commas, semicolons, a backslash and Chinese: what a calendar file must escape
/// (a reason is one line; line breaks are covered by the renderer's own tests).
const REASON: &str = "贵方成果与我司需求高度相关, 希望面谈; 路线A\\B：低温启动";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

struct World {
    addr: SocketAddr,
    label: &'static str,
    staff: String,
    ent: String,
    uni: String,
    third: String,
    org_ent: i64,
    org_uni: i64,
    org_third: i64,
    event: i64,
    /// Registration ids of the enterprise, the university and the third organization.
    reg_ent: i64,
    reg_third: i64,
    need: i64,
}

impl World {
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        call(self.addr, method, path, token, body).await
    }

    async fn ok(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> Value {
        let r = self.call(method, path, Some(token), body).await;
        assert!(
            (200..300).contains(&r.status),
            "{}: {method} {path}: {} {}",
            self.label,
            r.status,
            r.body
        );
        if r.body.is_empty() {
            Value::Null
        } else {
            r.json()
        }
    }

    fn agenda_path(&self, org: Option<i64>, format: &str) -> String {
        match org {
            Some(org) => format!(
                "/api/v1/events/{}/agenda?org_id={org}&format={format}",
                self.event
            ),
            None => format!("/api/v1/events/{}/agenda?format={format}", self.event),
        }
    }

    async fn agenda(&self, token: Option<&str>, org: Option<i64>, format: &str) -> Response {
        self.call("GET", &self.agenda_path(org, format), token, None)
            .await
    }

    /// The agenda as a calendar, parsed back; asserts it was served as one.
    async fn calendar(&self, token: &str, org: Option<i64>) -> Calendar {
        let r = self.agenda(Some(token), org, "ics").await;
        assert_eq!(r.status, 200, "{}: {}", self.label, r.body);
        assert_eq!(
            r.header("content-type"),
            Some("text/calendar; charset=utf-8")
        );
        let disposition = r.header("content-disposition").unwrap_or_default();
        assert!(disposition.starts_with("attachment;"), "{disposition}");
        assert!(
            disposition.contains(&format!("event-{}", self.event)),
            "{disposition}"
        );
        assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");
        assert!(r.body.contains("\r\n"), "lines end in CRLF");
        r.body.parse().expect("the agenda parses as iCalendar")
    }
}

async fn member(addr: SocketAddr, admin: &str, email: &str, role: &str, org: &str) -> String {
    user_with_token(addr, admin, email, role, Some(org)).await
}

/// Registers an organization (staff on its behalf) and confirms it.
async fn confirmed_registration(w: &World, org: i64, needs: &[i64]) -> i64 {
    let body = json!({
        "org_id": org,
        "attendees": [{"name": "张三", "title": "总工程师", "phone": "13800001234"}],
        "need_ids": needs,
    });
    let path = format!("/api/v1/events/{}/registrations", w.event);
    let r = w.ok("POST", &path, &w.staff, Some(body)).await;
    let rid = r["id"].as_i64().expect("a registration id");
    let path = format!("/api/v1/events/{}/registrations/{rid}", w.event);
    let r = w
        .ok(
            "PATCH",
            &path,
            &w.staff,
            Some(json!({"status": "confirmed"})),
        )
        .await;
    assert_eq!(r["status"], "confirmed", "{r}");
    rid
}

async fn world(db: &TestDb) -> World {
    let server = qiao_tests::serve(db).await;
    let addr = server.addr;
    let admin = server.first_admin("admin@example.com").await;
    let staff = user_with_token(addr, &admin, "staff@example.com", "staff", None).await;
    let org_ent = approved_org(addr, &staff, ENTERPRISE, "enterprise", "高新区").await;
    let org_uni = approved_org(addr, &staff, UNIVERSITY, "university", "崂山区").await;
    let org_third = approved_org(addr, &staff, THIRD, "enterprise", "城阳区").await;
    let ent = member(addr, &admin, "a@example.com", "enterprise", ENTERPRISE).await;
    let uni = member(addr, &admin, "u@example.com", "university", UNIVERSITY).await;
    let third = member(addr, &admin, "c@example.com", "enterprise", THIRD).await;
    let need = need_of(
        addr,
        &ent,
        json!({"title": NEED, "fields": ["new_energy"], "description": "低温环境下的电池热管理"}),
    )
    .await;
    capability_of(
        addr,
        &uni,
        json!({"title": CAPABILITY, "fields": ["new_energy"], "description": "相变材料储热"}),
    )
    .await;

    let event = call(
        addr,
        "POST",
        "/api/v1/events",
        Some(&staff),
        Some(json!({
            "name": "2027 新能源产学研对接会",
            "kind": "thematic",
            "starts_at": "2027-05-21T01:00:00Z",
            "ends_at": "2027-05-21T09:00:00Z",
            "venue": "琴岛国际会议中心, A厅",
            "published": true,
            "capacity": 50,
            "slot_minutes": 20,
            "meeting_hours": [{"start": "2027-05-21T01:00:00Z", "end": "2027-05-21T02:00:00Z"}],
            "tables": 3,
            "spare_share": 0.0,
        })),
    )
    .await;
    assert_eq!(event.status, 201, "{}: {}", db.label, event.body);
    let event = event.json()["id"].as_i64().expect("an event id");
    let open = call(
        addr,
        "PATCH",
        &format!("/api/v1/events/{event}"),
        Some(&staff),
        Some(json!({"status": "registration_open"})),
    )
    .await;
    assert_eq!(open.status, 200, "{}: {}", db.label, open.body);

    let mut w = World {
        addr,
        label: db.label,
        staff,
        ent,
        uni,
        third,
        org_ent,
        org_uni,
        org_third,
        event,
        reg_ent: 0,
        reg_third: 0,
        need,
    };
    w.reg_ent = confirmed_registration(&w, org_ent, &[need]).await;
    confirmed_registration(&w, org_uni, &[]).await;
    w.reg_third = confirmed_registration(&w, org_third, &[]).await;
    w
}

/// The enterprise asks the university for a meeting about its need, the
/// university accepts, staff schedule (not yet published).
async fn scheduled_meeting(w: &World) {
    let registrations = w
        .ok(
            "GET",
            &format!("/api/v1/events/{}/registrations?limit=100", w.event),
            &w.staff,
            None,
        )
        .await;
    let reg_uni = registrations["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|r| r["org_id"] == w.org_uni)
        .and_then(|r| r["id"].as_i64())
        .expect("the university's registration");
    let asked = w
        .ok(
            "POST",
            &format!("/api/v1/events/{}/meeting-requests", w.event),
            &w.ent,
            Some(json!({"to_registration": reg_uni, "reason": REASON, "need_id": w.need})),
        )
        .await;
    let request = asked["id"].as_i64().expect("a request id");
    w.ok(
        "POST",
        &format!("/api/v1/meeting-requests/{request}/accept"),
        &w.uni,
        None,
    )
    .await;
    w.ok(
        "POST",
        &format!("/api/v1/events/{}/schedule", w.event),
        &w.staff,
        Some(json!({})),
    )
    .await;
}

async fn publish(w: &World) {
    w.ok(
        "POST",
        &format!("/api/v1/events/{}/schedule/publish", w.event),
        &w.staff,
        None,
    )
    .await;
}

fn meeting_uids(calendar: &Calendar) -> Vec<String> {
    calendar
        .events()
        .filter_map(|e| e.get_uid())
        .filter(|u| u.starts_with("meeting-"))
        .map(str::to_string)
        .collect()
}

fn xlsx_rows(bytes: &[u8], sheet: &str) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("a workbook");
    assert_eq!(book.sheet_names(), vec![sheet.to_string()]);
    book.worksheet_range(sheet)
        .expect("the sheet")
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

#[tokio::test]
async fn who_may_fetch_whose_agenda() {
    each_backend(
        "events_agenda::who_may_fetch_whose_agenda",
        |db| async move {
            let w = world(&db).await;
            // Anonymous: sign in first.
            let r = w.agenda(None, Some(w.org_ent), "ics").await;
            assert_eq!(r.status, 401, "{}: {}", w.label, r.body);
            // A member of another organization: nothing there, even when registered.
            for format in ["ics", "xlsx", "html"] {
                let r = w.agenda(Some(&w.third), Some(w.org_ent), format).await;
                assert_eq!(r.status, 404, "{}: {format}: {}", w.label, r.body);
            }
            // Members get their own, by default or by naming it.
            let own = w.calendar(&w.ent, None).await;
            assert_eq!(own.events().count(), 1, "{}: the event only", w.label);
            w.calendar(&w.ent, Some(w.org_ent)).await;
            // Staff name the organization.
            let r = w.agenda(Some(&w.staff), None, "ics").await;
            assert_eq!(r.status, 422, "{}: {}", w.label, r.body);
            w.calendar(&w.staff, Some(w.org_third)).await;
            // Unknown events, unknown formats.
            let r = w
                .call(
                    "GET",
                    "/api/v1/events/999999/agenda?format=ics",
                    Some(&w.ent),
                    None,
                )
                .await;
            assert_eq!(r.status, 404, "{}", r.body);
            let r = w.agenda(Some(&w.ent), None, "pdf").await;
            assert_eq!(r.status, 422, "{}", r.body);

            // The check-in code: staff and the registrant only.
            let qr = format!(
                "/api/v1/events/{}/registrations/{}/qr.svg",
                w.event, w.reg_ent
            );
            for token in [&w.ent, &w.staff] {
                let r = w.call("GET", &qr, Some(token), None).await;
                assert_eq!(r.status, 200, "{}: {}", w.label, r.body);
                assert_eq!(r.header("content-type"), Some("image/svg+xml"));
                assert!(
                    r.body.contains("<svg") && !r.body.contains("style="),
                    "{}",
                    r.body
                );
            }
            let r = w.call("GET", &qr, Some(&w.third), None).await;
            assert_eq!(r.status, 404, "{}: {}", w.label, r.body);
            let r = w.call("GET", &qr, None, None).await;
            assert_eq!(r.status, 401, "{}: {}", w.label, r.body);
            let other = format!(
                "/api/v1/events/{}/registrations/{}/qr.svg",
                w.event, w.reg_third
            );
            let r = w.call("GET", &other, Some(&w.ent), None).await;
            assert_eq!(r.status, 404, "{}: {}", w.label, r.body);

            // The table plan is staff work.
            let plan = format!("/api/v1/events/{}/table-plan?format=xlsx", w.event);
            let r = w.call("GET", &plan, Some(&w.ent), None).await;
            assert_eq!(r.status, 403, "{}: {}", w.label, r.body);
            let r = w.call("GET", &plan, None, None).await;
            assert_eq!(r.status, 401, "{}: {}", w.label, r.body);
            db
        },
    )
    .await;
}

#[tokio::test]
async fn members_see_meetings_once_published() {
    each_backend(
        "events_agenda::members_see_meetings_once_published",
        |db| async move {
            let w = world(&db).await;
            scheduled_meeting(&w).await;

            // Placed but not published: staff see it, the two organizations do not.
            let staff_view = w.calendar(&w.staff, Some(w.org_ent)).await;
            let uids = meeting_uids(&staff_view);
            assert_eq!(uids.len(), 1, "{}: {uids:?}", w.label);
            for (token, org) in [(&w.ent, w.org_ent), (&w.uni, w.org_uni)] {
                let c = w.calendar(token, Some(org)).await;
                assert!(
                    meeting_uids(&c).is_empty(),
                    "{}: unpublished meeting shown",
                    w.label
                );
                let html = w.agenda(Some(token), Some(org), "html").await;
                assert!(
                    !html.body.contains(UNIVERSITY) || org == w.org_uni,
                    "{}",
                    html.body
                );
            }

            publish(&w).await;
            let mine = w.calendar(&w.ent, None).await;
            assert_eq!(
                mine.events().count(),
                2,
                "{}: the event and the meeting",
                w.label
            );
            assert_eq!(
                meeting_uids(&mine),
                uids,
                "{}: one UID per meeting",
                w.label
            );
            let meeting = mine
                .events()
                .find(|e| e.get_uid() == Some(uids[0].as_str()))
                .unwrap();
            assert_eq!(
                meeting.get_summary(),
                Some(format!("对接洽谈：{UNIVERSITY}").as_str())
            );
            let description = meeting.get_description().unwrap_or_default();
            assert!(description.contains(REASON), "{}: {description:?}", w.label);
            assert!(description.contains(NEED), "{}: {description:?}", w.label);
            let location = meeting.get_location().unwrap_or_default();
            assert!(
                location.starts_with("琴岛国际会议中心, A厅 第") && location.ends_with('桌'),
                "{location}"
            );
            // The other side sees the same meeting, with the enterprise as counterpart.
            let theirs = w.calendar(&w.uni, None).await;
            assert_eq!(meeting_uids(&theirs), uids);
            let their_meeting = theirs
                .events()
                .find(|e| e.get_uid() == Some(uids[0].as_str()))
                .unwrap();
            assert_eq!(
                their_meeting.get_summary(),
                Some(format!("对接洽谈：{ENTERPRISE}").as_str())
            );
            // The third organization has no meeting and cannot read the others'.
            assert!(meeting_uids(&w.calendar(&w.third, None).await).is_empty());
            let r = w.agenda(Some(&w.third), Some(w.org_uni), "ics").await;
            assert_eq!(r.status, 404);

            // The workbook: one sheet 日程, the header and the meeting.
            let r = w.agenda(Some(&w.ent), None, "xlsx").await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(r.header("content-type"), Some(XLSX));
            let rows = xlsx_rows(&r.bytes, "日程");
            assert_eq!(
                rows[0],
                ["时间", "桌号", "洽谈对象", "事由", "涉及需求/成果"]
            );
            assert_eq!(rows.len(), 2, "{rows:?}");
            assert_eq!(rows[1][2], UNIVERSITY);
            assert_eq!(rows[1][3], REASON);
            assert!(rows[1][4].contains(NEED), "{rows:?}");

            // The page: printable, the check-in code inline, nothing the policy refuses.
            let r = w.agenda(Some(&w.ent), None, "html").await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
            assert!(r.body.contains("<svg class=\"qr\""), "{}", r.body);
            assert!(r.body.contains("扫码签到") && r.body.contains(UNIVERSITY));
            assert!(!r.body.contains("style=") && !r.body.to_lowercase().contains("<script"));

            // The table plan: every slot, the meeting at its table.
            let r = w
                .call(
                    "GET",
                    &format!("/api/v1/events/{}/table-plan?format=xlsx", w.event),
                    Some(&w.staff),
                    None,
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            let rows = xlsx_rows(&r.bytes, "桌位安排");
            assert_eq!(rows[0], ["时间", "第1桌", "第2桌", "第3桌"]);
            assert_eq!(rows.len(), 1 + 3, "three 20-minute slots: {rows:?}");
            let busy: Vec<&String> = rows[1..]
                .iter()
                .flatten()
                .filter(|c| c.as_str() != "空闲" && !c.contains('–'))
                .collect();
            assert_eq!(busy.len(), 1, "{rows:?}");
            assert!(
                [
                    format!("{ENTERPRISE} ↔ {UNIVERSITY}"),
                    format!("{UNIVERSITY} ↔ {ENTERPRISE}")
                ]
                .contains(busy[0]),
                "{rows:?}"
            );
            let page = w
                .call(
                    "GET",
                    &format!("/api/v1/events/{}/table-plan", w.event),
                    Some(&w.staff),
                    None,
                )
                .await;
            assert_eq!(page.status, 200, "{}", page.body);
            assert!(page.body.contains("第3桌") && !page.body.contains("style="));

            // The operator's command writes the same agenda.
            let config = qiao_app::Config::new(db.dir.join("cli"), Some(db.url.clone()));
            let app = qiao_app::App::without_follower(db.store.clone(), config)
                .await
                .expect("the operator's application");
            let file = db.dir.join("agenda.ics");
            let n = qiao_app::events::agenda::write_agenda(&app, w.event, ENTERPRISE, &file)
                .await
                .expect("written");
            assert_eq!(n, 1);
            let written: Calendar = std::fs::read_to_string(&file).unwrap().parse().unwrap();
            assert_eq!(meeting_uids(&written), uids);
            let by_id = db.dir.join("agenda.xlsx");
            let n = qiao_app::events::agenda::write_agenda(
                &app,
                w.event,
                &w.org_ent.to_string(),
                &by_id,
            )
            .await
            .expect("written");
            assert_eq!(n, 1);
            assert_eq!(xlsx_rows(&std::fs::read(&by_id).unwrap(), "日程").len(), 2);
            drop(app);
            db
        },
    )
    .await;
}
