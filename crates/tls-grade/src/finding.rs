//! A finding: one reason a grade is what it is, with the fix that removes it.

use crate::advice::Fix;
use serde::Serialize;

/// One reason, in the words of the scheme that applied it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable id, e.g. `tls10-offered`.
    pub id: &'static str,
    /// What it does to the grade: `cap B`, `warning`, `critical` …
    pub effect: String,
    pub message: String,
    pub fix: Option<Fix>,
}

impl Finding {
    pub fn new(
        id: &'static str,
        effect: impl Into<String>,
        message: impl Into<String>,
        fix: Option<Fix>,
    ) -> Self {
        Self {
            id,
            effect: effect.into(),
            message: message.into(),
            fix,
        }
    }
}
