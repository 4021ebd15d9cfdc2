use sea_orm::entity::prelude::*;

/// A request for a 1:1 meeting between two registrations of one event.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "meeting_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub event_id: i64,
    pub from_registration: i64,
    pub to_registration: i64,
    /// `participant` or `staff`.
    pub origin: String,
    pub status: String,
    /// Both sides asked for this meeting.
    pub mutual: bool,
    pub reason: String,
    pub need_id: Option<i64>,
    pub capability_id: Option<i64>,
    #[sea_orm(column_type = "Double")]
    pub weight: f64,
    pub decline_reason: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub responded_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
