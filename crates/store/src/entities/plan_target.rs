use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "plan_targets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub plan_year: i32,
    pub code: String,
    pub label: String,
    #[sea_orm(column_type = "Double")]
    pub target: f64,
    #[sea_orm(column_type = "Double")]
    pub min_target: Option<f64>,
    pub unit: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
