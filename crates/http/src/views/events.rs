//! Events as the API returns them.

use qiao_app::events::EventRow;
use qiao_core::vocab::Vocabulary;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A span of time.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowDoc {
    #[schema(format = DateTime)]
    pub start: chrono::DateTime<chrono::Utc>,
    #[schema(format = DateTime)]
    pub end: chrono::DateTime<chrono::Utc>,
}

/// How 1:1 meetings are laid out.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingSettingsDoc {
    pub slot_minutes: i32,
    /// Meeting windows; the gaps between them are breaks. Empty: the whole event.
    pub hours: Vec<WindowDoc>,
    pub tables: i32,
    /// Share of tables kept free.
    pub spare_share: f64,
    /// Tables the scheduler uses per slot (the spare share rounded up is kept free).
    pub usable_tables: u32,
    /// Meeting slots that follow from the settings.
    pub slots: u32,
}

/// A matchmaking event (对接活动) or training session.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventDoc {
    pub id: i64,
    #[schema(required = true)]
    pub external_id: Option<String>,
    pub name: String,
    /// `comprehensive`, `thematic`, `commissioner_training` or `international`.
    pub kind: String,
    pub kind_label: String,
    /// `planned`, `registration_open`, `registration_closed`, `held`, `closed` or `cancelled`.
    pub status: String,
    pub status_label: String,
    /// Field codes.
    pub themes: Vec<String>,
    pub description: String,
    #[schema(format = DateTime)]
    pub starts_at: String,
    #[schema(format = DateTime)]
    pub ends_at: String,
    pub venue: String,
    #[schema(required = true)]
    pub district: Option<String>,
    pub organizer: String,
    pub co_organizers: Vec<String>,
    pub capacity: i32,
    #[schema(required = true, format = DateTime)]
    pub registration_opens_at: Option<String>,
    #[schema(required = true, format = DateTime)]
    pub registration_closes_at: Option<String>,
    /// Shown to everyone; unpublished events are seen by staff only.
    pub published: bool,
    /// Registrations are confirmed on arrival while places remain.
    pub auto_confirm: bool,
    pub meeting: MeetingSettingsDoc,
    /// The statuses the event may move to next.
    pub next_statuses: Vec<String>,
    #[schema(required = true)]
    pub cloned_from: Option<i64>,
    pub version: i32,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<EventRow> for EventDoc {
    fn from(e: EventRow) -> Self {
        let f = e.fields;
        let slots = f.meeting.slots(f.starts_at, f.ends_at).len() as u32;
        Self {
            id: e.id,
            external_id: f.external_id,
            name: f.name,
            kind: f.kind.code().into(),
            kind_label: f.kind.label_zh().into(),
            status: e.status.code().into(),
            status_label: e.status.label_zh().into(),
            themes: f.themes.iter().map(|t| t.code().to_string()).collect(),
            description: f.description,
            starts_at: f.starts_at.to_rfc3339(),
            ends_at: f.ends_at.to_rfc3339(),
            venue: f.venue,
            district: f.district,
            organizer: f.organizer,
            co_organizers: f.co_organizers,
            capacity: f.capacity,
            registration_opens_at: f.registration_opens_at.map(|t| t.to_rfc3339()),
            registration_closes_at: f.registration_closes_at.map(|t| t.to_rfc3339()),
            published: f.published,
            auto_confirm: f.auto_confirm,
            meeting: MeetingSettingsDoc {
                slot_minutes: f.meeting.slot_minutes,
                hours: f
                    .meeting
                    .hours
                    .iter()
                    .map(|w| WindowDoc {
                        start: w.start,
                        end: w.end,
                    })
                    .collect(),
                tables: f.meeting.tables,
                spare_share: f.meeting.spare_share,
                usable_tables: f.meeting.usable_tables(),
                slots,
            },
            next_statuses: e.status.next().iter().map(|s| s.code().into()).collect(),
            cloned_from: e.cloned_from,
            version: e.version,
            created_at: e.created_at.to_rfc3339(),
            updated_at: e.updated_at.to_rfc3339(),
        }
    }
}

/// One page of events.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventPage {
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
    pub items: Vec<EventDoc>,
}
