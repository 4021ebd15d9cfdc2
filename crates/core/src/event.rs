//! Events as the platform understands them: the settings staff give an
//! event, the time windows people are available in, and the meeting slots
//! that follow from them. Pure data and checks; no I/O.

use crate::record::FieldError;
use crate::vocab::{EventKind, EventStatus, Field};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Limits a client cannot exceed.
pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_TEXT_CHARS: usize = 5_000;
pub const MAX_CO_ORGANIZERS: usize = 20;
pub const MAX_WINDOWS: usize = 20;
pub const MAX_TABLES: i32 = 500;
pub const MAX_CAPACITY: i32 = 100_000;
/// Slots per event: a week of 10-minute slots would be far past any real event.
pub const MAX_SLOTS: usize = 400;

/// A span of time, `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Window {
    pub fn contains(&self, other: &Window) -> bool {
        self.start <= other.start && other.end <= self.end
    }
}

/// How 1:1 meetings at an event are laid out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingSettings {
    pub slot_minutes: i32,
    /// Windows for meetings; the gaps between them are breaks. Empty: the whole event.
    pub hours: Vec<Window>,
    pub tables: i32,
    /// Share of tables kept free, 0–0.9.
    pub spare_share: f64,
}

impl MeetingSettings {
    /// Tables the scheduler may use in each slot: the spare share is rounded
    /// up, so "10 % of 16 tables" keeps 2 free rather than 1.
    pub fn usable_tables(&self) -> u32 {
        let tables = self.tables.max(0) as f64;
        let spare = (tables * self.spare_share).ceil();
        (tables - spare).max(0.0) as u32
    }

    /// The meeting slots in order: each window cut into whole slots.
    pub fn slots(&self, starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> Vec<Window> {
        let whole = [Window {
            start: starts_at,
            end: ends_at,
        }];
        let windows: &[Window] = if self.hours.is_empty() {
            &whole
        } else {
            &self.hours
        };
        let mut windows = windows.to_vec();
        windows.sort_by_key(|w| w.start);
        let len = Duration::minutes(self.slot_minutes.max(1) as i64);
        let mut slots = Vec::new();
        for w in windows {
            let mut t = w.start;
            while t + len <= w.end && slots.len() < MAX_SLOTS {
                slots.push(Window {
                    start: t,
                    end: t + len,
                });
                t += len;
            }
        }
        slots
    }
}

/// What staff say about an event (the editable part).
#[derive(Debug, Clone, PartialEq)]
pub struct EventFields {
    pub external_id: Option<String>,
    pub name: String,
    pub kind: EventKind,
    pub themes: Vec<Field>,
    pub description: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub venue: String,
    pub district: Option<String>,
    pub organizer: String,
    pub co_organizers: Vec<String>,
    pub capacity: i32,
    pub registration_opens_at: Option<DateTime<Utc>>,
    pub registration_closes_at: Option<DateTime<Utc>>,
    pub published: bool,
    pub auto_confirm: bool,
    pub meeting: MeetingSettings,
}

impl EventFields {
    /// Every rule the fields break, each with its field.
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut err = |field: &str, message: String| {
            errors.push(FieldError {
                field: field.into(),
                message,
            })
        };
        let name = self.name.trim();
        if name.is_empty() {
            err("name", "required".into());
        } else if name.chars().count() > MAX_NAME_CHARS {
            err("name", format!("at most {MAX_NAME_CHARS} characters"));
        }
        for (field, text) in [("description", &self.description), ("venue", &self.venue)] {
            if text.chars().count() > MAX_TEXT_CHARS {
                err(field, format!("at most {MAX_TEXT_CHARS} characters"));
            }
        }
        if self
            .external_id
            .as_deref()
            .is_some_and(|e| e.chars().count() > 100)
        {
            err("external_id", "at most 100 characters".into());
        }
        if self
            .district
            .as_deref()
            .is_some_and(|d| d.chars().count() > MAX_NAME_CHARS)
        {
            err("district", format!("at most {MAX_NAME_CHARS} characters"));
        }
        if self.organizer.chars().count() > MAX_NAME_CHARS {
            err("organizer", format!("at most {MAX_NAME_CHARS} characters"));
        }
        if self.co_organizers.len() > MAX_CO_ORGANIZERS {
            err(
                "co_organizers",
                format!("at most {MAX_CO_ORGANIZERS} co-organizers"),
            );
        }
        if self
            .co_organizers
            .iter()
            .any(|c| c.trim().is_empty() || c.chars().count() > MAX_NAME_CHARS)
        {
            err(
                "co_organizers",
                format!("each a name of 1–{MAX_NAME_CHARS} characters"),
            );
        }
        if self.ends_at <= self.starts_at {
            err("ends_at", "must be after starts_at".into());
        } else if self.ends_at - self.starts_at > Duration::days(14) {
            err("ends_at", "an event lasts at most 14 days".into());
        }
        if !(0..=MAX_CAPACITY).contains(&self.capacity) {
            err("capacity", format!("0–{MAX_CAPACITY}"));
        }
        if let (Some(o), Some(c)) = (self.registration_opens_at, self.registration_closes_at)
            && c <= o
        {
            err(
                "registration_closes_at",
                "must be after registration_opens_at".into(),
            );
        }
        if let Some(c) = self.registration_closes_at
            && c > self.ends_at
        {
            err(
                "registration_closes_at",
                "must not be after the event ends".into(),
            );
        }
        let m = &self.meeting;
        if !(5..=240).contains(&m.slot_minutes) {
            err("slot_minutes", "5–240 minutes".into());
        }
        if !(0..=MAX_TABLES).contains(&m.tables) {
            err("tables", format!("0–{MAX_TABLES}"));
        }
        if !(0.0..=0.9).contains(&m.spare_share) || m.spare_share.is_nan() {
            err("spare_share", "a share from 0 to 0.9".into());
        }
        if m.hours.len() > MAX_WINDOWS {
            err("meeting_hours", format!("at most {MAX_WINDOWS} windows"));
        }
        let event = Window {
            start: self.starts_at,
            end: self.ends_at,
        };
        let mut hours = m.hours.clone();
        hours.sort_by_key(|w| w.start);
        for (i, w) in hours.iter().enumerate() {
            if w.end <= w.start {
                err(
                    "meeting_hours",
                    "each window must end after it starts".into(),
                );
                break;
            }
            if !event.contains(w) {
                err(
                    "meeting_hours",
                    "meeting hours must lie within the event".into(),
                );
                break;
            }
            if i > 0 && hours[i - 1].end > w.start {
                err("meeting_hours", "windows must not overlap".into());
                break;
            }
        }
        errors
    }
}

/// Checks a participant's availability windows against the event.
pub fn check_availability(windows: &[Window], event: Window) -> Result<(), String> {
    if windows.len() > MAX_WINDOWS {
        return Err(format!("at most {MAX_WINDOWS} windows"));
    }
    for w in windows {
        if w.end <= w.start {
            return Err("each window must end after it starts".into());
        }
        if w.end <= event.start || w.start >= event.end {
            return Err("each window must overlap the event".into());
        }
    }
    Ok(())
}

/// Whether a participant with these windows can attend `slot` (no windows: all day).
pub fn available(windows: &[Window], slot: &Window) -> bool {
    windows.is_empty() || windows.iter().any(|w| w.contains(slot))
}

/// The status an event may move to, or the allowed ones.
pub fn transition(from: EventStatus, to: EventStatus) -> Result<(), &'static [EventStatus]> {
    if from.next().contains(&to) {
        Ok(())
    } else {
        Err(from.next())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 21, h, m, 0).unwrap()
    }

    #[test]
    fn slots_follow_the_meeting_hours_and_skip_breaks() {
        let settings = MeetingSettings {
            slot_minutes: 20,
            hours: vec![
                Window {
                    start: t(5, 0),
                    end: t(6, 0),
                },
                Window {
                    start: t(1, 0),
                    end: t(1, 50),
                },
            ],
            tables: 10,
            spare_share: 0.1,
        };
        let slots = settings.slots(t(0, 0), t(9, 0));
        // 1:00–1:40 (the 10 leftover minutes are no slot), then 5:00–6:00.
        assert_eq!(slots.len(), 2 + 3);
        assert_eq!(slots[0].start, t(1, 0));
        assert_eq!(slots[2].start, t(5, 0));
        assert_eq!(settings.usable_tables(), 9);
    }

    #[test]
    fn spare_share_rounds_up() {
        let mut s = MeetingSettings {
            slot_minutes: 20,
            hours: vec![],
            tables: 16,
            spare_share: 0.1,
        };
        assert_eq!(s.usable_tables(), 14);
        s.spare_share = 0.0;
        assert_eq!(s.usable_tables(), 16);
    }

    #[test]
    fn lifecycle_refuses_jumps() {
        assert!(transition(EventStatus::Planned, EventStatus::RegistrationOpen).is_ok());
        let allowed = transition(EventStatus::Closed, EventStatus::Planned).unwrap_err();
        assert!(allowed.is_empty());
        assert!(transition(EventStatus::RegistrationOpen, EventStatus::Held).is_err());
    }

    #[test]
    fn availability_contains_whole_slots_only() {
        let w = [Window {
            start: t(1, 0),
            end: t(2, 0),
        }];
        assert!(available(
            &w,
            &Window {
                start: t(1, 0),
                end: t(1, 20)
            }
        ));
        assert!(!available(
            &w,
            &Window {
                start: t(1, 50),
                end: t(2, 10)
            }
        ));
        assert!(available(
            &[],
            &Window {
                start: t(8, 0),
                end: t(8, 20)
            }
        ));
    }
}
