use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "match_suggestions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub need_id: i64,
    pub capability_id: i64,
    #[sea_orm(column_type = "Double")]
    pub score: f64,
    #[sea_orm(column_type = "JsonBinary")]
    pub explanation: Json,
    pub algorithm_version: String,
    pub status: String,
    pub reject_reason: Option<String>,
    pub reject_note: Option<String>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
