//! `qiao bench dashboard`: the plan dashboard and the annual report of 2026
//! on a generated city of the size the issue names. Everything is written
//! into a fresh database through the store's own write paths (the importer
//! for organizations, needs and capabilities; suggestions, events with
//! registrations, meeting requests, the schedule, outcomes and follow-ups,
//! projects with milestones, manual figures), deterministically from the
//! seed:
//!
//! - the plan of `seeds/plan.json` for 2026 and a copy for 2025;
//! - 150 enterprises and 60 universities and institutes, approved;
//! - 600 needs (70% published in 2026, the rest in 2025, 2% drafts) and
//!   800 capabilities (62.5% listed in 2026), dated across their year;
//! - 1,500 match suggestions, 80% for the 2026 needs; 28% accepted, 7%
//!   contacted, 15% rejected;
//! - 40 events held in 2026 (3 city-wide, 24 thematic, 4 international,
//!   9 commissioner trainings) and 8 in 2025, with registrations naming
//!   the organizations' needs and capabilities;
//! - 2,000 meetings at the 2026 events, each from an accepted request
//!   about one of the enterprise's needs, held, with outcomes and (where
//!   cooperation looked possible) follow-ups, some agreed; plus declined
//!   requests;
//! - 300 projects of 2026 (90% key) and 60 of 2025 over every status,
//!   field, district and contract type, from accepted suggestions, agreed
//!   meetings, manual entry and calls, each with 2–4 milestones, some overdue;
//! - manual figures (手工填报) for the targets the platform cannot count.
//!
//! The store stamps records with the clock, so listings, suggestions and
//! projects are re-dated afterwards to their place in the year (the funnel
//! and the monthly curves depend on those dates).
//!
//! Measured: `App::dashboard_on(2026, 2026-11-30)` and
//! `App::annual_report_on` over `runs` runs after 3 warm-ups (p50, p95,
//! max), the parts the dashboard reads, the volumes counted back from the
//! dashboard itself, and `GET /api/v1/plans/2026/dashboard` from `qiao
//! serve` on the same data.

use anyhow::{Context, bail};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use qiao_app::transfer::{self, Kind};
use qiao_app::{App, Config};
use qiao_core::Actor;
use qiao_core::event::Window;
use qiao_core::project::{MilestoneFields, ProjectFields, check_termination};
use qiao_core::region::CITY_DISTRICTS;
use qiao_core::vocab::{
    CapabilityKind, ContractType, EventKind, EventStatus, Field, FollowUpStatus, MeetingOutcome,
    MeetingRequestStatus, OrgKind, ProjectOrigin, ProjectStatus, RejectReason, ReviewStatus,
    TerminationReason, Vocabulary,
};
use qiao_store::Store;
use qiao_store::entities::{capability, match_suggestion, need, project};
use qiao_store::events::meetings::{
    Asked, FollowUp, MeetingSide, NewRequest, Participant, PlacedMeeting, tier_of,
};
use qiao_store::events::{NewEvent, NewRegistration};
use qiao_store::listings::{ListQuery, Scope};
use qiao_store::plans::Plan;
use qiao_store::projects::ProjectDates;
use qiao_store::sea_orm::sea_query::Expr;
use qiao_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use qiao_store::suggestions::{Decision, NewSuggestion};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::time::Instant;

/// The plan year measured.
pub const YEAR: i32 = 2026;

/// The day the dashboard is computed for.
pub fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(YEAR, 11, 30).expect("a date")
}

/// The plan the demo seeds ship, compiled in so the benchmark needs no files.
const PLAN_JSON: &str = include_str!("../../../seeds/plan.json");

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Volumes {
    pub enterprises: usize,
    /// Universities and research institutes.
    pub institutions: usize,
    pub needs: usize,
    pub capabilities: usize,
    pub suggestions: usize,
    /// Projects of the plan year.
    pub projects: usize,
    /// Projects of the year before (last year's curves, old overdue milestones).
    pub last_year_projects: usize,
    /// Events held in the plan year.
    pub events: usize,
    pub last_year_events: usize,
    /// Meetings held at the plan year's events.
    pub meetings: usize,
}

impl Volumes {
    /// The issue's figure: 300 projects, 40 events, 2,000 meetings.
    pub const ISSUE: Self = Self {
        enterprises: 150,
        institutions: 60,
        needs: 600,
        capabilities: 800,
        suggestions: 1_500,
        projects: 300,
        last_year_projects: 60,
        events: 40,
        last_year_events: 8,
        meetings: 2_000,
    };
}

/// What was written, counted by the generator.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Generated {
    pub organizations: usize,
    pub needs: usize,
    /// Needs published (not drafts) in the plan year: the funnel's first stage.
    pub needs_published: usize,
    pub capabilities: usize,
    pub suggestions: usize,
    pub accepted: usize,
    /// Projects of every year.
    pub projects: usize,
    pub projects_this_year: usize,
    pub milestones: usize,
    /// Events of both years.
    pub events: usize,
    pub events_this_year: usize,
    pub registrations: usize,
    pub requests: usize,
    pub meetings: usize,
    pub agreed: usize,
    pub actuals: usize,
}

/// SplitMix64, so a seed gives the same data on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        ((self.unit() * n as f64) as usize).min(n.saturating_sub(1))
    }

    /// lo..=hi.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1).max(1) as usize) as i64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// An index skewed towards the start: a few organizations post most.
    fn skewed(&mut self, n: usize) -> usize {
        ((self.unit().powf(1.6) * n as f64) as usize).min(n - 1)
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }

    /// A day in first..=last.
    fn day(&mut self, first: NaiveDate, last: NaiveDate) -> NaiveDate {
        first + Duration::days(self.range(0, (last - first).num_days().max(0)))
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

/// A time of day in China on `d`, as UTC.
fn china(d: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    (d.and_hms_opt(hour, minute, 0).expect("a time") - Duration::hours(8)).and_utc()
}

fn china_day(t: DateTime<Utc>) -> NaiveDate {
    (t + Duration::hours(8)).date_naive()
}

/// The last day anything has happened on.
fn last_day() -> NaiveDate {
    as_of() - Duration::days(1)
}

fn clamp_day(d: NaiveDate) -> NaiveDate {
    d.min(last_day())
}

const ENTERPRISE_NAMES: [&str; 30] = [
    "海晟", "鼎力", "蓝鲸", "风和", "海泰", "丰源", "华拓", "金桥", "瑞丰", "恒通", "中科", "博远",
    "新锐", "泰和", "汇川", "天润", "澳海", "海纳", "康达", "明德", "正阳", "润泽", "凯盛", "同创",
    "宏远", "北辰", "东方", "浩海", "国信", "智联",
];

/// Enterprise lines of business with their field.
const TRADES: [(&str, Field); 10] = [
    ("数控机床", Field::AdvancedEquipment),
    ("海洋装备", Field::MarineEquipment),
    ("新材料", Field::NewMaterials),
    ("生物医药", Field::Biomedicine),
    ("智能装备", Field::ArtificialIntelligence),
    ("新能源", Field::NewEnergy),
    ("电子科技", Field::ElectronicInformation),
    ("食品", Field::FoodIndustry),
    ("环保科技", Field::EnergySaving),
    ("化工", Field::GreenChemicals),
];

const ACADEMIC_PLACES: [&str; 6] = ["琴岛", "胶东", "黄海", "崂山", "海滨", "齐鲁"];

const ACADEMIC_KINDS: [(&str, OrgKind); 10] = [
    ("理工大学", OrgKind::University),
    ("科技大学", OrgKind::University),
    ("海洋大学", OrgKind::University),
    ("农业大学", OrgKind::University),
    ("医科大学", OrgKind::University),
    ("师范大学", OrgKind::University),
    ("工程学院", OrgKind::University),
    ("材料研究院", OrgKind::ResearchInstitute),
    ("海洋研究所", OrgKind::ResearchInstitute),
    ("产业技术创新研究院", OrgKind::NewRdInstitution),
];

const NEED_TOPICS: [&str; 12] = [
    "关键工艺参数优化",
    "在线检测与质量追溯系统开发",
    "核心部件国产化替代",
    "生产线智能化改造",
    "能耗分析与节能降耗",
    "新产品中试放大",
    "失效分析与寿命预测",
    "数字孪生平台建设",
    "废弃物资源化利用",
    "检测标准与方法研究",
    "核心算法模型开发",
    "关键材料配方改进",
];

const CAPABILITY_TOPICS: [&str; 10] = [
    "先进制造工艺",
    "智能感知与检测",
    "材料改性与表征",
    "过程建模与优化",
    "可靠性与寿命评估",
    "绿色低碳技术",
    "数据驱动的智能决策",
    "精密测量",
    "生物制剂开发",
    "海洋环境监测",
];

const MILESTONES: [&str; 5] = [
    "技术方案设计与评审",
    "样机试制",
    "中试验证",
    "现场应用测试",
    "成果验收",
];

const PEOPLE: [&str; 8] = [
    "王建国",
    "李海宁",
    "张晓琳",
    "刘志强",
    "陈文昊",
    "杨丽华",
    "赵德明",
    "孙立军",
];

/// An organization as generated.
struct Org {
    id: i64,
    name: String,
    field: Field,
    region: String,
}

/// A need or capability as generated, with the time it was published.
struct Listing {
    id: i64,
    ext: String,
    org: usize,
    field: Field,
    title: String,
    at: DateTime<Utc>,
    live: bool,
}

/// An accepted suggestion (a match project may come of it).
struct Accepted {
    need: usize,
    capability: usize,
    on: NaiveDate,
}

/// An agreed meeting follow-up (an event project may come of it).
struct Agreed {
    meeting_id: i64,
    need: Option<usize>,
    capability: Option<usize>,
    enterprise: usize,
    institution: usize,
    on: NaiveDate,
}

/// How an event of a kind is run.
struct Format {
    start: (u32, u32),
    minutes: i64,
    slot_minutes: i64,
    tables: i32,
    capacity: i32,
    enterprises: usize,
    institutions: usize,
    /// Relative share of the year's meetings.
    weight: f64,
    word: &'static str,
}

fn format_of(kind: EventKind) -> Format {
    match kind {
        EventKind::Comprehensive => Format {
            start: (9, 0),
            minutes: 510,
            slot_minutes: 20,
            tables: 16,
            capacity: 400,
            enterprises: 60,
            institutions: 30,
            weight: 150.0,
            word: "产学研合作对接大会",
        },
        EventKind::Thematic => Format {
            start: (13, 30),
            minutes: 240,
            slot_minutes: 20,
            tables: 12,
            capacity: 150,
            enterprises: 25,
            institutions: 12,
            weight: 55.0,
            word: "产学研专题对接会",
        },
        EventKind::International => Format {
            start: (9, 0),
            minutes: 180,
            slot_minutes: 30,
            tables: 12,
            capacity: 120,
            enterprises: 20,
            institutions: 10,
            weight: 40.0,
            word: "国际科技合作对接会",
        },
        EventKind::CommissionerTraining => Format {
            start: (9, 0),
            minutes: 420,
            slot_minutes: 30,
            tables: 4,
            capacity: 80,
            enterprises: 10,
            institutions: 6,
            weight: 8.0,
            word: "科技特派员培训班",
        },
    }
}

/// The kinds of `n` events in the plan's proportions (3 : 24 : 4 : 9 of 40).
fn event_kinds(n: usize, rng: &mut Rng) -> Vec<EventKind> {
    let share = |k: f64| (n as f64 * k / 40.0).round() as usize;
    let comprehensive = share(3.0).max(usize::from(n > 0));
    let international = share(4.0).min(n - comprehensive);
    let training = share(9.0).min(n - comprehensive - international);
    let mut kinds = vec![EventKind::Comprehensive; comprehensive];
    kinds.extend(vec![EventKind::International; international]);
    kinds.extend(vec![EventKind::CommissionerTraining; training]);
    kinds.resize(n, EventKind::Thematic);
    rng.shuffle(&mut kinds);
    kinds
}

/// Splits `total` over events by weight without exceeding any capacity.
fn quotas(total: usize, weights: &[f64], caps: &[usize]) -> anyhow::Result<Vec<usize>> {
    let mut q = vec![0usize; weights.len()];
    let mut left = total;
    while left > 0 {
        let open: Vec<usize> = (0..q.len()).filter(|&e| q[e] < caps[e]).collect();
        if open.is_empty() {
            bail!(
                "the events hold at most {} meetings, not {total}",
                caps.iter().sum::<usize>()
            );
        }
        let w: f64 = open.iter().map(|&e| weights[e]).sum();
        let mut given = 0;
        for &e in &open {
            let add = ((left as f64 * weights[e] / w).floor() as usize).min(caps[e] - q[e]);
            q[e] += add;
            given += add;
        }
        if given == 0 {
            for &e in &open {
                if given == left {
                    break;
                }
                q[e] += 1;
                given += 1;
            }
        }
        left -= given;
    }
    Ok(q)
}

/// Gives each (id, time) record that creation time (and last change).
macro_rules! redate {
    ($tx:expr, $entity:ident, $rows:expr) => {
        for (id, at) in $rows {
            $entity::Entity::update_many()
                .col_expr($entity::Column::CreatedAt, Expr::value(at))
                .col_expr($entity::Column::UpdatedAt, Expr::value(at))
                .filter($entity::Column::Id.eq(id))
                .exec($tx)
                .await?;
        }
    };
}

/// An event written, with how it is run and its day.
struct EventDay {
    id: i64,
    format: Format,
    day: NaiveDate,
}

/// Where the projects come from: shuffled indexes of accepted suggestions
/// (of needs of the plan year and of before) and of agreed meetings.
struct Sources {
    accepted_now: Vec<usize>,
    accepted_before: Vec<usize>,
    agreed: Vec<usize>,
    /// Needs a project names already (one project per need).
    used_needs: HashSet<usize>,
}

/// The generator: what has been written so far, for the steps after.
struct City<'a> {
    store: &'a Store,
    v: Volumes,
    rng: Rng,
    actor: Actor,
    out: Generated,
    orgs: Vec<Org>,
    /// Indexes of `orgs`.
    enterprises: Range<usize>,
    institutions: Range<usize>,
    needs: Vec<Listing>,
    capabilities: Vec<Listing>,
    accepted: Vec<Accepted>,
    /// The plan year's events first.
    events: Vec<EventDay>,
    agreed: Vec<Agreed>,
}

/// Position by id.
fn index_of<T>(items: &[T], id: impl Fn(&T) -> i64) -> HashMap<i64, usize> {
    items.iter().enumerate().map(|(i, t)| (id(t), i)).collect()
}

/// Writes the generated city into `store` (an empty, migrated database).
pub async fn generate(store: &Store, seed: u64, v: &Volumes) -> anyhow::Result<Generated> {
    let mut city = City {
        store,
        v: *v,
        rng: Rng(seed),
        actor: Actor::system("bench"),
        out: Generated::default(),
        orgs: Vec::new(),
        enterprises: 0..v.enterprises,
        institutions: v.enterprises..v.enterprises + v.institutions,
        needs: Vec::new(),
        capabilities: Vec::new(),
        accepted: Vec::new(),
        events: Vec::new(),
        agreed: Vec::new(),
    };
    let plan = city.plans().await?;
    city.organizations().await?;
    city.listings().await?;
    city.suggestions().await?;
    city.events().await?;
    city.meetings().await?;
    city.projects().await?;
    city.actuals(&plan).await?;
    Ok(city.out)
}

impl City<'_> {
    /// The plan of the year and of the year before.
    async fn plans(&mut self) -> anyhow::Result<Plan> {
        let plan: Plan = serde_json::from_str(PLAN_JSON).context("seeds/plan.json")?;
        if plan.year != YEAR {
            bail!("seeds/plan.json is the plan of {}, not {YEAR}", plan.year);
        }
        self.store.save_plan(&plan, &self.actor).await?;
        let last_plan = Plan {
            year: YEAR - 1,
            name: plan
                .name
                .replace(&YEAR.to_string(), &(YEAR - 1).to_string()),
            targets: plan.targets.clone(),
        };
        self.store.save_plan(&last_plan, &self.actor).await?;
        Ok(plan)
    }

    /// Organizations through the importer, then approved as staff would.
    async fn organizations(&mut self) -> anyhow::Result<()> {
        let Self {
            store,
            v,
            rng,
            actor,
            out,
            orgs,
            ..
        } = self;
        let store: &Store = store;
        let mut rows = Vec::new();
        for i in 0..v.enterprises {
            let (trade, field) = TRADES[(i / ENTERPRISE_NAMES.len()) % TRADES.len()];
            let round = i / (ENTERPRISE_NAMES.len() * TRADES.len());
            let name = format!(
                "琴岛{}{}{}有限公司",
                ENTERPRISE_NAMES[i % ENTERPRISE_NAMES.len()],
                trade,
                if round == 0 {
                    String::new()
                } else {
                    format!("第{}", round + 1)
                }
            );
            let region = if rng.chance(0.06) {
                "山东省潍坊市".to_string()
            } else {
                rng.pick(CITY_DISTRICTS).to_string()
            };
            rows.push(super::row(
                rows.len() + 1,
                json!({
                    "external_id": format!("org-e{i:04}"),
                    "name": name,
                    "kind": OrgKind::Enterprise.code(),
                    "region": region,
                    "fields": [field.code()],
                    "description": format!("主要从事{trade}产品的研发与制造，设有企业技术中心。"),
                    "contact_name": rng.pick(&PEOPLE),
                }),
            ));
            orgs.push(Org {
                id: 0,
                name,
                field,
                region,
            });
        }
        for i in 0..v.institutions {
            let (word, kind) = ACADEMIC_KINDS[(i / ACADEMIC_PLACES.len()) % ACADEMIC_KINDS.len()];
            let round = i / (ACADEMIC_PLACES.len() * ACADEMIC_KINDS.len());
            let name = format!(
                "{}{}{}",
                ACADEMIC_PLACES[i % ACADEMIC_PLACES.len()],
                word,
                if round == 0 {
                    String::new()
                } else {
                    format!("（第{}校区）", round + 1)
                }
            );
            let field = *rng.pick(Field::ALL);
            let region = rng.pick(CITY_DISTRICTS).to_string();
            rows.push(super::row(
                rows.len() + 1,
                json!({
                    "external_id": format!("org-u{i:04}"),
                    "name": name,
                    "kind": kind.code(),
                    "region": region,
                    "fields": [field.code(), rng.pick(Field::ALL).code()],
                    "description": "设有省级重点实验室和技术转移中心，承担横向技术合同。",
                    "contact_name": rng.pick(&PEOPLE),
                }),
            ));
            orgs.push(Org {
                id: 0,
                name,
                field,
                region,
            });
        }
        transfer::import_rows(store, Kind::Organizations, rows, actor, "bench")
            .await
            .map_err(super::describe)?;
        let by_name: HashMap<String, usize> = orgs
            .iter()
            .enumerate()
            .map(|(i, o)| (o.name.clone(), i))
            .collect();
        let mut offset = 0;
        loop {
            let q = ListQuery {
                limit: 500,
                offset,
                ..ListQuery::default()
            };
            let page = store.list_organizations(Scope::All, &q).await?.items;
            if page.is_empty() {
                break;
            }
            offset += page.len() as u64;
            for org in page {
                if let Some(&i) = by_name.get(&org.record.name) {
                    orgs[i].id = org.id;
                }
                if org.review_status != ReviewStatus::Approved {
                    store
                        .update_organization(
                            org.id,
                            &org.record,
                            Some(ReviewStatus::Approved),
                            None,
                            actor,
                        )
                        .await?;
                }
            }
        }
        if let Some(o) = orgs.iter().find(|o| o.id == 0) {
            bail!("organization {} was not imported", o.name);
        }
        out.organizations = orgs.len();
        Ok(())
    }

    /// Needs and capabilities through the importer, dated across their year.
    async fn listings(&mut self) -> anyhow::Result<()> {
        let Self {
            store,
            v,
            rng,
            actor,
            out,
            orgs,
            enterprises,
            institutions,
            needs,
            capabilities,
            ..
        } = self;
        let store: &Store = store;
        let this_year = (date(YEAR, 1, 1), last_day());
        let previous_year = (date(YEAR - 1, 1, 1), date(YEAR - 1, 12, 31));
        let needs_now = (v.needs as f64 * 0.7).round() as usize;
        let mut rows = Vec::new();
        for i in 0..v.needs {
            let org = enterprises.start + rng.skewed(enterprises.len());
            let field = if rng.chance(0.8) {
                orgs[org].field
            } else {
                *rng.pick(Field::ALL)
            };
            let (first, last) = if i < needs_now {
                this_year
            } else {
                previous_year
            };
            let day = rng.day(first, last);
            let live = !rng.chance(0.02);
            let title = format!("{}{}", field.label_zh(), rng.pick(&NEED_TOPICS));
            let ext = format!("need-{i:04}");
            let budget = rng.range(2, 40) * 10;
            rows.push(super::row(
                i + 1,
                json!({
                    "external_id": ext,
                    "org_name": orgs[org].name,
                    "title": title,
                    "description": format!("我公司在{}方面遇到技术瓶颈，希望与高校院所合作攻关，形成可在产线上应用的成套方案。", field.label_zh()),
                    "fields": [field.code()],
                    "keywords": [field.label_zh()],
                    "cooperation_modes": ["joint_development"],
                    "budget_min": budget,
                    "budget_max": budget * 2,
                    "status": if live { "published" } else { "draft" },
                }),
            ));
            needs.push(Listing {
                id: 0,
                ext,
                org,
                field,
                title,
                at: china(day, rng.range(9, 17) as u32, rng.range(0, 59) as u32),
                live,
            });
        }
        transfer::import_rows(store, Kind::Needs, rows, actor, "bench")
            .await
            .map_err(super::describe)?;
        let caps_now = (v.capabilities as f64 * 0.625).round() as usize;
        let mut rows = Vec::new();
        for i in 0..v.capabilities {
            let org = institutions.start + rng.skewed(institutions.len());
            let field = if rng.chance(0.6) {
                orgs[org].field
            } else {
                *rng.pick(Field::ALL)
            };
            let (first, last) = if i < caps_now {
                this_year
            } else {
                previous_year
            };
            let day = rng.day(first, last);
            let live = !rng.chance(0.02);
            let kind = *rng.pick(CapabilityKind::ALL);
            let title = format!(
                "{}{}{}",
                field.label_zh(),
                rng.pick(&CAPABILITY_TOPICS),
                kind.label_zh()
            );
            let ext = format!("cap-{i:04}");
            rows.push(super::row(
                i + 1,
                json!({
                    "external_id": ext,
                    "org_name": orgs[org].name,
                    "kind": kind.code(),
                    "title": title,
                    "description": format!("面向{}领域，具备从实验室验证到中试放大的能力，可开展联合攻关与技术服务。", field.label_zh()),
                    "fields": [field.code()],
                    "keywords": [field.label_zh()],
                    "trl": rng.range(3, 8),
                    "status": if live { "published" } else { "draft" },
                }),
            ));
            capabilities.push(Listing {
                id: 0,
                ext,
                org,
                field,
                title,
                at: china(day, rng.range(9, 17) as u32, rng.range(0, 59) as u32),
                live,
            });
        }
        transfer::import_rows(store, Kind::Capabilities, rows, actor, "bench")
            .await
            .map_err(super::describe)?;
        let db = store.conn();
        let need_ids: HashMap<(String, i64), i64> = need::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .filter_map(|m| Some(((m.external_id?, m.org_id), m.id)))
            .collect();
        for n in needs.iter_mut() {
            n.id = need_ids[&(n.ext.clone(), orgs[n.org].id)];
        }
        let cap_ids: HashMap<(String, i64), i64> = capability::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .filter_map(|m| Some(((m.external_id?, m.org_id), m.id)))
            .collect();
        for c in capabilities.iter_mut() {
            c.id = cap_ids[&(c.ext.clone(), orgs[c.org].id)];
        }
        let tx = db.begin().await?;
        redate!(&tx, need, needs.iter().map(|n| (n.id, n.at)));
        redate!(&tx, capability, capabilities.iter().map(|c| (c.id, c.at)));
        tx.commit().await?;
        out.needs = needs.len();
        out.needs_published = needs
            .iter()
            .filter(|n| n.live && n.at.year() == YEAR)
            .count();
        out.capabilities = capabilities.len();
        Ok(())
    }

    /// Suggestions: 80% for this year's needs; staff decide some.
    async fn suggestions(&mut self) -> anyhow::Result<()> {
        let Self {
            store,
            v,
            rng,
            actor,
            out,
            needs,
            capabilities,
            accepted,
            ..
        } = self;
        let store: &Store = store;
        let cap_index = index_of(capabilities, |c| c.id);
        let live_caps: Vec<usize> = (0..capabilities.len())
            .filter(|&c| capabilities[c].live)
            .collect();
        let mut caps_by_field: HashMap<Field, Vec<usize>> = HashMap::new();
        for &c in &live_caps {
            caps_by_field
                .entry(capabilities[c].field)
                .or_default()
                .push(c);
        }
        let (cohort, older): (Vec<usize>, Vec<usize>) = (0..needs.len())
            .filter(|&n| needs[n].live)
            .partition(|&n| needs[n].at.year() == YEAR);
        let mut per_need: Vec<(usize, usize)> = Vec::new();
        let now_share = if older.is_empty() { 1.0 } else { 0.8 };
        for (group, share) in [(&cohort, now_share), (&older, 1.0 - now_share)] {
            if group.is_empty() {
                continue;
            }
            let total = (v.suggestions as f64 * share).round() as usize;
            for (k, &n) in group.iter().enumerate() {
                let count = total / group.len() + usize::from(k < total % group.len());
                per_need.push((n, count.min(live_caps.len())));
            }
        }
        let mut items = Vec::new();
        let mut pairs_of: Vec<usize> = Vec::new();
        for (n, count) in per_need {
            let mut chosen = HashSet::new();
            while chosen.len() < count {
                let same = caps_by_field.get(&needs[n].field).filter(|c| !c.is_empty());
                let c = match same {
                    Some(list) if rng.chance(0.7) => *rng.pick(list),
                    _ => *rng.pick(&live_caps),
                };
                if chosen.insert(c) {
                    items.push(NewSuggestion {
                        need_id: needs[n].id,
                        capability_id: capabilities[c].id,
                        score: 0.3 + 0.7 * rng.unit(),
                        explanation: json!({"bench": true}),
                    });
                    pairs_of.push(n);
                }
            }
        }
        let saved = store.save_suggestions(&items, "bench").await?;
        out.suggestions = saved.len();
        let limit = china(last_day(), 20, 0);
        let mut dates = Vec::new();
        for (s, &n) in saved.iter().zip(&pairs_of) {
            let created = (needs[n].at + Duration::days(rng.range(1, 20)))
                .min(limit)
                .max(needs[n].at);
            let decided = (created + Duration::days(rng.range(1, 25))).min(limit);
            let roll = rng.unit();
            let decision = if roll < 0.28 {
                Some(Decision::Accept {
                    create_project: false,
                    plan_year: needs[n].at.year(),
                    key_project: false,
                })
            } else if roll < 0.35 {
                Some(Decision::Contacted)
            } else if roll < 0.50 {
                Some(Decision::Reject {
                    reason: *rng.pick(RejectReason::ALL),
                    note: String::new(),
                })
            } else {
                None
            };
            if let Some(d) = decision {
                if matches!(d, Decision::Accept { .. }) {
                    accepted.push(Accepted {
                        need: n,
                        capability: cap_index[&s.capability_id],
                        on: china_day(decided),
                    });
                }
                store.decide_suggestion(s.id, d, actor).await?;
                dates.push((s.id, created, Some(decided)));
            } else {
                dates.push((s.id, created, None));
            }
        }
        out.accepted = accepted.len();
        let tx = store.conn().begin().await?;
        for (id, created, decided) in dates {
            match_suggestion::Entity::update_many()
                .col_expr(match_suggestion::Column::CreatedAt, Expr::value(created))
                .col_expr(match_suggestion::Column::DecidedAt, Expr::value(decided))
                .filter(match_suggestion::Column::Id.eq(id))
                .exec(&tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Events with registrations: the plan year's spread from January to
    /// late November, last year's over its twelve months.
    async fn events(&mut self) -> anyhow::Result<()> {
        let Self {
            store,
            v,
            rng,
            actor,
            out,
            orgs,
            enterprises,
            institutions,
            needs,
            capabilities,
            events,
            ..
        } = self;
        let store: &Store = store;
        for (year, n) in [(YEAR, v.events), (YEAR - 1, v.last_year_events)] {
            let span = if year == YEAR { 315 } else { 350 };
            for (k, kind) in event_kinds(n, rng).into_iter().enumerate() {
                let f = format_of(kind);
                let day = date(year, 1, 8)
                    + Duration::days((k as i64 * span) / n as i64 + rng.range(0, 3));
                let starts_at = china(day, f.start.0, f.start.1);
                let ends_at = starts_at + Duration::minutes(f.minutes);
                let themes: Vec<Field> = match kind {
                    EventKind::Comprehensive => Field::ALL.to_vec(),
                    _ => {
                        let mut t: Vec<Field> = (0..rng.range(1, 3))
                            .map(|_| *rng.pick(Field::ALL))
                            .collect();
                        t.sort();
                        t.dedup();
                        t
                    }
                };
                // Enterprises that have published a need by then come first.
                let (mut with_needs, mut without): (Vec<usize>, Vec<usize>) =
                    enterprises.clone().partition(|&e| {
                        needs
                            .iter()
                            .any(|n| n.org == e && n.live && n.at < starts_at)
                    });
                rng.shuffle(&mut with_needs);
                rng.shuffle(&mut without);
                with_needs.extend(without);
                with_needs.truncate(f.enterprises);
                let mut academics: Vec<usize> = institutions.clone().collect();
                rng.shuffle(&mut academics);
                academics.truncate(f.institutions);
                let registrations = with_needs
                    .iter()
                    .map(|&o| (o, true))
                    .chain(academics.iter().map(|&o| (o, false)))
                    .map(|(o, enterprise)| {
                        let listings = if enterprise { &*needs } else { &*capabilities };
                        let mut mine: Vec<&Listing> = listings
                            .iter()
                            .filter(|l| l.org == o && l.live && l.at < starts_at)
                            .collect();
                        mine.sort_by_key(|l| std::cmp::Reverse(l.at));
                        let ext: Vec<String> =
                            mine.iter().take(3).map(|l| l.ext.clone()).collect();
                        NewRegistration {
                            org_name: orgs[o].name.clone(),
                            attendees: json!([{"name": rng.pick(&PEOPLE), "title": "技术负责人", "phone": ""}]),
                            need_external_ids: if enterprise { ext.clone() } else { vec![] },
                            capability_external_ids: if enterprise { vec![] } else { ext },
                            availability: json!([]),
                            validated: rng.chance(0.92),
                        }
                    })
                    .collect::<Vec<_>>();
                out.registrations += registrations.len();
                let id = store
                    .create_event(
                        NewEvent {
                            external_id: Some(format!("evt-{year}-{:02}", k + 1)),
                            name: format!(
                                "{year}年琴岛市{}{}（第{}场）",
                                if themes.len() == 1 {
                                    themes[0].label_zh()
                                } else {
                                    ""
                                },
                                f.word,
                                k + 1
                            ),
                            kind,
                            themes,
                            starts_at,
                            ends_at,
                            venue: "琴岛国际会议中心".into(),
                            slot_minutes: f.slot_minutes as i32,
                            tables: f.tables,
                            capacity: f.capacity,
                            status: if rng.chance(0.5) {
                                EventStatus::Held
                            } else {
                                EventStatus::Closed
                            },
                            published: true,
                            registrations,
                        },
                        actor,
                    )
                    .await?;
                out.events += 1;
                if year == YEAR {
                    out.events_this_year += 1;
                }
                events.push(EventDay { id, format: f, day });
            }
        }
        Ok(())
    }

    /// The year's meetings, shared over its events by format and capacity.
    async fn meetings(&mut self) -> anyhow::Result<()> {
        let org_index = index_of(&self.orgs, |o| o.id);
        let mut participants: Vec<(Vec<Participant>, Vec<Participant>)> = Vec::new();
        let mut caps = Vec::new();
        let mut weights = Vec::new();
        for e in &self.events[..self.out.events_this_year] {
            let f = &e.format;
            let (ents, acads): (Vec<Participant>, Vec<Participant>) = self
                .store
                .event_participants(e.id)
                .await?
                .into_iter()
                .filter(Participant::meets)
                .partition(|p| {
                    org_index
                        .get(&p.org_id)
                        .is_some_and(|o| self.enterprises.contains(o))
                });
            let slots = (f.minutes / f.slot_minutes) as f64;
            let (n_e, n_a) = (ents.len() as f64, acads.len() as f64);
            let cap = (0.75 * slots * f.tables as f64)
                .min(0.6 * n_e * n_a)
                .min(0.75 * n_a * slots)
                .min(0.75 * n_e * slots);
            caps.push(cap.max(0.0) as usize);
            weights.push(f.weight);
            participants.push((ents, acads));
        }
        let quota = quotas(self.v.meetings, &weights, &caps)?;
        for (k, (ents, acads)) in participants.iter().enumerate() {
            self.meetings_at(k, quota[k], ents, acads).await?;
        }
        self.out.agreed = self.agreed.len();
        Ok(())
    }

    /// `quota` meetings at event `k` between its confirmed enterprises and
    /// universities: requests (a tenth more, declined), accepted, placed,
    /// published, held and followed up.
    async fn meetings_at(
        &mut self,
        k: usize,
        quota: usize,
        ents: &[Participant],
        acads: &[Participant],
    ) -> anyhow::Result<()> {
        let org_index = index_of(&self.orgs, |o| o.id);
        let need_index = index_of(&self.needs, |n| n.id);
        let cap_index = index_of(&self.capabilities, |c| c.id);
        let Self {
            store,
            rng,
            actor,
            out,
            events,
            agreed,
            ..
        } = self;
        let store: &Store = store;
        let EventDay { id, format: f, day } = &events[k];
        let starts_at = china(*day, f.start.0, f.start.1);
        let slots: Vec<Window> = (0..f.minutes / f.slot_minutes)
            .map(|s| Window {
                start: starts_at + Duration::minutes(s * f.slot_minutes),
                end: starts_at + Duration::minutes((s + 1) * f.slot_minutes),
            })
            .collect();
        let mut busy: HashSet<(i64, usize)> = HashSet::new();
        let mut tables_used = vec![0i32; slots.len()];
        let mut pairs: HashSet<(usize, usize)> = HashSet::new();
        // (enterprise participant, academic participant, slot, table)
        let mut placed: Vec<(usize, usize, usize, i32)> = Vec::new();
        let mut attempts = 0usize;
        while placed.len() < quota {
            attempts += 1;
            if attempts > 5_000 * quota.max(1) {
                bail!("could not place {quota} meetings at event {id}");
            }
            let (e, a) = (rng.below(ents.len()), rng.below(acads.len()));
            if pairs.contains(&(e, a)) {
                continue;
            }
            let (re, ra) = (ents[e].registration_id, acads[a].registration_id);
            let first = rng.below(slots.len());
            let free = (0..slots.len())
                .map(|s| (first + s) % slots.len())
                .find(|&s| {
                    tables_used[s] < f.tables
                        && !busy.contains(&(re, s))
                        && !busy.contains(&(ra, s))
                });
            let Some(s) = free else { continue };
            pairs.insert((e, a));
            busy.insert((re, s));
            busy.insert((ra, s));
            tables_used[s] += 1;
            placed.push((e, a, s, tables_used[s]));
        }
        // A tenth as many requests again are declined.
        let mut declined: Vec<(usize, usize)> = Vec::new();
        let max_pairs = ents.len() * acads.len();
        while declined.len() < quota / 10 && pairs.len() < max_pairs {
            let (e, a) = (rng.below(ents.len()), rng.below(acads.len()));
            if pairs.insert((e, a)) {
                declined.push((e, a));
            }
        }
        // A third asked by the enterprises themselves, the rest proposed by staff.
        let mut drafts = Vec::new();
        let mut request_of: HashMap<(i64, i64), i64> = HashMap::new();
        let mut about: HashMap<(usize, usize), (Option<i64>, Option<i64>)> = HashMap::new();
        let all_pairs: Vec<(usize, usize)> = placed
            .iter()
            .map(|&(e, a, _, _)| (e, a))
            .chain(declined.iter().copied())
            .collect();
        for &(e, a) in &all_pairs {
            let r = NewRequest {
                event_id: *id,
                from_registration: ents[e].registration_id,
                to_registration: acads[a].registration_id,
                reason: "围绕企业技术需求洽谈合作".into(),
                need_id: (!ents[e].need_ids.is_empty()).then(|| *rng.pick(&ents[e].need_ids)),
                capability_id: (!acads[a].capability_ids.is_empty())
                    .then(|| *rng.pick(&acads[a].capability_ids)),
                weight: 0.2 + 0.8 * rng.unit(),
            };
            about.insert((e, a), (r.need_id, r.capability_id));
            if rng.chance(0.35) {
                let asked = store.ask_for_meeting(&r, actor).await?;
                let (Asked::Created(row) | Asked::Merged(row)) = asked;
                request_of.insert((r.from_registration, r.to_registration), row.request.id);
            } else {
                drafts.push(r);
            }
        }
        if !drafts.is_empty() {
            store.insert_draft_requests(*id, &drafts, actor).await?;
            for row in store.send_draft_requests(*id, None, actor).await? {
                request_of.insert(
                    (row.request.from_registration, row.request.to_registration),
                    row.request.id,
                );
            }
        }
        out.requests += all_pairs.len();
        let request_id = |e: usize, a: usize| {
            request_of
                .get(&(ents[e].registration_id, acads[a].registration_id))
                .copied()
                .context("a request was not stored")
        };
        for &(e, a) in &declined {
            store
                .move_meeting_request(
                    request_id(e, a)?,
                    &[MeetingRequestStatus::Pending],
                    MeetingRequestStatus::Declined,
                    Some("时间冲突".into()),
                    "decline",
                    actor,
                )
                .await?;
        }
        let mut schedule = Vec::new();
        for &(e, a, s, table) in &placed {
            let row = store
                .move_meeting_request(
                    request_id(e, a)?,
                    &[MeetingRequestStatus::Pending],
                    MeetingRequestStatus::Accepted,
                    None,
                    "accept",
                    actor,
                )
                .await?;
            schedule.push(PlacedMeeting {
                request_id: row.request.id,
                registration_a: row.request.from_registration,
                registration_b: row.request.to_registration,
                slot: slots[s],
                table_no: table,
                tier: tier_of(&row.request),
                weight: row.request.weight,
            });
        }
        let version = store.event(*id).await?.context("the event")?.version;
        store
            .write_schedule(
                *id,
                version,
                &schedule,
                |w| json!({"inserted": w.inserted, "source": "bench"}),
                actor,
            )
            .await?;
        store.publish_meetings(*id, actor).await?;

        // Outcomes from both sides (some from one), follow-ups where
        // cooperation looked possible.
        let requests: HashMap<i64, (usize, usize)> = placed
            .iter()
            .filter_map(|&(e, a, _, _)| Some((request_id(e, a).ok()?, (e, a))))
            .collect();
        let outcome = |rng: &mut Rng| match rng.unit() {
            x if x < 0.35 => MeetingOutcome::Potential,
            x if x < 0.75 => MeetingOutcome::Exchange,
            x if x < 0.95 => MeetingOutcome::NoInterest,
            _ => MeetingOutcome::NotHeld,
        };
        for m in store.event_meetings(*id).await? {
            let (mut a, b) = (outcome(rng), outcome(rng));
            if a == MeetingOutcome::NotHeld && b == MeetingOutcome::NotHeld {
                a = MeetingOutcome::Exchange;
            }
            let one_side = rng.chance(0.15);
            for (side, o) in [(MeetingSide::A, a), (MeetingSide::B, b)] {
                if one_side && o == MeetingOutcome::NotHeld {
                    continue;
                }
                store
                    .record_meeting_outcome(m.id, side, o, None, actor)
                    .await?;
                if one_side {
                    break;
                }
            }
            out.meetings += 1;
            let potential = [a, b].contains(&MeetingOutcome::Potential);
            if !(potential && rng.chance(0.85)) {
                continue;
            }
            let status = match rng.unit() {
                x if x < 0.45 => FollowUpStatus::Agreed,
                x if x < 0.85 => FollowUpStatus::Negotiating,
                _ => FollowUpStatus::NotContacted,
            };
            let due_on = clamp_day(*day + Duration::days(rng.range(14, 75)));
            store
                .record_meeting_follow_up(
                    m.id,
                    &FollowUp {
                        due_on,
                        status,
                        note: None,
                    },
                    None,
                    actor,
                )
                .await?;
            if status == FollowUpStatus::Agreed
                && let Some(&(e, a)) = m.request_id.and_then(|r| requests.get(&r))
            {
                let (need_id, cap_id) = about.get(&(e, a)).copied().unwrap_or_default();
                agreed.push(Agreed {
                    meeting_id: m.id,
                    need: need_id.and_then(|n| need_index.get(&n).copied()),
                    capability: cap_id.and_then(|c| cap_index.get(&c).copied()),
                    enterprise: org_index[&ents[e].org_id],
                    institution: org_index[&acads[a].org_id],
                    on: due_on,
                });
            }
        }
        Ok(())
    }

    /// Projects of the plan year and of the year before, with milestones.
    async fn projects(&mut self) -> anyhow::Result<()> {
        let (mut accepted_now, mut accepted_before): (Vec<usize>, Vec<usize>) =
            (0..self.accepted.len())
                .partition(|&a| self.needs[self.accepted[a].need].at.year() == YEAR);
        self.rng.shuffle(&mut accepted_now);
        self.rng.shuffle(&mut accepted_before);
        let mut agreed: Vec<usize> = (0..self.agreed.len()).collect();
        self.rng.shuffle(&mut agreed);
        let mut sources = Sources {
            accepted_now,
            accepted_before,
            agreed,
            used_needs: HashSet::new(),
        };
        let mut created_at: Vec<(i64, DateTime<Utc>)> = Vec::new();
        let plan_years = std::iter::repeat_n(YEAR, self.v.projects)
            .chain(std::iter::repeat_n(YEAR - 1, self.v.last_year_projects));
        for (i, plan_year) in plan_years.enumerate() {
            created_at.push(self.project(i, plan_year, &mut sources).await?);
        }
        let tx = self.store.conn().begin().await?;
        redate!(&tx, project, created_at);
        tx.commit().await?;
        Ok(())
    }

    /// One project with its milestones; returns its id and creation time.
    async fn project(
        &mut self,
        i: usize,
        plan_year: i32,
        sources: &mut Sources,
    ) -> anyhow::Result<(i64, DateTime<Utc>)> {
        let Self {
            store,
            rng,
            actor,
            out,
            orgs,
            enterprises,
            institutions,
            needs,
            capabilities,
            accepted,
            agreed,
            ..
        } = self;
        let store: &Store = store;
        let current = plan_year == YEAR;
        let status = {
            let x = rng.unit();
            let table: &[(f64, ProjectStatus)] = if current {
                &[
                    (0.10, ProjectStatus::Planned),
                    (0.25, ProjectStatus::Negotiating),
                    (0.45, ProjectStatus::Signed),
                    (0.78, ProjectStatus::InProgress),
                    (0.90, ProjectStatus::Completed),
                    (1.01, ProjectStatus::Terminated),
                ]
            } else {
                &[
                    (0.10, ProjectStatus::Signed),
                    (0.45, ProjectStatus::InProgress),
                    (0.90, ProjectStatus::Completed),
                    (1.01, ProjectStatus::Terminated),
                ]
            };
            table
                .iter()
                .find(|(p, _)| x < *p)
                .map(|(_, s)| *s)
                .expect("a status")
        };
        let year_span = if current {
            (date(YEAR, 1, 1), date(YEAR, 10, 31))
        } else {
            (date(YEAR - 1, 1, 1), date(YEAR - 1, 11, 30))
        };
        let year_end = if current {
            last_day()
        } else {
            date(YEAR - 1, 12, 31)
        };
        // Where the project came from, and the day it did.
        let roll = rng.unit();
        let pool = if current {
            &mut sources.accepted_now
        } else {
            &mut sources.accepted_before
        };
        let from_match = roll < 0.35 && !pool.is_empty();
        let from_meeting = !from_match && roll < 0.60 && current && !sources.agreed.is_empty();
        let (origin, enterprise, institution, need_i, cap_i, meeting_id, anchor) = if from_match {
            let a = &accepted[pool.pop().expect("not empty")];
            let c = a.capability;
            (
                ProjectOrigin::Match,
                needs[a.need].org,
                capabilities[c].org,
                Some(a.need),
                Some(c),
                None,
                a.on,
            )
        } else if from_meeting {
            let a = &agreed[sources.agreed.pop().expect("not empty")];
            (
                ProjectOrigin::EventMeeting,
                a.enterprise,
                a.institution,
                a.need.filter(|n| needs[*n].org == a.enterprise),
                a.capability,
                Some(a.meeting_id),
                a.on,
            )
        } else {
            (
                if rng.chance(0.6) {
                    ProjectOrigin::Manual
                } else {
                    ProjectOrigin::Call
                },
                enterprises.start + rng.skewed(enterprises.len()),
                institutions.start + rng.below(institutions.len()),
                None,
                None,
                None,
                rng.day(year_span.0, year_span.1),
            )
        };
        let need_i = need_i.filter(|n| sources.used_needs.insert(*n));
        let created = clamp_day(anchor + Duration::days(rng.range(3, 30))).min(year_end);
        let signs =
            status.is_contracted() || (status == ProjectStatus::Terminated && rng.chance(0.5));
        let signed_on =
            signs.then(|| clamp_day(created + Duration::days(rng.range(5, 60))).min(year_end));
        let started_on = matches!(status, ProjectStatus::InProgress | ProjectStatus::Completed)
            .then(|| clamp_day(signed_on.unwrap_or(created) + Duration::days(rng.range(0, 20))));
        let completed_on = (status == ProjectStatus::Completed).then(|| {
            let from = started_on.unwrap_or(created) + Duration::days(30);
            if from >= last_day() {
                last_day()
            } else {
                rng.day(from, last_day())
            }
        });
        let field = need_i
            .map(|n| needs[n].field)
            .or_else(|| cap_i.map(|c| capabilities[c].field))
            .unwrap_or_else(|| *rng.pick(Field::ALL));
        let title = need_i
            .map(|n| needs[n].title.clone())
            .or_else(|| cap_i.map(|c| format!("{}转化应用", capabilities[c].title)))
            .unwrap_or_else(|| format!("{}{}合作项目", field.label_zh(), rng.pick(&NEED_TOPICS)));
        let mut partners = Vec::new();
        if rng.chance(0.1) {
            let p = institutions.start + rng.below(institutions.len());
            if p != institution {
                partners.push(orgs[p].id);
            }
        }
        let fields = ProjectFields {
            external_id: Some(format!("prj-{plan_year}-{i:04}")),
            title,
            need_id: need_i.map(|n| needs[n].id),
            capability_id: cap_i.map(|c| capabilities[c].id),
            meeting_id,
            enterprise_org_id: orgs[enterprise].id,
            institution_org_id: orgs[institution].id,
            partners,
            origin,
            plan_year,
            key_project: rng.chance(if current { 0.9 } else { 0.8 }),
            field: Some(field),
            district: (!rng.chance(0.05)).then(|| orgs[enterprise].region.clone()),
            contract_type: signs.then(|| *rng.pick(ContractType::ALL)),
            contract_amount_wan: signs.then(|| rng.range(1_000, 100_000) as f64 / 100.0),
            contract_reg_no: signs.then(|| format!("370212{plan_year}{i:06}")),
            signed_on,
            expected_end: signed_on.map(|d| d + Duration::days(365)),
            published: false,
        };
        let termination =
            (status == ProjectStatus::Terminated).then(|| *rng.pick(TerminationReason::ALL));
        let mut errors = fields.check(status);
        errors.extend(check_termination(status, termination));
        if let Some(e) = errors.first() {
            bail!("generated project {i}: {}: {}", e.field, e.message);
        }
        let p = store
            .insert_project(
                &fields,
                status,
                ProjectDates {
                    started_on,
                    completed_on,
                    termination,
                },
                actor,
            )
            .await?;
        out.projects += 1;
        if current {
            out.projects_this_year += 1;
        }
        // Due every month or two from signing; done on time or late, or
        // still open (overdue once past due).
        let base = signed_on.unwrap_or(created);
        for k in 1..=rng.range(2, 4) {
            let due_on = base + Duration::days(k * rng.range(45, 75));
            let done_on = if let Some(end) = completed_on {
                Some(due_on.min(end))
            } else if due_on < as_of() && rng.chance(0.65) {
                Some(clamp_day(due_on - Duration::days(rng.range(0, 10))).max(base))
            } else {
                None
            };
            let m = MilestoneFields {
                title: MILESTONES[(k as usize - 1) % MILESTONES.len()].to_string(),
                due_on,
                done_on,
                evidence: if done_on.is_some() {
                    "阶段验收报告".into()
                } else {
                    String::new()
                },
            };
            if let Some(e) = m.check().first() {
                bail!("generated milestone: {}: {}", e.field, e.message);
            }
            store.insert_milestone(p.id, &m, actor).await?;
            out.milestones += 1;
        }
        Ok((p.id, china(created, 10, 0)))
    }

    /// Manual figures, quarter by quarter, for the targets the platform cannot count.
    async fn actuals(&mut self, plan: &Plan) -> anyhow::Result<()> {
        let counted: Vec<&str> = EventKind::ALL
            .iter()
            .map(|k| k.plan_target_code())
            .chain([
                "key_projects",
                "university_transfer_projects",
                "joint_rd_platforms",
                "published_needs",
                "listed_achievements",
            ])
            .collect();
        for t in plan
            .targets
            .iter()
            .filter(|t| !counted.contains(&t.code.as_str()))
        {
            for (year, points) in [
                (
                    YEAR,
                    [(3, 31, 0.18), (6, 30, 0.42), (9, 30, 0.66), (11, 20, 0.81)],
                ),
                (
                    YEAR - 1,
                    [(3, 31, 0.2), (6, 30, 0.45), (9, 30, 0.7), (12, 31, 0.98)],
                ),
            ] {
                for (m, d, share) in points {
                    let value = (t.target * share * (0.9 + 0.2 * self.rng.unit())).round();
                    self.store
                        .record_actual(
                            year,
                            &t.code,
                            value,
                            date(year, m, d),
                            "季度统计",
                            &self.actor,
                        )
                        .await?;
                    self.out.actuals += 1;
                }
            }
        }
        Ok(())
    }
}

/// p50, p95 and max of `ms` (nearest rank).
fn percentiles(mut ms: Vec<f64>) -> (f64, f64, f64) {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((q * ms.len() as f64).ceil() as usize).clamp(1, ms.len()) - 1];
    (at(0.5), at(0.95), ms[ms.len() - 1])
}

/// Runs `f` 3 times unmeasured, then `runs` times; the times in ms.
async fn measure<T, F, Fut>(runs: usize, mut f: F) -> anyhow::Result<(Vec<f64>, T)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    for _ in 0..3 {
        f().await?;
    }
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let started = Instant::now();
        let value = f().await?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        last = Some(value);
    }
    Ok((times, last.context("no runs")?))
}

fn figures(times: Vec<f64>) -> String {
    let (p50, p95, max) = percentiles(times);
    format!("p50 {p50:.1} ms, p95 {p95:.1} ms, max {max:.1} ms")
}

/// Generates the city into a fresh database and measures the dashboard and the report.
pub async fn run(config: &Config, seed: u64, runs: usize) -> anyhow::Result<()> {
    let runs = runs.max(1);
    let store = config.open_store().await?;
    if !store.is_empty().await? {
        bail!("qiao bench dashboard needs an empty database; give it a fresh --data-dir");
    }
    let backend = if config.is_sqlite() {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    let started = Instant::now();
    let g = generate(&store, seed, &Volumes::ISSUE).await?;
    let generation = started.elapsed().as_secs_f64();
    println!(
        "generated (seed {seed}, {backend}) in {generation:.1} s: {} organizations, {} needs ({} published in {YEAR}), {} capabilities, {} suggestions ({} accepted), {} events ({} in {YEAR}) with {} registrations, {} meeting requests, {} meetings ({} agreed), {} projects ({} of {YEAR}) with {} milestones, {} manual figures",
        g.organizations,
        g.needs,
        g.needs_published,
        g.capabilities,
        g.suggestions,
        g.accepted,
        g.events,
        g.events_this_year,
        g.registrations,
        g.requests,
        g.meetings,
        g.agreed,
        g.projects,
        g.projects_this_year,
        g.milestones,
        g.actuals,
    );
    let started = Instant::now();
    let app = App::without_follower(store.clone(), config.clone()).await?;
    println!(
        "application opened in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    measure_app(&app, &store, runs).await?;
    // The server opens the data directory itself.
    drop(app);
    http(config, &store, runs).await
}

async fn measure_app(app: &App, store: &Store, runs: usize) -> anyhow::Result<()> {
    let today = as_of();
    let (times, d) = measure(runs, move || async move {
        Ok(app.dashboard_on(YEAR, today).await?)
    })
    .await?;
    let (p50, _, _) = percentiles(times.clone());
    let stage = |code: &str| {
        d.funnel
            .iter()
            .find(|s| s.code == code)
            .map_or(0, |s| s.count)
    };
    println!(
        "counted back from the dashboard: projects.total {}, events.events_held {}, events.meetings_held {}, funnel published {} (met at an event {}), overdue milestones {}, organizations {}",
        d.projects.total,
        d.events.events_held,
        d.events.meetings_held,
        stage("published"),
        stage("met_at_event"),
        d.overdue_milestones.len(),
        d.organizations,
    );
    println!(
        "dashboard_on({YEAR}, {today}): {runs} runs after 3 warm-ups: {}; target ≤ 50 ms: {}",
        figures(times),
        if p50 <= 50.0 { "met" } else { "missed" }
    );

    // What the dashboard reads, one part at a time (p50 each).
    let (plan_facts, _) = measure(runs, move || async move {
        Ok(store.plan_facts(YEAR, today).await?)
    })
    .await?;
    let (summary, _) = measure(
        runs,
        move || async move { Ok(app.events_summary(YEAR).await?) },
    )
    .await?;
    let (last_summary, _) = measure(runs, move || async move {
        Ok(app.events_summary(YEAR - 1).await?)
    })
    .await?;
    let (rest, _) = measure(runs, move || async move {
        app.annual_plan(YEAR).await?;
        store.actuals(YEAR).await?;
        Ok(store.actuals(YEAR - 1).await?)
    })
    .await?;
    let p = |t: Vec<f64>| percentiles(t).0;
    println!(
        "  parts (p50): plan_facts {:.1} ms, events_summary({YEAR}) {:.1} ms (its event facts also give the organizations), events_summary({}) {:.1} ms, plan and manual figures {:.1} ms",
        p(plan_facts),
        p(summary),
        YEAR - 1,
        p(last_summary),
        p(rest),
    );

    let (times, (_, bytes)) = measure(runs, move || async move {
        Ok(app.annual_report_on(YEAR, today).await?)
    })
    .await?;
    println!(
        "annual_report_on({YEAR}, {today}): {runs} runs after 3 warm-ups: {}; {} bytes of .xlsx",
        figures(times),
        bytes.len()
    );
    Ok(())
}

/// `GET /api/v1/plans/2026/dashboard` as staff from `qiao serve` on the
/// same data, one keep-alive client (the server computes for its own today).
async fn http(config: &Config, store: &Store, runs: usize) -> anyhow::Result<()> {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    let email = "bench-staff@example.com";
    qiao_app::accounts::create_operator_account(
        store,
        email,
        "bench-dashboard-staff-password",
        qiao_core::vocab::Role::Staff,
        None,
        None,
    )
    .await?;
    let token = qiao_app::accounts::create_operator_token(store, email, "bench").await?;
    let mut child = tokio::process::Command::new(std::env::current_exe()?)
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(&config.data_dir)
        .env("DATABASE_URL", &config.database_url)
        .env("QIAO_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let mut lines = BufReader::new(child.stdout.take().context("server stdout")?).lines();
    let addr = loop {
        let line = lines.next_line().await?.context("the server exited")?;
        if let Some(rest) = line.strip_prefix("Qiao is listening on http://") {
            break rest.trim_end_matches('/').to_string();
        }
    };
    let stream = tokio::net::TcpStream::connect(&addr).await?;
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream);
    let request = format!(
        "GET /api/v1/plans/{YEAR}/dashboard HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    let mut times = Vec::with_capacity(runs);
    let mut size = 0;
    for i in 0..runs + 3 {
        let started = Instant::now();
        reader.get_mut().write_all(request.as_bytes()).await?;
        let mut status = String::new();
        reader.read_line(&mut status).await?;
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).await?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body).await?;
        if !status.contains(" 200 ") {
            bail!(
                "the dashboard answered {}: {}",
                status.trim(),
                String::from_utf8_lossy(&body)
            );
        }
        if i >= 3 {
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        size = length;
    }
    println!(
        "HTTP GET /api/v1/plans/{YEAR}/dashboard: {runs} requests after 3 warm-ups: {}; {size} bytes of JSON",
        figures(times)
    );
    child.kill().await.ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Volumes = Volumes {
        enterprises: 30,
        institutions: 12,
        needs: 90,
        capabilities: 100,
        suggestions: 150,
        projects: 30,
        last_year_projects: 6,
        events: 6,
        last_year_events: 2,
        meetings: 150,
    };

    #[test]
    fn quotas_add_up_within_capacity() {
        let q = quotas(100, &[150.0, 55.0, 8.0], &[40, 200, 200]).unwrap();
        assert_eq!(q.iter().sum::<usize>(), 100);
        assert_eq!(q[0], 40);
        assert!(quotas(100, &[1.0], &[99]).is_err());
    }

    #[test]
    fn the_issue_has_its_event_mix() {
        let kinds = event_kinds(40, &mut Rng(1));
        let count = |k| kinds.iter().filter(|&&x| x == k).count();
        assert_eq!(count(EventKind::Comprehensive), 3);
        assert_eq!(count(EventKind::Thematic), 24);
        assert_eq!(count(EventKind::International), 4);
        assert_eq!(count(EventKind::CommissionerTraining), 9);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn generates_the_stated_volumes() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::new(dir.path().to_path_buf(), None);
        let store = config.open_store().await.unwrap();
        let g = generate(&store, 7, &SMALL).await.unwrap();
        assert_eq!(g.projects_this_year, SMALL.projects);
        assert_eq!(g.events_this_year, SMALL.events);
        assert_eq!(g.meetings, SMALL.meetings);
        assert_eq!(g.suggestions, SMALL.suggestions);

        let app = App::without_follower(store, config).await.unwrap();
        let d = app.dashboard_on(YEAR, as_of()).await.unwrap();
        assert_eq!(d.projects.total, SMALL.projects as u64);
        assert_eq!(d.events.events_held, SMALL.events as u64);
        assert_eq!(d.events.meetings_held, SMALL.meetings as u64);
        let stage = |code: &str| d.funnel.iter().find(|s| s.code == code).unwrap().count;
        assert_eq!(stage("published"), g.needs_published as u64);
        for code in [
            "suggested",
            "accepted",
            "met_at_event",
            "agreement",
            "signed",
        ] {
            assert!(stage(code) > 0, "no need reached {code}");
        }
        assert!(!d.overdue_milestones.is_empty());
        // Every status, and last year's curves.
        assert!(d.projects.by_status.iter().all(|s| s.count > 0));
        let needs = d
            .targets
            .iter()
            .find(|t| t.code == "published_needs")
            .unwrap();
        assert!(needs.last_year.is_some());
        assert!(
            d.targets
                .iter()
                .any(|t| t.source == qiao_app::dashboard::Source::Manual && t.actual.is_some())
        );
        let (_, report) = app.annual_report_on(YEAR, as_of()).await.unwrap();
        assert!(report.starts_with(b"PK"));
    }
}
