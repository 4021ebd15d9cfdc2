//! Read queries: exports, overview counts and simple listings.

use crate::Store;
use crate::convert;
use crate::entities::{capability, need, organization, project};
use crate::error::StoreError;
use crate::listings::scope_condition;
use qiao_core::Scope;
use qiao_core::access::{ListingKind, PUBLIC_ORG_REVIEW};
use qiao_core::record::{CapabilityRecord, NeedRecord, OrganizationRecord};
use qiao_core::vocab::NeedStatus;
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;

/// Counts shown on the overview page.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Overview {
    pub organizations: u64,
    pub needs: u64,
    pub capabilities: u64,
    pub events: u64,
    pub projects: u64,
}

impl Store {
    async fn org_names(&self) -> Result<HashMap<i64, String>, StoreError> {
        Ok(organization::Entity::find()
            .all(self.conn())
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect())
    }

    pub async fn export_organizations(&self) -> Result<Vec<OrganizationRecord>, StoreError> {
        let rows = organization::Entity::find()
            .filter(organization::Column::DeletedAt.is_null())
            .order_by_asc(organization::Column::Id)
            .all(self.conn())
            .await?;
        Ok(rows.iter().map(convert::organization_record).collect())
    }

    pub async fn export_needs(&self) -> Result<Vec<NeedRecord>, StoreError> {
        let names = self.org_names().await?;
        let rows = need::Entity::find()
            .filter(need::Column::DeletedAt.is_null())
            .order_by_asc(need::Column::Id)
            .all(self.conn())
            .await?;
        Ok(rows
            .iter()
            .map(|m| convert::need_record(m, names.get(&m.org_id).map_or("", String::as_str)))
            .collect())
    }

    pub async fn export_capabilities(&self) -> Result<Vec<CapabilityRecord>, StoreError> {
        let names = self.org_names().await?;
        let rows = capability::Entity::find()
            .filter(capability::Column::DeletedAt.is_null())
            .order_by_asc(capability::Column::Id)
            .all(self.conn())
            .await?;
        Ok(rows
            .iter()
            .map(|m| convert::capability_record(m, names.get(&m.org_id).map_or("", String::as_str)))
            .collect())
    }

    /// Projects with their organizations' names, for export.
    pub async fn export_projects(
        &self,
    ) -> Result<Vec<(project::Model, String, String)>, StoreError> {
        let names = self.org_names().await?;
        let rows = project::Entity::find()
            .order_by_asc(project::Column::Id)
            .all(self.conn())
            .await?;
        Ok(rows
            .into_iter()
            .map(|p| {
                let e = names.get(&p.enterprise_org_id).cloned().unwrap_or_default();
                let i = names
                    .get(&p.institution_org_id)
                    .cloned()
                    .unwrap_or_default();
                (p, e, i)
            })
            .collect())
    }

    /// Counts of what `scope` may see, for the overview page.
    pub async fn overview(&self, scope: Scope) -> Result<Overview, StoreError> {
        let db = self.conn();
        let mut orgs =
            organization::Entity::find().filter(organization::Column::DeletedAt.is_null());
        orgs = match scope {
            Scope::All => orgs,
            Scope::Public => orgs.filter(
                organization::Column::ReviewStatus.is_in(PUBLIC_ORG_REVIEW.iter().copied()),
            ),
            Scope::Member(org) => orgs.filter(
                Condition::any()
                    .add(
                        organization::Column::ReviewStatus.is_in(PUBLIC_ORG_REVIEW.iter().copied()),
                    )
                    .add(organization::Column::Id.eq(org)),
            ),
        };
        Ok(Overview {
            organizations: orgs.count(db).await?,
            needs: need::Entity::find()
                .filter(need::Column::DeletedAt.is_null())
                .filter(scope_condition(scope, ListingKind::Need))
                .count(db)
                .await?,
            capabilities: capability::Entity::find()
                .filter(capability::Column::DeletedAt.is_null())
                .filter(scope_condition(scope, ListingKind::Capability))
                .count(db)
                .await?,
            events: crate::entities::event::Entity::find().count(db).await?,
            // Projects are seen by staff and their partners only.
            projects: project::Entity::find()
                .filter(crate::projects::scope_condition(scope))
                .count(db)
                .await?,
        })
    }

    /// The newest open (published) needs `scope` may see, with their organization names.
    pub async fn recent_needs(
        &self,
        scope: Scope,
        limit: u64,
    ) -> Result<Vec<(need::Model, String)>, StoreError> {
        use sea_orm::QuerySelect;
        let names = self.org_names().await?;
        let rows = need::Entity::find()
            .filter(need::Column::DeletedAt.is_null())
            .filter(scope_condition(scope, ListingKind::Need))
            .filter(need::Column::Status.eq(NeedStatus::Published.code_str()))
            .order_by_desc(need::Column::UpdatedAt)
            .order_by_desc(need::Column::Id)
            .limit(limit)
            .all(self.conn())
            .await?;
        Ok(rows
            .into_iter()
            .map(|m| {
                let n = names.get(&m.org_id).cloned().unwrap_or_default();
                (m, n)
            })
            .collect())
    }
}
