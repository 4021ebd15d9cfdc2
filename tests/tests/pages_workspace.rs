//! The enterprise workspace over HTTP, as a browser without JavaScript
//! uses it: `/me` lists the organization's needs and projects, and the
//! need form at `/me/needs/new` and `/me/needs/{id}/edit` saves through the
//! API's use cases — its field errors beside the fields with the typed
//! values kept, the completeness check refusing to publish a thin need
//! (a draft is allowed), CSRF required, other organizations kept out.

use qiao_store::testkit::{TestDb, each_backend};
use qiao_tests::{PASSWORD, Response, Server, Visitor, call, hidden, serve, user_with_token};
use qiao_tests::{field_error, field_value, location};

/// The completeness notes shown beside field `name`.
fn field_gap(html: &str, name: &str) -> Option<String> {
    let marker = format!("id=\"f-{name}-gap\">");
    let start = html.find(&marker)? + marker.len();
    Some(html[start..start + html[start..].find("</div>")?].to_string())
}

/// The need id of a redirect to `/me/needs/{id}?saved=…`.
fn saved_id(r: &Response) -> i64 {
    let at = location(r);
    let rest = at
        .strip_prefix("/me/needs/")
        .unwrap_or_else(|| panic!("not to a need: {at} {}", r.body));
    rest.split('?').next().unwrap().parse().expect("an id")
}

const DESCRIPTION: &str = "深水系泊链长期服役后疲劳裂纹难以及时发现，需要一套可在海上长期运行的在线监测系统，覆盖链环应力、腐蚀和磨损，数据实时回传岸基平台。";

/// A complete need as the form posts it, with `title` and `visibility`.
fn complete<'a>(csrf: &'a str, title: &'a str, visibility: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("title", title),
        ("description", DESCRIPTION),
        ("indicator_name", "监测精度"),
        ("indicator_target", "≤1mm"),
        ("indicator_name", "续航"),
        ("indicator_target", "3年"),
        ("indicator_name", ""),
        ("indicator_target", ""),
        ("fields", "marine_equipment"),
        ("fields", "new_materials"),
        ("keywords", "系泊链，疲劳、监测"),
        ("cooperation_modes", "joint_development"),
        ("budget_min", "50"),
        ("budget_max", "120"),
        ("deadline", "2099-06-30"),
        ("ip_ownership", "shared"),
        ("required_trl", "6"),
        ("visibility", visibility),
        ("action", "publish"),
    ]
}

/// A server with staff, and members of two approved enterprises.
async fn platform(db: &TestDb) -> (Server, String) {
    let server = serve(db).await;
    let admin = server.first_admin("admin@example.com").await;
    let staff = user_with_token(server.addr, &admin, "staff@example.com", "staff", None).await;
    for (org, member) in [
        ("琴岛海工装备有限公司", "member@example.com"),
        ("琴岛鼎力数控机床有限公司", "other@example.com"),
    ] {
        qiao_tests::approved_org(server.addr, &staff, org, "enterprise", "崂山区").await;
        user_with_token(server.addr, &admin, member, "enterprise", Some(org)).await;
    }
    (server, staff)
}

#[tokio::test]
async fn an_enterprise_member_posts_a_need_through_the_form() {
    each_backend("pages_workspace::posts_a_need", |db| async move {
        let (server, _) = platform(&db).await;
        let addr = server.addr;
        let mut member = Visitor::new(addr);
        let csrf = member.sign_in("member@example.com", PASSWORD).await;

        // The workspace says what to do while there is nothing yet.
        let me = member.get("/me").await;
        assert_eq!(me.status, 200);
        assert!(me.body.contains("本机构还没有技术需求"), "{}", me.body);
        assert!(me.body.contains("href=\"/me/needs/new\""));
        assert!(me.body.contains("本机构暂无合作项目"));

        let form = member.get("/me/needs/new").await;
        assert_eq!(form.status, 200, "{}", form.body);
        assert!(form.body.contains("仅工作人员可见"));
        assert!(form.body.contains("船舶与海工装备"), "fields in Chinese");
        assert_eq!(hidden(&form.body, "csrf"), csrf);

        // No title: the use case's error beside the field, everything typed kept.
        let mut fields = complete(&csrf, "", "public");
        let r = member.post("/me/needs/new", &fields).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(
            field_error(&r.body, "title").as_deref(),
            Some("此项为必填项。")
        );
        assert!(r.body.contains("role=\"alert\""), "an error summary");
        assert!(r.body.contains(DESCRIPTION), "the description is kept");
        assert_eq!(field_value(&r.body, "budget_max").as_deref(), Some("120"));
        assert_eq!(
            field_value(&r.body, "keywords").as_deref(),
            Some("系泊链，疲劳、监测")
        );
        assert!(r.body.contains("value=\"监测精度\""));
        assert!(r.body.contains("value=\"3年\""));
        assert!(r.body.contains("value=\"marine_equipment\" checked"));
        assert!(r.body.contains("value=\"6\" selected"));
        assert!(r.body.contains("value=\"shared\" selected"));

        // An amount that is not one: the API's wording, said in Chinese.
        fields[1] = ("title", "深水系泊链疲劳在线监测");
        fields[14] = ("budget_max", "十万");
        let r = member.post("/me/needs/new", &fields).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(
            field_error(&r.body, "budget_max").as_deref(),
            Some("请填写以万元为单位的数字，如 50 或 50.5。")
        );

        // Corrected: published, and on to the need's page with a message.
        fields[14] = ("budget_max", "120");
        let r = member.post("/me/needs/new", &fields).await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert!(
            location(&r).ends_with("?saved=published"),
            "{}",
            location(&r)
        );
        let id = saved_id(&r);
        let page = member.get(location(&r)).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("需求已发布"), "{}", page.body);
        assert!(page.body.contains("暂无工作人员采纳的推荐"));

        // The API has it, for everyone.
        let api = call(addr, "GET", &format!("/api/v1/needs/{id}"), None, None).await;
        assert_eq!(api.status, 200, "{}", api.body);
        let need = api.json();
        assert_eq!(need["title"], "深水系泊链疲劳在线监测");
        assert_eq!(need["status"], "published");
        assert_eq!(need["org_name"], "琴岛海工装备有限公司");
        assert_eq!(
            need["fields"],
            serde_json::json!(["marine_equipment", "new_materials"])
        );
        assert_eq!(
            need["keywords"],
            serde_json::json!(["系泊链", "疲劳", "监测"])
        );
        assert_eq!(need["indicators"].as_array().unwrap().len(), 2);
        assert_eq!(need["budget_max"], 120.0);
        assert_eq!(need["required_trl"], 6);

        // It is listed in the workspace with a link to edit it.
        let me = member.get("/me").await.body;
        assert!(me.contains("深水系泊链疲劳在线监测"));
        assert!(me.contains(&format!("href=\"/me/needs/{id}/edit\"")));

        // Editing: the stored values in the form, the change saved.
        let edit = member.get(&format!("/me/needs/{id}/edit")).await;
        assert_eq!(edit.status, 200);
        assert_eq!(
            field_value(&edit.body, "title").as_deref(),
            Some("深水系泊链疲劳在线监测")
        );
        let version = hidden(&edit.body, "version");
        fields[1] = ("title", "深水系泊链疲劳与腐蚀在线监测");
        fields.push(("version", &version));
        let r = member.post(&format!("/me/needs/{id}/edit"), &fields).await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert!(location(&r).ends_with("?saved=updated"));
        // The same version again is a lost update: said on the form, not a crash.
        let r = member.post(&format!("/me/needs/{id}/edit"), &fields).await;
        assert_eq!(r.status, 409, "{}", r.body);
        assert!(r.body.contains("数据冲突"));

        // Without its CSRF field a form is refused.
        let no_csrf: Vec<_> = fields
            .iter()
            .copied()
            .filter(|(k, _)| *k != "csrf")
            .collect();
        assert_eq!(member.post("/me/needs/new", &no_csrf).await.status, 403);
        assert_eq!(
            member
                .post(&format!("/me/needs/{id}/edit"), &no_csrf)
                .await
                .status,
            403
        );

        // Another enterprise's member: as if the need did not exist.
        let mut other = Visitor::new(addr);
        let other_csrf = other.sign_in("other@example.com", PASSWORD).await;
        for path in [format!("/me/needs/{id}/edit"), format!("/me/needs/{id}")] {
            let r = other.get(&path).await;
            assert_eq!(r.status, 404, "{path}");
        }
        let mut theirs = complete(&other_csrf, "改别人的需求", "public");
        theirs.push(("version", &version));
        let r = other.post(&format!("/me/needs/{id}/edit"), &theirs).await;
        assert_eq!(r.status, 404);
        let api = call(addr, "GET", &format!("/api/v1/needs/{id}"), None, None).await;
        assert_eq!(api.json()["title"], "深水系泊链疲劳与腐蚀在线监测");
        assert!(!other.get("/me").await.body.contains("深水系泊链"));

        // Visitors are sent to sign in.
        let r = Visitor::new(addr).get("/me/needs/new").await;
        assert_eq!(
            (r.status, location(&r)),
            (303, "/login?next=%2Fme%2Fneeds%2Fnew")
        );
        db
    })
    .await;
}

#[tokio::test]
async fn a_thin_need_is_kept_as_a_draft_until_complete() {
    let db = TestDb::sqlite().await.unwrap();
    let (server, staff) = platform(&db).await;
    let addr = server.addr;
    let mut member = Visitor::new(addr);
    let csrf = member.sign_in("member@example.com", PASSWORD).await;
    let thin = [
        ("csrf", csrf.as_str()),
        ("title", "系泊链监测"),
        ("description", "需要监测。"),
        ("visibility", "public"),
        ("action", "publish"),
    ];

    // Publishing is refused with the reasons beside their fields.
    let r = member.post("/me/needs/new", &thin).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("暂不能发布"), "{}", r.body);
    assert_eq!(
        field_error(&r.body, "indicators").as_deref(),
        Some("尚未填写核心指标")
    );
    assert_eq!(
        field_error(&r.body, "fields").as_deref(),
        Some("尚未选择所属领域")
    );
    assert!(field_error(&r.body, "description").is_some());
    let gap = field_gap(&r.body, "indicators").expect("a note beside the indicators");
    assert!(gap.contains("指标缺失会降低匹配精度"), "{gap}");
    let gap = field_gap(&r.body, "budget_min").expect("advice beside the budget");
    assert!(
        gap.contains("建议") && gap.contains("尚未填写预算"),
        "{gap}"
    );
    assert_eq!(field_value(&r.body, "title").as_deref(), Some("系泊链监测"));

    // A draft may be saved as it is; its findings stay in view.
    let mut draft = thin.to_vec();
    draft[4] = ("action", "draft");
    let r = member.post("/me/needs/new", &draft).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(location(&r).ends_with("?saved=draft"));
    let id = saved_id(&r);
    let view = member.get(location(&r)).await.body;
    assert!(view.contains("已保存为草稿"));
    assert!(view.contains("data-gap=\"no_indicators\""), "{view}");
    assert!(view.contains("指标缺失会降低匹配精度"));
    let edit = member.get(&format!("/me/needs/{id}/edit")).await.body;
    assert!(field_gap(&edit, "indicators").is_some_and(|g| g.contains("指标缺失")));
    assert!(field_gap(&edit, "fields").is_some());
    // Publishing the draft is refused the same way; a forged status field changes nothing.
    let version = hidden(&edit, "version");
    let mut publish = thin.to_vec();
    publish.push(("version", &version));
    publish.push(("status", "published"));
    let r = member.post(&format!("/me/needs/{id}/edit"), &publish).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("暂不能发布"));
    let mut forged = thin.to_vec();
    forged.push(("status", "published"));
    let r = member.post("/me/needs/new", &forged).await;
    assert_eq!(r.status, 422, "{}", r.body);
    // Drafts are the organization's own: listed and marked in the workspace, not public.
    let me = member.get("/me").await.body;
    assert!(me.contains("系泊链监测") && me.contains("草稿"), "{me}");
    let api = call(addr, "GET", &format!("/api/v1/needs/{id}"), None, None).await;
    assert_eq!(api.status, 404);

    // A thin need published before (here by staff through the API) can still
    // be edited: an edit does not unpublish it, its gaps stay as notes.
    let body = serde_json::json!({"org_name": "琴岛海工装备有限公司", "title": "旧需求"});
    let old = qiao_tests::need_of(addr, &staff, body).await;
    let edit = member.get(&format!("/me/needs/{old}/edit")).await.body;
    assert!(edit.contains("完整度检查"), "{edit}");
    let version = hidden(&edit, "version");
    let mut fields = thin.to_vec();
    fields[1] = ("title", "旧需求（已更新）");
    fields.push(("version", &version));
    let r = member.post(&format!("/me/needs/{old}/edit"), &fields).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(location(&r).ends_with("?saved=updated"));
    let api = call(addr, "GET", &format!("/api/v1/needs/{old}"), None, None).await;
    assert_eq!(api.json()["status"], "published");
    assert_eq!(api.json()["title"], "旧需求（已更新）");
}

#[tokio::test]
async fn a_staff_only_need_stays_off_public_lists() {
    let db = TestDb::sqlite().await.unwrap();
    let (server, staff) = platform(&db).await;
    let addr = server.addr;
    let mut member = Visitor::new(addr);
    let csrf = member.sign_in("member@example.com", PASSWORD).await;
    let fields = complete(&csrf, "军品配套精密减速器保密需求", "staff_only");
    let r = member.post("/me/needs/new", &fields).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let id = saved_id(&r);

    let anonymous = call(addr, "GET", &format!("/api/v1/needs/{id}"), None, None).await;
    assert_eq!(anonymous.status, 404);
    let list = call(addr, "GET", "/api/v1/needs?limit=100", None, None).await;
    assert!(!list.body.contains("军品配套精密减速器保密需求"));
    let seen = call(
        addr,
        "GET",
        &format!("/api/v1/needs/{id}"),
        Some(&staff),
        None,
    )
    .await;
    assert_eq!(seen.status, 200);
    assert_eq!(seen.json()["visibility"], "staff_only");
    assert_eq!(seen.json()["status"], "published");

    // Marked as staff-only in the workspace and on its page.
    let me = member.get("/me").await.body;
    assert!(me.contains("军品配套精密减速器保密需求"));
    assert!(me.contains("class=\"tag\">仅工作人员可见"), "{me}");
    let view = member.get(&format!("/me/needs/{id}")).await.body;
    assert!(view.contains("class=\"tag\">仅工作人员可见"));
}

#[tokio::test]
async fn a_university_member_lists_a_capability_through_the_form() {
    let db = TestDb::sqlite().await.unwrap();
    let server = serve(&db).await;
    let addr = server.addr;
    let admin = server.first_admin("admin@example.com").await;
    let staff = user_with_token(addr, &admin, "staff@example.com", "staff", None).await;
    for (org, member) in [
        ("琴岛理工大学", "prof@example.com"),
        ("琴岛海洋大学", "rival@example.com"),
    ] {
        qiao_tests::approved_org(addr, &staff, org, "university", "崂山区").await;
        user_with_token(addr, &admin, member, "university", Some(org)).await;
    }
    let mut prof = Visitor::new(addr);
    let csrf = prof.sign_in("prof@example.com", PASSWORD).await;
    let me = prof.get("/me").await.body;
    assert!(me.contains("本机构还没有登记科技成果"), "{me}");
    assert!(me.contains("href=\"/me/capabilities/new\""));
    // Enterprises' forms are not for universities.
    assert_eq!(prof.get("/me/needs/new").await.status, 403);

    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("kind", "team"),
        ("title", ""),
        ("description", "高熵合金涂层的设计、制备与服役评价。"),
        ("fields", "new_materials"),
        ("keywords", "高熵合金、涂层"),
        ("trl", "5"),
        ("cooperation_modes", "consulting"),
        ("patents", "ZL202310000001.1"),
        ("capacity", "两个"),
        ("lead", "李教授"),
        ("terms", "面议"),
        ("action", "publish"),
    ];
    let r = prof.post("/me/capabilities/new", &fields).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        field_error(&r.body, "title").as_deref(),
        Some("此项为必填项。")
    );
    assert_eq!(
        field_error(&r.body, "capacity").as_deref(),
        Some("请填写有效的整数。")
    );
    assert_eq!(field_value(&r.body, "lead").as_deref(), Some("李教授"));
    assert!(r.body.contains("value=\"team\" selected"));

    fields[2] = ("title", "高熵合金耐磨耐蚀涂层");
    fields[9] = ("capacity", "2");
    let r = prof.post("/me/capabilities/new", &fields).await;
    assert_eq!(
        (r.status, location(&r)),
        (303, "/me?saved=cap_published"),
        "{}",
        r.body
    );
    let me = prof.get("/me?saved=cap_published").await.body;
    assert!(
        me.contains("科技成果已发布") && me.contains("高熵合金耐磨耐蚀涂层"),
        "{me}"
    );
    let list = call(addr, "GET", "/api/v1/capabilities?limit=100", None, None).await;
    let items = list.json()["items"].as_array().unwrap().clone();
    let cap = items
        .iter()
        .find(|c| c["title"] == "高熵合金耐磨耐蚀涂层")
        .expect("listed publicly");
    assert_eq!(cap["kind"], "team");
    assert_eq!(cap["capacity"], 2);
    let id = cap["id"].as_i64().unwrap();

    // Another university's member cannot edit it.
    let mut rival = Visitor::new(addr);
    rival.sign_in("rival@example.com", PASSWORD).await;
    assert_eq!(
        rival
            .get(&format!("/me/capabilities/{id}/edit"))
            .await
            .status,
        404
    );

    // Its owner can, keeping it as a draft.
    let edit = prof.get(&format!("/me/capabilities/{id}/edit")).await;
    assert_eq!(edit.status, 200);
    let version = hidden(&edit.body, "version");
    fields[12] = ("action", "draft");
    fields.push(("version", &version));
    let r = prof
        .post(&format!("/me/capabilities/{id}/edit"), &fields)
        .await;
    assert_eq!(
        (r.status, location(&r)),
        (303, "/me?saved=draft"),
        "{}",
        r.body
    );
    let gone = call(
        addr,
        "GET",
        &format!("/api/v1/capabilities/{id}"),
        None,
        None,
    )
    .await;
    assert_eq!(gone.status, 404, "a draft is not public");
}
