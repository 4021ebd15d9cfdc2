//! Cooperation projects' pages over HTTP, as a browser without JavaScript
//! uses them, on the demo data: staff's board (`/staff/projects`) and a
//! project's page (`/projects/{id}`) with its forms — staff move a project
//! through its life cycle (the contract's fields for `signed`, errors
//! beside the fields, 409 with the allowed moves), partners report
//! progress, everyone else gets 404, visitors the sign-in page, and a form
//! without its CSRF token 403.

use qiao_app::demo::DEMO_PASSWORD;
use qiao_tests::location;
use qiao_tests::{Visitor, call, demo_platform, login_token};
use serde_json::Value;
use std::net::SocketAddr;

const STAFF: &str = "staff@demo.qiao.cn";
/// A member of 琴岛大学, a partner of a demo project.
const PARTNER: &str = "university@demo.qiao.cn";
/// A member of an enterprise without projects.
const OUTSIDER: &str = "enterprise@demo.qiao.cn";

async fn project(addr: SocketAddr, token: &str, id: i64) -> Value {
    let r = call(
        addr,
        "GET",
        &format!("/api/v1/projects/{id}"),
        Some(token),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["project"].clone()
}

#[tokio::test]
async fn staff_move_a_project_to_signed_through_the_form() {
    let (_db, server) = demo_platform().await;
    let addr = server.addr;
    let token = login_token(addr, STAFF, DEMO_PASSWORD).await;
    let planned = call(
        addr,
        "GET",
        "/api/v1/projects?status=planned&limit=100",
        Some(&token),
        None,
    )
    .await
    .json();
    let p = &planned["items"][0];
    let id = p["id"].as_i64().expect("a planned demo project");
    let title = p["title"].as_str().unwrap().to_string();
    let path = format!("/projects/{id}");
    let action = format!("/projects/{id}/transition");

    let mut staff = Visitor::new(addr);
    let csrf = staff.sign_in(STAFF, DEMO_PASSWORD).await;

    // The board: every status a column, the project a card linking to its page.
    let board = staff.get("/staff/projects").await;
    assert_eq!(board.status, 200, "{}", board.body);
    for column in ["计划中", "洽谈中", "已签约", "实施中", "已完成", "已终止"] {
        assert!(board.body.contains(column), "{column}");
    }
    assert!(board.body.contains(&format!("href=\"/projects/{id}\"")));
    assert!(board.body.contains(&title));
    // Filters narrow it: no 2026 project on the 2025 board.
    let y2025 = staff.get("/staff/projects?year=2025").await;
    assert_eq!(y2025.status, 200);
    assert!(!y2025.body.contains(&title));
    assert!(y2025.body.contains("数控机床主轴可靠性检测服务"));
    let odd = staff
        .get("/staff/projects?year=abc&field=nothing&overdue=maybe")
        .await;
    assert_eq!(odd.status, 200, "unknown filter values are left out");

    // The page offers the allowed moves only.
    let page = staff.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(&title));
    assert!(page.body.contains(&format!("action=\"{action}\"")));
    assert!(page.body.contains("name=\"to\" value=\"negotiating\""));
    assert!(page.body.contains("name=\"to\" value=\"terminated\""));
    assert!(!page.body.contains("name=\"to\" value=\"signed\""));

    // Without its CSRF token the form is refused and nothing moves.
    let r = staff.post(&action, &[("to", "negotiating")]).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(project(addr, &token, id).await["status"], "planned");

    // Terminating needs a reason code: the error stands beside the field.
    let r = staff
        .post(&action, &[("csrf", &csrf), ("to", "terminated")])
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("id=\"f-reason-error\""), "{}", r.body);

    // planned → negotiating, with the message said.
    let r = staff
        .post(&action, &[("csrf", &csrf), ("to", "negotiating")])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(location(&r).starts_with(&format!("/projects/{id}?done=moved")));
    let page = staff.get(location(&r)).await;
    assert!(
        page.body.contains("项目已转为「洽谈中」。"),
        "{}",
        page.body
    );
    assert!(page.body.contains("name=\"to\" value=\"signed\""));
    assert!(!page.body.contains("name=\"to\" value=\"negotiating\""));

    // → signed without the amount: 422, the error beside the field, the values kept.
    let r = staff
        .post(
            &action,
            &[
                ("csrf", &csrf),
                ("to", "signed"),
                ("contract_type", "development"),
                ("contract_amount", ""),
                ("signed_on", "2026-11-20"),
            ],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body
            .contains("<p class=\"error\" id=\"f-contract_amount-error\">此项为必填项。</p>"),
        "{}",
        r.body
    );
    assert!(r.body.contains("value=\"2026-11-20\""));
    assert!(r.body.contains("<option value=\"development\" selected>"));
    // The summary names the field and links to it.
    assert!(
        r.body
            .contains("<a href=\"#f-contract_amount\">合同金额（万元）：此项为必填项。</a>"),
        "{}",
        r.body
    );
    assert_eq!(project(addr, &token, id).await["status"], "negotiating");
    // Not a number: said so, in 万元.
    let r = staff
        .post(
            &action,
            &[
                ("csrf", &csrf),
                ("to", "signed"),
                ("contract_type", "development"),
                ("contract_amount", "一百"),
                ("signed_on", "2026-11-20"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("以万元为单位"), "{}", r.body);
    assert!(r.body.contains("value=\"一百\""));

    // With the amount: signed, as the API shows.
    let r = staff
        .post(
            &action,
            &[
                ("csrf", &csrf),
                ("to", "signed"),
                ("contract_type", "development"),
                ("contract_amount", "150"),
                ("signed_on", "2026-11-20"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let api = project(addr, &token, id).await;
    assert_eq!(api["status"], "signed");
    assert_eq!(api["contract_amount"], 150.0);
    assert_eq!(api["contract_type"], "development");
    assert_eq!(api["signed_on"], "2026-11-20");
    let page = staff.get(&path).await;
    assert!(page.body.contains("150 万元"), "{}", page.body);

    // A move no longer allowed (a page left open): 409 with the allowed states.
    let r = staff
        .post(&action, &[("csrf", &csrf), ("to", "negotiating")])
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("只能转到：实施中、已终止"), "{}", r.body);

    // Staff add a milestone and a note.
    let r = staff
        .post(
            &format!("/projects/{id}/milestones"),
            &[("csrf", &csrf), ("title", ""), ("due_on", "2027-01-31")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("id=\"f-title-error\""), "{}", r.body);
    assert!(r.body.contains("value=\"2027-01-31\""));
    let r = staff
        .post(
            &format!("/projects/{id}/milestones"),
            &[
                ("csrf", &csrf),
                ("title", "样机联调"),
                ("due_on", "2027-01-31"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = staff
        .post(
            &format!("/projects/{id}/notes"),
            &[("csrf", &csrf), ("body", "双方已完成合同会签。")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = staff.get(&path).await;
    assert!(page.body.contains("样机联调"));
    assert!(page.body.contains("双方已完成合同会签。"));

    // In English too, as the language switch remembers.
    let r = staff
        .get(&format!("/lang?to=en&back=%2Fprojects%2F{id}"))
        .await;
    assert_eq!(r.status, 303);
    let page = staff.get(&path).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Move the project on"), "{}", page.body);
    assert!(page.body.contains("Move to “In progress”"));
    let board = staff.get("/staff/projects").await;
    assert!(board.body.contains("Cooperation projects board"));
}

#[tokio::test]
async fn partners_follow_their_project_and_nobody_else_sees_it() {
    let (_db, server) = demo_platform().await;
    let addr = server.addr;
    let partner_token = login_token(addr, PARTNER, DEMO_PASSWORD).await;
    let theirs = call(
        addr,
        "GET",
        "/api/v1/projects?limit=100",
        Some(&partner_token),
        None,
    )
    .await
    .json();
    let p = &theirs["items"][0];
    let id = p["id"].as_i64().expect("a project of the demo university");
    let title = p["title"].as_str().unwrap().to_string();
    let path = format!("/projects/{id}");

    // Visitors are sent to sign in, for the board too.
    let mut anonymous = Visitor::new(addr);
    let r = anonymous.get(&path).await;
    assert_eq!(r.status, 303);
    assert_eq!(location(&r), format!("/login?next=%2Fprojects%2F{id}"));
    let r = anonymous.get("/staff/projects").await;
    assert_eq!(r.status, 303);
    assert_eq!(location(&r), "/login?next=%2Fstaff%2Fprojects");

    // Staff give the project a milestone for the partner to report on.
    let mut staff = Visitor::new(addr);
    let staff_csrf = staff.sign_in(STAFF, DEMO_PASSWORD).await;
    let r = staff
        .post(
            &format!("/projects/{id}/milestones"),
            &[
                ("csrf", &staff_csrf),
                ("title", "中试工艺验证"),
                ("due_on", "2026-01-31"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = staff.get(&path).await;
    assert!(page.body.contains("is-overdue"), "overdue flagged");

    // The partner's member: the page, no transition form, progress forms.
    let mut partner = Visitor::new(addr);
    let csrf = partner.sign_in(PARTNER, DEMO_PASSWORD).await;
    let page = partner.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(&title));
    assert!(!page.body.contains("/transition"), "no transition form");
    assert!(
        page.body
            .contains(&format!("action=\"/projects/{id}/notes\""))
    );
    assert!(
        !page
            .body
            .contains(&format!("action=\"/projects/{id}/milestones\""))
    );
    // Nor can they move it through a hand-made form.
    let r = partner
        .post(
            &format!("/projects/{id}/transition"),
            &[("csrf", &csrf), ("to", "terminated"), ("reason", "funding")],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    // They mark the milestone reached, with evidence, and add a note.
    let milestone = project_milestone(&page.body);
    let r = partner
        .post(
            &format!("/projects/{id}/milestones/{milestone}/done"),
            &[
                ("csrf", &csrf),
                ("done_on", "2026-01-30"),
                ("evidence", "中试报告第3版"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = partner
        .post(
            &format!("/projects/{id}/notes"),
            &[("csrf", &csrf), ("body", "")],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("id=\"f-body-error\""), "{}", r.body);
    let r = partner
        .post(
            &format!("/projects/{id}/notes"),
            &[("csrf", &csrf), ("body", "样品已寄出。")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = partner.get(location(&r)).await;
    assert!(page.body.contains("已添加进展记录。"));
    assert!(page.body.contains("样品已寄出。"));
    assert!(page.body.contains("中试报告第3版"));
    let api = call(
        addr,
        "GET",
        &format!("/api/v1/projects/{id}"),
        Some(&partner_token),
        None,
    )
    .await
    .json();
    let m = &api["milestones"][0];
    assert_eq!(m["done_on"], "2026-01-30", "{api}");
    // Not staff: no board.
    assert_eq!(partner.get("/staff/projects").await.status, 403);

    // A member of another organization: 404, as in the API, and no form passes.
    let mut outsider = Visitor::new(addr);
    let csrf = outsider.sign_in(OUTSIDER, DEMO_PASSWORD).await;
    let r = outsider.get(&path).await;
    assert_eq!(r.status, 404);
    assert!(!r.body.contains(&title));
    let r = outsider
        .post(
            &format!("/projects/{id}/notes"),
            &[("csrf", &csrf), ("body", "x")],
        )
        .await;
    assert_eq!(r.status, 404);
    let r = outsider
        .post(
            &format!("/projects/{id}/milestones/{milestone}/done"),
            &[("csrf", &csrf), ("evidence", "x")],
        )
        .await;
    assert_eq!(r.status, 404);
}

/// The first milestone of a project's page with a "reached" form.
fn project_milestone(html: &str) -> i64 {
    let marker = "data-milestone=\"";
    let start = html.find(marker).expect("a milestone") + marker.len();
    html[start..start + html[start..].find('"').unwrap()]
        .parse()
        .unwrap()
}
