//! The public portal's pages over HTTP on the seeds: `/search` (the same
//! search as `GET /api/v1/search`, snippets marked but otherwise escaped,
//! facets, pages), `/needs/{id}` and `/capabilities/{id}` (hidden listings
//! are 404 as in the API, contact details as the API gives them) and the
//! transparency list `/projects/key` (only the published fields).

use qiao_store::testkit::{TestDb, each_backend};
use qiao_tests::{Response, Server, call, need_of, serve, settle, user_with_token};
use serde_json::{Value, json};
use std::net::SocketAddr;

/// The seeds, an admin, staff, and a member of an enterprise other than
/// 琴岛鼎力数控机床有限公司 (whose needs the tests read) and one of it.
struct Portal {
    _server: Server,
    addr: SocketAddr,
    staff: String,
    other: String,
    owner: String,
}

const OWNER_ORG: &str = "琴岛鼎力数控机床有限公司";

async fn portal(db: &TestDb) -> Portal {
    qiao_app::seeds::load(&db.store, &qiao_app::seeds::seeds_dir())
        .await
        .unwrap();
    let server = serve(db).await;
    let addr = server.addr;
    let admin = server.first_admin("admin@example.com").await;
    let staff = user_with_token(addr, &admin, "staff@example.com", "staff", None).await;
    let other = user_with_token(
        addr,
        &admin,
        "other@example.com",
        "enterprise",
        Some("琴岛海晟重工股份有限公司"),
    )
    .await;
    let owner = user_with_token(
        addr,
        &admin,
        "owner@example.com",
        "enterprise",
        Some(OWNER_ORG),
    )
    .await;
    settle(addr).await;
    Portal {
        _server: server,
        addr,
        staff,
        other,
        owner,
    }
}

/// A page as a browser (or, with a token, a script) asks for it.
async fn page(addr: SocketAddr, path: &str, token: Option<&str>) -> Response {
    let r = call(addr, "GET", path, token, None).await;
    assert!(
        r.header("content-type")
            .is_some_and(|t| t.starts_with("text/html")),
        "{path}: {:?}",
        r.headers
    );
    r
}

fn enc(s: &str) -> String {
    qiao_bench::percent_encode(s)
}

/// Every `<p class="snippet">…</p>` of a results page.
fn snippets(html: &str) -> Vec<&str> {
    html.split("<p class=\"snippet\">")
        .skip(1)
        .map(|rest| &rest[..rest.find("</p>").unwrap()])
        .collect()
}

/// The result count the page states.
fn total(html: &str) -> u64 {
    let marker = "data-total=\"";
    let start = html.find(marker).unwrap_or_else(|| panic!("{html}")) + marker.len();
    html[start..start + html[start..].find('"').unwrap()]
        .parse()
        .unwrap()
}

/// The hrefs of the links with `attr` (e.g. `data-facet="field"`), unescaped.
fn links_with(html: &str, attr: &str) -> Vec<String> {
    html.match_indices("<a href=\"")
        .filter_map(|(at, m)| {
            let rest = &html[at + m.len()..];
            let end = rest.find('"')?;
            let tag_end = rest.find('>')?;
            rest[..tag_end]
                .contains(attr)
                .then(|| rest[..end].replace("&amp;", "&"))
        })
        .collect()
}

fn hit_ids(html: &str, kind: &str) -> Vec<i64> {
    let marker = format!("<a href=\"/{kind}/");
    html.match_indices(&marker)
        .filter_map(|(at, m)| {
            let rest = &html[at + m.len()..];
            rest[..rest.find('"')?].parse().ok()
        })
        .collect()
}

async fn id_by_external(addr: SocketAddr, kind: &str, external: &str) -> (i64, Value) {
    let r = call(
        addr,
        "GET",
        &format!("/api/v1/{kind}?external_id={external}"),
        None,
        None,
    )
    .await;
    let item = r.json()["items"][0].clone();
    (
        item["id"].as_i64().unwrap_or_else(|| panic!("{}", r.body)),
        item,
    )
}

#[tokio::test]
async fn search_marks_terms_escapes_the_rest_narrows_and_pages() {
    let db = TestDb::sqlite().await.unwrap();
    let p = portal(&db).await;
    let addr = p.addr;

    // A Chinese keyword finds the seeds' needs, with the terms marked.
    let path = format!("/search?q={}&type=need", enc("热误差"));
    let r = page(addr, &path, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let html = &r.body;
    assert!(
        html.contains("五轴加工中心双摆头主轴热误差建模与实时补偿"),
        "{html}"
    );
    assert!(html.contains("<mark>"), "{html}");
    assert!(html.contains("value=\"热误差\""), "the query boxes keep it");
    assert!(html.contains("id=\"site-search-q\" name=\"q\" type=\"search\" value=\"热误差\""));
    let api = call(
        addr,
        "GET",
        &format!("/api/v1/search?q={}&type=need", enc("热误差")),
        None,
        None,
    )
    .await
    .json();
    assert_eq!(total(html), api["total"].as_u64().unwrap());
    assert!(total(html) > 0);

    // A title and a description with markup: shown as text, only <mark> is markup.
    let hostile = json!({"org_name": OWNER_ORG,
        "title": "<script>alert('琥珀')</script>伺服电机琥珀测试",
        "description": "<img src=x onerror=alert(1)> 琥珀 & <b>粗体</b> \"引号\"",
        "fields": ["advanced_equipment"]});
    let hostile_id = need_of(addr, &p.staff, hostile).await;
    settle(addr).await;
    let html = page(addr, &format!("/search?q={}", enc("琥珀")), None)
        .await
        .body;
    assert!(hit_ids(&html, "needs").contains(&hostile_id), "{html}");
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(!html.contains("<img src=x"), "{html}");
    assert!(!html.contains("<b>粗体"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(&#x27;琥珀&#x27;)&lt;/script&gt;伺服电机琥珀测试"),
        "{html}"
    );
    let shown = snippets(&html);
    assert!(!shown.is_empty(), "{html}");
    for s in &shown {
        let bare = s.replace("<mark>", "").replace("</mark>", "");
        assert!(
            !bare.contains('<') && !bare.contains('>'),
            "only marks: {s}"
        );
        assert!(!s.contains("&amp;lt;"), "escaped once, not twice: {s}");
    }
    assert!(
        shown.iter().any(|s| s.contains("<mark>琥珀</mark>")),
        "{shown:?}"
    );
    let detail = page(addr, &format!("/needs/{hostile_id}"), None).await.body;
    assert!(
        !detail.contains("<script>alert") && !detail.contains("<img src=x"),
        "{detail}"
    );
    assert!(
        detail.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{detail}"
    );

    // Facets narrow, and keep the query and the type.
    let all = page(addr, "/search?type=need", None).await.body;
    let everything = total(&all);
    assert!(everything >= 100, "the seeds' needs: {everything}");
    let fields = links_with(&all, "data-facet=\"field\"");
    assert!(!fields.is_empty(), "{all}");
    assert!(
        fields
            .iter()
            .all(|l| l.starts_with("/search?type=need&field=")),
        "{fields:?}"
    );
    let narrowed = page(addr, &fields[0], None).await;
    assert_eq!(narrowed.status, 200);
    let n = total(&narrowed.body);
    assert!(0 < n && n < everything, "{n} of {everything}");
    assert!(
        narrowed
            .body
            .contains("data-facet=\"field\" class=\"selected\" aria-current=\"true\">"),
        "the chosen value shows"
    );
    let org_kinds = links_with(&narrowed.body, "data-facet=\"org_kind\"");
    assert!(
        org_kinds.iter().all(|l| l.contains("field=")),
        "{org_kinds:?}"
    );
    let keyword = page(addr, &format!("{}&q={}", fields[0], enc("热误差")), None)
        .await
        .body;
    assert!(total(&keyword) <= n);
    let maturity = page(addr, "/search?type=capability&trl_min=6&trl_max=7", None)
        .await
        .body;
    let api = call(
        addr,
        "GET",
        "/api/v1/search?type=capability&trl_min=6&trl_max=7",
        None,
        None,
    )
    .await
    .json();
    assert_eq!(total(&maturity), api["total"].as_u64().unwrap());

    // Pages: ten by default, `limit` and `offset` as in the API.
    assert!(all.contains("rel=\"next\""), "{all}");
    let first = page(addr, "/search?type=need&limit=5", None).await.body;
    let second_link = links_with(&first, "rel=\"next\"");
    assert_eq!(second_link, ["/search?type=need&limit=5&offset=5"]);
    let second = page(addr, &second_link[0], None).await.body;
    let (a, b) = (hit_ids(&first, "needs"), hit_ids(&second, "needs"));
    assert_eq!((a.len(), b.len()), (5, 5));
    assert!(a.iter().all(|id| !b.contains(id)), "{a:?} {b:?}");
    assert!(second.contains("rel=\"prev\""));
    assert!(second.contains("aria-current=\"page\">2<"), "{second}");
    let huge = page(addr, "/search?type=need&limit=5000&offset=999999999", None).await;
    assert_eq!(huge.status, 200, "bounded, not refused");
    assert!(
        huge.body
            .contains("href=\"/search?type=need&amp;limit=100\""),
        "back to the first page"
    );

    // Nothing found: what to do next.
    let none = page(addr, &format!("/search?q={}", enc("zqxjvwkplm")), None).await;
    assert_eq!(none.status, 200);
    assert!(
        none.body.contains("没有找到与“zqxjvwkplm”匹配"),
        "{}",
        none.body
    );
    assert!(none.body.contains("href=\"/search?type=need\""));
    let punct = page(addr, &format!("/search?q={}", enc("？！")), None).await;
    assert_eq!(punct.status, 400);
    assert!(punct.body.contains("不能只有标点符号"));

    // In English, labels of facets are English.
    let en = send_en(addr, "/search?type=need").await;
    assert!(
        en.contains("Advanced equipment manufacturing") && en.contains("Filters"),
        "{en}"
    );
}

async fn send_en(addr: SocketAddr, path: &str) -> String {
    qiao_tests::send(addr, "GET", path, &[("Cookie", "qiao_lang=en")], None)
        .await
        .body
}

#[tokio::test]
async fn details_show_a_listing_as_the_api_does() {
    let db = TestDb::sqlite().await.unwrap();
    let p = portal(&db).await;
    let addr = p.addr;

    let (need, item) = id_by_external(addr, "needs", "need-001").await;
    let r = page(addr, &format!("/needs/{need}"), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let html = &r.body;
    for shown in [
        "五轴加工中心双摆头主轴热误差建模与实时补偿",
        OWNER_ORG,
        "高端装备制造",
        "60–120 万元",
        "2027年9月30日",
        "双方共有",
        "合作开发",
        "TRL 6 · 中试",
        "连续运行8小时主轴Z向热漂移",
        "≤8μm",
        "href=\"/search?q=%E7%83%AD%E8%AF%AF%E5%B7%AE%E8%A1%A5%E5%81%BF&amp;type=need\"",
    ] {
        assert!(html.contains(shown), "{shown} missing: {html}");
    }
    assert!(
        !html.contains("high_end") && !html.contains("joint_development"),
        "labels, not codes"
    );

    // Contact details exactly as the API gives them: none to visitors, the
    // organization's to signed-in users.
    let org = item["org_id"].as_i64().unwrap();
    let org_path = format!("/api/v1/organizations/{org}");
    let public = call(addr, "GET", &org_path, None, None).await.json();
    assert!(public.get("contact_phone").is_none());
    let signed_in = call(addr, "GET", &org_path, Some(&p.other), None)
        .await
        .json();
    let phone = signed_in["contact_phone"].as_str().unwrap();
    assert_eq!(phone, "0532-88703451");
    let masked = qiao_core::access::mask_phone(phone);
    assert!(!html.contains(phone) && !html.contains(&masked) && !html.contains("88703451"));
    assert!(html.contains("联系方式仅向登录用户显示"), "{html}");
    let member = page(addr, &format!("/needs/{need}"), Some(&p.other))
        .await
        .body;
    assert!(
        member.contains(&format!("data-field=\"phone\">{phone}<")),
        "{member}"
    );

    // In English: English labels, English money and dates.
    let en = send_en(addr, &format!("/needs/{need}")).await;
    for shown in [
        "Advanced equipment manufacturing",
        "CNY 0.6–1.2 m",
        "30 Sep 2027",
        "Jointly owned",
    ] {
        assert!(en.contains(shown), "{shown} missing: {en}");
    }

    let (cap, _) = id_by_external(addr, "capabilities", "cap-001").await;
    let r = page(addr, &format!("/capabilities/{cap}"), None).await;
    assert_eq!(r.status, 200);
    for shown in [
        "先进焊接与连接技术团队",
        "琴岛理工大学",
        "刘卫平 教授",
        "TRL 6 · 中试",
        "团队",
        "搅拌摩擦焊",
        "委托开发",
    ] {
        assert!(r.body.contains(shown), "{shown} missing: {}", r.body);
    }

    // What is not there is the 404 page, whatever the address says.
    for missing in [
        "/needs/999999",
        "/needs/abc",
        "/needs/-1",
        "/capabilities/0",
    ] {
        let r = page(addr, missing, None).await;
        assert_eq!(r.status, 404, "{missing}");
        assert!(r.body.contains("页面不存在"));
    }
    // A need's id is not a capability's page.
    let r = page(addr, &format!("/capabilities/{}", need + 100_000), None).await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn staff_only_needs_stay_with_staff_and_their_owner() {
    each_backend("pages_portal::staff_only_needs", |db| async move {
        let p = portal(&db).await;
        let addr = p.addr;
        let secret = json!({"org_name": OWNER_ORG, "title": "麒麟专用精密减速器保密需求",
            "description": "麒麟项目配套的精密减速器。", "fields": ["advanced_equipment"],
            "visibility": "staff_only"});
        let id = need_of(addr, &p.staff, secret).await;
        settle(addr).await;
        let search = format!("/search?q={}", enc("麒麟"));
        let detail = format!("/needs/{id}");
        for (who, token, sees) in [
            ("anonymous", None, false),
            ("another enterprise", Some(p.other.as_str()), false),
            ("the owner", Some(p.owner.as_str()), true),
            ("staff", Some(p.staff.as_str()), true),
        ] {
            let r = page(addr, &search, token).await;
            assert_eq!(r.status, 200, "{who}");
            assert_eq!(
                hit_ids(&r.body, "needs").contains(&id),
                sees,
                "{who}: {}",
                r.body
            );
            assert_eq!(r.body.contains("麒麟专用"), sees, "{who}");
            assert_eq!(total(&r.body), u64::from(sees), "{who}");
            let all = page(addr, "/search?type=need&limit=100&sort=updated", token).await;
            assert_eq!(hit_ids(&all.body, "needs").contains(&id), sees, "{who}");
            let d = page(addr, &detail, token).await;
            assert_eq!(d.status, if sees { 200 } else { 404 }, "{who}");
            assert_eq!(d.body.contains("麒麟专用精密减速器保密需求"), sees, "{who}");
            if sees {
                assert!(d.body.contains("仅工作人员可见"), "{who}: the page says so");
            }
            let manages = d.body.contains(&format!("href=\"/me/needs/{id}\""));
            assert_eq!(manages, who == "the owner", "{who}: the workspace link");
        }
        db
    })
    .await;
}

#[tokio::test]
async fn the_transparency_list_shows_only_the_published_fields() {
    let db = TestDb::sqlite().await.unwrap();
    let p = portal(&db).await;
    let addr = p.addr;

    let api = call(addr, "GET", "/api/v1/public/key-projects", None, None)
        .await
        .json();
    let year = api["year"].as_i64().unwrap();
    let r = page(addr, "/projects/key", None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let html = &r.body;
    assert!(
        html.contains(&format!("<option value=\"{year}\" selected>")),
        "{html}"
    );
    let items = api["items"].as_array().unwrap();
    for item in items {
        assert!(html.contains(item["title"].as_str().unwrap()), "{item}");
    }
    let rows = html.matches("<th scope=\"row\">").count();
    assert_eq!(rows, items.len());
    // Amounts are not published by default: no column, no figure.
    assert!(!html.contains("data-column=\"contract_amount\""));
    assert!(
        !html.contains("合同金额") && !html.contains("万元"),
        "{html}"
    );
    for column in ["title", "partners", "field", "contract_type", "status"] {
        assert!(
            html.contains(&format!("data-column=\"{column}\"")),
            "{column}"
        );
    }
    // The seeds' 2026 list, whatever this year is.
    let seeds = page(addr, "/projects/key?year=2026", None).await.body;
    assert!(
        seeds.contains("五轴加工中心双摆头主轴热误差建模与实时补偿"),
        "{seeds}"
    );
    assert!(
        seeds.contains("琴岛鼎力数控机床有限公司、琴岛理工大学"),
        "{seeds}"
    );

    // In English: English headings and vocabulary, the same projects.
    let en = send_en(addr, "/projects/key?year=2026").await;
    for shown in [
        "Transparency: key cooperation projects of 2026",
        "Contract type",
        "Water technology",
    ] {
        assert!(en.contains(shown), "{shown} missing: {en}");
    }
    assert!(!en.contains("水科技"), "vocabulary in English");

    // Staff publish the amounts: the column appears, in 万元.
    let body = json!({"fields": ["title", "partners", "contract_amount"]});
    let r = call(
        addr,
        "PUT",
        "/api/v1/settings/transparency",
        Some(&p.staff),
        Some(body),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let shown = page(addr, "/projects/key?year=2026", None).await.body;
    assert!(shown.contains("data-column=\"contract_amount\""));
    let cells: Vec<&str> = shown
        .split("data-field=\"amount\">")
        .skip(1)
        .map(|c| &c[..c.find("</td>").unwrap()])
        .filter(|c| !c.is_empty())
        .collect();
    assert!(
        cells
            .iter()
            .all(|c| c.ends_with("万元") || c.ends_with("亿元")),
        "{cells:?}"
    );
    assert!(
        !shown.contains("data-column=\"status\""),
        "no longer published"
    );
    let api = call(
        addr,
        "GET",
        "/api/v1/public/key-projects?year=2026",
        None,
        None,
    )
    .await
    .json();
    let amounts = api["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["contract_amount"].is_number())
        .count();
    assert_eq!(cells.len(), amounts);
    assert!(amounts > 0, "the seeds sign some of them");

    // A year without projects says so; a nonsense year is this year.
    let empty = page(addr, "/projects/key?year=2001", None).await.body;
    assert!(empty.contains("2001年度暂无公开的重点项目"), "{empty}");
    let odd = page(addr, "/projects/key?year=abc", None).await;
    assert_eq!(odd.status, 200);
    assert!(
        odd.body
            .contains(&format!("<option value=\"{year}\" selected>"))
    );
}
