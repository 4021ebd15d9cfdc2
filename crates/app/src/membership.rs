//! Joining an organization: a registered user asks, and the organization's
//! admin member (once staff have approved the organization) or staff decide.

use crate::policy::{Action, Resource, authorize};
use crate::{App, Error, Principal, Result};
use chrono::{DateTime, Utc};
use qiao_core::access::organization_visible_to;
use qiao_core::vocab::ReviewStatus;
use qiao_store::entities::membership_request;
use qiao_store::membership::RequestFilter;

/// A membership request as the use cases return it.
#[derive(Debug, Clone)]
pub struct MembershipRequest {
    pub id: i64,
    pub user_id: i64,
    pub org_id: i64,
    /// `pending`, `approved` or `refused`.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl From<membership_request::Model> for MembershipRequest {
    fn from(m: membership_request::Model) -> Self {
        Self {
            id: m.id,
            user_id: m.user_id,
            org_id: m.org_id,
            status: m.status,
            created_at: m.created_at,
            decided_at: m.decided_at,
        }
    }
}

const STATUSES: &[&str] = &[
    qiao_store::membership::PENDING,
    qiao_store::membership::APPROVED,
    qiao_store::membership::REFUSED,
];

impl App {
    /// A signed-in user without an organization asks to join a visible one of their kind.
    pub async fn request_membership(
        &self,
        who: &Principal,
        org_id: i64,
    ) -> Result<MembershipRequest> {
        if !who.role.needs_organization() {
            return Err(Error::Forbidden);
        }
        let org = self
            .store()
            .get_organization(org_id, who.scope())
            .await?
            .filter(|o| {
                organization_visible_to(who.scope(), o.id, o.review_status.code_str(), false)
            })
            .ok_or(Error::NotFound)?;
        if !who.role.fits(org.record.kind) {
            return Err(Error::field(
                "org_id",
                "your role does not fit this kind of organization",
            ));
        }
        Ok(self
            .store()
            .request_membership(who.id, org_id, &who.actor())
            .await?
            .into())
    }

    /// Requests the viewer may see: staff all, an organization's admin those
    /// to their organization, anyone their own.
    pub async fn membership_requests(
        &self,
        who: &Principal,
        status: Option<&str>,
    ) -> Result<Vec<MembershipRequest>> {
        if let Some(s) = status
            && !STATUSES.contains(&s)
        {
            return Err(Error::field(
                "status",
                "must be pending, approved or refused",
            ));
        }
        let mut filter = RequestFilter {
            status: status.map(str::to_string),
            ..RequestFilter::default()
        };
        if !who.is_staff() {
            match who.org_id {
                Some(org)
                    if authorize(who, Resource::Membership { org_id: org }, Action::Read)
                        .is_ok() =>
                {
                    filter.org_id = Some(org)
                }
                _ => filter.user_id = Some(who.id),
            }
        }
        Ok(self
            .store()
            .membership_requests(&filter)
            .await?
            .into_iter()
            .map(MembershipRequest::from)
            .collect())
    }

    /// Approve or refuse: staff, or the admin member of an approved organization.
    pub async fn decide_membership(
        &self,
        who: &Principal,
        id: i64,
        approve: bool,
    ) -> Result<MembershipRequest> {
        let request = self
            .store()
            .membership_request(id)
            .await?
            .ok_or(Error::NotFound)?;
        let resource = Resource::Membership {
            org_id: request.org_id,
        };
        if authorize(who, resource, Action::Review).is_err() {
            // The requester may see their own request exists; others may not.
            return Err(if request.user_id == who.id {
                Error::Forbidden
            } else {
                Error::NotFound
            });
        }
        if !who.is_staff() {
            let org = self
                .store()
                .get_organization(request.org_id, qiao_core::Scope::All)
                .await?
                .ok_or(Error::NotFound)?;
            if org.review_status != ReviewStatus::Approved {
                return Err(Error::Forbidden);
            }
        }
        Ok(self
            .store()
            .decide_membership(id, approve, Some(who.id), &who.actor())
            .await?
            .into())
    }
}
