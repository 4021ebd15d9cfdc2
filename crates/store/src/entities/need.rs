use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "needs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Unique within the organization (`org_id`), not across organizations.
    pub external_id: Option<String>,
    pub org_id: i64,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub indicators: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub fields: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub keywords: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub cooperation_modes: Json,
    pub budget_min_yuan: Option<i64>,
    pub budget_max_yuan: Option<i64>,
    pub deadline: Option<Date>,
    pub ip_ownership: Option<String>,
    pub required_trl: Option<i16>,
    pub visibility: String,
    pub status: String,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
