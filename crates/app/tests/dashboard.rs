//! The plan dashboard and the annual report on the demo data, on every
//! backend: event figures equal the events summary's, the report's sheets
//! carry the dashboard's numbers, manual figures count by their date, and
//! the demo shows real progress.

use calamine::{Data, Reader};
use chrono::NaiveDate;
use qiao_app::annual_report::SHEETS;
use qiao_app::dashboard::{Dashboard, Source};
use qiao_app::{App, AuthMethod, Config, Principal};
use qiao_core::vocab::{ProjectStatus, Role, Vocabulary};
use qiao_store::testkit::each_backend;

fn staff() -> Principal {
    Principal {
        id: 1,
        email: "staff@example.com".into(),
        role: Role::Staff,
        org_id: None,
        org_admin: false,
        method: AuthMethod::Token,
    }
}

fn sheet(book: &[u8], name: &str) -> Vec<Vec<Data>> {
    let mut xlsx = calamine::Xlsx::new(std::io::Cursor::new(book)).expect("a workbook");
    let range = xlsx.worksheet_range(name).expect("the sheet");
    range.rows().skip(1).map(|r| r.to_vec()).collect()
}

fn number(cell: &Data) -> Option<f64> {
    match cell {
        Data::Float(f) => Some(*f),
        Data::Int(i) => Some(*i as f64),
        Data::Empty => None,
        other => panic!("not a number: {other:?}"),
    }
}

/// The report's sheets against the dashboard it was written from.
fn assert_report_matches(d: &Dashboard, book: &[u8]) {
    let xlsx = calamine::Xlsx::new(std::io::Cursor::new(book)).expect("a workbook");
    assert_eq!(xlsx.sheet_names(), SHEETS.map(String::from).to_vec());
    let summary = sheet(book, "概况");
    assert_eq!(summary.len(), d.targets.len());
    for (row, t) in summary.iter().zip(&d.targets) {
        assert_eq!(row[0].to_string(), t.code);
        assert_eq!(number(&row[3]), Some(t.target), "{}", t.code);
        assert_eq!(number(&row[5]), t.actual, "{}", t.code);
        assert_eq!(row[7].to_string(), t.source_label);
    }
    assert_eq!(sheet(book, "项目").len() as u64, d.projects.total);
    assert_eq!(sheet(book, "活动").len() as u64, d.events.events_held);
    let meetings: f64 = sheet(book, "活动")
        .iter()
        .map(|r| number(&r[4]).unwrap())
        .sum();
    assert_eq!(meetings, d.events.meetings_held as f64);
    assert_eq!(sheet(book, "参与单位").len() as u64, d.organizations);
    let funnel = sheet(book, "漏斗");
    assert_eq!(funnel.len(), d.funnel.len());
    for (row, s) in funnel.iter().zip(&d.funnel) {
        assert_eq!(row[0].to_string(), s.code);
        assert_eq!(number(&row[2]), Some(s.count as f64), "{}", s.code);
        assert_eq!(number(&row[4]), s.conversion, "{}", s.code);
    }
}

#[tokio::test]
async fn the_dashboard_counts_the_demo_and_the_report_agrees() {
    each_backend(
        "dashboard::the_dashboard_counts_the_demo_and_the_report_agrees",
        |db| async move {
            qiao_app::seeds::load(&db.store, &qiao_app::seeds::seeds_dir())
                .await
                .unwrap();
            let config = Config::new(db.dir.clone(), Some(db.url.clone()));
            let app = App::without_follower(db.store.clone(), config)
                .await
                .unwrap();
            let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
            let d = app.dashboard_on(2026, today).await.unwrap();

            // Event figures are the events summary's, to the number.
            let summary = app.events_summary(2026).await.unwrap();
            assert_eq!(d.events, summary, "{}", db.label);
            assert!(summary.events_held >= 2);
            for line in &summary.by_kind {
                let t = d
                    .targets
                    .iter()
                    .find(|t| t.code == line.target_code)
                    .unwrap();
                assert_eq!(t.actual, Some(line.held as f64), "{}", t.code);
                assert_eq!(t.source, Source::Counted);
            }

            // Real progress: key projects signed this year, by month.
            let key = d.targets.iter().find(|t| t.code == "key_projects").unwrap();
            assert_eq!(key.target, 300.0);
            let contracted_key = db
                .store
                .plan_facts(2026, today)
                .await
                .unwrap()
                .projects
                .iter()
                .filter(|p| p.fields.plan_year == 2026 && p.fields.key_project)
                .filter(|p| p.status.is_contracted())
                .count() as f64;
            assert!(contracted_key >= 3.0, "{contracted_key}");
            assert_eq!(key.actual, Some(contracted_key));
            assert_eq!(key.monthly.len(), 12);
            assert_eq!(key.monthly[10], Some(contracted_key));
            assert_eq!(key.monthly[11], None, "December 2026 is still to come");
            let statuses = d
                .projects
                .key_by_status
                .iter()
                .filter(|c| c.count > 0)
                .count();
            assert!(statuses >= 4, "{:?}", d.projects.key_by_status);
            assert!(!d.projects.by_field.is_empty());
            assert!(!d.overdue_milestones.is_empty());
            assert!(d.overdue_milestones.iter().all(|m| m.due_on < today));
            assert!(d.organizations > 0);
            let terminated = d
                .projects
                .by_status
                .iter()
                .find(|c| c.code == ProjectStatus::Terminated.code())
                .unwrap();
            assert_eq!(terminated.count, d.projects.terminated);

            // Targets the platform cannot count take staff's latest figure by date.
            let code = "instrument_sharing_services";
            let manual = d.targets.iter().find(|t| t.code == code).unwrap();
            assert_eq!((manual.source, manual.actual), (Source::Manual, None));
            let staff = staff();
            let june = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
            let march = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
            app.record_plan_actual(&staff, 2026, code, 9_800.0, june, None)
                .await
                .unwrap();
            app.record_plan_actual(&staff, 2026, code, 4_100.0, march, None)
                .await
                .unwrap();
            let d = app.dashboard_on(2026, today).await.unwrap();
            let manual = d.targets.iter().find(|t| t.code == code).unwrap();
            assert_eq!(manual.actual, Some(9_800.0));
            assert_eq!(manual.as_of, Some(june));
            assert_eq!(manual.source_label, "手工填报");
            assert_eq!(
                &manual.monthly[1..7],
                [
                    None,
                    Some(4_100.0),
                    Some(4_100.0),
                    Some(4_100.0),
                    Some(9_800.0),
                    Some(9_800.0)
                ]
            );

            // The report is written from the same figures.
            let (from_report, book) = app.annual_report_on(2026, today).await.unwrap();
            assert_eq!(from_report, d);
            assert_report_matches(&d, &book);

            // A year without a plan has no dashboard; only staff see one.
            assert!(matches!(
                app.dashboard_on(2031, today).await,
                Err(qiao_app::Error::NotFound)
            ));
            let member = Principal {
                role: Role::Enterprise,
                org_id: Some(1),
                ..staff.clone()
            };
            assert!(matches!(
                app.plan_dashboard(&member, 2026).await,
                Err(qiao_app::Error::Forbidden)
            ));
            assert!(app.annual_report(&member, 2026).await.is_err());
            db
        },
    )
    .await;
}
