//! `/staff/dashboard?year=&target=`: the plan dashboard for staff and
//! admins, from the same `App::plan_dashboard` as
//! `GET /api/v1/plans/{year}/dashboard`. Four ECharts charts (drawn by
//! `charts.js` from `data-chart-option` JSON, written here and escaped as
//! any attribute: canvas, rich-text tooltips, no functions), each followed by a table with the same numbers, which is
//! what screen readers and visitors without JavaScript read.

use crate::server::AppState;
use crate::web::i18n::{self, Lang};
use crate::web::page::Page;
use crate::web::redirect::see_other;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, FixedOffset, NaiveDate, Utc};
use minijinja::context;
use qiao_app::dashboard::{Breakdown, Dashboard, TargetProgress};
use qiao_core::vocab::{Field, ProjectStatus, Vocabulary};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Bars shown per breakdown chart (the table lists them all).
const CHART_BARS: usize = 12;

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct DashboardQuery {
    year: Option<String>,
    target: Option<String>,
}

/// This calendar year in China.
pub fn current_year() -> i32 {
    let china = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    Utc::now().with_timezone(&china).year()
}

/// The year asked for, if it is one plans exist for; else this year.
fn year_of(q: &DashboardQuery) -> i32 {
    q.year
        .as_deref()
        .and_then(|y| y.trim().parse::<i32>().ok())
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or_else(current_year)
}

#[derive(Serialize)]
struct TargetRow {
    code: String,
    label: String,
    target: f64,
    min: Option<f64>,
    actual: Option<f64>,
    /// Per cent, for the progress bar and the table.
    percent: Option<f64>,
    /// The progress bar's value: the per cent, at most 100.
    bar: Option<f64>,
    manual: bool,
    as_of: Option<NaiveDate>,
    unit: String,
    money: bool,
}

fn target_label(t: &TargetProgress, lang: Lang) -> String {
    let key = format!("plan.target.{}", t.code);
    match lang {
        Lang::En if i18n::has(&key) => lang.text(&key).to_string(),
        _ => t.label.clone(),
    }
}

fn target_row(t: &TargetProgress, lang: Lang) -> TargetRow {
    let money = t.unit == "万元";
    let manual = t.source == qiao_app::dashboard::Source::Manual;
    let percent = t.progress.map(|p| (p * 1000.0).round() / 10.0);
    TargetRow {
        code: t.code.clone(),
        label: target_label(t, lang),
        target: t.target,
        min: t.min,
        actual: t.actual,
        percent,
        bar: percent.map(|p| p.min(100.0)),
        manual,
        as_of: t.as_of,
        unit: match lang {
            Lang::Zh if !money => t.unit.clone(),
            _ => String::new(),
        },
        money,
    }
}

fn month_label(m: u32, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("{m}月"),
        Lang::En => NaiveDate::from_ymd_opt(2000, m, 1)
            .map(|d| d.format("%b").to_string())
            .unwrap_or_default(),
    }
}

fn year_label(year: i32, lang: Lang) -> String {
    lang.format("dash.year_label", &[("year", &year.to_string())])
}

/// Chart 1: the share of each target reached, in per cent.
fn progress_option(rows: &[TargetRow], lang: Lang) -> Value {
    let labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
    let values: Vec<Value> = rows.iter().map(|r| json!(r.percent)).collect();
    // 100 % at least, so that a bar's length reads against the whole.
    let max = rows
        .iter()
        .filter_map(|r| r.percent)
        .fold(100.0_f64, f64::max)
        .ceil();
    json!({
        "animation": false,
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "grid": {"left": 8, "right": 40, "top": 8, "bottom": 8, "containLabel": true},
        "xAxis": {"type": "value", "name": "%", "max": max},
        "yAxis": {"type": "category", "inverse": true, "data": labels,
            "axisLabel": {"width": 150, "overflow": "truncate"}},
        "series": [{
            "name": lang.text("dash.col_progress"),
            "type": "bar",
            "data": values,
            "label": {"show": true, "position": "right", "formatter": "{c}%"},
        }],
    })
}

#[derive(Serialize)]
struct CurveRow {
    month: String,
    this_year: Option<f64>,
    last_year: Option<f64>,
}

/// Chart 2: the selected target's cumulative curve against last year's and the target.
fn curve_option(t: &TargetProgress, year: i32, lang: Lang) -> (Value, Vec<CurveRow>) {
    let months: Vec<String> = (1..=12).map(|m| month_label(m, lang)).collect();
    let mut series = vec![json!({
        "name": year_label(year, lang),
        "type": "line",
        "data": t.monthly,
        "markLine": {
            "symbol": "none",
            "data": [{"yAxis": t.target, "name": lang.text("dash.col_target")}],
            "label": {"formatter": format!("{} {{c}}", lang.text("dash.col_target"))},
        },
    })];
    if let Some(last) = &t.last_year {
        series.push(json!({
            "name": year_label(year - 1, lang),
            "type": "line",
            "data": last,
            "lineStyle": {"type": "dashed"},
        }));
    }
    let option = json!({
        "animation": false,
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 56, "top": 36, "bottom": 8, "containLabel": true},
        "xAxis": {"type": "category", "boundaryGap": false, "data": months},
        "yAxis": {"type": "value", "max": "dataMax"},
        "series": series,
    });
    let rows = (0..12)
        .map(|i| CurveRow {
            month: month_label(i as u32 + 1, lang),
            this_year: t.monthly.get(i).copied().flatten(),
            last_year: t
                .last_year
                .as_ref()
                .and_then(|l| l.get(i).copied().flatten()),
        })
        .collect();
    // The target line must show even when the curve stays below it.
    let mut option = option;
    let top = t
        .monthly
        .iter()
        .chain(t.last_year.iter().flatten())
        .flatten()
        .fold(t.target, |a, b| a.max(*b));
    option["yAxis"]["max"] = json!(top);
    (option, rows)
}

#[derive(Serialize)]
struct StageRow {
    code: String,
    label: String,
    count: u64,
    optional: bool,
    conversion: Option<f64>,
    median_days: Option<f64>,
    timed: u64,
}

/// Chart 3: the funnel, in the stages' order (the optional event stage may be narrower).
fn funnel_option(rows: &[StageRow]) -> Value {
    let max = rows.iter().map(|r| r.count).max().unwrap_or(0).max(1);
    let data: Vec<Value> = rows
        .iter()
        .map(|r| json!({"name": r.label, "value": r.count}))
        .collect();
    json!({
        "animation": false,
        "tooltip": {"trigger": "item", "formatter": "{b}：{c}"},
        "series": [{
            "type": "funnel",
            "sort": "none",
            "min": 0,
            "max": max,
            "minSize": "8%",
            "left": "12%",
            "width": "76%",
            "top": 8,
            "bottom": 8,
            "gap": 2,
            "label": {"show": true, "position": "inside", "formatter": "{b} {c}",
                "color": "#fff", "textBorderColor": "#1a3a5c", "textBorderWidth": 2},
            "data": data,
        }],
    })
}

#[derive(Serialize)]
struct BreakdownRow {
    label: String,
    projects: u64,
    key_projects: u64,
    contracted: u64,
    contract_amount: f64,
}

fn breakdown_rows(list: &[Breakdown], lang: Lang, fields: bool) -> Vec<BreakdownRow> {
    list.iter()
        .map(|b| {
            let label = match (&b.code, fields) {
                (Some(code), true) => Field::from_code(code)
                    .map_or(b.label.clone(), |f| f.label(lang.code()).to_string()),
                (Some(_), false) => b.label.clone(),
                (None, _) => lang.text("dash.not_recorded").to_string(),
            };
            BreakdownRow {
                label,
                projects: b.projects,
                key_projects: b.key_projects,
                contracted: b.contracted,
                contract_amount: b.contract_amount,
            }
        })
        .collect()
}

/// Chart 4: projects and contracted projects per field or district.
fn breakdown_option(rows: &[BreakdownRow], lang: Lang) -> Value {
    let shown = &rows[..rows.len().min(CHART_BARS)];
    let labels: Vec<&str> = shown.iter().map(|r| r.label.as_str()).collect();
    json!({
        "animation": false,
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 24, "top": 32, "bottom": 8, "containLabel": true},
        "xAxis": {"type": "value", "minInterval": 1},
        "yAxis": {"type": "category", "inverse": true, "data": labels,
            "axisLabel": {"width": 110, "overflow": "truncate"}},
        "series": [
            {"name": lang.text("dash.col_projects"), "type": "bar",
                "data": shown.iter().map(|r| r.projects).collect::<Vec<_>>()},
            {"name": lang.text("dash.col_contracted"), "type": "bar",
                "data": shown.iter().map(|r| r.contracted).collect::<Vec<_>>()},
        ],
    })
}

#[derive(Serialize)]
struct StatusRow {
    label: String,
    count: u64,
}

fn status_rows(d: &Dashboard, lang: Lang) -> Vec<StatusRow> {
    d.projects
        .key_by_status
        .iter()
        .map(|c| StatusRow {
            label: ProjectStatus::from_code(&c.code)
                .map_or(c.label.clone(), |s| s.label(lang.code()).to_string()),
            count: c.count,
        })
        .collect()
}

fn events_line(d: &Dashboard, lang: Lang) -> String {
    let e = &d.events;
    let n = |v: u64| crate::web::format::number(v as f64, lang);
    lang.format(
        "dash.events_line",
        &[
            ("held", &n(e.events_held)),
            ("participants", &n(e.participants)),
            ("meetings", &n(e.meetings_held)),
            ("agreements", &n(e.agreements)),
            ("projects", &n(e.projects_opened)),
        ],
    )
}

/// The template's context for a dashboard.
fn view(d: &Dashboard, wanted: Option<&str>, lang: Lang) -> minijinja::Value {
    let targets: Vec<TargetRow> = d.targets.iter().map(|t| target_row(t, lang)).collect();
    let selected = wanted
        .and_then(|w| d.targets.iter().find(|t| t.code == w))
        .or_else(|| d.targets.iter().find(|t| t.code == "key_projects"))
        .or_else(|| d.targets.first());
    let curve = selected.map(|t| {
        let (option, rows) = curve_option(t, d.year, lang);
        context! {
            code => t.code,
            label => target_label(t, lang),
            option => option.to_string(),
            rows,
            has_last_year => t.last_year.is_some(),
        }
    });
    let stages: Vec<StageRow> = d
        .funnel
        .iter()
        .map(|s| {
            let key = format!("dash.stage.{}", s.code);
            StageRow {
                code: s.code.clone(),
                label: if i18n::has(&key) {
                    lang.text(&key).to_string()
                } else {
                    s.label.clone()
                },
                count: s.count,
                optional: s.optional,
                conversion: s.conversion.map(|c| (c * 1000.0).round() / 10.0),
                median_days: s.median_days,
                timed: s.timed,
            }
        })
        .collect();
    let fields = breakdown_rows(&d.projects.by_field, lang, true);
    let districts = breakdown_rows(&d.projects.by_district, lang, false);
    let key_projects = d.targets.iter().find(|t| t.code == "key_projects");
    context! {
            missing => false,
            year => d.year,
            plan => d.plan,
            as_of => d.as_of,
            figures => context! {
                projects => d.projects.total,
                key_projects => d.projects.key_projects,
                key_actual => key_projects.and_then(|t| t.actual),
                key_target => key_projects.map(|t| t.target),
                contracted => d.projects.contracted,
                contract_amount => d.projects.contract_amount,
                organizations => d.organizations,
            },
            progress_option => progress_option(&targets, lang).to_string(),
            targets,
            curve,
            funnel_option => funnel_option(&stages).to_string(),
            stages,
            field_option => breakdown_option(&fields, lang).to_string(),
            fields,
            district_option => breakdown_option(&districts, lang).to_string(),
            districts,
            key_by_status => status_rows(d, lang),
            overdue => d.overdue_milestones,
            events_line => events_line(d, lang),
            report_url => format!("/api/v1/plans/{}/report?format=xlsx", d.year),
    }
}

/// `GET /staff/dashboard?year=2026&target=key_projects`.
pub async fn dashboard(
    State(s): State<AppState>,
    page: Page,
    Query(q): Query<DashboardQuery>,
) -> Response {
    let Some(who) = page.principal().cloned() else {
        return see_other(&page.login_url());
    };
    if !who.is_staff() {
        return page.problem(StatusCode::FORBIDDEN);
    }
    let year = year_of(&q);
    match s.app.plan_dashboard(&who, year).await {
        Ok(d) => page.render(
            "staff_dashboard.html",
            view(&d, q.target.as_deref(), page.lang),
        ),
        Err(qiao_app::Error::NotFound) => page.render_status(
            StatusCode::NOT_FOUND,
            "staff_dashboard.html",
            context! { missing => true, year },
        ),
        Err(e) => page.error(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_year_is_a_plan_year_or_this_one() {
        let q = |y: &str| DashboardQuery {
            year: Some(y.into()),
            target: None,
        };
        assert_eq!(year_of(&q("2025")), 2025);
        assert_eq!(year_of(&q("1999")), current_year());
        assert_eq!(year_of(&q("abc")), current_year());
        assert_eq!(year_of(&DashboardQuery::default()), current_year());
    }

    fn sample() -> Dashboard {
        use qiao_app::dashboard::{FunnelStage, ProjectFigures, Source};
        use qiao_app::events::reports::{Count, EventsSummary};
        let target = |code: &str, source: Source| TargetProgress {
            code: code.into(),
            label: "重点产学研合作项目".into(),
            unit: "项".into(),
            target: 300.0,
            min: None,
            actual: Some(48.0),
            progress: Some(0.16),
            source,
            source_label: "平台统计".into(),
            basis: String::new(),
            as_of: NaiveDate::from_ymd_opt(2026, 10, 31),
            monthly: (1..=12)
                .map(|m| (m <= 11).then_some(m as f64 * 4.0))
                .collect(),
            last_year: Some(vec![Some(1.0); 12]),
        };
        let breakdown = Breakdown {
            code: Some("marine".into()),
            label: "海洋".into(),
            projects: 3,
            key_projects: 2,
            contracted: 1,
            contract_amount: 120.0,
        };
        Dashboard {
            year: 2026,
            plan: "2026年度计划".into(),
            as_of: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
            months: 11,
            targets: vec![
                target("key_projects", Source::Counted),
                target("instrument_sharing_services", Source::Manual),
            ],
            projects: ProjectFigures {
                total: 3,
                key_projects: 2,
                contracted: 1,
                completed: 0,
                terminated: 0,
                contract_amount: 120.0,
                by_status: vec![],
                key_by_status: vec![Count {
                    code: "signed".into(),
                    label: "已签约".into(),
                    count: 2,
                }],
                by_field: vec![breakdown.clone()],
                by_district: vec![Breakdown {
                    code: None,
                    ..breakdown
                }],
            },
            overdue_milestones: vec![],
            funnel: vec![FunnelStage {
                code: "published".into(),
                label: "发布需求".into(),
                count: 10,
                optional: false,
                conversion: None,
                of_published: Some(1.0),
                median_days: Some(3.5),
                timed: 4,
            }],
            organizations: 5,
            events: EventsSummary {
                year: 2026,
                plan: None,
                by_kind: vec![],
                events_held: 2,
                participants: 30,
                meetings_held: 12,
                agreements: 3,
                projects_opened: 1,
                events: vec![],
            },
        }
    }

    #[test]
    fn the_template_renders_a_dashboard_in_both_languages() {
        for lang in [Lang::Zh, Lang::En] {
            let ctx = minijinja::value::merge_maps([
                view(&sample(), None, lang),
                context! {
                    lang => lang.code(), html_lang => lang.html(),
                    other_html_lang => lang.other().html(), csrf => "x", path => "/staff/dashboard",
                    user => context! { email => "s@x.cn", role => "staff", staff => true },
                    lang_switch => "/lang", login_url => "/login",
                },
            ]);
            let html = crate::web::templates::render("staff_dashboard.html", ctx)
                .unwrap_or_else(|e| panic!("{e:#}"));
            assert!(
                html.contains("data-figure=\"key_projects_actual\">48<"),
                "{html}"
            );
            assert_eq!(html.matches("data-chart-option=").count(), 5);
        }
    }

    #[test]
    fn months_read_in_both_languages() {
        assert_eq!(month_label(3, Lang::Zh), "3月");
        assert_eq!(month_label(3, Lang::En), "Mar");
    }
}
