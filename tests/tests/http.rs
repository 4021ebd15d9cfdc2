//! The server over real TCP: health, readiness and the home page.

use qiao_core::record::{ExternalId, NeedRecord};
use qiao_store::audit::Actor;
use qiao_store::import::Line;
use qiao_store::testkit::{TestDb, each_backend};
use qiao_tests::get;
use std::net::SocketAddr;

async fn start(db: &TestDb) -> SocketAddr {
    qiao_tests::serve(db).await
}

#[tokio::test]
async fn health_readiness_and_home_page() {
    each_backend("http::health_readiness_and_home_page", |db| async move {
        let v = serde_json::json!({"external_id": "n1", "org_name": "琴岛海工装备有限公司",
            "title": "深水系泊链疲劳监测", "fields": "船舶与海工装备", "budget_min": 50, "budget_max": 120});
        let public = NeedRecord::from_map(v.as_object().unwrap(), ExternalId::Required).unwrap();
        let mut secret = public.clone();
        secret.external_id = Some("n2".into());
        secret.title = "新型密封结构保密需求".into();
        secret.visibility = qiao_core::vocab::Visibility::StaffOnly;
        db.store
            .import_needs(
                vec![Line { line: 2, record: public }, Line { line: 3, record: secret }],
                &Actor::system("test"),
                "test",
            )
            .await
            .unwrap();
        let addr = start(&db).await;

        let health = get(addr, "/healthz").await;
        assert_eq!((health.status, health.body.as_str()), (200, "ok"));
        assert_eq!(get(addr, "/readyz").await.status, 200);

        // Imported organizations wait for review: nothing of theirs is public yet.
        let home = get(addr, "/").await;
        assert_eq!(home.status, 200);
        assert!(!home.body.contains("深水系泊链疲劳监测"), "a pending organization's need stays off the page");
        assert!(home.body.contains("data-count=\"needs\">0<"), "counters count only what is visible: {}", home.body);

        let org = db.store.organization_id_by_name("琴岛海工装备有限公司").await.unwrap().unwrap();
        let record = db.store.get_organization(org, qiao_core::Scope::All).await.unwrap().unwrap().record;
        db.store
            .update_organization(org, &record, Some(qiao_core::vocab::ReviewStatus::Approved), None, &Actor::system("test"))
            .await
            .unwrap();
        let home = get(addr, "/").await;
        assert!(home.header("content-type").unwrap().starts_with("text/html"));
        assert!(home.body.contains("深水系泊链疲劳监测"), "{}", db.label);
        assert!(home.body.contains("data-count=\"needs\">1<"), "the staff-only need is not counted");
        assert!(home.body.contains("50–120万元"), "budget range in 万元");
        assert!(!home.body.contains("新型密封结构保密需求"), "staff-only needs stay off the public page");
        assert_eq!(get(addr, "/no-such-page").await.status, 404);
        db
    })
    .await;
}
