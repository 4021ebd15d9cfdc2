//! The server over real TCP: health, readiness and the home page.

use qiao_store::testkit::each_backend;
use qiao_tests::{get, import_jsonl, organization_named, review, serve, user_with_token};
use serde_json::json;

#[tokio::test]
async fn health_readiness_and_home_page() {
    each_backend("http::health_readiness_and_home_page", |db| async move {
        let server = serve(&db).await;
        let addr = server.addr;
        let admin = server.first_admin("admin@example.com").await;
        let staff = user_with_token(addr, &admin, "staff@example.com", "staff", None).await;
        let public = json!({"external_id": "n1", "org_name": "琴岛海工装备有限公司",
            "title": "深水系泊链疲劳监测", "fields": "船舶与海工装备", "budget_min": 50, "budget_max": 120});
        let mut secret = public.clone();
        secret["external_id"] = json!("n2");
        secret["title"] = json!("新型密封结构保密需求");
        secret["visibility"] = json!("staff_only");
        let report = import_jsonl(addr, &staff, "needs", &[public, secret]).await;
        assert_eq!(report["new_organizations"], json!(["琴岛海工装备有限公司"]));

        let health = get(addr, "/healthz").await;
        assert_eq!((health.status, health.body.as_str()), (200, "ok"));
        assert_eq!(get(addr, "/readyz").await.status, 200);

        // Imported organizations wait for review: nothing of theirs is public yet.
        let home = get(addr, "/").await;
        assert_eq!(home.status, 200);
        assert!(!home.body.contains("深水系泊链疲劳监测"), "a pending organization's need stays off the page");
        assert!(home.body.contains("data-count=\"needs\">0<"), "counters count only what is visible: {}", home.body);

        let org = organization_named(addr, &staff, "琴岛海工装备有限公司").await;
        review(addr, &staff, org["id"].as_i64().unwrap(), "approved").await;
        let home = get(addr, "/").await;
        assert!(home.header("content-type").unwrap().starts_with("text/html"));
        assert!(home.body.contains("深水系泊链疲劳监测"), "{}", db.label);
        assert!(home.body.contains("data-count=\"needs\">1<"), "the staff-only need is not counted");
        assert!(home.body.contains("50–120 万元"), "budget range in 万元");
        assert!(!home.body.contains("新型密封结构保密需求"), "staff-only needs stay off the public page");
        assert_eq!(get(addr, "/no-such-page").await.status, 404);
        db
    })
    .await;
}
