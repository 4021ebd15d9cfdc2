//! Matchmaking events: set-up and life cycle (this module), registration
//! and check-in, meeting requests and the schedule, agendas, and the record
//! of events held. Staff run events ([`Resource::Bureau`]); everyone sees
//! published ones (`qiao_core::access::event_visible_to`).

pub mod agenda;
pub mod meetings;
pub mod registrations;
pub mod reports;

use crate::fields::{text, vocab};
use crate::policy::{Action, Resource, authorize};
use crate::{App, Error, Principal, Result, Viewer};
use chrono::{DateTime, Duration, Utc};
use qiao_core::event::{EventFields, MeetingSettings, Window, transition};
use qiao_core::record::FieldError;
use qiao_core::stored::Page;
use qiao_core::vocab::{EventKind, EventStatus, Field};
pub use qiao_store::events::{EventFilter, EventRow};

/// Fields of an event as a client sends them: codes or Chinese labels for
/// vocabularies; absent fields keep their value on a change (and take the
/// defaults on creation).
#[derive(Debug, Clone, Default)]
pub struct EventDraft {
    pub external_id: Option<String>,
    pub name: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub themes: Option<Vec<String>>,
    pub description: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub venue: Option<String>,
    pub district: Option<String>,
    pub organizer: Option<String>,
    pub co_organizers: Option<Vec<String>>,
    pub capacity: Option<i32>,
    pub registration_opens_at: Option<DateTime<Utc>>,
    pub registration_closes_at: Option<DateTime<Utc>>,
    pub published: Option<bool>,
    pub auto_confirm: Option<bool>,
    pub slot_minutes: Option<i32>,
    pub meeting_hours: Option<Vec<Window>>,
    pub tables: Option<i32>,
    pub spare_share: Option<f64>,
    /// The version being edited (changes only); a mismatch is a conflict.
    pub version: Option<i32>,
}

/// What a clone changes: a new start (the whole event shifts with it) and name.
#[derive(Debug, Clone, Default)]
pub struct CloneDraft {
    pub starts_at: Option<DateTime<Utc>>,
    pub name: Option<String>,
}

/// Applies a draft over `base` (creation: a blank event) and validates the result.
fn merge(base: Option<&EventRow>, d: EventDraft) -> Result<(EventFields, Option<EventStatus>)> {
    let mut errors = Vec::new();
    let kind = match d.kind.as_deref() {
        Some(k) => vocab::<EventKind>("kind", k, &mut errors),
        None => base.map(|b| b.fields.kind),
    };
    let status = d
        .status
        .as_deref()
        .and_then(|s| vocab::<EventStatus>("status", s, &mut errors));
    let themes = match d.themes {
        Some(list) => {
            if list.len() > 30 {
                errors.push(FieldError {
                    field: "themes".into(),
                    message: "at most 30 themes".into(),
                });
            }
            let mut out: Vec<Field> = list
                .iter()
                .filter_map(|t| vocab::<Field>("themes", t, &mut errors))
                .collect();
            out.dedup();
            out
        }
        None => base.map(|b| b.fields.themes.clone()).unwrap_or_default(),
    };
    let name =
        text("name", d.name, false, &mut errors).or_else(|| base.map(|b| b.fields.name.clone()));
    let starts_at = d.starts_at.or(base.map(|b| b.fields.starts_at));
    let ends_at = d.ends_at.or(base.map(|b| b.fields.ends_at));
    for (field, present) in [
        ("name", name.as_deref().is_some_and(|n| !n.is_empty())),
        ("kind", kind.is_some() || d.kind.is_some()),
        ("starts_at", starts_at.is_some()),
        ("ends_at", ends_at.is_some()),
    ] {
        if !present {
            errors.push(FieldError {
                field: field.into(),
                message: "required".into(),
            });
        }
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let (Some(name), Some(kind), Some(starts_at), Some(ends_at)) = (name, kind, starts_at, ends_at)
    else {
        return Err(Error::BadRequest("incomplete event".into()));
    };
    let b = base.map(|b| &b.fields);
    let mut errors = Vec::new();
    let external_id = text("external_id", d.external_id, false, &mut errors);
    let description = text("description", d.description, true, &mut errors);
    let venue = text("venue", d.venue, false, &mut errors);
    let district = text("district", d.district, false, &mut errors);
    let organizer = text("organizer", d.organizer, false, &mut errors);
    let co_organizers = d.co_organizers.map(|l| {
        l.into_iter()
            .filter_map(|s| text("co_organizers", Some(s), false, &mut errors))
            .collect::<Vec<_>>()
    });
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let fields = EventFields {
        external_id: match external_id {
            Some(e) if e.is_empty() => None,
            Some(e) => Some(e),
            None => b.and_then(|b| b.external_id.clone()),
        },
        name,
        kind,
        themes,
        description: description
            .or_else(|| b.map(|b| b.description.clone()))
            .unwrap_or_default(),
        starts_at,
        ends_at,
        venue: venue
            .or_else(|| b.map(|b| b.venue.clone()))
            .unwrap_or_default(),
        district: match district {
            Some(s) if s.is_empty() => None,
            Some(s) => Some(s),
            None => b.and_then(|b| b.district.clone()),
        },
        organizer: organizer
            .or_else(|| b.map(|b| b.organizer.clone()))
            .unwrap_or_default(),
        co_organizers: co_organizers
            .or_else(|| b.map(|b| b.co_organizers.clone()))
            .unwrap_or_default(),
        capacity: d.capacity.or(b.map(|b| b.capacity)).unwrap_or(100),
        registration_opens_at: d
            .registration_opens_at
            .or(b.and_then(|b| b.registration_opens_at)),
        registration_closes_at: d
            .registration_closes_at
            .or(b.and_then(|b| b.registration_closes_at)),
        published: d.published.or(b.map(|b| b.published)).unwrap_or(false),
        auto_confirm: d
            .auto_confirm
            .or(b.map(|b| b.auto_confirm))
            .unwrap_or(false),
        meeting: MeetingSettings {
            slot_minutes: d
                .slot_minutes
                .or(b.map(|b| b.meeting.slot_minutes))
                .unwrap_or(20),
            hours: d
                .meeting_hours
                .or_else(|| b.map(|b| b.meeting.hours.clone()))
                .unwrap_or_default(),
            tables: d.tables.or(b.map(|b| b.meeting.tables)).unwrap_or(0),
            spare_share: d
                .spare_share
                .or(b.map(|b| b.meeting.spare_share))
                .unwrap_or(0.1),
        },
    };
    let errors = fields.check();
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    Ok((fields, status))
}

/// Moves `from` to `to` or says which moves are allowed (409).
pub(crate) fn check_move(from: EventStatus, to: EventStatus) -> Result<()> {
    crate::fields::check_move("an event", from, to, transition)
}

impl App {
    /// Staff only: events are bureau work.
    pub(crate) fn require_staff(&self, who: &Principal, action: Action) -> Result<()> {
        authorize(who, Resource::Bureau, action)
    }

    /// The events the viewer may see.
    pub async fn events(&self, viewer: &Viewer, filter: &EventFilter) -> Result<Page<EventRow>> {
        crate::limits::check_page(filter.limit, filter.offset)?;
        Ok(self.store().list_events(viewer.scope(), filter).await?)
    }

    /// One event the viewer may see.
    pub async fn event(&self, viewer: &Viewer, id: i64) -> Result<EventRow> {
        Ok(self.store().visible_event(viewer.scope(), id).await?)
    }

    /// Staff create an event (status `planned` unless given, unpublished unless said).
    pub async fn create_event(&self, who: &Principal, draft: EventDraft) -> Result<EventRow> {
        self.require_staff(who, Action::Create)?;
        let (fields, status) = merge(None, draft)?;
        let status = status.unwrap_or(EventStatus::Planned);
        Ok(self
            .store()
            .insert_event(&fields, status, None, &who.actor())
            .await?)
    }

    /// Staff edit an event; a `status` in the draft must be an allowed move.
    pub async fn update_event(
        &self,
        who: &Principal,
        id: i64,
        draft: EventDraft,
    ) -> Result<EventRow> {
        self.require_staff(who, Action::Update)?;
        let current = self.store().visible_event(who.scope(), id).await?;
        let version = draft.version.unwrap_or(current.version);
        let (fields, status) = merge(Some(&current), draft)?;
        let status = status.unwrap_or(current.status);
        check_move(current.status, status)?;
        Ok(self
            .store()
            .update_event(id, version, &fields, status, &who.actor())
            .await?)
    }

    /// Staff copy an event (e.g. last year's) as a new planned, unpublished
    /// one; a new start shifts every time of the event with it.
    pub async fn clone_event(
        &self,
        who: &Principal,
        id: i64,
        draft: CloneDraft,
    ) -> Result<EventRow> {
        self.require_staff(who, Action::Create)?;
        let source = self.store().visible_event(who.scope(), id).await?;
        let mut fields = source.fields.clone();
        let shift = draft
            .starts_at
            .map(|s| s - fields.starts_at)
            .unwrap_or_else(Duration::zero);
        let moved = |t: DateTime<Utc>| t + shift;
        fields.starts_at = moved(fields.starts_at);
        fields.ends_at = moved(fields.ends_at);
        fields.registration_opens_at = fields.registration_opens_at.map(moved);
        fields.registration_closes_at = fields.registration_closes_at.map(moved);
        for w in &mut fields.meeting.hours {
            w.start = moved(w.start);
            w.end = moved(w.end);
        }
        let mut errors = Vec::new();
        let name = text("name", draft.name, false, &mut errors);
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        fields.name = match name {
            Some(n) if !n.is_empty() => n,
            _ => {
                // The suffix must not push a long name past its limit.
                let keep = qiao_core::event::MAX_NAME_CHARS - "（副本）".chars().count();
                let name: String = fields.name.chars().take(keep).collect();
                format!("{name}（副本）")
            }
        };
        fields.external_id = None;
        fields.published = false;
        let errors = fields.check();
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        Ok(self
            .store()
            .insert_event(&fields, EventStatus::Planned, Some(id), &who.actor())
            .await?)
    }
}
