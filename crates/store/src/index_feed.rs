//! What the search index needs from the database: the current state of the
//! listings an outbox batch mentions, with their organizations.

use crate::Store;
use crate::entities::{capability, need, organization};
use crate::error::StoreError;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;

/// A listing as stored, with its organization; `deleted` when it is gone.
#[derive(Debug, Clone)]
pub enum Listing {
    Need(need::Model),
    Capability(capability::Model),
}

impl Listing {
    pub fn org_id(&self) -> i64 {
        match self {
            Listing::Need(n) => n.org_id,
            Listing::Capability(c) => c.org_id,
        }
    }

    pub fn is_deleted(&self) -> bool {
        match self {
            Listing::Need(n) => n.deleted_at.is_some(),
            Listing::Capability(c) => c.deleted_at.is_some(),
        }
    }
}

impl Store {
    /// Needs and capabilities by id (deleted ones included, so the index can drop them).
    pub async fn listings_by_ids(
        &self,
        need_ids: &[i64],
        capability_ids: &[i64],
    ) -> Result<Vec<Listing>, StoreError> {
        let mut out = Vec::new();
        for chunk in need_ids.chunks(500) {
            let rows = need::Entity::find()
                .filter(need::Column::Id.is_in(chunk.to_vec()))
                .all(self.conn())
                .await?;
            out.extend(rows.into_iter().map(Listing::Need));
        }
        for chunk in capability_ids.chunks(500) {
            let rows = capability::Entity::find()
                .filter(capability::Column::Id.is_in(chunk.to_vec()))
                .all(self.conn())
                .await?;
            out.extend(rows.into_iter().map(Listing::Capability));
        }
        Ok(out)
    }

    /// Live (not deleted) needs by id.
    pub async fn needs_by_ids(&self, ids: &[i64]) -> Result<HashMap<i64, need::Model>, StoreError> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(500) {
            for n in need::Entity::find()
                .filter(need::Column::Id.is_in(chunk.to_vec()))
                .filter(need::Column::DeletedAt.is_null())
                .all(self.conn())
                .await?
            {
                out.insert(n.id, n);
            }
        }
        Ok(out)
    }

    /// Live (not deleted) capabilities by id.
    pub async fn capabilities_by_ids(
        &self,
        ids: &[i64],
    ) -> Result<HashMap<i64, capability::Model>, StoreError> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(500) {
            for c in capability::Entity::find()
                .filter(capability::Column::Id.is_in(chunk.to_vec()))
                .filter(capability::Column::DeletedAt.is_null())
                .all(self.conn())
                .await?
            {
                out.insert(c.id, c);
            }
        }
        Ok(out)
    }

    /// Ids of every need and capability of some organizations (their name or approval changed).
    pub async fn listing_ids_of_orgs(
        &self,
        org_ids: &[i64],
    ) -> Result<(Vec<i64>, Vec<i64>), StoreError> {
        let mut needs = Vec::new();
        let mut caps = Vec::new();
        for chunk in org_ids.chunks(500) {
            needs.extend(
                need::Entity::find()
                    .select_only()
                    .column(need::Column::Id)
                    .filter(need::Column::OrgId.is_in(chunk.to_vec()))
                    .into_tuple::<i64>()
                    .all(self.conn())
                    .await?,
            );
            caps.extend(
                capability::Entity::find()
                    .select_only()
                    .column(capability::Column::Id)
                    .filter(capability::Column::OrgId.is_in(chunk.to_vec()))
                    .into_tuple::<i64>()
                    .all(self.conn())
                    .await?,
            );
        }
        Ok((needs, caps))
    }

    pub async fn organizations_by_ids(
        &self,
        ids: &[i64],
    ) -> Result<HashMap<i64, organization::Model>, StoreError> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(500) {
            for o in organization::Entity::find()
                .filter(organization::Column::Id.is_in(chunk.to_vec()))
                .all(self.conn())
                .await?
            {
                out.insert(o.id, o);
            }
        }
        Ok(out)
    }

    /// Ids of all live listings after `after_id`, a page at a time, for a full rebuild.
    pub async fn live_listing_ids(
        &self,
        after_need: i64,
        after_cap: i64,
        limit: u64,
    ) -> Result<(Vec<i64>, Vec<i64>), StoreError> {
        let needs = need::Entity::find()
            .select_only()
            .column(need::Column::Id)
            .filter(need::Column::DeletedAt.is_null())
            .filter(need::Column::Id.gt(after_need))
            .order_by_asc(need::Column::Id)
            .limit(limit)
            .into_tuple::<i64>()
            .all(self.conn())
            .await?;
        let caps = capability::Entity::find()
            .select_only()
            .column(capability::Column::Id)
            .filter(capability::Column::DeletedAt.is_null())
            .filter(capability::Column::Id.gt(after_cap))
            .order_by_asc(capability::Column::Id)
            .limit(limit)
            .into_tuple::<i64>()
            .all(self.conn())
            .await?;
        Ok((needs, caps))
    }

    /// Keywords of all listings, for the analyzer's user dictionary.
    pub async fn all_keywords(&self) -> Result<Vec<String>, StoreError> {
        let mut words = std::collections::BTreeSet::new();
        for v in need::Entity::find()
            .select_only()
            .column(need::Column::Keywords)
            .into_tuple::<serde_json::Value>()
            .all(self.conn())
            .await?
        {
            words.extend(crate::convert::strings(&v));
        }
        for v in capability::Entity::find()
            .select_only()
            .column(capability::Column::Keywords)
            .into_tuple::<serde_json::Value>()
            .all(self.conn())
            .await?
        {
            words.extend(crate::convert::strings(&v));
        }
        Ok(words.into_iter().collect())
    }
}
