//! sea-orm entities, one module per table. Enumerated values are stored as
//! their vocabulary codes (see `qiao_core::vocab`), lists as JSON arrays and
//! money as whole yuan.

pub mod annual_plan;
pub mod api_token;
pub mod attendance;
pub mod audit_log;
pub mod capability;
pub mod embedding;
pub mod event;
pub mod match_suggestion;
pub mod meeting;
pub mod meeting_request;
pub mod membership_request;
pub mod need;
pub mod organization;
pub mod outbox;
pub mod plan_actual;
pub mod plan_key_need;
pub mod plan_target;
pub mod project;
pub mod project_attachment;
pub mod project_milestone;
pub mod project_note;
pub mod project_partner;
pub mod registration;
pub mod session;
pub mod setting;
pub mod user;
