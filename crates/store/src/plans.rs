//! Annual plans, their target figures and the needs flagged for the key-project plan.

use crate::Store;
use crate::audit::{self, Actor, Entry};
use crate::entities::{annual_plan, need, plan_actual, plan_key_need, plan_target};
use crate::error::StoreError;
use chrono::Utc;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub code: String,
    pub label: String,
    pub target: f64,
    #[serde(default)]
    pub min: Option<f64>,
    pub unit: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub year: i32,
    pub name: String,
    pub targets: Vec<Target>,
}

impl Store {
    /// Creates or replaces the plan of a year with its targets.
    pub async fn save_plan(&self, plan: &Plan, actor: &Actor) -> Result<(), StoreError> {
        if !(2000..=2100).contains(&plan.year) {
            return Err(StoreError::Invalid(format!(
                "{} is not a plan year",
                plan.year
            )));
        }
        let previous = self.plan(plan.year).await?;
        let tx = self.begin_write().await?;
        let now = Utc::now();
        let before = annual_plan::Entity::find_by_id(plan.year).one(&tx).await?;
        if before.is_some() {
            plan_target::Entity::delete_many()
                .filter(plan_target::Column::PlanYear.eq(plan.year))
                .exec(&tx)
                .await?;
            annual_plan::Entity::update(annual_plan::ActiveModel {
                year: Set(plan.year),
                name: Set(plan.name.clone()),
                created_at: NotSet,
                updated_at: Set(now),
            })
            .exec(&tx)
            .await?;
        } else {
            annual_plan::Entity::insert(annual_plan::ActiveModel {
                year: Set(plan.year),
                name: Set(plan.name.clone()),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .exec(&tx)
            .await?;
        }
        for t in &plan.targets {
            plan_target::Entity::insert(plan_target::ActiveModel {
                id: NotSet,
                plan_year: Set(plan.year),
                code: Set(t.code.clone()),
                label: Set(t.label.clone()),
                target: Set(t.target),
                min_target: Set(t.min),
                unit: Set(t.unit.clone()),
            })
            .exec(&tx)
            .await?;
        }
        audit::record(
            &tx,
            actor,
            Entry {
                action: if before.is_some() { "update" } else { "create" },
                entity_type: "annual_plan",
                entity_id: Some(plan.year.to_string()),
                before: previous.map(|p| json!(p)),
                after: Some(json!(plan)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn plan(&self, year: i32) -> Result<Option<Plan>, StoreError> {
        let Some(p) = annual_plan::Entity::find_by_id(year)
            .one(self.conn())
            .await?
        else {
            return Ok(None);
        };
        let targets = plan_target::Entity::find()
            .filter(plan_target::Column::PlanYear.eq(year))
            .order_by_asc(plan_target::Column::Id)
            .all(self.conn())
            .await?
            .into_iter()
            .map(|t| Target {
                code: t.code,
                label: t.label,
                target: t.target,
                min: t.min_target,
                unit: t.unit,
            })
            .collect();
        Ok(Some(Plan {
            year: p.year,
            name: p.name,
            targets,
        }))
    }
}

impl Store {
    /// Needs flagged for the year's key-project plan, by id.
    pub async fn key_need_ids(&self, year: i32) -> Result<Vec<i64>, StoreError> {
        Ok(plan_key_need::Entity::find()
            .filter(plan_key_need::Column::PlanYear.eq(year))
            .order_by_asc(plan_key_need::Column::NeedId)
            .all(self.conn())
            .await?
            .into_iter()
            .map(|k| k.need_id)
            .collect())
    }

    /// Replaces the needs flagged for the year's key-project plan (audited).
    /// Every id must name a need that exists.
    pub async fn set_key_needs(
        &self,
        year: i32,
        need_ids: &[i64],
        actor: &Actor,
    ) -> Result<Vec<i64>, StoreError> {
        let mut ids = need_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let tx = self.begin_write().await?;
        let found: Vec<i64> = need::Entity::find()
            .select_only()
            .column(need::Column::Id)
            .filter(need::Column::Id.is_in(ids.clone()))
            .filter(need::Column::DeletedAt.is_null())
            .into_tuple::<i64>()
            .all(&tx)
            .await?;
        if let Some(missing) = ids.iter().find(|id| !found.contains(id)) {
            return Err(StoreError::Invalid(format!(
                "need {missing} does not exist"
            )));
        }
        let before: Vec<i64> = plan_key_need::Entity::find()
            .filter(plan_key_need::Column::PlanYear.eq(year))
            .all(&tx)
            .await?
            .into_iter()
            .map(|k| k.need_id)
            .collect();
        plan_key_need::Entity::delete_many()
            .filter(plan_key_need::Column::PlanYear.eq(year))
            .exec(&tx)
            .await?;
        let now = Utc::now();
        for chunk in ids.chunks(500) {
            plan_key_need::Entity::insert_many(chunk.iter().map(|&id| {
                plan_key_need::ActiveModel {
                    plan_year: Set(year),
                    need_id: Set(id),
                    created_at: Set(now),
                }
            }))
            .exec_without_returning(&tx)
            .await?;
        }
        audit::record(
            &tx,
            actor,
            Entry {
                action: "update",
                entity_type: "plan_key_needs",
                entity_id: Some(year.to_string()),
                before: Some(json!(before)),
                after: Some(json!(ids)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(ids)
    }
}

/// An actual figure entered by staff (手工填报).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Actual {
    pub id: i64,
    pub code: String,
    pub value: f64,
    pub as_of: chrono::NaiveDate,
    pub note: String,
    pub recorded_by: String,
    pub created_at: chrono::DateTime<Utc>,
}

impl Store {
    /// Records an actual figure for a target (the caller checked it); audited.
    pub async fn record_actual(
        &self,
        year: i32,
        code: &str,
        value: f64,
        as_of: chrono::NaiveDate,
        note: &str,
        actor: &Actor,
    ) -> Result<Actual, StoreError> {
        let tx = self.begin_write().await?;
        let m = plan_actual::Entity::insert(plan_actual::ActiveModel {
            id: NotSet,
            plan_year: Set(year),
            code: Set(code.to_string()),
            value: Set(value),
            as_of: Set(as_of),
            note: Set(note.to_string()),
            recorded_by: Set(actor.label.clone()),
            created_at: Set(Utc::now()),
        })
        .exec_with_returning(&tx)
        .await?;
        let actual = actual(m);
        audit::record(
            &tx,
            actor,
            Entry {
                action: "create",
                entity_type: "plan_actual",
                entity_id: Some(actual.id.to_string()),
                before: None,
                after: Some(json!({"plan_year": year, "code": code, "value": value,
                                   "as_of": as_of, "note": note})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(actual)
    }

    /// The actual figures of a year, by code, then date, then entry.
    pub async fn actuals(&self, year: i32) -> Result<Vec<Actual>, StoreError> {
        Ok(plan_actual::Entity::find()
            .filter(plan_actual::Column::PlanYear.eq(year))
            .order_by_asc(plan_actual::Column::Code)
            .order_by_asc(plan_actual::Column::AsOf)
            .order_by_asc(plan_actual::Column::Id)
            .all(self.conn())
            .await?
            .into_iter()
            .map(actual)
            .collect())
    }
}

fn actual(m: plan_actual::Model) -> Actual {
    Actual {
        id: m.id,
        code: m.code,
        value: m.value,
        as_of: m.as_of,
        note: m.note,
        recorded_by: m.recorded_by,
        created_at: m.created_at,
    }
}
