//! The year's events held against the stored plan, on the seeds and on
//! every backend: targets come from the plan by code, counts from the
//! events held.

use qiao_app::{App, Config};
use qiao_store::testkit::each_backend;

#[tokio::test]
async fn summary_counts_held_events_against_the_stored_plan() {
    each_backend(
        "events_summary::summary_counts_held_events_against_the_stored_plan",
        |db| async move {
            qiao_app::seeds::load(&db.store, &qiao_app::seeds::seeds_dir())
                .await
                .unwrap();
            let config = Config::new(db.dir.clone(), Some(db.url.clone()));
            let app = App::without_follower(db.store.clone(), config)
                .await
                .unwrap();
            let summary = app.events_summary(2026).await.unwrap();
            let line = |kind: &str| {
                summary
                    .by_kind
                    .iter()
                    .find(|l| l.kind == kind)
                    .unwrap()
                    .clone()
            };
            // The seeds' plan: 3 (at least 2) city-wide, 30 thematic, 12 trainings, 4 international.
            let comprehensive = line("comprehensive");
            assert_eq!(comprehensive.target, Some(3.0), "{}", db.label);
            assert_eq!(comprehensive.min, Some(2.0));
            assert_eq!(line("thematic").target, Some(30.0));
            assert_eq!(line("commissioner_training").target, Some(12.0));
            assert_eq!(line("international").target, Some(4.0));
            assert_eq!(line("thematic").target_code, "thematic_events");
            // Held or closed events of 2026 only; one that is still open does not count.
            let held: u64 = summary.by_kind.iter().map(|l| l.held).sum();
            assert_eq!(held, summary.events_held);
            assert_eq!(summary.events.len() as u64, summary.events_held);
            assert!(summary.events_held >= 2, "{summary:?}");
            assert!(
                summary
                    .events
                    .iter()
                    .all(|e| e.name != "2026年琴岛市现代农业与农机装备专题对接会")
            );
            assert_eq!(
                comprehensive.progress,
                Some(comprehensive.held as f64 / 3.0)
            );

            // A changed plan changes the targets: nothing is hard-coded.
            let mut plan = db.store.plan(2026).await.unwrap().unwrap();
            for t in &mut plan.targets {
                if t.code == "thematic_events" {
                    t.target = 35.0;
                }
            }
            plan.targets.retain(|t| t.code != "international_events");
            db.store
                .save_plan(&plan, &qiao_app::Actor::system("test"))
                .await
                .unwrap();
            let summary = app.events_summary(2026).await.unwrap();
            let line = |kind: &str| summary.by_kind.iter().find(|l| l.kind == kind).unwrap();
            assert_eq!(line("thematic").target, Some(35.0));
            assert_eq!(line("international").target, None);
            assert_eq!(line("international").progress, None);
            // Another year has no plan and no events.
            let empty = app.events_summary(2031).await.unwrap();
            assert_eq!(empty.plan, None);
            assert_eq!(empty.events_held, 0);
            db
        },
    )
    .await;
}
