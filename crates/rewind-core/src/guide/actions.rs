//! What every leaf shares: how an action ends, and the failure it may end
//! with, in words and hints, whatever module it came from.

use std::path::PathBuf;

use serde::Serialize;

use crate::db::DbError;
use crate::platform::PlatformError;
use crate::rollback::RollbackError;

use super::error::GuideError;

/// How an action ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ActionOutcome {
    Done,
    /// `--dry-run`: the plan was shown, nothing was done.
    DryRun,
    Failed {
        error: String,
        hints: Vec<String>,
        /// A safety check stopped it (another rollback to finish, a second
        /// restore, `--yes` over destructive migrations): a refusal.
        #[serde(default)]
        refused: bool,
    },
}

/// One action of the walk, once over.
#[derive(Debug, Clone, Serialize)]
pub struct ActionReport {
    /// The action node's id (`a1`).
    pub node: String,
    /// The action's kind (`switch_feature_off`).
    pub action: &'static str,
    pub outcome: ActionOutcome,
    /// What was done (or would be, in a dry run), line by line.
    pub lines: Vec<String>,
    /// The ticket draft written, if any.
    pub ticket: Option<PathBuf>,
    /// The incident a rollback recorded itself under, for `rewind report`.
    pub rollback_incident: Option<String>,
}

/// Why an action failed, ready to show.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub error: String,
    pub hints: Vec<String>,
    pub refused: bool,
}

impl Failure {
    pub fn new(error: impl Into<String>) -> Self {
        Failure {
            error: error.into(),
            hints: Vec::new(),
            refused: false,
        }
    }

    /// The same failure, as a refusal by a safety check.
    pub fn refused(mut self) -> Self {
        self.refused = true;
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }
}

impl From<PlatformError> for Failure {
    fn from(e: PlatformError) -> Self {
        Failure {
            hints: e.hints(),
            error: e.to_string(),
            refused: false,
        }
    }
}

impl From<DbError> for Failure {
    fn from(e: DbError) -> Self {
        Failure {
            hints: e.hints(),
            error: e.to_string(),
            refused: e.kind() == crate::db::DbErrorKind::Refused,
        }
    }
}

impl From<RollbackError> for Failure {
    fn from(e: RollbackError) -> Self {
        Failure {
            hints: e.hints(),
            error: e.to_string(),
            refused: e.class() == crate::rollback::ErrorClass::Refused,
        }
    }
}

/// Why an action stopped: it failed, or the walk itself must stop (nobody
/// to ask, the journal).
#[derive(Debug)]
pub(crate) enum Stop {
    Failed(Failure),
    Guide(GuideError),
}

impl<E: Into<Failure>> From<E> for Stop {
    fn from(e: E) -> Self {
        Stop::Failed(e.into())
    }
}
