use sea_orm::entity::prelude::*;

/// One attendee's check-in at an event (and hours, for trainings).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "attendances")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub event_id: i64,
    pub registration_id: i64,
    pub attendee_index: i32,
    pub name: String,
    pub phone: Option<String>,
    pub checked_in_at: DateTimeUtc,
    pub late: bool,
    #[sea_orm(column_type = "Double", nullable)]
    pub hours: Option<f64>,
    pub recorded_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
