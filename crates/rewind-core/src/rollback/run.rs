//! The run engine: carries out a plan's steps in order, each journaled
//! before it starts and after it ends with its key facts; stops at a step
//! boundary when Ctrl-C was pressed (journaled, resumable); stops at the
//! first failed step and says whether the previous release still runs.
//! The same engine finishes an interrupted run ([`super::resume`]), skipping
//! the steps the journal knows are complete.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use crate::config::AppConfig;
use crate::follow::{FollowEvent, FollowOptions};
use crate::git::Git;
use crate::interrupt::Interrupt;
use crate::journal::{EntryKind, Holder, IncidentId, Journal};
use crate::platform::Platform;
use crate::secret::Secret;

use super::database::DatabaseChoice;
use super::error::RollbackError;
use super::facts::Facts;
use super::guard;
use super::method::Method;
use super::plan::{Plan, ReleaseRef};
use super::steps::{PlannedStep, StepId};

/// What a rollback acts on and records into.
#[derive(Clone, Copy)]
pub struct Tools<'a> {
    pub platform: &'a dyn Platform,
    pub git: &'a dyn Git,
    pub journal: &'a Journal,
    /// Raised by Ctrl-C: the run stops at the next step boundary.
    pub interrupt: &'a Interrupt,
}

/// Everything a run needs besides the plan.
pub struct RunOptions<'a> {
    pub app: &'a AppConfig,
    /// Who rolls back (the journal, the report and the webhook say so).
    pub actor: &'a str,
    pub reason: Option<&'a str>,
    /// The archive URL template from the environment, for the archive
    /// method.
    pub archive_template: Option<&'a Secret>,
    pub webhook: Option<&'a Secret>,
    pub follow: FollowOptions,
    /// How long the git-push method waits for the platform to start the
    /// deployment of the pushed commit.
    pub push_wait: Duration,
    /// The first and the longest pause between two reads of a safety
    /// backup or a restore being followed.
    pub db_poll_first: Duration,
    pub db_poll_max: Duration,
    /// `--force`: the one-rollback-at-a-time checks made again once the
    /// app is locked are warnings, as they were when planning.
    pub force: bool,
    /// `resume --restore-ran yes|no`: the person's word on a restore rewind
    /// asked for when it was cut short, and cannot see the end of.
    pub restore_ran: Option<bool>,
}

impl<'a> RunOptions<'a> {
    pub fn new(app: &'a AppConfig, actor: &'a str) -> Self {
        RunOptions {
            app,
            actor,
            reason: None,
            archive_template: None,
            webhook: None,
            follow: FollowOptions::default(),
            push_wait: Duration::from_secs(60),
            db_poll_first: Duration::from_millis(500),
            db_poll_max: Duration::from_secs(10),
            force: false,
            restore_ran: None,
        }
    }
}

/// What the caller is told while a rollback runs. Every method has a
/// default, so callers implement only what they show.
pub trait Progress {
    fn step_started(&mut self, step: &PlannedStep) {
        let _ = step;
    }
    fn step_ended(&mut self, step: &PlannedStep, report: &StepReport) {
        let _ = (step, report);
    }
    /// A status change, log line or note of the deployment being followed.
    fn deploy_event(&mut self, event: &FollowEvent) {
        let _ = event;
    }
    /// Something the person must know before the steps start (the team
    /// lock could not be taken, so the rollback works alone).
    fn notice(&mut self, text: &str) {
        let _ = text;
    }
}

/// A progress nobody watches.
impl Progress for () {}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    Done,
    /// Not needed (already true, nothing to do).
    Skipped,
    /// Failed without stopping the rollback (a webhook that did not answer).
    Warned,
    Failed,
    /// Complete before this run (resume).
    AlreadyDone,
    /// Stopped by Ctrl-C.
    Interrupted,
    /// Not reached.
    NotRun,
}

impl StepOutcome {
    /// The words people read for it.
    pub fn label(self) -> &'static str {
        match self {
            StepOutcome::Done => "done",
            StepOutcome::Skipped => "skipped",
            StepOutcome::Warned => "warned",
            StepOutcome::Failed => "failed",
            StepOutcome::AlreadyDone => "already done",
            StepOutcome::Interrupted => "interrupted",
            StepOutcome::NotRun => "not run",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    pub id: StepId,
    pub title: String,
    pub outcome: StepOutcome,
    pub duration_ms: u64,
    /// What happened, in a few words (the deployment id, why skipped...).
    pub detail: Option<String>,
}

/// How a run ended.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Outcome {
    Succeeded,
    Failed {
        step: StepId,
        error: String,
        hints: Vec<String>,
        /// The end of the build log, when a deployment failed.
        log_tail: Vec<String>,
        /// The previous release is still the one serving.
        previous_release_running: bool,
        /// A safety check stopped the run (the safety backup failed): a
        /// refusal, not a failure of the rollback itself.
        #[serde(default)]
        refused: bool,
        /// What runs on the platform now, read again after the failure
        /// ("v1.1.0 runs now (deployment ..., success)"), or why it is
        /// unknown.
        #[serde(default)]
        runs_now: Option<String>,
        /// What this rollback changed before it stopped: `rewind resume`
        /// finishes it without doing these again.
        #[serde(default)]
        changed: Vec<String>,
    },
    Interrupted {
        /// The step that was running or about to run.
        step: StepId,
        message: String,
    },
}

impl Outcome {
    /// How the run ended, in a few words: `succeeded`, ``failed at
    /// `deploy` ``, ``interrupted before `safety-backup` ``.
    pub fn words(&self) -> String {
        match self {
            Outcome::Succeeded => "succeeded".to_string(),
            Outcome::Failed { step, .. } => format!("failed at `{step}`"),
            Outcome::Interrupted { step, .. } => format!("interrupted before `{step}`"),
        }
    }
}

/// The end of a run, for people and for `--json`.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub incident: IncidentId,
    pub app: String,
    pub method: Method,
    pub from: ReleaseRef,
    pub to: ReleaseRef,
    pub steps: Vec<StepReport>,
    pub deployment_id: Option<String>,
    pub outcome: Outcome,
    pub warnings: Vec<String>,
}

/// Why a step did not end well.
#[derive(Debug, Clone)]
pub(crate) enum Stop {
    Failed(Failure),
    Interrupted(String),
}

#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub error: String,
    pub hints: Vec<String>,
    pub log_tail: Vec<String>,
    pub previous_release_running: bool,
    pub refused: bool,
}

impl Failure {
    pub fn new(error: impl Into<String>, hints: Vec<String>) -> Self {
        Failure {
            error: error.into(),
            hints,
            log_tail: Vec::new(),
            previous_release_running: true,
            refused: false,
        }
    }
}

impl From<RollbackError> for Stop {
    fn from(e: RollbackError) -> Self {
        if e.class() == super::error::ErrorClass::Interrupted {
            return Stop::Interrupted(e.to_string());
        }
        Stop::Failed(Failure::new(e.to_string(), e.hints()))
    }
}

impl From<crate::platform::PlatformError> for Stop {
    fn from(e: crate::platform::PlatformError) -> Self {
        // Ctrl-C during a wait of the client (a retry, a rate limit): an
        // interruption at a step boundary, resumable, not a failure.
        if let crate::platform::PlatformError::Interrupted { .. } = &e {
            return Stop::Interrupted(e.to_string());
        }
        RollbackError::from(e).into()
    }
}

impl From<crate::git::GitError> for Stop {
    fn from(e: crate::git::GitError) -> Self {
        RollbackError::from(e).into()
    }
}

impl From<crate::journal::JournalError> for Stop {
    fn from(e: crate::journal::JournalError) -> Self {
        RollbackError::from(e).into()
    }
}

/// How a step that did not stop the run ended.
pub(crate) enum Ended {
    Done(String),
    Skipped(String),
    Warned(String),
}

/// What the steps share during one run.
pub(crate) struct Engine<'a> {
    pub platform: &'a dyn Platform,
    pub git: &'a dyn Git,
    pub journal: &'a Journal,
    pub interrupt: &'a Interrupt,
    pub options: &'a RunOptions<'a>,
    pub plan: &'a Plan,
    pub incident: IncidentId,
    pub opened_at: DateTime<Utc>,
    pub facts: Facts,
    /// The hold record the hold step leaves for its end entry.
    pub hold_note: Option<Value>,
}

/// Carries out `plan`: opens an incident in the journal (the plan in its
/// opening entry), runs every step, and closes it. `Err` only when the
/// journal cannot be written: then nothing was done, or the journal error
/// is the news.
pub fn run(
    tools: &Tools<'_>,
    plan: &Plan,
    options: &RunOptions<'_>,
    progress: &mut dyn Progress,
) -> Result<Summary, RollbackError> {
    let Tools {
        platform,
        git,
        journal,
        interrupt,
    } = *tools;
    // From the confirmation to the end, nobody else on this machine
    // changes the app; what was checked when planning is checked again
    // under the lock, since time passed while the person read the plan.
    let mut lock = crate::team::Lock::acquire(
        journal,
        &plan.app,
        &Holder::me(options.actor, super::COMMAND),
        crate::team::Shared::of(git, options.app),
    )?;
    if let Some(reason) = lock.alone() {
        progress.notice(&crate::team::alone_warning(&plan.app, reason));
    }
    // Who acts on the platform, as the platform knows them (the token's
    // account), beside the name the team knows: asked beside the checks,
    // best effort.
    let platform_user = check_again(journal, platform, plan, options)?;
    let mut opened = opening(plan, options);
    opened["platform_user"] = json!(platform_user);
    let incident = journal.begin(&plan.app, opened)?;
    lock.set_incident(journal, &incident)?;
    let opened_at = journal.incident(incident.as_str())?.opened_at;
    opening_notes(journal, &incident, plan)?;
    let engine = Engine {
        platform,
        git,
        journal,
        interrupt,
        options,
        plan,
        incident,
        opened_at,
        facts: Facts::default(),
        hold_note: None,
    };
    engine.execute(&HashSet::new(), progress)
}

/// What was checked when planning, checked again under the lock: time
/// passed while the person read the plan. One fresh read judged for every
/// check ([`guard::under_lock`]); returns who acts, as the platform knows
/// them (best effort, never waited on or failed for).
pub(crate) fn check_again(
    journal: &Journal,
    platform: &dyn Platform,
    plan: &Plan,
    options: &RunOptions<'_>,
) -> Result<Option<String>, RollbackError> {
    guard::under_lock(journal, platform, plan, options.force)
}

/// The notes an incident opens with: the safety checks overridden, and the
/// database knowingly left in place.
pub(crate) fn opening_notes(
    journal: &Journal,
    incident: &IncidentId,
    plan: &Plan,
) -> Result<(), RollbackError> {
    for note in &plan.overrides {
        journal.record(
            incident,
            &plan.app,
            EntryKind::Note,
            None,
            json!({ "override": note }),
        )?;
    }
    if let Some(database) = plan
        .database
        .as_ref()
        .filter(|d| d.choice == DatabaseChoice::NoDb)
    {
        journal.record(
            incident,
            &plan.app,
            EntryKind::Note,
            None,
            json!({
                "text": database.statement,
                "database": "left in place (--no-db)",
                "migrations": database.migrations,
            }),
        )?;
    }
    Ok(())
}

/// The incident's opening entry: who, why, and the whole plan.
pub(crate) fn opening(plan: &Plan, options: &RunOptions<'_>) -> Value {
    json!({
        "command": super::COMMAND,
        "user": options.actor,
        "reason": options.reason,
        "method": plan.method,
        "from": plan.from.label,
        "to": plan.to.label,
        "plan": plan,
    })
}

/// Where a run of a plan's steps stands: what each step did, the warnings,
/// how it goes so far, and the next step to look at. A run of one app goes
/// through every step at once ([`Engine::execute`]); a rollback of several
/// apps moves each app's pass on phase by phase (`super::fleet`).
pub(crate) struct Pass {
    pub reports: Vec<StepReport>,
    pub warnings: Vec<String>,
    pub outcome: Outcome,
    /// The index in the plan of the next step to look at.
    pub next: usize,
}

impl Pass {
    pub fn new() -> Self {
        Pass {
            reports: Vec::new(),
            warnings: Vec::new(),
            outcome: Outcome::Succeeded,
            next: 0,
        }
    }
}

impl Engine<'_> {
    /// Runs the steps not in `complete`, in order.
    pub(crate) fn execute(
        mut self,
        complete: &HashSet<StepId>,
        progress: &mut dyn Progress,
    ) -> Result<Summary, RollbackError> {
        let mut pass = Pass::new();
        self.advance(&mut pass, complete, None, progress)?;
        self.close(pass)
    }

    /// Runs the steps from `pass.next` on, up to (not including) the
    /// first step `until`, or to the end.
    pub(crate) fn advance(
        &mut self,
        pass: &mut Pass,
        complete: &HashSet<StepId>,
        until: Option<StepId>,
        progress: &mut dyn Progress,
    ) -> Result<(), RollbackError> {
        let plan = self.plan;
        while let Some(step) = plan.steps.get(pass.next) {
            if Some(step.id) == until {
                break;
            }
            if self.begin_step(pass, step, complete, progress)? {
                let started = Instant::now();
                let result = self.perform(step.id, progress);
                self.end_step(pass, step, result, started.elapsed(), progress)?;
            }
        }
        Ok(())
    }

    /// The next step of `pass`, when it is `id`.
    pub(crate) fn next_is(&self, pass: &Pass, id: StepId) -> bool {
        self.plan.steps.get(pass.next).is_some_and(|s| s.id == id)
    }

    /// Looks at `step` (the plan's step at `pass.next`): when it is to be
    /// carried out now, journals its start and says so; otherwise records
    /// why not (not reached, complete before, interrupted before it) and
    /// moves the pass on.
    pub(crate) fn begin_step(
        &mut self,
        pass: &mut Pass,
        step: &PlannedStep,
        complete: &HashSet<StepId>,
        progress: &mut dyn Progress,
    ) -> Result<bool, RollbackError> {
        if !matches!(pass.outcome, Outcome::Succeeded) {
            pass.reports
                .push(report(step, StepOutcome::NotRun, Duration::ZERO, None));
            pass.next += 1;
            return Ok(false);
        }
        if complete.contains(&step.id) {
            pass.reports
                .push(report(step, StepOutcome::AlreadyDone, Duration::ZERO, None));
            pass.next += 1;
            return Ok(false);
        }
        if self.interrupt.is_raised() {
            let message = format!("interrupted before `{}`", step.id);
            self.record(
                EntryKind::Interrupted,
                Some(step.id),
                json!({ "message": message, "next_step": step.id }),
            )?;
            pass.reports
                .push(report(step, StepOutcome::NotRun, Duration::ZERO, None));
            pass.outcome = Outcome::Interrupted {
                step: step.id,
                message,
            };
            pass.next += 1;
            return Ok(false);
        }
        self.record(
            EntryKind::StepStarted,
            Some(step.id),
            json!({ "title": step.title }),
        )?;
        progress.step_started(step);
        Ok(true)
    }

    /// Journals how `step` ended, with the facts known so far, and moves
    /// the pass on.
    pub(crate) fn end_step(
        &mut self,
        pass: &mut Pass,
        step: &PlannedStep,
        result: Result<Ended, Stop>,
        took: Duration,
        progress: &mut dyn Progress,
    ) -> Result<(), RollbackError> {
        let (kind, data, step_report) = match result {
            Ok(Ended::Done(detail)) => (
                EntryKind::StepDone,
                self.data(&detail),
                report(step, StepOutcome::Done, took, Some(detail)),
            ),
            Ok(Ended::Skipped(why)) => (
                EntryKind::StepSkipped,
                self.data(&why),
                report(step, StepOutcome::Skipped, took, Some(why)),
            ),
            Ok(Ended::Warned(error)) => {
                pass.warnings.push(error.clone());
                (
                    EntryKind::StepFailed,
                    json!({ "error": error, "fatal": false, "facts": self.facts.to_value() }),
                    report(step, StepOutcome::Warned, took, Some(error)),
                )
            }
            Err(Stop::Interrupted(message)) => {
                pass.outcome = Outcome::Interrupted {
                    step: step.id,
                    message: message.clone(),
                };
                (
                    EntryKind::Interrupted,
                    json!({ "message": message, "next_step": step.id, "facts": self.facts.to_value() }),
                    report(step, StepOutcome::Interrupted, took, Some(message)),
                )
            }
            Err(Stop::Failed(mut failure)) => {
                let changed = self.changed();
                let runs_now = self.runs_now();
                if let Some(now) = &runs_now.known {
                    failure.previous_release_running = now.is_from;
                }
                failure.hints = truthful_hints(failure.hints, &changed, &self.incident, step.id);
                let data = json!({
                    "error": failure.error,
                    "previous_release_running": failure.previous_release_running,
                    "runs_now": runs_now.statement,
                    "changed": changed,
                    "facts": self.facts.to_value(),
                });
                let step_report =
                    report(step, StepOutcome::Failed, took, Some(failure.error.clone()));
                pass.outcome = Outcome::Failed {
                    step: step.id,
                    error: failure.error,
                    hints: failure.hints,
                    log_tail: failure.log_tail,
                    previous_release_running: failure.previous_release_running,
                    refused: failure.refused,
                    runs_now: Some(runs_now.statement),
                    changed,
                };
                (EntryKind::StepFailed, data, step_report)
            }
        };
        self.record(kind, Some(step.id), data)?;
        progress.step_ended(step, &step_report);
        pass.reports.push(step_report);
        pass.next += 1;
        Ok(())
    }

    /// Journals the end of the run (but for an interruption, which stays
    /// open to be resumed) and tells it.
    pub(crate) fn close(self, pass: Pass) -> Result<Summary, RollbackError> {
        let plan = self.plan;
        let Pass {
            reports,
            warnings,
            outcome,
            ..
        } = pass;
        let closing = match &outcome {
            Outcome::Succeeded => Some(json!({
                "outcome": "succeeded",
                "to": plan.to.label,
                "deployment_id": self.facts.deployment_id,
            })),
            Outcome::Failed {
                step,
                previous_release_running,
                runs_now,
                ..
            } => Some(json!({
                "outcome": if matches!(outcome, Outcome::Failed { refused: true, .. }) { "refused" } else { "failed" },
                "step": step,
                "previous_release_running": previous_release_running,
                "runs_now": runs_now,
                "deployment_id": self.facts.deployment_id,
            })),
            Outcome::Interrupted { .. } => None,
        };
        if let Some(data) = closing {
            self.record(EntryKind::IncidentClosed, None, data)?;
        }
        Ok(Summary {
            incident: self.incident.clone(),
            app: plan.app.clone(),
            method: plan.method,
            from: plan.from.clone(),
            to: plan.to.clone(),
            steps: reports,
            deployment_id: self.facts.deployment_id.clone(),
            outcome,
            warnings,
        })
    }

    fn perform(&mut self, id: StepId, progress: &mut dyn Progress) -> Result<Ended, Stop> {
        match id {
            StepId::Branch => self.branch(),
            StepId::Push => self.push(),
            StepId::Hold => self.hold(),
            StepId::SafetyBackup => self.safety_backup(),
            StepId::PitrRestore => self.pitr_restore(),
            StepId::Deploy => self.deploy(),
            StepId::Follow => self.follow(progress),
            StepId::Verify => self.verify(),
            StepId::Notify => self.notify(),
            StepId::MarkBad => self.mark_bad(),
        }
    }

    /// A step end's data: what happened and every fact known so far.
    fn data(&mut self, detail: &str) -> Value {
        let mut data = json!({ "detail": detail, "facts": self.facts.to_value() });
        if let Some(hold) = self.hold_note.take() {
            data["hold"] = hold;
        }
        data
    }

    pub(crate) fn record(
        &self,
        kind: EntryKind,
        step: Option<StepId>,
        data: Value,
    ) -> Result<(), RollbackError> {
        self.journal
            .record(
                &self.incident,
                &self.plan.app,
                kind,
                step.map(StepId::as_str),
                data,
            )
            .map_err(Into::into)
    }
}

/// What runs now, from a fresh read of the platform.
pub(crate) struct RunsNow {
    /// "v1.1.0 runs now (deployment d-2, success)", or why it is unknown.
    pub statement: String,
    pub known: Option<Running>,
}

pub(crate) struct Running {
    /// The release rolled back from is the one running.
    pub is_from: bool,
}

impl Engine<'_> {
    /// Reads what runs now: the newest successful deployment, named by the
    /// plan's releases when it is one of them, and a deployment still in
    /// progress if there is one. Never an assumption: when the read fails,
    /// it says so.
    pub(crate) fn runs_now(&self) -> RunsNow {
        let plan = self.plan;
        let page = match self.platform.deployments(&plan.app, 1, 10) {
            Ok(page) => page,
            Err(e) => {
                return RunsNow {
                    statement: format!(
                        "what runs on {} now is unknown: rewind could not read its deployments ({e}); `rewind status {}` reads it again",
                        plan.app, plan.app
                    ),
                    known: None,
                };
            }
        };
        let name = |d: &crate::platform::Deployment| {
            let commit = d.git_ref.as_deref();
            if commit.is_some() && commit == plan.to.commit.as_deref() {
                plan.to.label.clone()
            } else if commit.is_some() && commit == plan.from.commit.as_deref() {
                plan.from.label.clone()
            } else {
                match commit {
                    Some(c) => format!("commit {}", crate::git::short_sha(c)),
                    None => "a release rewind cannot name".to_string(),
                }
            }
        };
        let running = page.items.iter().find(|d| d.status.is_success());
        let mut statement = match running {
            Some(d) => format!(
                "{} runs now on {} (deployment {}, {})",
                name(d),
                plan.app,
                d.id,
                d.status
            ),
            None => format!(
                "{} shows no successful deployment among its newest: nothing is known to run",
                plan.app
            ),
        };
        if let Some(d) = page.items.iter().find(|d| d.status.in_progress()) {
            statement.push_str(&format!(
                "; deployment {} of {} is still {}",
                d.id,
                name(d),
                d.status
            ));
        }
        let is_from = running.is_some_and(|d| {
            d.git_ref.is_some() && d.git_ref.as_deref() == plan.from.commit.as_deref()
                || plan.from.deployment_id.as_deref() == Some(d.id.as_str())
        });
        RunsNow {
            statement,
            known: running.map(|_| Running { is_from }),
        }
    }

    /// What this rollback has changed so far, from its facts (this run's
    /// and, on a resume, the earlier runs').
    pub(crate) fn changed(&self) -> Vec<String> {
        let f = &self.facts;
        let mut out = Vec::new();
        if f.auto_deploy_was == Some(true) {
            out.push("auto-deploy switched off".to_string());
        }
        if let Some(id) = &f.backup_id {
            out.push(format!("safety backup {id} taken"));
        }
        if f.restore_requested == Some(true) {
            out.push("point-in-time restore requested".to_string());
        }
        if let Some(id) = &f.deployment_id {
            out.push(format!("deployment {id} started"));
        }
        out
    }
}

/// A request's hint speaks of that request only (the platform error says
/// "this request changed nothing"); once the rollback changed something,
/// a hint says what, and that `rewind resume` finishes it without doing it
/// twice.
fn truthful_hints(
    mut hints: Vec<String>,
    changed: &[String],
    incident: &IncidentId,
    step: StepId,
) -> Vec<String> {
    if !changed.is_empty() {
        hints.push(format!(
            "this rollback already made changes ({}): `rewind resume {incident}` finishes it from `{step}` without making them again",
            changed.join(", ")
        ));
    }
    hints
}

fn report(
    step: &PlannedStep,
    outcome: StepOutcome,
    took: Duration,
    detail: Option<String>,
) -> StepReport {
    StepReport {
        id: step.id,
        title: step.title.clone(),
        outcome,
        duration_ms: took.as_millis().try_into().unwrap_or(u64::MAX),
        detail,
    }
}
