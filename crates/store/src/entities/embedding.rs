use sea_orm::entity::prelude::*;

/// A listing's vector under one model; see `crate::embeddings`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "embeddings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub listing_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub model_id: String,
    pub text_hash: String,
    /// `zh` or `en`; empty for rows stored before it was recorded.
    pub language: String,
    pub listing_version: i32,
    pub dim: i32,
    #[sea_orm(column_type = "Blob")]
    pub vector: Vec<u8>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
