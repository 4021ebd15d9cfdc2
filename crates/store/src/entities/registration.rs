use sea_orm::entity::prelude::*;

/// One organization's registration for one event.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "registrations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub event_id: i64,
    pub org_id: i64,
    /// `[{"name", "title", "phone"}]`
    #[sea_orm(column_type = "JsonBinary")]
    pub attendees: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub need_ids: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub capability_ids: Json,
    /// `[{"start": RFC 3339, "end": RFC 3339}]`; empty: the whole event.
    #[sea_orm(column_type = "JsonBinary")]
    pub availability: Json,
    /// Kept in step with `status == "confirmed"` for wave-one readers.
    pub validated: bool,
    pub created_at: DateTimeUtc,
    pub status: String,
    pub wants_meetings: bool,
    /// Secret printed as a QR code on the agenda, scanned at check-in.
    pub checkin_token: Option<String>,
    pub registered_by: Option<i64>,
    pub updated_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
