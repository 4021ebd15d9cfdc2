//! The transparency list (阳光科技) on every backend: the year's key
//! projects for everyone, with only the fields staff publish; a project
//! whose need is staff-only or whose partner is not approved stays off
//! unless staff publish it individually.

use qiao_store::testkit::{TestDb, each_backend};
use qiao_tests::{approved_org, call, need_of, review, user_with_token};
use serde_json::{Value, json};

async fn listed(addr: std::net::SocketAddr, token: Option<&str>) -> Value {
    let r = call(
        addr,
        "GET",
        "/api/v1/public/key-projects?year=2026",
        token,
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

fn titles(list: &Value) -> Vec<String> {
    let mut t: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap().to_string())
        .collect();
    t.sort();
    t
}

#[tokio::test]
async fn the_list_shows_key_projects_and_only_what_staff_publish() {
    each_backend(
        "transparency::the_list_shows_key_projects_and_only_what_staff_publish",
        |db: TestDb| async move {
            let server = qiao_tests::serve(&db).await;
            let addr = server.addr;
            let admin = server.first_admin("admin@example.com").await;
            let staff = user_with_token(addr, &admin, "staff@example.com", "staff", None).await;
            let ent = approved_org(
                addr,
                &staff,
                "甲海工装备有限公司",
                "enterprise",
                "西海岸新区",
            )
            .await;
            let uni = approved_org(addr, &staff, "乙理工大学", "university", "崂山区").await;
            let shady = approved_org(addr, &staff, "丁未审核大学", "university", "城阳区").await;
            review(addr, &staff, shady, "rejected").await;
            let member = user_with_token(
                addr,
                &admin,
                "e@example.com",
                "enterprise",
                Some("甲海工装备有限公司"),
            )
            .await;
            let secret = need_of(
                addr,
                &staff,
                json!({"org_name": "甲海工装备有限公司", "title": "保密的密封结构需求",
                       "visibility": "staff_only", "status": "published"}),
            )
            .await;
            let create = |body: Value| {
                let staff = staff.clone();
                async move {
                    let r = call(addr, "POST", "/api/v1/projects", Some(&staff), Some(body)).await;
                    assert_eq!(r.status, 201, "{}", r.body);
                    r.json()["project"]["id"].as_i64().unwrap()
                }
            };
            let base = |title: &str| {
                json!({"title": title, "enterprise_org_id": ent, "institution_org_id": uni,
                       "plan_year": 2026, "key_project": true, "field": "marine_equipment",
                       "contract_type": "development", "contract_amount": 120,
                       "signed_on": "2026-05-01", "status": "signed"})
            };
            create(base("公开的重点项目")).await;
            let mut ordinary = base("一般项目");
            ordinary["key_project"] = json!(false);
            create(ordinary).await;
            let mut hidden_need = base("保密需求的项目");
            hidden_need["need_id"] = json!(secret);
            let hidden_need = create(hidden_need).await;
            let mut unapproved = base("未审核合作方的项目");
            unapproved["institution_org_id"] = json!(shady);
            create(unapproved).await;
            let mut last_year = base("去年的项目");
            last_year["plan_year"] = json!(2025);
            create(last_year).await;

            // Everyone gets the same list: key projects of the year that
            // hide nothing; amounts stay off by default.
            for token in [None, Some(member.as_str()), Some(staff.as_str())] {
                let list = listed(addr, token).await;
                assert_eq!(titles(&list), ["公开的重点项目"], "{}: {list}", db.label);
                let item = &list["items"][0];
                assert_eq!(
                    item["partners"],
                    json!(["甲海工装备有限公司", "乙理工大学"])
                );
                assert_eq!(item["status"], "signed");
                assert_eq!(item["contract_type_label"], "技术开发");
                assert!(item.get("contract_amount").is_none(), "{item}");
                assert!(item.get("district").is_none(), "{item}");
            }

            // Staff publish the project with the staff-only need individually.
            let r = call(
                addr,
                "PATCH",
                &format!("/api/v1/projects/{hidden_need}"),
                Some(&staff),
                Some(json!({"published": true})),
            )
            .await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(
                titles(&listed(addr, None).await),
                ["保密需求的项目", "公开的重点项目"]
            );

            // The published fields are staff's choice; the title always.
            let path = "/api/v1/settings/transparency";
            let choose = |fields: Value| json!({ "fields": fields });
            let r = call(
                addr,
                "PUT",
                path,
                Some(&member),
                Some(choose(json!(["title"]))),
            )
            .await;
            assert_eq!(r.status, 403, "{}", r.body);
            let r = call(addr, "PUT", path, None, Some(choose(json!(["title"])))).await;
            assert_eq!(r.status, 401, "{}", r.body);
            let r = call(
                addr,
                "PUT",
                path,
                Some(&staff),
                Some(choose(json!(["status"]))),
            )
            .await;
            assert_eq!(r.status, 422, "{}", r.body);
            let r = call(
                addr,
                "PUT",
                path,
                Some(&staff),
                Some(choose(json!(["title", "secret"]))),
            )
            .await;
            assert_eq!(r.status, 422, "{}", r.body);
            let r = call(
                addr,
                "PUT",
                path,
                Some(&staff),
                Some(choose(json!(["contract_amount", "title"]))),
            )
            .await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(r.json()["fields"], json!(["title", "contract_amount"]));
            let list = listed(addr, None).await;
            assert_eq!(list["fields"], json!(["title", "contract_amount"]));
            for item in list["items"].as_array().unwrap() {
                let mut keys: Vec<&String> = item.as_object().unwrap().keys().collect();
                keys.sort();
                assert_eq!(keys, ["contract_amount", "title"], "{item}");
                assert_eq!(item["contract_amount"], 120.0);
            }
            let r = call(addr, "GET", path, None, None).await;
            assert_eq!(r.json()["fields"], json!(["title", "contract_amount"]));
            let r = call(
                addr,
                "GET",
                "/api/v1/public/key-projects?year=1999",
                None,
                None,
            )
            .await;
            assert_eq!(r.status, 422, "{}", r.body);
            db
        },
    )
    .await;
}
