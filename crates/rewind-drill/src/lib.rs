//! `rewind drill`: the whole bad night rehearsed in one command, on a
//! local sandbox. The drill builds a workspace (a release-please app with
//! four releases and their migrations, its bare origin and a clone, a
//! rewind.toml as `rewind init` writes it), deploys the good releases
//! while production writes rows, breaks production with v1.3.0, walks the
//! runbook's tree with rewind's own guide (scripted along a scenario's
//! path, or answered by a person), then checks the outcome where it lives
//! and tells what was lost and how long it took.
//!
//! This crate is where rewind's client and the sandbox meet: it seeds and
//! starts the sandbox, and rewind-core speaks the Scalingo API to it as to
//! any platform (the sandbox's admin routes over HTTP), so that neither of
//! the two depends on the other. The `rewind drill` command prints the
//! steps and asks the questions.
//!
//! - [`workspace`], [`history`], [`git`]: the app and its repositories;
//! - [`night`]: the releases, the rows, the breakage and the alert;
//! - [`monorepo`], [`fleet_night`]: the multi-app scenario's monorepo
//!   (front and api), its night and its checks;
//! - [`scenario`]: the paths, their answers and outcomes;
//! - [`checks`]: the outcome, checked on the platform and in the data;
//! - [`sandbox`]: the sandbox seeded for the night, and the client fitted
//!   to it;
//! - [`timing`], [`replay`], [`listener`], [`admin`]: the rest.

pub mod admin;
pub mod checks;
mod error;
pub mod fleet_night;
pub mod git;
pub mod history;
pub mod listener;
pub mod monorepo;
pub mod night;
mod pace;
pub mod replay;
pub mod sandbox;
pub mod scenario;
pub mod timing;
pub mod workspace;

use std::path::PathBuf;

use serde::Serialize;

pub use checks::{Check, DataLoss, verify};
pub use error::DrillError;
pub use listener::Listener;
pub use night::{Broken, Reporter, Shipped, Stage, StepLine};
pub use pace::Pace;
pub use scenario::Scenario;
pub use timing::{Timed, Timings};
pub use workspace::{ConfigSettings, Workspace};

use rewind_core::guide::GuideOptions;
use rewind_core::i18n::Lang;
use rewind_core::tree::{PresetAnswers, PresetError, Tree};

/// The guide's options for the drill: tickets, backups and polls in the
/// workspace and at the drill's pace; `auto` confirms every action as
/// `--yes` does (a person confirms by typing the app's name otherwise).
pub fn guide_options(
    ws: &Workspace,
    pace: &Pace,
    follow: rewind_core::follow::FollowOptions,
    auto: bool,
    lang: Lang,
) -> GuideOptions {
    let mut options = GuideOptions::new(
        lang,
        ws.ticket_dir.clone(),
        ws.backup_dir.clone(),
        "rewind-drill",
    );
    options.yes = auto;
    // The scenarios that redeploy without restoring leave the database as
    // it is on purpose: say so, as a person scripting `--yes` must.
    options.no_db = true;
    options.follow = follow;
    options.poll_first = pace.poll;
    options.poll_max = pace.poll * 4;
    options.restart_deadline = pace.deploy * 20 + std::time::Duration::from_secs(30);
    options
}

/// The scenario's answers, or none when a person answers.
pub fn preset(tree: &Tree, scenario: Scenario, auto: bool) -> Result<PresetAnswers, PresetError> {
    if auto {
        PresetAnswers::parse(tree, scenario.answers())
    } else {
        Ok(PresetAnswers::default())
    }
}

/// The drill's end, for `--json` and for people.
#[derive(Debug, Clone, Serialize)]
pub struct DrillSummary {
    pub scenario: &'static str,
    pub expected: &'static str,
    /// Whether the rehearsal reached its expected outcome.
    pub reached: bool,
    /// `real` (a PostgreSQL cluster) or `simulated`.
    pub database: String,
    pub deploy_duration_ms: u64,
    pub steps: Vec<StepLine>,
    pub checks: Vec<Check>,
    pub data: DataLoss,
    /// What the team's webhook received, in order.
    pub webhook_messages: Vec<String>,
    pub timings: Timings,
    pub guide_incident: Option<String>,
    pub rollback_incident: Option<String>,
    /// The incident reports as Markdown.
    pub report: String,
    /// Where the workspace is, when kept.
    pub workspace: Option<PathBuf>,
    pub replay: Vec<String>,
}
