//! `rewind rollback`: the runbook's "fetch the tags, branch `release/<tag>`
//! from the last good tag, deploy that branch" as a [`Plan`] of ordered
//! steps that is shown in full first ([`prepare`]), then carried out step by
//! step ([`run`]), each step journaled before it starts and after it ends,
//! so that an interrupted rollback can be picked up again ([`resume`]) and
//! told afterwards ([`report`]).
//!
//! Auto-deploy holds ([`hold`]) live here too: a rollback holds auto-deploy
//! so that the next merge does not ship the bad code again.

mod act;
mod archive;
mod database;
mod error;
mod facts;
mod fetch_once;
mod fleet;
mod guard;
mod method;
mod plan;
mod prepare;
pub mod report;
mod restore;
mod resume;
mod run;
mod steps;
mod target;
mod verify;
#[cfg(test)]
mod with_fake;

pub use archive::{ARCHIVE_TEMPLATE_ENV, archive_url};
pub use database::{
    DatabaseChoice, DatabasePlan, MigrationLine, MigrationSummary, RestorePlan, add_database,
};
pub use error::{ErrorClass, RollbackError};
pub use facts::Facts;
pub use fleet::{
    AppRun, AppSummary, FleetApp, FleetError, FleetMember, FleetPlan, FleetProgress, FleetReport,
    FleetSummary, FleetTools, fleet_report, is_fleet, prepare_fleet, resume_fleet, run_fleet,
};
pub use guard::resumable_outcome;
// Holds live in their own module (`crate::hold`): `status` and `doctor`
// read them without depending on the rollback. Named here too, where
// callers of the rollback have always found them.
pub use crate::hold::{HoldChange, HoldError, HoldState, hold, hold_state, unhold};
pub use method::Method;
pub use plan::{Plan, ReleaseRef, Removed, RemovedCommit, RemovedMigration, RemovedSection};
pub use prepare::{PrepareOptions, prepare};
pub use report::{Report, report};
pub use resume::{guide_rollback, resumable, resume, rolled_back_from};
pub use run::{Outcome, Progress, RunOptions, StepOutcome, StepReport, Summary, Tools, run};
pub use steps::{PlannedStep, StepId};

/// The `command` of a rollback incident's opening entry.
pub const COMMAND: &str = "rollback";
