//! The annual report the bureau sends upward: one workbook of the plan year
//! (summary against targets, projects, events held, organizations involved,
//! funnel). It is written from the same [`Dashboard`] the dashboard shows, so
//! both carry the same numbers.

use crate::dashboard::{Dashboard, Gathered};
use crate::policy::{Action, Resource, authorize};
use crate::{App, Principal, Result};
use chrono::NaiveDate;
use qiao_core::vocab::{OrgKind, Vocabulary};
use qiao_store::plan_facts::PlanFacts;
use qiao_tabular::{Cell, Column, HeaderStyle, Table};
use std::collections::{BTreeMap, HashMap};

/// The sheets, in order.
pub const SHEETS: [&str; 5] = ["概况", "项目", "活动", "参与单位", "漏斗"];

fn col(key: &str, label: &str, width: f64) -> Column {
    Column {
        key: key.into(),
        label: label.into(),
        width,
    }
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn number(v: Option<f64>) -> Cell {
    v.map_or(Cell::Empty, Cell::Number)
}

fn int(v: u64) -> Cell {
    Cell::Int(i64::try_from(v).unwrap_or(i64::MAX))
}

fn date(d: Option<NaiveDate>) -> Cell {
    d.map_or(Cell::Empty, |d| text(d.format("%Y-%m-%d").to_string()))
}

fn summary(d: &Dashboard) -> Table {
    Table {
        columns: vec![
            col("code", "指标代码", 26.0),
            col("label", "指标", 24.0),
            col("unit", "单位", 8.0),
            col("target", "目标", 12.0),
            col("min", "下限", 10.0),
            col("actual", "完成", 12.0),
            col("progress", "完成率", 10.0),
            col("source", "数据来源", 10.0),
            col("as_of", "填报日期", 12.0),
            col("basis", "统计口径", 48.0),
        ],
        rows: d
            .targets
            .iter()
            .map(|t| {
                vec![
                    text(t.code.clone()),
                    text(t.label.clone()),
                    text(t.unit.clone()),
                    Cell::Number(t.target),
                    number(t.min),
                    number(t.actual),
                    number(t.progress),
                    text(t.source_label.clone()),
                    date(t.as_of),
                    text(t.basis.clone()),
                ]
            })
            .collect(),
    }
}

fn projects(
    d: &Dashboard,
    facts: &PlanFacts,
    names: &HashMap<i64, OrgLine>,
    overdue: &HashMap<i64, u64>,
) -> Table {
    let name = |id: i64| names.get(&id).map(|o| o.name.clone()).unwrap_or_default();
    Table {
        columns: vec![
            col("external_id", "外部编号", 14.0),
            col("title", "项目名称", 36.0),
            col("enterprise", "企业", 28.0),
            col("institution", "高校院所", 28.0),
            col("key_project", "重点项目", 8.0),
            col("status", "项目状态", 10.0),
            col("field", "所属领域", 14.0),
            col("district", "所在区市", 10.0),
            col("contract_type", "合同类型", 12.0),
            col("contract_amount", "合同金额（万元）", 14.0),
            col("contract_reg_no", "技术合同登记号", 20.0),
            col("signed_on", "签约日期", 12.0),
            col("overdue", "逾期里程碑", 10.0),
        ],
        rows: facts
            .projects
            .iter()
            .filter(|p| p.fields.plan_year == d.year)
            .map(|p| {
                let f = &p.fields;
                vec![
                    f.external_id.clone().map_or(Cell::Empty, text),
                    text(f.title.clone()),
                    text(name(f.enterprise_org_id)),
                    text(name(f.institution_org_id)),
                    text(if f.key_project { "是" } else { "否" }),
                    text(p.status.label_zh()),
                    f.field.map_or(Cell::Empty, |x| text(x.label_zh())),
                    f.district.clone().map_or(Cell::Empty, text),
                    f.contract_type.map_or(Cell::Empty, |x| text(x.label_zh())),
                    number(f.contract_amount_wan),
                    f.contract_reg_no.clone().map_or(Cell::Empty, text),
                    date(f.signed_on),
                    int(overdue.get(&p.id).copied().unwrap_or(0)),
                ]
            })
            .collect(),
    }
}

fn events(d: &Dashboard) -> Table {
    let china = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let kinds: HashMap<&str, &str> = d
        .events
        .by_kind
        .iter()
        .map(|k| (k.kind.as_str(), k.label.as_str()))
        .collect();
    Table {
        columns: vec![
            col("name", "活动名称", 36.0),
            col("kind", "活动类型", 16.0),
            col("date", "举办日期", 12.0),
            col("participants", "参会单位", 10.0),
            col("meetings_held", "洽谈场次", 10.0),
            col("agreements", "达成合作", 10.0),
            col("projects_opened", "转化项目", 10.0),
        ],
        rows: d
            .events
            .events
            .iter()
            .map(|e| {
                vec![
                    text(e.name.clone()),
                    text(kinds.get(e.kind.as_str()).copied().unwrap_or(&e.kind)),
                    text(
                        e.starts_at
                            .with_timezone(&china)
                            .format("%Y-%m-%d")
                            .to_string(),
                    ),
                    int(e.participants),
                    int(e.meetings_held),
                    int(e.agreements),
                    int(e.projects_opened),
                ]
            })
            .collect(),
    }
}

/// An organization taking part, as the report lists it.
#[derive(Debug, Clone, Default)]
struct OrgLine {
    name: String,
    kind: String,
    region: String,
    projects: u64,
    key_projects: u64,
    needs: u64,
    events: u64,
}

fn organizations(lines: &BTreeMap<i64, OrgLine>) -> Table {
    let mut rows: Vec<&OrgLine> = lines.values().collect();
    rows.sort_by(|a, b| {
        (
            std::cmp::Reverse(a.projects),
            std::cmp::Reverse(a.events),
            &a.name,
        )
            .cmp(&(
                std::cmp::Reverse(b.projects),
                std::cmp::Reverse(b.events),
                &b.name,
            ))
    });
    Table {
        columns: vec![
            col("name", "单位名称", 32.0),
            col("kind", "单位类型", 12.0),
            col("region", "所在区市", 10.0),
            col("projects", "合作项目", 10.0),
            col("key_projects", "重点项目", 10.0),
            col("needs", "发布需求", 10.0),
            col("events", "参加活动", 10.0),
        ],
        rows: rows
            .into_iter()
            .map(|o| {
                vec![
                    text(o.name.clone()),
                    text(o.kind.clone()),
                    text(o.region.clone()),
                    int(o.projects),
                    int(o.key_projects),
                    int(o.needs),
                    int(o.events),
                ]
            })
            .collect(),
    }
}

fn funnel(d: &Dashboard) -> Table {
    Table {
        columns: vec![
            col("code", "阶段代码", 14.0),
            col("label", "阶段", 12.0),
            col("count", "需求数", 10.0),
            col("optional", "可跳过", 8.0),
            col("conversion", "转化率", 10.0),
            col("of_published", "占发布需求", 10.0),
            col("median_days", "间隔天数（中位数）", 16.0),
            col("timed", "计时需求数", 10.0),
        ],
        rows: d
            .funnel
            .iter()
            .map(|s| {
                vec![
                    text(s.code.clone()),
                    text(s.label.clone()),
                    int(s.count),
                    text(if s.optional { "是" } else { "否" }),
                    number(s.conversion),
                    number(s.of_published),
                    number(s.median_days),
                    int(s.timed),
                ]
            })
            .collect(),
    }
}

impl App {
    /// The annual report of a plan year as an .xlsx workbook (staff), with
    /// the dashboard it was written from.
    pub async fn annual_report(&self, who: &Principal, year: i32) -> Result<(Dashboard, Vec<u8>)> {
        authorize(who, Resource::Bureau, Action::Read)?;
        self.annual_report_on(year, crate::projects::today()).await
    }

    /// The report as it stands on `today` (no permission check: the
    /// command line and the benchmark).
    pub async fn annual_report_on(
        &self,
        year: i32,
        today: NaiveDate,
    ) -> Result<(Dashboard, Vec<u8>)> {
        let gathered = self.gather_dashboard(year, today).await?;
        let dashboard = gathered.dashboard();
        let Gathered {
            facts, event_orgs, ..
        } = &gathered;

        // Who took part, and in what.
        let mut lines: BTreeMap<i64, OrgLine> = BTreeMap::new();
        for p in facts.projects.iter().filter(|p| p.fields.plan_year == year) {
            for org in p.partner_orgs() {
                let l = lines.entry(org).or_default();
                l.projects += 1;
                l.key_projects += u64::from(p.fields.key_project);
            }
        }
        for (_, org) in event_orgs {
            lines.entry(*org).or_default().events += 1;
        }
        let cohort: Vec<i64> = facts
            .needs
            .iter()
            .filter(|n| crate::dashboard::china_year(n.published_at) == year)
            .map(|n| n.org_id)
            .collect();
        for org in cohort {
            if let Some(l) = lines.get_mut(&org) {
                l.needs += 1;
            }
        }
        let mut named: Vec<i64> = lines.keys().copied().collect();
        for p in &facts.projects {
            named.push(p.fields.enterprise_org_id);
            named.push(p.fields.institution_org_id);
        }
        named.sort_unstable();
        named.dedup();
        let orgs = self.store().organizations_by_ids(&named).await?;
        let mut names: HashMap<i64, OrgLine> = HashMap::new();
        for (id, o) in &orgs {
            let kind = OrgKind::from_code(&o.kind).map_or(o.kind.clone(), |k| k.label_zh().into());
            let region = o.region_name.clone().unwrap_or_default();
            names.insert(
                *id,
                OrgLine {
                    name: o.name.clone(),
                    kind: kind.clone(),
                    region: region.clone(),
                    ..Default::default()
                },
            );
            if let Some(l) = lines.get_mut(id) {
                l.name = o.name.clone();
                l.kind = kind;
                l.region = region;
            }
        }
        let mut overdue: HashMap<i64, u64> = HashMap::new();
        for o in &facts.overdue {
            *overdue.entry(o.project_id).or_insert(0) += 1;
        }

        let sheets = [
            summary(&dashboard),
            projects(&dashboard, facts, &names, &overdue),
            events(&dashboard),
            organizations(&lines),
            funnel(&dashboard),
        ];
        let named_sheets: Vec<(&str, &Table)> = SHEETS.iter().copied().zip(sheets.iter()).collect();
        let bytes = qiao_tabular::write_workbook_to_bytes(&named_sheets, HeaderStyle::Labels)
            .map_err(|e| crate::Error::Internal(anyhow::anyhow!(e)))?;
        Ok((dashboard, bytes))
    }
}
