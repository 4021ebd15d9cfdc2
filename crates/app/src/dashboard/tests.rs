use super::*;
use crate::plans::Target;
use qiao_core::project::ProjectFields;
use qiao_core::vocab::{Field, ProjectOrigin};
use qiao_store::plan_facts::{NeedFact, NeedMeetingFact, SuggestionFact};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Noon in China on a day.
fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    day(y, m, d).and_hms_opt(4, 0, 0).unwrap().and_utc()
}

fn project(id: i64, status: ProjectStatus, signed_on: Option<NaiveDate>) -> ProjectRow {
    ProjectRow {
        id,
        status,
        fields: ProjectFields {
            external_id: None,
            title: format!("项目{id}"),
            need_id: None,
            capability_id: None,
            meeting_id: None,
            enterprise_org_id: 1,
            institution_org_id: 2,
            partners: vec![],
            origin: ProjectOrigin::Manual,
            plan_year: 2026,
            key_project: true,
            field: Some(Field::NewMaterials),
            district: Some("市南区".into()),
            contract_type: Some(ContractType::Development),
            contract_amount_wan: Some(100.0),
            contract_reg_no: None,
            signed_on,
            expected_end: None,
            published: false,
        },
        termination: None,
        termination_note: None,
        started_on: None,
        completed_on: None,
        version: 1,
        created_at: at(2026, 1, 5),
        updated_at: at(2026, 1, 5),
    }
}

fn empty_events(year: i32) -> EventsSummary {
    EventsSummary {
        year,
        plan: None,
        by_kind: vec![],
        events_held: 0,
        participants: 0,
        meetings_held: 0,
        agreements: 0,
        projects_opened: 0,
        events: vec![],
    }
}

fn target(code: &str, figure: f64) -> Target {
    Target {
        code: code.into(),
        label: code.into(),
        target: figure,
        min: None,
        unit: "项".into(),
    }
}

fn actual(id: i64, code: &str, value: f64, as_of: NaiveDate) -> Actual {
    Actual {
        id,
        code: code.into(),
        value,
        as_of,
        note: String::new(),
        recorded_by: "staff".into(),
        created_at: at(2026, 1, 1),
    }
}

fn dashboard(plan: &Plan, actuals: &[Actual], facts: &PlanFacts, today: NaiveDate) -> Dashboard {
    compute(Inputs {
        year: 2026,
        today,
        plan,
        actuals,
        last_actuals: &[],
        facts,
        events: empty_events(2026),
        last_events: &empty_events(2025),
        event_orgs: &[],
    })
}

#[test]
fn months_to_come_have_no_figure() {
    let dates = [
        day(2026, 1, 3),
        day(2026, 3, 9),
        day(2026, 3, 30),
        day(2025, 12, 1),
    ];
    assert_eq!(
        cumulative(dates.into_iter(), 2026, 4),
        [
            Some(1.0),
            Some(1.0),
            Some(3.0),
            Some(3.0),
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None
        ]
    );
    assert_eq!(months_elapsed(2026, day(2026, 11, 30)), 11);
    assert_eq!(months_elapsed(2026, day(2027, 2, 1)), 12);
    assert_eq!(months_elapsed(2026, day(2025, 2, 1)), 0);
}

#[test]
fn counted_targets_follow_the_records_and_manual_ones_the_latest_entry() {
    let plan = Plan {
        year: 2026,
        name: "计划".into(),
        targets: vec![
            target("key_projects", 4.0),
            target("joint_rd_platforms", 2.0),
            target("instrument_sharing_services", 100.0),
            target("joint_talent_training", 10.0),
        ],
    };
    let mut platform = project(4, ProjectStatus::InProgress, Some(day(2026, 5, 2)));
    platform.fields.key_project = false;
    platform.fields.contract_type = Some(ContractType::JointPlatform);
    let facts = PlanFacts {
        projects: vec![
            project(1, ProjectStatus::Signed, Some(day(2026, 2, 10))),
            // Signed the year before: counts from January.
            project(2, ProjectStatus::Completed, Some(day(2025, 11, 1))),
            // Terminated and unsigned ones do not count.
            project(3, ProjectStatus::Terminated, Some(day(2026, 2, 1))),
            project(5, ProjectStatus::Negotiating, None),
            platform,
        ],
        ..Default::default()
    };
    let actuals = [
        actual(1, "instrument_sharing_services", 40.0, day(2026, 3, 31)),
        // Entered later but dated earlier: the March figure still counts.
        actual(2, "instrument_sharing_services", 25.0, day(2026, 2, 28)),
    ];
    let d = dashboard(&plan, &actuals, &facts, day(2026, 4, 15));
    let key = &d.targets[0];
    assert_eq!(
        (key.source, key.actual, key.progress),
        (Source::Counted, Some(2.0), Some(0.5))
    );
    assert_eq!(
        &key.monthly[..5],
        [Some(1.0), Some(2.0), Some(2.0), Some(2.0), None]
    );
    assert_eq!(d.targets[1].actual, Some(1.0));
    assert_eq!(d.targets[1].monthly[3], Some(0.0));
    let manual = &d.targets[2];
    assert_eq!(manual.source, Source::Manual);
    assert_eq!(
        (manual.actual, manual.as_of),
        (Some(40.0), Some(day(2026, 3, 31)))
    );
    assert_eq!(
        &manual.monthly[..5],
        [None, Some(25.0), Some(40.0), Some(40.0), None]
    );
    // Nobody entered it yet.
    assert_eq!((d.targets[3].actual, d.targets[3].progress), (None, None));
    assert_eq!(d.projects.total, 5);
    assert_eq!(d.projects.contracted, 3);
    assert_eq!(d.projects.key_projects, 4);
    assert_eq!(d.projects.contract_amount, 300.0);
}

#[test]
fn the_funnel_counts_later_stages_and_keeps_the_event_optional() {
    let plan = Plan {
        year: 2026,
        name: "计划".into(),
        targets: vec![],
    };
    let need = |id| NeedFact {
        id,
        org_id: 1,
        published_at: at(2026, 1, 10),
    };
    let suggestion = |need_id, status, decided: Option<DateTime<Utc>>| SuggestionFact {
        need_id,
        created_at: at(2026, 1, 12),
        status,
        decided_at: decided,
    };
    // Need 1: suggested, accepted, met at an event, agreed, signed.
    // Need 2: suggested only. Need 3: nothing. Need 4: a project recorded
    // after the fact (signed before the need was posted), no suggestion.
    // Need 5 was published last year: not in this year's funnel.
    let mut signed = project(1, ProjectStatus::Signed, Some(day(2026, 3, 1)));
    signed.fields.need_id = Some(1);
    signed.created_at = at(2026, 2, 20);
    let mut after_the_fact = project(2, ProjectStatus::Completed, Some(day(2025, 12, 1)));
    after_the_fact.fields.need_id = Some(4);
    after_the_fact.completed_on = Some(day(2026, 6, 1));
    let facts = PlanFacts {
        projects: vec![signed, after_the_fact],
        needs: vec![
            need(1),
            need(2),
            need(3),
            need(4),
            NeedFact {
                id: 5,
                org_id: 1,
                published_at: at(2025, 6, 1),
            },
        ],
        suggestions: vec![
            suggestion(1, SuggestionStatus::Accepted, Some(at(2026, 1, 22))),
            suggestion(2, SuggestionStatus::Suggested, None),
            suggestion(5, SuggestionStatus::Accepted, Some(at(2026, 1, 22))),
        ],
        meetings: vec![NeedMeetingFact {
            need_id: 1,
            held: true,
            slot_start: at(2026, 2, 1),
            agreed: true,
            agreed_on: Some(day(2026, 2, 10)),
        }],
        ..Default::default()
    };
    let d = dashboard(&plan, &[], &facts, day(2026, 12, 31));
    let counts: Vec<(&str, u64)> = d
        .funnel
        .iter()
        .map(|s| (s.code.as_str(), s.count))
        .collect();
    assert_eq!(
        counts,
        [
            ("published", 4),
            ("suggested", 3),
            ("accepted", 2),
            ("met_at_event", 1),
            ("agreement", 2),
            ("signed", 2),
            ("completed", 1)
        ]
    );
    let stage = |code: &str| d.funnel.iter().find(|s| s.code == code).unwrap();
    assert_eq!(stage("suggested").median_days, Some(2.0));
    assert_eq!(stage("accepted").median_days, Some(10.0));
    assert_eq!(stage("accepted").conversion, Some(2.0 / 3.0));
    // Conversion to agreement is from the accepted stage: the event may be skipped.
    assert_eq!(stage("agreement").conversion, Some(1.0));
    assert_eq!(stage("met_at_event").conversion, Some(0.5));
    assert_eq!(stage("met_at_event").median_days, Some(10.0));
    // Need 4 signed before it was agreed on the platform: left out of the median.
    assert_eq!(
        (stage("signed").median_days, stage("signed").timed),
        (Some(19.0), 1)
    );
    assert_eq!(stage("completed").of_published, Some(0.25));
}
