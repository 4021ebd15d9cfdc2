use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "meetings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub event_id: i64,
    pub registration_a: i64,
    pub registration_b: i64,
    pub slot_start: DateTimeUtc,
    pub slot_end: DateTimeUtc,
    pub table_no: i32,
    pub status: String,
    pub rating_a: Option<i16>,
    pub rating_b: Option<i16>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
