use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub external_id: Option<String>,
    #[sea_orm(unique)]
    pub name: String,
    pub kind: String,
    pub credit_code: Option<String>,
    pub region_scope: Option<String>,
    pub region_name: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub flags: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub fields: Json,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub review_status: String,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
