//! Events with their registrations as the seeds and bulk loads give them.

use crate::Store;
use crate::audit::{self, Actor, Entry};
use crate::convert::codes;
use crate::entities::{capability, event, need, organization, registration};
use crate::error::StoreError;
use chrono::{DateTime, Utc};
use qiao_core::vocab::{EventKind, EventStatus, Field, RegistrationStatus, Vocabulary};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

pub struct NewEvent {
    pub external_id: Option<String>,
    pub name: String,
    pub kind: EventKind,
    pub themes: Vec<Field>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub venue: String,
    pub slot_minutes: i32,
    pub tables: i32,
    pub capacity: i32,
    pub status: EventStatus,
    /// Shown to everyone (else staff only).
    pub published: bool,
    pub registrations: Vec<NewRegistration>,
}

pub struct NewRegistration {
    pub org_name: String,
    pub attendees: Value,
    pub need_external_ids: Vec<String>,
    pub capability_external_ids: Vec<String>,
    /// `[{"start": RFC 3339, "end": RFC 3339}]`
    pub availability: Value,
    pub validated: bool,
}

impl Store {
    /// Creates an event and its registrations, resolving organizations and
    /// listings by name and external id.
    pub async fn create_event(&self, new: NewEvent, actor: &Actor) -> Result<i64, StoreError> {
        if new.ends_at <= new.starts_at {
            return Err(StoreError::Invalid(format!(
                "event \"{}\" ends before it starts",
                new.name
            )));
        }
        if new.slot_minutes <= 0 || new.tables < 0 {
            return Err(StoreError::Invalid(format!(
                "event \"{}\" needs a positive slot length and no negative number of tables",
                new.name
            )));
        }
        let tx = self.begin_write().await?;
        let now = Utc::now();
        let id = event::Entity::insert(event::ActiveModel {
            id: NotSet,
            external_id: Set(new.external_id.clone()),
            name: Set(new.name.clone()),
            kind: Set(new.kind.code().into()),
            themes: Set(codes(&new.themes)),
            starts_at: Set(new.starts_at),
            ends_at: Set(new.ends_at),
            venue: Set(new.venue.clone()),
            slot_minutes: Set(new.slot_minutes),
            tables: Set(new.tables),
            capacity: Set(new.capacity),
            status: Set(new.status.code().into()),
            created_at: Set(now),
            updated_at: Set(now),
            published: Set(new.published),
            ..Default::default()
        })
        .exec(&tx)
        .await?
        .last_insert_id;
        for reg in &new.registrations {
            let org = organization::Entity::find()
                .filter(organization::Column::Name.eq(reg.org_name.clone()))
                .one(&tx)
                .await?
                .ok_or_else(|| {
                    StoreError::NotFound(format!("organization \"{}\"", reg.org_name))
                })?;
            let mut need_ids = Vec::new();
            for ext in &reg.need_external_ids {
                let n = need::Entity::find()
                    .filter(need::Column::ExternalId.eq(ext.clone()))
                    .filter(need::Column::OrgId.eq(org.id))
                    .one(&tx)
                    .await?
                    .ok_or_else(|| {
                        StoreError::NotFound(format!("need {ext} of \"{}\"", org.name))
                    })?;
                need_ids.push(n.id);
            }
            let mut capability_ids = Vec::new();
            for ext in &reg.capability_external_ids {
                let c = capability::Entity::find()
                    .filter(capability::Column::ExternalId.eq(ext.clone()))
                    .filter(capability::Column::OrgId.eq(org.id))
                    .one(&tx)
                    .await?
                    .ok_or_else(|| {
                        StoreError::NotFound(format!("capability {ext} of \"{}\"", org.name))
                    })?;
                capability_ids.push(c.id);
            }
            registration::Entity::insert(registration::ActiveModel {
                id: NotSet,
                event_id: Set(id),
                org_id: Set(org.id),
                attendees: Set(reg.attendees.clone()),
                need_ids: Set(json!(need_ids)),
                capability_ids: Set(json!(capability_ids)),
                availability: Set(reg.availability.clone()),
                validated: Set(reg.validated),
                created_at: Set(now),
                status: Set(if reg.validated {
                    RegistrationStatus::Confirmed
                } else {
                    RegistrationStatus::Pending
                }
                .code()
                .into()),
                checkin_token: Set(Some(super::registration_token())),
                ..Default::default()
            })
            .exec(&tx)
            .await?;
        }
        audit::record(
            &tx,
            actor,
            Entry {
                action: "create",
                entity_type: "event",
                entity_id: Some(id.to_string()),
                before: None,
                after: Some(json!({"name": new.name, "registrations": new.registrations.len()})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }
}
