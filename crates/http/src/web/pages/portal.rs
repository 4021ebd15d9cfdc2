//! The portal `/`: platform figures, the year's plan and the newest needs,
//! all as the viewer may see them (the same use case as the API's home).

use crate::server::AppState;
use crate::web::i18n::{self, Lang};
use crate::web::page::Page;
use axum::extract::State;
use axum::response::Response;
use chrono::{Datelike, FixedOffset, NaiveDate, Utc};
use minijinja::context;
use qiao_app::home::{NeedSummary, Plan};
use qiao_core::vocab::Vocabulary;
use serde::Serialize;

/// Needs listed on the portal.
const NEWEST_NEEDS: u64 = 12;

#[derive(Serialize)]
struct NeedCard {
    id: i64,
    title: String,
    org_name: String,
    fields: Vec<&'static str>,
    /// 万元
    budget_min: Option<f64>,
    budget_max: Option<f64>,
    deadline: Option<NaiveDate>,
}

impl NeedCard {
    fn new(n: NeedSummary, lang: Lang) -> Self {
        NeedCard {
            id: n.id,
            title: n.title,
            org_name: n.org_name,
            fields: n.fields.into_iter().map(|f| f.label(lang.code())).collect(),
            budget_min: n.budget_min.map(qiao_core::Wan::as_wan),
            budget_max: n.budget_max.map(qiao_core::Wan::as_wan),
            deadline: n.deadline,
        }
    }
}

#[derive(Serialize)]
struct TargetRow {
    code: String,
    label: String,
    target: f64,
    min: Option<f64>,
    /// Shown after the figure in Chinese (项, 场); English reads the figure with its label.
    unit: String,
    /// A sum in 万元, shown with the `wan` filter.
    money: bool,
}

#[derive(Serialize)]
struct PlanView {
    title: String,
    targets: Vec<TargetRow>,
}

impl PlanView {
    /// Chinese pages show the plan as staff wrote it; English ones name
    /// the known targets from the catalogue.
    fn new(plan: Plan, lang: Lang) -> Self {
        let title = match lang {
            Lang::Zh => plan.name,
            Lang::En => lang.format("home.plan_heading", &[("year", &plan.year.to_string())]),
        };
        let targets = plan
            .targets
            .into_iter()
            .map(|t| {
                let key = format!("plan.target.{}", t.code);
                let label = match lang {
                    Lang::En if i18n::has(&key) => lang.text(&key).to_string(),
                    _ => t.label,
                };
                let money = t.unit == "万元";
                let unit = match lang {
                    Lang::Zh if !money => t.unit,
                    _ => String::new(),
                };
                TargetRow {
                    code: t.code,
                    label,
                    target: t.target,
                    min: t.min,
                    unit,
                    money,
                }
            })
            .collect();
        PlanView { title, targets }
    }
}

/// The plan year: this calendar year in China.
fn plan_year() -> i32 {
    let china = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    Utc::now().with_timezone(&china).year()
}

pub async fn portal(State(state): State<AppState>, page: Page) -> Response {
    let home = match state
        .app
        .home(page.viewer.scope(), plan_year(), NEWEST_NEEDS)
        .await
    {
        Ok(home) => home,
        Err(e) => return page.error(e),
    };
    let needs: Vec<NeedCard> = home
        .needs
        .into_iter()
        .map(|n| NeedCard::new(n, page.lang))
        .collect();
    let plan = home.plan.map(|p| PlanView::new(p, page.lang));
    page.render(
        "home.html",
        context! { overview => home.overview, needs, plan },
    )
}
