use sea_orm::entity::prelude::*;

/// A 1:1 meeting placed in a slot at a table.
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
    pub request_id: Option<i64>,
    /// Participants see a meeting once staff publish the schedule.
    pub published: bool,
    pub tier: Option<String>,
    #[sea_orm(column_type = "Double")]
    pub weight: f64,
    pub outcome_a: Option<String>,
    pub note_a: Option<String>,
    pub outcome_b: Option<String>,
    pub note_b: Option<String>,
    pub follow_up_on: Option<Date>,
    pub follow_up_status: Option<String>,
    pub follow_up_note: Option<String>,
    pub project_id: Option<i64>,
    pub updated_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
