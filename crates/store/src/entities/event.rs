use sea_orm::entity::prelude::*;

/// A matchmaking event (对接活动) or training session.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub external_id: Option<String>,
    pub name: String,
    pub kind: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub themes: Json,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub venue: String,
    pub slot_minutes: i32,
    pub tables: i32,
    pub capacity: i32,
    pub status: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub description: Option<String>,
    pub district: Option<String>,
    pub organizer: Option<String>,
    /// JSON array of names.
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub co_organizers: Option<Json>,
    pub registration_opens_at: Option<DateTimeUtc>,
    pub registration_closes_at: Option<DateTimeUtc>,
    pub published: bool,
    /// Confirm registrations on arrival while places remain (else staff confirm).
    pub auto_confirm: bool,
    /// `[{"start": RFC 3339, "end": RFC 3339}]`: windows for 1:1 meetings; gaps are breaks.
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub meeting_hours: Option<Json>,
    /// Share of tables kept free for walk-ins and overruns, 0–0.9.
    #[sea_orm(column_type = "Double")]
    pub spare_share: f64,
    pub cloned_from: Option<i64>,
    /// The last scheduler run: unplaced meetings with reasons, bound, figures.
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub schedule_report: Option<Json>,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
