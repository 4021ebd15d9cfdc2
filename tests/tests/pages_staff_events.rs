//! Staff's event screens over HTTP, as a browser without JavaScript uses
//! them: `/staff/events` (staff only), the event form with an error beside
//! its field and the values kept, then the console of the new event —
//! registrations confirmed through its forms, the scheduler run, the slots ×
//! tables grid with the placed meeting, publication — each action the API's
//! use case (checked through the API), and a form without its CSRF token
//! refused.

use qiao_store::testkit::{TestDb, each_backend};
use qiao_tests::{PASSWORD, Visitor, call, hidden, serve, user_with_token};
use qiao_tests::{field_error, field_value};
use serde_json::json;

const ENTERPRISE_ORG: &str = "琴岛海晟重工股份有限公司";
const UNIVERSITY_ORG: &str = "琴岛海洋大学";
const NAME: &str = "2027年海工装备一对一洽谈会";

#[tokio::test]
async fn staff_set_up_an_event_and_schedule_its_meetings() {
    each_backend(
        "pages_staff_events::staff_set_up_an_event_and_schedule_its_meetings",
        |db: TestDb| async move {
            qiao_app::seeds::load(&db.store, &qiao_app::seeds::seeds_dir())
                .await
                .unwrap();
            let server = serve(&db).await;
            let addr = server.addr;
            let admin = server.first_admin("admin@example.com").await;
            let staff_token =
                user_with_token(addr, &admin, "staff@example.com", "staff", None).await;
            let ent = user_with_token(
                addr,
                &admin,
                "ent@example.com",
                "enterprise",
                Some(ENTERPRISE_ORG),
            )
            .await;
            let uni = user_with_token(
                addr,
                &admin,
                "uni@example.com",
                "university",
                Some(UNIVERSITY_ORG),
            )
            .await;

            // Visitors sign in first; members are refused.
            let mut anonymous = Visitor::new(addr);
            let r = anonymous.get("/staff/events").await;
            assert_eq!(r.status, 303);
            assert_eq!(r.header("location"), Some("/login?next=%2Fstaff%2Fevents"));
            let mut member = Visitor::new(addr);
            member.log_in("ent@example.com", PASSWORD).await;
            assert_eq!(member.get("/staff/events").await.status, 403);
            assert_eq!(member.get("/staff/events/new").await.status, 403);

            let mut staff = Visitor::new(addr);
            staff.log_in("staff@example.com", PASSWORD).await;
            let list = staff.get("/staff/events").await;
            assert_eq!(list.status, 200, "{}", list.body);
            assert!(list.body.contains("2026年琴岛市现代农业与农机装备专题对接会"), "{}", list.body);
            assert!(list.body.contains("href=\"/staff/events/new\""));
            assert!(staff.get("/staff").await.body.contains("href=\"/staff/events\""));

            // The form: an end before the start is said beside the field, values kept.
            let form = staff.get("/staff/events/new").await;
            assert_eq!(form.status, 200, "{}", form.body);
            let csrf = hidden(&form.body, "csrf");
            let mut fields = vec![
                ("csrf", csrf.as_str()),
                ("name", NAME),
                ("kind", "thematic"),
                ("status", "registration_open"),
                ("themes", "marine_equipment"),
                ("description", "海工装备企业与高校的一对一洽谈。"),
                ("starts_at", "2027-05-20T09:00"),
                ("ends_at", "2027-05-20T08:00"),
                ("venue", "琴岛国际会展中心"),
                ("district", "西海岸新区"),
                ("organizer", "琴岛市科学技术局"),
                ("capacity", "50"),
                ("tables", "2"),
                ("slot_minutes", "30"),
                ("meeting_hours", "2027-05-20 09:30-11:00"),
                ("published", "1"),
            ];
            let r = staff.post("/staff/events/new", &fields).await;
            assert_eq!(r.status, 422, "{}", r.body);
            assert_eq!(
                field_error(&r.body, "ends_at").as_deref(),
                Some("结束时间须晚于开始时间。"),
                "{}",
                r.body
            );
            assert_eq!(field_value(&r.body, "name").as_deref(), Some(NAME));
            assert!(r.body.contains("2027-05-20 09:30-11:00"), "{}", r.body);
            // Meeting hours that are not windows.
            fields.retain(|(k, _)| *k != "ends_at" && *k != "meeting_hours");
            fields.push(("ends_at", "2027-05-20T17:00"));
            let mut bad = fields.clone();
            bad.push(("meeting_hours", "上午"));
            let r = staff.post("/staff/events/new", &bad).await;
            assert_eq!(r.status, 422, "{}", r.body);
            assert!(
                field_error(&r.body, "meeting_hours").is_some_and(|e| e.contains("第 1 行")),
                "{}",
                r.body
            );

            // Without the token: refused, nothing created.
            let no_token: Vec<_> = fields.iter().filter(|(k, _)| *k != "csrf").copied().collect();
            let r = staff.post("/staff/events/new", &no_token).await;
            assert_eq!(r.status, 403, "{}", r.body);

            fields.push(("meeting_hours", "2027-05-20 09:30-11:00"));
            let r = staff.post("/staff/events/new", &fields).await;
            assert_eq!(r.status, 303, "{}", r.body);
            let location = r.header("location").unwrap().to_string();
            let id: i64 = location
                .strip_prefix("/staff/events/")
                .and_then(|rest| rest.strip_suffix("?done=created"))
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("{location}"));
            let console_path = format!("/staff/events/{id}");
            let page = staff.get(&location).await.body;
            assert!(page.contains("活动已创建"), "{page}");
            assert!(page.contains(NAME));
            // The event is the API's.
            let event = call(addr, "GET", &format!("/api/v1/events/{id}"), None, None).await;
            assert_eq!(event.status, 200, "{}", event.body);
            let event = event.json();
            assert_eq!(event["status"], "registration_open", "{event}");
            assert_eq!(event["published"], true);
            assert_eq!(event["auto_confirm"], false);
            assert_eq!(event["starts_at"], "2027-05-20T01:00:00+00:00", "{event}");
            assert_eq!(event["meeting"]["tables"], 2, "{event}");

            // The edit form shows it as it stands.
            let edit = staff.get(&format!("{console_path}/edit")).await;
            assert_eq!(edit.status, 200, "{}", edit.body);
            assert_eq!(field_value(&edit.body, "starts_at").as_deref(), Some("2027-05-20T09:00"));
            assert_eq!(field_value(&edit.body, "name").as_deref(), Some(NAME));

            // Two organizations register; staff confirm them on the console.
            let mut regs = Vec::new();
            for token in [&ent, &uni] {
                let r = call(
                    addr,
                    "POST",
                    &format!("/api/v1/events/{id}/registrations"),
                    Some(token),
                    Some(json!({"attendees": [{"name": "张工", "phone": "13800000001"}], "wants_meetings": true})),
                )
                .await;
                assert_eq!(r.status, 201, "{}", r.body);
                assert_eq!(r.json()["status"], "pending");
                regs.push(r.json()["id"].as_i64().unwrap());
            }
            let page = staff.get(&console_path).await.body;
            for reg in &regs {
                let action = format!("action=\"/staff/events/{id}/registrations/{reg}/confirmed\"");
                assert!(page.contains(&action), "{page}");
            }
            assert!(page.contains(ENTERPRISE_ORG) && page.contains(UNIVERSITY_ORG));
            let confirm = format!("/staff/events/{id}/registrations/{}/confirmed", regs[0]);
            assert_eq!(staff.post(&confirm, &[]).await.status, 403, "no token");
            for reg in &regs {
                let r = staff
                    .post(
                        &format!("/staff/events/{id}/registrations/{reg}/confirmed"),
                        &[("csrf", &csrf)],
                    )
                    .await;
                assert_eq!(r.status, 303, "{}", r.body);
                assert_eq!(
                    r.header("location"),
                    Some(format!("/staff/events/{id}?done=confirmed#registrations").as_str())
                );
            }
            let r = staff
                .post(
                    &format!("/staff/events/{id}/registrations/{}/approved", regs[0]),
                    &[("csrf", &csrf)],
                )
                .await;
            assert_eq!(r.status, 404);
            let listed = call(
                addr,
                "GET",
                &format!("/api/v1/events/{id}/registrations"),
                Some(&staff_token),
                None,
            )
            .await
            .json();
            assert!(
                listed["items"].as_array().unwrap().iter().all(|r| r["status"] == "confirmed"),
                "{listed}"
            );

            // Proposals run (the two bring no matching listings here: none or some, either is fine).
            let r = staff
                .post(&format!("/staff/events/{id}/propose"), &[("csrf", &csrf)])
                .await;
            assert_eq!(r.status, 303, "{}", r.body);

            // The enterprise asks the university, which accepts; staff run the scheduler.
            let r = call(
                addr,
                "POST",
                &format!("/api/v1/events/{id}/meeting-requests"),
                Some(&ent),
                Some(json!({"to_registration": regs[1], "reason": "探讨深水系泊链监测合作"})),
            )
            .await;
            assert_eq!(r.status, 201, "{}", r.body);
            let request = r.json()["id"].as_i64().unwrap();
            let r = call(
                addr,
                "POST",
                &format!("/api/v1/meeting-requests/{request}/accept"),
                Some(&uni),
                None,
            )
            .await;
            assert_eq!(r.status, 200, "{}", r.body);
            let page = staff.get(&console_path).await.body;
            assert!(
                page.contains(&format!("data-request=\"{request}\" data-request-status=\"accepted\"")),
                "{page}"
            );
            assert!(!page.contains("data-meeting"), "nothing scheduled yet");

            let schedule = format!("/staff/events/{id}/schedule");
            let r = staff.post(&schedule, &[("mode", "incremental")]).await;
            assert_eq!(r.status, 403, "no token: {}", r.body);
            let r = staff
                .post(&schedule, &[("csrf", &csrf), ("mode", "incremental")])
                .await;
            assert_eq!(r.status, 303, "{}", r.body);
            let location = r.header("location").unwrap().to_string();
            assert_eq!(location, format!("/staff/events/{id}?done=scheduled&n=1&u=0#grid"));
            let page = staff.get(&location).await.body;
            assert!(page.contains("排期完成：安排了 1 场洽谈，0 个请求未能安排。"), "{page}");
            // The grid: three 30-minute slots, two tables, one meeting of the two.
            assert!(page.contains("class=\"data sevent-grid\""), "{page}");
            assert_eq!(page.matches("data-meeting").count(), 1, "{page}");
            assert_eq!(page.matches("<td class=\"free\">").count(), 5, "{page}");
            let cell_at = page.find("data-meeting").unwrap();
            let cell = &page[cell_at..cell_at + page[cell_at..].find("</td>").unwrap()];
            assert!(cell.contains(ENTERPRISE_ORG) && cell.contains(UNIVERSITY_ORG), "{cell}");
            assert!(cell.contains("未发布"), "{cell}");
            for time in ["09:30–10:00", "10:00–10:30", "10:30–11:00"] {
                assert!(page.contains(time), "{time}: {page}");
            }
            assert!(page.contains(&format!("action=\"/staff/events/{id}/publish\"")), "{page}");
            // Members see nothing before publication.
            let mine = call(addr, "GET", &format!("/api/v1/events/{id}/meetings"), Some(&ent), None)
                .await
                .json();
            assert_eq!(mine["total"], 0, "{mine}");

            let r = staff
                .post(&format!("/staff/events/{id}/publish"), &[("csrf", &csrf)])
                .await;
            assert_eq!(r.status, 303, "{}", r.body);
            let page = staff.get(r.header("location").unwrap()).await.body;
            assert!(page.contains("已发布 1 场洽谈"), "{page}");
            let cell_at = page.find("data-meeting").unwrap();
            let cell = &page[cell_at..cell_at + page[cell_at..].find("</td>").unwrap()];
            assert!(!cell.contains("未发布"), "{cell}");
            assert!(page.contains(&format!("/api/v1/events/{id}/table-plan?format=html")));
            assert!(page.contains(&format!("/api/v1/events/{id}/agenda?org_id=")), "{page}");
            let mine = call(addr, "GET", &format!("/api/v1/events/{id}/meetings"), Some(&ent), None)
                .await
                .json();
            assert_eq!(mine["total"], 1, "{mine}");
            let ics = call(
                addr,
                "GET",
                &format!("/api/v1/events/{id}/agenda?format=ics"),
                Some(&ent),
                None,
            )
            .await;
            assert_eq!(ics.status, 200);
            assert_eq!(ics.body.matches("BEGIN:VEVENT").count(), 2, "{}", ics.body);

            // Editing: closing registration through the form; a move not allowed is refused.
            let edit = staff.get(&format!("{console_path}/edit")).await.body;
            let version = hidden(&edit, "version");
            let mut changed: Vec<(&str, &str)> = fields
                .iter()
                .filter(|(k, _)| *k != "status")
                .copied()
                .collect();
            changed.push(("version", &version));
            changed.push(("status", "planned"));
            let r = staff.post(&format!("{console_path}/edit"), &changed).await;
            assert_eq!(r.status, 422, "{}", r.body);
            assert!(r.body.contains("活动状态不能这样变更"), "{}", r.body);
            changed.pop();
            changed.push(("status", "registration_closed"));
            let r = staff.post(&format!("{console_path}/edit"), &changed).await;
            assert_eq!(r.status, 303, "{}", r.body);
            let event = call(addr, "GET", &format!("/api/v1/events/{id}"), None, None)
                .await
                .json();
            assert_eq!(event["status"], "registration_closed", "{event}");

            // The list counts the registrations.
            let list = staff.get("/staff/events").await.body;
            let row_at = list.find(&format!("data-event=\"{id}\"")).unwrap();
            let row = &list[row_at..row_at + list[row_at..].find("</tr>").unwrap()];
            assert_eq!(row.matches("<td>2</td>").count(), 2, "{row}");

            // Without tables, a full re-plan cannot place the meeting: it is
            // listed with the reason, in the page's language.
            let edit = staff.get(&format!("{console_path}/edit")).await.body;
            let version = hidden(&edit, "version");
            let mut no_tables: Vec<(&str, &str)> = fields
                .iter()
                .filter(|(k, _)| !["status", "tables"].contains(k))
                .copied()
                .collect();
            no_tables.extend([
                ("version", version.as_str()),
                ("status", "registration_closed"),
                ("tables", "0"),
            ]);
            let r = staff.post(&format!("{console_path}/edit"), &no_tables).await;
            assert_eq!(r.status, 303, "{}", r.body);
            let r = staff
                .post(&schedule, &[("csrf", &csrf), ("mode", "full")])
                .await;
            assert_eq!(r.status, 303, "{}", r.body);
            assert_eq!(
                r.header("location"),
                Some(format!("/staff/events/{id}?done=scheduled&n=0&u=1#grid").as_str())
            );
            let page = staff.get(&console_path).await.body;
            let at = page
                .find(&format!("data-unplaced=\"{request}\""))
                .unwrap_or_else(|| panic!("{page}"));
            let item = &page[at..at + page[at..].find("</li>").unwrap()];
            assert!(item.contains(ENTERPRISE_ORG) && item.contains(UNIVERSITY_ORG), "{item}");
            assert!(item.contains("洽谈桌"), "{item}");
            assert!(!page.contains("data-meeting"), "{page}");
            staff.get(&format!("/lang?to=en&back={console_path}")).await;
            let page = staff.get(&console_path).await.body;
            assert!(page.contains("Meeting schedule") && page.contains("Requests not placed (1)"), "{page}");
            assert!(page.contains("No table free"), "{page}");
            staff.get(&format!("/lang?to=zh&back={console_path}")).await;

            // A held event takes no scheduling: the console says so.
            let held = call(addr, "GET", "/api/v1/events?limit=100", None, None)
                .await
                .json()["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["status"] == "held")
                .and_then(|e| e["id"].as_i64())
                .expect("a held demo event");
            let page = staff.get(&format!("/staff/events/{held}")).await.body;
            assert!(page.contains("活动在报名中或报名截止后"), "{page}");
            assert!(!page.contains(&format!("/staff/events/{held}/schedule")), "{page}");
            let r = staff
                .post(&format!("/staff/events/{held}/propose"), &[("csrf", &csrf)])
                .await;
            assert_eq!(r.status, 409, "{}", r.body);
            assert!(r.body.contains("当前无法执行此操作"), "{}", r.body);

            // Unknown events and decisions.
            assert_eq!(staff.get("/staff/events/999999").await.status, 404);
            assert_eq!(staff.get("/staff/events/x").await.status, 404);
            db
        },
    )
    .await;
}
