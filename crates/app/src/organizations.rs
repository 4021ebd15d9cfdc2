//! Organizations: public profiles of approved ones, staff review, members
//! keeping their own profile up to date.

use crate::policy::{Action, Resource, authorize};
use crate::{App, Error, Principal, Result, Viewer};
use qiao_core::record::{ExternalId, OrganizationRecord, without_nulls};
use qiao_core::stored::{ListQuery, StoredOrg};
use qiao_core::vocab::{ReviewStatus, Vocabulary};
use serde_json::{Map, Value, json};

/// Contact details are for signed-in users, not for scrapers.
pub const CONTACT_FIELDS: &[&str] = &["contact_name", "contact_phone", "contact_email"];

/// The JSON of an organization as `viewer` may read it.
pub fn organization_json(o: &StoredOrg, viewer: &Viewer) -> Value {
    let mut m = o.record.to_map();
    if viewer.principal().is_none() {
        for f in CONTACT_FIELDS {
            m.remove(*f);
        }
    }
    m.insert("id".into(), json!(o.id));
    m.insert("version".into(), json!(o.version));
    m.insert("review_status".into(), json!(o.review_status.code()));
    m.insert("created_at".into(), json!(o.created_at.to_rfc3339()));
    m.insert("updated_at".into(), json!(o.updated_at.to_rfc3339()));
    Value::Object(m)
}

fn take_version(body: &mut Map<String, Value>) -> Result<Option<i32>> {
    for key in ["id", "review_status", "created_at", "updated_at"] {
        if body.contains_key(key) {
            return Err(Error::field(key, "is set by the server"));
        }
    }
    match body.remove("version") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => crate::limits::whole_i32(&v)
            .map(Some)
            .ok_or_else(|| Error::field("version", "must be a whole number")),
    }
}

impl App {
    pub async fn organizations(
        &self,
        viewer: &Viewer,
        q: &ListQuery,
    ) -> Result<qiao_core::stored::Page<StoredOrg>> {
        let mut q = q.clone();
        crate::limits::check_list(crate::limits::Listed::Organizations, &mut q)?;
        Ok(self.store().list_organizations(viewer.scope(), &q).await?)
    }

    pub async fn organization(&self, viewer: &Viewer, id: i64) -> Result<StoredOrg> {
        self.store()
            .get_organization(id, viewer.scope())
            .await?
            .ok_or(Error::NotFound)
    }

    /// Staff register an organization; it is approved at once.
    pub async fn create_organization(
        &self,
        who: &Principal,
        mut body: Map<String, Value>,
    ) -> Result<StoredOrg> {
        authorize(who, Resource::Bureau, Action::Create)?;
        if take_version(&mut body)?.is_some() {
            return Err(Error::field("version", "is set by the server"));
        }
        let record =
            OrganizationRecord::from_map(&body, ExternalId::Optional).map_err(Error::Invalid)?;
        Ok(self
            .store()
            .create_organization(&record, ReviewStatus::Approved, &who.actor())
            .await?)
    }

    pub async fn update_organization(
        &self,
        who: &Principal,
        id: i64,
        mut patch: Map<String, Value>,
    ) -> Result<StoredOrg> {
        let existing = self
            .store()
            .get_organization(id, who.scope())
            .await?
            .ok_or(Error::NotFound)?;
        authorize(who, Resource::Organization { id }, Action::Update)?;
        let version = take_version(&mut patch)?;
        let mut merged = existing.record.to_map();
        merged.extend(patch);
        let record = OrganizationRecord::from_map(&without_nulls(merged), ExternalId::Optional)
            .map_err(Error::Invalid)?;
        Ok(self
            .store()
            .update_organization(id, &record, None, version, &who.actor())
            .await?)
    }

    pub async fn delete_organization(&self, who: &Principal, id: i64) -> Result<()> {
        self.store()
            .get_organization(id, who.scope())
            .await?
            .ok_or(Error::NotFound)?;
        authorize(who, Resource::Organization { id }, Action::Delete)?;
        self.store().delete_organization(id, &who.actor()).await?;
        Ok(())
    }

    /// Approve or reject; listings of an organization are public only once it is approved.
    pub async fn review_organization(
        &self,
        who: &Principal,
        id: i64,
        status: &str,
    ) -> Result<StoredOrg> {
        let existing = self
            .store()
            .get_organization(id, who.scope())
            .await?
            .ok_or(Error::NotFound)?;
        authorize(who, Resource::Organization { id }, Action::Review)?;
        let status = ReviewStatus::parse(status)
            .filter(|s| *s != ReviewStatus::Pending)
            .ok_or_else(|| Error::field("status", "must be approved or rejected"))?;
        Ok(self
            .store()
            .update_organization(id, &existing.record, Some(status), None, &who.actor())
            .await?)
    }
}
