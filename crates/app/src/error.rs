//! What a use case can answer besides success. The HTTP layer maps each kind
//! to a status and a problem document; the CLI prints it.

use qiao_core::record::FieldError;
use qiao_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Absent, or hidden from this viewer by the visibility rule (the two are not told apart).
    #[error("not found")]
    NotFound,
    /// The use case needs a signed-in user.
    #[error("authentication required")]
    Unauthenticated,
    /// Visible, but the write policy refuses the action.
    #[error("forbidden")]
    Forbidden,
    /// Another record holds the value, or the record changed meanwhile.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The input breaks the rules of one or more fields.
    #[error("{} field(s) are invalid", .0.len())]
    Invalid(Vec<FieldError>),
    /// The request as a whole cannot be understood.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A dependency (database, index) cannot answer now.
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// One invalid field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(_) => Self::NotFound,
            StoreError::Conflict(msg) => Self::Conflict(msg),
            StoreError::Invalid(msg) => Self::BadRequest(msg),
            StoreError::Db(e) => Self::Internal(anyhow::Error::new(e)),
        }
    }
}

impl From<qiao_search::SearchError> for Error {
    fn from(e: qiao_search::SearchError) -> Self {
        match e {
            qiao_search::SearchError::InvalidQuery(msg) => Self::BadRequest(msg),
            e => Self::Internal(anyhow::Error::new(e)),
        }
    }
}
