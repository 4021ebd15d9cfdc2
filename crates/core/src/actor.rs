//! Who acts, as the audit log records it.

/// A user, or the command line / system for unattended work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub label: String,
}

impl Actor {
    pub fn system(label: &str) -> Self {
        Self {
            user_id: None,
            label: label.to_string(),
        }
    }

    pub fn user(id: i64, email: &str) -> Self {
        Self {
            user_id: Some(id),
            label: email.to_string(),
        }
    }
}
