//! What the home page shows: counters, the newest open needs and the year's
//! plan, all of it as the viewer's scope may see it.

use crate::{App, Result};
use chrono::NaiveDate;
use qiao_core::Scope;
use qiao_core::vocab::{Field, Vocabulary};

pub use qiao_store::plans::{Plan, Target};
pub use qiao_store::queries::Overview;

/// A need as the home page lists it.
#[derive(Debug, Clone)]
pub struct NeedSummary {
    pub id: i64,
    pub title: String,
    pub org_name: String,
    pub fields: Vec<Field>,
    pub budget_min: Option<qiao_core::Wan>,
    pub budget_max: Option<qiao_core::Wan>,
    pub deadline: Option<NaiveDate>,
}

pub struct Home {
    pub overview: Overview,
    pub needs: Vec<NeedSummary>,
    pub plan: Option<Plan>,
}

impl App {
    pub async fn home(&self, scope: Scope, plan_year: i32, needs: u64) -> Result<Home> {
        let mut overview = self.store().overview(scope).await?;
        if scope == Scope::Public {
            // The public sees projects only on the transparency list.
            overview.projects = self.transparency_list(plan_year).await?.items.len() as u64;
        }
        let needs = self
            .store()
            .recent_needs(scope, needs)
            .await?
            .into_iter()
            .map(|(n, org_name)| NeedSummary {
                id: n.id,
                title: n.title,
                org_name,
                fields: n
                    .fields
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str().and_then(Field::from_code))
                    .collect(),
                budget_min: n.budget_min_yuan.map(qiao_core::Wan::from_yuan),
                budget_max: n.budget_max_yuan.map(qiao_core::Wan::from_yuan),
                deadline: n.deadline,
            })
            .collect();
        let plan = self.store().plan(plan_year).await?;
        Ok(Home {
            overview,
            needs,
            plan,
        })
    }
}
