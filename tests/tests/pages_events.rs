//! The events calendar `/events` and an event's page `/events/{id}` over
//! HTTP, as a browser without JavaScript uses them: on the demo events, an
//! unpublished event kept from everyone but staff, and a member
//! registering their organization through the form (CSRF field, errors
//! beside the fields, the registration then in the API).

use qiao_store::testkit::{TestDb, each_backend};
use qiao_tests::{PASSWORD, Visitor, call, hidden, serve, user_with_token};
use qiao_tests::{field_error, field_value};
use serde_json::json;
use std::net::SocketAddr;

/// The id of the demo event with this external id.
async fn event_id(addr: SocketAddr, external_id: &str) -> i64 {
    let list = call(addr, "GET", "/api/v1/events?limit=100", None, None)
        .await
        .json();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["external_id"] == external_id)
        .and_then(|e| e["id"].as_i64())
        .unwrap_or_else(|| panic!("no {external_id}: {list}"))
}

const HIDDEN: &str = "筹备中的海洋牧场装备对接会";
/// Open for registration, not yet registered there in the demo data.
const MEMBER_ORG: &str = "琴岛海晟重工股份有限公司";

#[tokio::test]
async fn the_calendar_and_an_event_page() {
    each_backend(
        "pages_events::the_calendar_and_an_event_page",
        |db: TestDb| async move {
            qiao_app::seeds::load(&db.store, &qiao_app::seeds::seeds_dir())
                .await
                .unwrap();
            let server = serve(&db).await;
            let addr = server.addr;
            let admin = server.first_admin("admin@example.com").await;
            let staff = user_with_token(addr, &admin, "staff@example.com", "staff", None).await;
            let r = call(
                addr,
                "POST",
                "/api/v1/events",
                Some(&staff),
                Some(json!({
                    "name": HIDDEN, "kind": "thematic", "published": false,
                    "starts_at": "2026-12-15T09:00:00+08:00", "ends_at": "2026-12-15T12:00:00+08:00",
                })),
            )
            .await;
            assert_eq!(r.status, 201, "{}", r.body);
            let hidden_id = r.json()["id"].as_i64().unwrap();

            // Anonymous: the published demo events, by month, soonest first.
            let mut anonymous = Visitor::new(addr);
            let page = anonymous.get("/events").await;
            assert_eq!(page.status, 200, "{}", page.body);
            let html = &page.body;
            let months = ["2026年5月", "2026年7月", "2026年9月", "2026年10月", "2026年12月"];
            let at: Vec<usize> = months
                .iter()
                .map(|m| html.find(&format!(">{m}</h2>")).unwrap_or_else(|| panic!("{m}: {html}")))
                .collect();
            assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}");
            let open = event_id(addr, "evt-2026-03").await;
            for shown in [
                "2026年琴岛市产学研合作对接大会",
                "2026年琴岛市现代农业与农机装备专题对接会",
                "科技特派员培训",
                "报名中",
                "已截止",
                "2026年12月10日 09:00–16:30",
                &format!("href=\"/events/{open}\""),
            ] {
                assert!(html.contains(shown), "{shown} missing: {html}");
            }
            assert!(!html.contains(HIDDEN), "{html}");
            assert!(!html.contains("未发布"), "{html}");
            // Its page is absent, exactly like an unknown one.
            let r = anonymous.get(&format!("/events/{hidden_id}")).await;
            assert_eq!(r.status, 404);
            assert!(!r.body.contains(HIDDEN));
            assert_eq!(anonymous.get("/events/999999").await.status, 404);
            assert_eq!(anonymous.get("/events/x").await.status, 404);

            // Filters narrow, and their links keep each other.
            let html = anonymous.get("/events?kind=commissioner_training").await.body;
            assert!(html.contains("科技特派员能力提升培训班"), "{html}");
            assert!(!html.contains("国际科技合作"), "{html}");
            assert!(html.contains("href=\"/events?kind=commissioner_training&amp;year="), "{html}");
            let html = anonymous.get("/events?year=2026&month=12").await.body;
            assert!(html.contains("现代农业与农机装备") && !html.contains("产学研合作对接大会"));
            assert!(html.contains("aria-current=\"true\">12月</a>"), "{html}");
            let html = anonymous.get("/events?year=2026&month=2").await.body;
            assert!(html.contains("没有符合条件的活动"), "{html}");
            assert_eq!(anonymous.get("/events?kind=party").await.status, 400);

            // The event's page: what the API says, and a sign-in link for registering.
            let page = anonymous.get(&format!("/events/{open}")).await;
            assert_eq!(page.status, 200);
            for shown in [
                "2026年琴岛市现代农业与农机装备专题对接会",
                "平度市现代农业科技示范园综合服务楼二楼会议室",
                "现代农业",
                "报名中",
                &format!("href=\"/login?next=%2Fevents%2F{open}\""),
            ] {
                assert!(page.body.contains(shown), "{shown} missing: {}", page.body);
            }
            assert!(!page.body.contains("/registration\""), "no form for visitors");

            // Staff see the unpublished event, marked, and its page.
            let r = call(addr, "GET", "/events", Some(&staff), None).await;
            assert!(r.body.contains(HIDDEN) && r.body.contains("未发布"), "{}", r.body);
            let r = call(addr, "GET", &format!("/events/{hidden_id}"), Some(&staff), None).await;
            assert_eq!(r.status, 200);
            assert!(r.body.contains(HIDDEN));

            // English.
            anonymous.get("/lang?to=en&back=/events").await;
            let html = anonymous.get("/events").await.body;
            assert!(html.contains("December 2026") && html.contains("Registration open"), "{html}");
            db
        },
    )
    .await;
}

#[tokio::test]
async fn a_member_registers_through_the_form() {
    each_backend(
        "pages_events::a_member_registers_through_the_form",
        |db: TestDb| async move {
            qiao_app::seeds::load(&db.store, &qiao_app::seeds::seeds_dir())
                .await
                .unwrap();
            let server = serve(&db).await;
            let addr = server.addr;
            let admin = server.first_admin("admin@example.com").await;
            let token = user_with_token(
                addr,
                &admin,
                "member@example.com",
                "enterprise",
                Some(MEMBER_ORG),
            )
            .await;
            let open = event_id(addr, "evt-2026-03").await;
            let path = format!("/events/{open}");
            let action = format!("/events/{open}/registration");

            let mut member = Visitor::new(addr);
            member.log_in("member@example.com", PASSWORD).await;
            assert!(member.cookies.contains_key("qiao_session"));
            let page = member.get(&path).await;
            assert_eq!(page.status, 200);
            let html = &page.body;
            assert!(html.contains(&format!("action=\"{action}\"")), "{html}");
            let csrf = hidden(html, "csrf");
            // The organization's own needs to bring.
            let need = {
                let marker = "name=\"need_ids\" value=\"";
                let start = html
                    .find(marker)
                    .unwrap_or_else(|| panic!("no needs: {html}"))
                    + marker.len();
                html[start..start + html[start..].find('"').unwrap()].to_string()
            };

            // No token: refused with the 403 page, nothing registered.
            let r = member
                .post(
                    &action,
                    &[("attendees[0].name", "王海"), ("wants_meetings", "1")],
                )
                .await;
            assert_eq!(r.status, 403, "{}", r.body);

            // A phone that is not one: the form again, the error beside the field.
            let r = member
                .post(
                    &action,
                    &[
                        ("csrf", &csrf),
                        ("attendees[0].name", "王海"),
                        ("attendees[0].title", "技术总监"),
                        ("attendees[0].phone", "call me"),
                        ("need_ids", &need),
                        ("wants_meetings", "1"),
                    ],
                )
                .await;
            assert_eq!(r.status, 422, "{}", r.body);
            assert_eq!(
                field_error(&r.body, "attendees[0].phone").as_deref(),
                Some("请填写 5–20 位的电话号码，只含数字、+、- 和空格。"),
                "{}",
                r.body
            );
            assert_eq!(
                field_value(&r.body, "attendees[0].name").as_deref(),
                Some("王海")
            );
            assert!(
                r.body.contains(&format!("value=\"{need}\" checked")),
                "{}",
                r.body
            );
            // A second row filled without a name: the error on that row.
            let r = member
                .post(
                    &action,
                    &[
                        ("csrf", &csrf),
                        ("attendees[0].name", "王海"),
                        ("attendees[2].title", "工程师"),
                    ],
                )
                .await;
            assert_eq!(r.status, 422);
            assert_eq!(
                field_error(&r.body, "attendees[2].name").as_deref(),
                Some("此项为必填项。"),
                "{}",
                r.body
            );

            let r = member
                .post(
                    &action,
                    &[
                        ("csrf", &csrf),
                        ("attendees[0].name", "王海"),
                        ("attendees[0].title", "技术总监"),
                        ("attendees[0].phone", "13912345678"),
                        ("attendees[1].name", "李青"),
                        ("need_ids", &need),
                        ("wants_meetings", "1"),
                    ],
                )
                .await;
            assert_eq!(r.status, 303, "{}", r.body);
            assert_eq!(
                r.header("location"),
                Some(format!("/events/{open}?registered=1#registration").as_str())
            );
            let page = member.get(&format!("{path}?registered=1")).await.body;
            assert!(page.contains("报名已提交"), "{page}");
            assert!(page.contains("data-registration-status="), "{page}");
            assert!(page.contains("王海（技术总监）、李青"), "{page}");
            assert!(
                !page.contains(&format!("action=\"{action}\"")),
                "no second form"
            );

            // The registration is the API's.
            let list = call(
                addr,
                "GET",
                &format!("/api/v1/events/{open}/registrations"),
                Some(&token),
                None,
            )
            .await
            .json();
            let own: Vec<_> = list["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["org_name"] == MEMBER_ORG)
                .collect();
            assert_eq!(own.len(), 1, "{list}");
            assert_eq!(own[0]["attendees"][0]["phone"], "13912345678");
            assert_eq!(own[0]["attendees"][1]["name"], "李青");
            assert_eq!(own[0]["need_ids"][0].to_string(), need);
            assert_eq!(own[0]["wants_meetings"], true);

            // The session cookie alone authenticates the agenda download (a GET).
            let r = member
                .get(&format!("/api/v1/events/{open}/agenda?format=ics"))
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert!(r.body.starts_with("BEGIN:VCALENDAR"), "{}", r.body);

            // Confirmed, the organization asks others for 1:1 meetings and answers their requests.
            let staff = user_with_token(addr, &admin, "staff@example.com", "staff", None).await;
            let regs = call(
                addr,
                "GET",
                &format!("/api/v1/events/{open}/registrations?limit=100"),
                Some(&staff),
                None,
            )
            .await
            .json();
            let regs = regs["items"].as_array().unwrap().clone();
            let own_reg = regs.iter().find(|r| r["org_name"] == MEMBER_ORG).unwrap()["id"]
                .as_i64()
                .unwrap();
            let r = call(
                addr,
                "PATCH",
                &format!("/api/v1/events/{open}/registrations/{own_reg}"),
                Some(&staff),
                Some(json!({"status": "confirmed"})),
            )
            .await;
            assert_eq!(r.status, 200, "{}", r.body);
            let other = regs
                .iter()
                .find(|r| {
                    r["status"] == "confirmed"
                        && r["wants_meetings"] == true
                        && r["org_name"].as_str().is_some_and(|n| n.ends_with("大学"))
                })
                .unwrap_or_else(|| panic!("a confirmed university: {regs:?}"));
            let other_name = other["org_name"].as_str().unwrap().to_string();
            let other_reg = other["id"].as_i64().unwrap().to_string();
            let page = member.get(&path).await.body;
            assert!(page.contains("id=\"meetings\""), "{page}");
            assert!(
                page.contains(&format!(
                    "<option value=\"{other_reg}\">{other_name}</option>"
                )),
                "{page}"
            );
            let ask = format!("/events/{open}/meeting-requests");
            let r = member
                .post(
                    &ask,
                    &[
                        ("csrf", &csrf),
                        ("to_registration", &other_reg),
                        ("reason", " "),
                    ],
                )
                .await;
            assert_eq!(r.status, 422, "{}", r.body);
            assert_eq!(
                field_error(&r.body, "reason").as_deref(),
                Some("此项为必填项。")
            );
            assert!(
                r.body
                    .contains(&format!("<option value=\"{other_reg}\" selected>")),
                "{}",
                r.body
            );
            let r = member
                .post(
                    &ask,
                    &[
                        ("csrf", &csrf),
                        ("to_registration", &other_reg),
                        ("reason", "探讨玉米收获机智能控制合作"),
                    ],
                )
                .await;
            assert_eq!(r.status, 303, "{}", r.body);
            let page = member.get(&format!("{path}?asked=1")).await.body;
            assert!(page.contains("洽谈请求已发送"), "{page}");
            assert!(
                page.contains(&format!("本机构向 {other_name} 发起")),
                "{page}"
            );

            // A university or institute asks through the API; the member answers on the page.
            let third = regs
                .iter()
                .find(|r| {
                    r["status"] == "confirmed"
                        && r["wants_meetings"] == true
                        && r["org_name"] != other_name.as_str()
                        && r["org_name"].as_str().is_some_and(|n| {
                            ["大学", "研究所", "研究院", "科学院"]
                                .iter()
                                .any(|k| n.ends_with(k))
                        })
                })
                .unwrap_or_else(|| panic!("another confirmed university or institute: {regs:?}"));
            let third_name = third["org_name"].as_str().unwrap();
            let uni = user_with_token(
                addr,
                &admin,
                "uni@example.com",
                "university",
                Some(third_name),
            )
            .await;
            let r = call(
                addr,
                "POST",
                &format!("/api/v1/events/{open}/meeting-requests"),
                Some(&uni),
                Some(json!({"to_registration": own_reg, "reason": "介绍农机装备检测平台"})),
            )
            .await;
            assert_eq!(r.status, 201, "{}", r.body);
            let rid = r.json()["id"]
                .as_i64()
                .unwrap_or_else(|| panic!("{}", r.body));
            let page = member.get(&path).await.body;
            assert!(
                page.contains(&format!("{third_name} 向本机构发起")),
                "{page}"
            );
            let answer = |verb: &str| format!("/events/{open}/meeting-requests/{rid}/{verb}");
            assert!(
                page.contains(&format!("action=\"{}\"", answer("accept"))),
                "{page}"
            );
            // Declining needs a reason, said beside this request's field.
            let r = member
                .post(&answer("decline"), &[("csrf", &csrf), ("reason", "")])
                .await;
            assert_eq!(r.status, 422, "{}", r.body);
            assert_eq!(
                field_error(&r.body, &format!("decline-{rid}")).as_deref(),
                Some("此项为必填项。"),
                "{}",
                r.body
            );
            let r = member.post(&answer("accept"), &[("csrf", &csrf)]).await;
            assert_eq!(r.status, 303, "{}", r.body);
            let page = member.get(&format!("{path}?answered=1")).await.body;
            assert!(page.contains("已回复洽谈请求"), "{page}");
            assert!(
                page.contains(&format!(
                    "data-request=\"{rid}\" data-request-status=\"accepted\""
                )),
                "{page}"
            );
            assert_eq!(
                member
                    .post(&answer("shrug"), &[("csrf", &csrf)])
                    .await
                    .status,
                404
            );
            let requests = call(
                addr,
                "GET",
                &format!("/api/v1/events/{open}/meeting-requests"),
                Some(&token),
                None,
            )
            .await
            .json();
            let statuses: Vec<_> = requests["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|q| (q["id"].clone(), q["status"].clone()))
                .collect();
            assert!(
                statuses.contains(&(json!(rid), json!("accepted"))),
                "{requests}"
            );
            assert!(
                statuses.iter().any(|(_, st)| st == "pending"),
                "the member's own request: {requests}"
            );
            db
        },
    )
    .await;
}
