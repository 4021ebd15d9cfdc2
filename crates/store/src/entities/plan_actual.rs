use sea_orm::entity::prelude::*;

/// An actual figure staff entered for a target of a year's plan.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "plan_actuals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub plan_year: i32,
    pub code: String,
    #[sea_orm(column_type = "Double")]
    pub value: f64,
    pub as_of: Date,
    #[sea_orm(column_type = "Text")]
    pub note: String,
    pub recorded_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
