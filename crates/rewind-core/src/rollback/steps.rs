//! The steps a rollback can have, in the order they run, with the stable
//! ids the journal records them under (`rewind resume` reads them back).

use serde::{Deserialize, Serialize};

/// One kind of step. Steps that other parts of rewind add (a database
/// restore, for one) go before [`StepId::Deploy`]: the plan keeps that
/// place for them ([`super::Plan::insert_before_deploy`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepId {
    /// Create `release/<tag>` at the tag's commit, without a checkout.
    Branch,
    /// Push the branch to the team's remote.
    Push,
    /// Switch the SCM link's auto-deploy off.
    Hold,
    /// A manual backup of the database, followed and downloaded
    /// (`--with-db`).
    SafetyBackup,
    /// The point-in-time restore to just before the bad release
    /// (`--with-db`).
    PitrRestore,
    /// Start the deployment.
    Deploy,
    /// Follow the deployment to its end.
    Follow,
    /// Check that the app runs the target, and its health check.
    Verify,
    /// Tell the team through the webhook.
    Notify,
    /// Record the release rolled back from as bad.
    MarkBad,
}

impl StepId {
    pub const ALL: [StepId; 10] = [
        StepId::Branch,
        StepId::Push,
        StepId::Hold,
        StepId::SafetyBackup,
        StepId::PitrRestore,
        StepId::Deploy,
        StepId::Follow,
        StepId::Verify,
        StepId::Notify,
        StepId::MarkBad,
    ];

    /// The id the journal records.
    pub fn as_str(self) -> &'static str {
        match self {
            StepId::Branch => "branch",
            StepId::Push => "push",
            StepId::Hold => "hold",
            StepId::SafetyBackup => "safety-backup",
            StepId::PitrRestore => "pitr-restore",
            StepId::Deploy => "deploy",
            StepId::Follow => "follow",
            StepId::Verify => "verify",
            StepId::Notify => "notify",
            StepId::MarkBad => "mark-bad",
        }
    }

    pub fn parse(id: &str) -> Option<StepId> {
        StepId::ALL.into_iter().find(|s| s.as_str() == id)
    }
}

impl std::fmt::Display for StepId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A step as the plan shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedStep {
    pub id: StepId,
    /// One line saying what the step will do, with its key facts.
    pub title: String,
}

impl PlannedStep {
    pub fn new(id: StepId, title: impl Into<String>) -> Self {
        PlannedStep {
            id,
            title: title.into(),
        }
    }
}
