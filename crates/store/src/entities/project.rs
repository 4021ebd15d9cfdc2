use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "projects")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub external_id: Option<String>,
    pub title: String,
    pub need_id: Option<i64>,
    pub capability_id: Option<i64>,
    pub enterprise_org_id: i64,
    pub institution_org_id: i64,
    pub origin: String,
    pub plan_year: i32,
    pub is_key: bool,
    pub status: String,
    pub termination_reason: Option<String>,
    pub contract_type: Option<String>,
    pub contract_amount_yuan: Option<i64>,
    pub gov_funding_yuan: Option<i64>,
    pub signed_on: Option<Date>,
    pub started_on: Option<Date>,
    pub due_on: Option<Date>,
    pub completed_on: Option<Date>,
    #[sea_orm(column_type = "JsonBinary")]
    pub milestones: Json,
    pub version: i32,
    pub field: Option<String>,
    pub district: Option<String>,
    pub contract_reg_no: Option<String>,
    pub meeting_id: Option<i64>,
    pub termination_code: Option<String>,
    pub published: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
