//! Search over HTTP: permissions in hits, totals and facets; the index
//! following the database; query validation.

use qiao_bench::percent_encode;
use qiao_store::testkit::{TestDb, each_backend};
use qiao_tests::{Response, Server, approved_org, call, need_of as need, settle, user_with_token};
use serde_json::json;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// An admin, staff, and an approved organization with a member; returns their tokens.
async fn member_of(
    server: &Server,
    name: &str,
    kind: &str,
    email: &str,
) -> (String, String, String) {
    let addr = server.addr;
    let admin = server.first_admin("admin@example.com").await;
    let staff = user_with_token(addr, &admin, "s@example.com", "staff", None).await;
    approved_org(addr, &staff, name, kind, "高新区").await;
    let member = user_with_token(addr, &admin, email, kind, Some(name)).await;
    (admin, staff, member)
}

async fn search(addr: SocketAddr, query: &str, token: Option<&str>) -> Response {
    call(addr, "GET", &format!("/api/v1/search?{query}"), token, None).await
}

#[tokio::test]
async fn staff_only_needs_stay_out_of_hits_totals_and_facets() {
    each_backend("search::staff_only_needs_stay_out_of_hits_totals_and_facets", |db| async move {
        let server = qiao_tests::serve(&db).await;
        let addr = server.addr;
        let (admin, staff, owner) = member_of(&server, "甲新能源科技有限公司", "enterprise", "a@example.com").await;
        approved_org(addr, &staff, "乙海工装备有限公司", "enterprise", "高新区").await;
        let other = user_with_token(addr, &admin, "b@example.com", "enterprise", Some("乙海工装备有限公司")).await;
        need(addr, &owner, json!({"title": "动力电池热管理系统开发", "fields": ["new_energy"], "description": "电池包液冷板设计"})).await;
        need(addr, &owner, json!({"title": "固态电池电解质保密攻关", "fields": ["new_materials"], "visibility": "staff_only"})).await;
        settle(addr).await;
        let q = format!("q={}&type=need", percent_encode("电池"));
        for t in [None, Some(other.as_str())] {
            let r = search(addr, &q, t).await;
            assert_eq!(r.status, 200, "{}", r.body);
            let v = r.json();
            assert_eq!(v["total"], 1, "{}: {v}", db.label);
            assert_eq!(v["items"][0]["title"], "动力电池热管理系统开发");
            let fields: Vec<&str> = v["facets"]["field"].as_array().unwrap().iter().map(|f| f["value"].as_str().unwrap()).collect();
            assert_eq!(fields, vec!["new_energy"], "facets must not count the hidden need");
            assert!(!r.body.contains("保密"));
        }
        for t in [&owner, &staff] {
            let v = search(addr, &q, Some(t)).await.json();
            assert_eq!(v["total"], 2, "{v}");
        }
        let v = search(addr, &q, None).await.json();
        let snippet = v["items"][0]["snippet"].as_str().unwrap();
        assert!(snippet.contains("<mark>"), "{snippet}");
        let label = &v["facets"]["field"][0]["label"];
        assert_eq!(label, "新能源");
        db
    })
    .await;
}

#[tokio::test]
async fn changes_through_the_api_become_searchable() {
    each_backend("search::changes_through_the_api_become_searchable", |db| async move {
        let server = qiao_tests::serve(&db).await;
        let addr = server.addr;
        let (_, _, uni) = member_of(&server, "琴岛理工大学", "university", "u@example.com").await;
        let body = json!({"title": "海工装备钛合金焊接工艺", "description": "Ti-6Al-4V 厚板窄间隙焊接"});
        let created = call(addr, "POST", "/api/v1/capabilities", Some(&uni), Some(body)).await;
        assert_eq!(created.status, 201);
        let id = created.json()["id"].as_i64().unwrap();
        let q = format!("q={}", percent_encode("ti-6al-4v"));
        let deadline = Instant::now() + Duration::from_secs(20);
        while search(addr, &q, None).await.json()["total"] != 1 {
            assert!(Instant::now() < deadline, "a new capability never became searchable");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let del = call(addr, "DELETE", &format!("/api/v1/capabilities/{id}"), Some(&uni), None).await;
        assert_eq!(del.status, 204);
        settle(addr).await;
        assert_eq!(search(addr, &q, None).await.json()["total"], 0, "deleted listings leave the index");
        db
    })
    .await;
}

#[tokio::test]
async fn queries_are_validated_and_empty_lists_by_recency() {
    let db = TestDb::sqlite().await.unwrap();
    let server = qiao_tests::serve(&db).await;
    let addr = server.addr;
    let (_, _, owner) = member_of(
        &server,
        "甲新能源科技有限公司",
        "enterprise",
        "a@example.com",
    )
    .await;
    need(addr, &owner, json!({"title": "第一条需求"})).await;
    need(addr, &owner, json!({"title": "第二条需求"})).await;
    settle(addr).await;
    let v = search(addr, "q=%20%20", None).await.json();
    assert_eq!(v["total"], 2);
    assert_eq!(
        v["items"][0]["title"], "第二条需求",
        "empty queries list the newest first"
    );
    let punct = search(addr, &format!("q={}", percent_encode("，。！？!!")), None).await;
    assert_eq!(punct.status, 400, "{}", punct.body);
    assert_eq!(punct.json()["type"], "/problems/bad-request");
    let long = search(
        addr,
        &format!("q={}", percent_encode(&"电".repeat(501))),
        None,
    )
    .await;
    assert_eq!(long.status, 400);
    assert_eq!(search(addr, "q=x&type=people", None).await.status, 422);
    assert_eq!(search(addr, "q=x&limit=500", None).await.status, 422);
}
