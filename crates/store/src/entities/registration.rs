use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "registrations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub event_id: i64,
    pub org_id: i64,
    #[sea_orm(column_type = "JsonBinary")]
    pub attendees: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub need_ids: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub capability_ids: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub availability: Json,
    pub validated: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
