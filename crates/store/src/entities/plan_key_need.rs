use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "plan_key_needs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub plan_year: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub need_id: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
