//! What the API answers, as types. Each view is both what a handler
//! serializes and what the OpenAPI description shows, so the two cannot
//! drift apart; a view is all that is sent, so each is described as closed
//! (`deny_unknown_fields`, `additionalProperties: false`). Shapes the
//! application builds as JSON are read into their view with unknown keys
//! refused: a field added there fails the tests until it is added here.

mod accounts;
mod attachments;
mod events;
mod listings;
mod projects;
mod search;
mod suggestions;
mod transfer;

pub use accounts::{SessionDoc, TokenDoc, UserDoc};
pub use attachments::AttachmentDoc;
pub use events::{EventDoc, EventPage, WindowDoc};
pub use listings::{CapabilityDoc, NeedDoc, OrganizationDoc};
pub use projects::{
    KeyProjectsDoc, MilestoneDoc, NoteDoc, ProjectDetailDoc, ProjectDoc, ProjectPage,
    TransparencySettingsDoc,
};
pub use search::SearchResultsDoc;
pub use suggestions::{AssignmentDoc, DecisionDoc, GreedyDoc, ProposalDoc, SuggestionListDoc};
pub use transfer::ImportReportDoc;

use crate::error::AppError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// Reads JSON built by the application into its view. A mismatch is a bug
/// of ours, not of the client: it is logged and answered 500.
pub fn typed<T: DeserializeOwned>(value: Value) -> Result<T, AppError> {
    serde_json::from_value(value).map_err(|e| {
        AppError::Internal(format!(
            "the answer does not fit {}: {e}",
            std::any::type_name::<T>()
        ))
    })
}

/// [`typed`], for a value of the application that serializes itself.
pub fn typed_from<T: DeserializeOwned>(value: &impl Serialize) -> Result<T, AppError> {
    let json = serde_json::to_value(value)
        .map_err(|e| AppError::Internal(format!("the answer does not serialize: {e}")))?;
    typed(json)
}

/// A page type per resource: utoipa would inline a generic page's items,
/// while these name their item schema.
macro_rules! page {
    ($name:ident, $item:ty $(, $derive:path)*) => {
        /// One page of a list.
        #[derive(Debug, Serialize, ToSchema $(, $derive)*)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// Items matching the filters, on all pages.
            pub total: u64,
            pub limit: u64,
            pub offset: u64,
            pub items: Vec<$item>,
        }
    };
}

page!(NeedPage, NeedDoc, Deserialize);
page!(CapabilityPage, CapabilityDoc, Deserialize);
page!(OrganizationPage, OrganizationDoc);
page!(UserPage, UserDoc);

#[cfg(test)]
mod tests;
