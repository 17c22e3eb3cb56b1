//! A rollback of several apps at once (`rewind rollback APP APP…|--all`):
//! the front, the API and the workers of one release put back together.
//! Each app is planned with [`super::prepare`] as if alone (in parallel,
//! the tags fetched once), the plans are shown and confirmed together, and
//! the one-app engine carries out each app's steps, phase by phase across
//! the apps, in the runbook's order:
//!
//! 1. every app's steps before its deploy (mark bad, branch, push, hold,
//!    and the safety backup and point-in-time restore), in parallel, but
//!    one app at a time for apps that share a database;
//! 2. once every app is there, every deploy started and followed at once,
//!    then verified, each app on its own: one that fails does not stop the
//!    others;
//! 3. one message to the team for the whole rollback, then each app's
//!    part closed.
//!
//! It is one incident in the journal: one opening entry per app under one
//! id, every entry carrying its app ([`crate::journal::Journal::begin_several`]),
//! so that each app's part reads back as a rollback of that app (for
//! `status`, the one-rollback-at-a-time checks, the restore ledger, bad
//! marks) and [`resume_fleet`] finishes only the parts not finished.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Barrier, Mutex};
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::config::AppConfig;
use crate::follow::FollowEvent;
use crate::git::Git;
use crate::interrupt::Interrupt;
use crate::journal::{Holder, Incident, IncidentId, IncidentState, Journal, StepState};
use crate::platform::Platform;
use crate::secret::Secret;

use super::database::DatabaseChoice;
use super::error::RollbackError;
use super::facts::Facts;
use super::fetch_once::FetchOnce;
use super::plan::Plan;
use super::prepare::{PrepareOptions, prepare};
use super::report::{Report, report};
use super::run::{
    Ended, Engine, Outcome, Pass, Progress, RunOptions, StepOutcome, StepReport, Summary, Tools,
    check_again, opening, opening_notes,
};
use super::steps::{PlannedStep, StepId};

/// What every app of the rollback shares: the repository's git, the
/// journal, Ctrl-C. Each app brings its own platform client (its region,
/// its token); every client of the process draws on the one request
/// budget beside the journal.
#[derive(Clone, Copy)]
pub struct FleetTools<'a> {
    pub git: &'a (dyn Git + Sync),
    pub journal: &'a Journal,
    pub interrupt: &'a Interrupt,
}

/// One app the person asked to roll back.
pub struct FleetApp<'a> {
    pub config: &'a AppConfig,
    pub platform: &'a (dyn Platform + Sync),
    /// `--to APP=VERSION`: this app's target; its own last good release
    /// when `None`.
    pub to: Option<&'a str>,
    /// Why the app is in the rollback ("named on the command line",
    /// "--all"; an app proposed because its release is linked to another
    /// one says so here).
    pub why: String,
    /// Whether a webhook is configured for the app.
    pub webhook: bool,
    /// Where its safety backup is downloaded.
    pub backup_dir: Option<&'a Path>,
}

/// One app's part of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetMember {
    /// Why the app is in the rollback.
    pub why: String,
    pub plan: Plan,
}

/// A rollback of several apps, ready to be shown and carried out: one
/// plan per app, sorted by app name (the order locks are taken in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FleetPlan {
    pub members: Vec<FleetMember>,
    /// What concerns several apps at once (two apps restoring one
    /// database...).
    pub warnings: Vec<String>,
}

impl FleetPlan {
    pub fn apps(&self) -> Vec<&str> {
        self.members.iter().map(|m| m.plan.app.as_str()).collect()
    }

    /// What the person types to confirm: every app's name, separated by
    /// spaces, in the plan's order.
    pub fn confirmation(&self) -> String {
        self.apps().join(" ")
    }

    pub fn member(&self, app: &str) -> Option<&FleetMember> {
        self.members.iter().find(|m| m.plan.app == app)
    }

    pub fn member_mut(&mut self, app: &str) -> Option<&mut FleetMember> {
        self.members.iter_mut().find(|m| m.plan.app == app)
    }
}

/// An error that concerns one app of the rollback.
#[derive(Debug, thiserror::Error)]
#[error("{app}: {error}")]
pub struct FleetError {
    pub app: String,
    pub error: Box<RollbackError>,
}

impl FleetError {
    pub fn of(app: &str, error: impl Into<RollbackError>) -> Self {
        FleetError {
            app: app.to_string(),
            error: Box::new(error.into()),
        }
    }
}

/// What the caller is told while the apps are rolled back, each event
/// with its app. Called from the threads that carry out the apps, one
/// event at a time.
pub trait FleetProgress: Send {
    fn step_started(&mut self, app: &str, step: &PlannedStep) {
        let _ = (app, step);
    }
    fn step_ended(&mut self, app: &str, step: &PlannedStep, report: &StepReport) {
        let _ = (app, step, report);
    }
    fn deploy_event(&mut self, app: &str, event: &FollowEvent) {
        let _ = (app, event);
    }
    fn notice(&mut self, app: &str, text: &str) {
        let _ = (app, text);
    }
}

/// A progress nobody watches.
impl FleetProgress for () {}

/// One app's run: its platform client and its run options.
pub struct AppRun<'a> {
    pub platform: &'a (dyn Platform + Sync),
    pub options: RunOptions<'a>,
}

/// How one app's part ended.
#[derive(Debug, Clone, Serialize)]
pub struct AppSummary {
    pub why: String,
    /// Finished by an earlier run: nothing was done to it now.
    pub earlier: bool,
    #[serde(flatten)]
    pub summary: Summary,
}

/// How the rollback ended, app by app.
#[derive(Debug, Clone, Serialize)]
pub struct FleetSummary {
    pub incident: IncidentId,
    pub apps: Vec<AppSummary>,
}

impl FleetSummary {
    pub fn succeeded(&self) -> bool {
        self.apps
            .iter()
            .all(|a| matches!(a.summary.outcome, Outcome::Succeeded))
    }

    pub fn failed(&self) -> impl Iterator<Item = &AppSummary> {
        self.apps
            .iter()
            .filter(|a| matches!(a.summary.outcome, Outcome::Failed { .. }))
    }

    pub fn interrupted(&self) -> impl Iterator<Item = &AppSummary> {
        self.apps
            .iter()
            .filter(|a| matches!(a.summary.outcome, Outcome::Interrupted { .. }))
    }
}

/// Plans every app, in parallel, as `prepare` plans one (`options` for
/// all, but each app's own target, webhook and backup folder). The first
/// app (by name) that cannot be planned is the error: nothing was changed.
pub fn prepare_fleet(
    tools: &FleetTools<'_>,
    apps: &[FleetApp<'_>],
    options: &PrepareOptions<'_>,
) -> Result<FleetPlan, FleetError> {
    let git = FetchOnce::new(tools.git);
    let mut sorted: Vec<&FleetApp<'_>> = apps.iter().collect();
    sorted.sort_by(|a, b| a.config.name.cmp(&b.config.name));
    sorted.dedup_by(|a, b| a.config.name == b.config.name);
    let results: Vec<Result<Plan, RollbackError>> = std::thread::scope(|s| {
        let handles: Vec<_> = sorted
            .iter()
            .map(|app| {
                let git = &git;
                s.spawn(move || {
                    let tools = Tools {
                        platform: app.platform,
                        git,
                        journal: tools.journal,
                        interrupt: tools.interrupt,
                    };
                    // `--with-db` restores the apps that have a database
                    // in rewind.toml; the others are planned as if
                    // neither flag was given (a database they have but
                    // rewind.toml does not name is still warned about).
                    let database = match options.database {
                        DatabaseChoice::WithDb if app.config.database.is_none() => {
                            DatabaseChoice::Undecided
                        }
                        chosen => chosen,
                    };
                    let own = PrepareOptions {
                        to: app.to,
                        database,
                        webhook: app.webhook,
                        backup_dir: app.backup_dir,
                        ..*options
                    };
                    prepare(&tools, app.config, &own)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut members = Vec::new();
    for (app, result) in sorted.iter().zip(results) {
        let plan = result.map_err(|e| FleetError::of(&app.config.name, e))?;
        members.push(FleetMember {
            why: app.why.clone(),
            plan,
        });
    }
    let mut plan = FleetPlan {
        members,
        warnings: Vec::new(),
    };
    plan.warnings = shared_database_warnings(&plan);
    Ok(plan)
}

/// Two apps restoring one database: each restore puts it back to before
/// its own bad release, the second after the first.
fn shared_database_warnings(plan: &FleetPlan) -> Vec<String> {
    let mut by_addon: HashMap<&str, Vec<&str>> = HashMap::new();
    for m in &plan.members {
        if let Some(r) = m.plan.database.as_ref().and_then(|d| d.restore.as_ref()) {
            by_addon.entry(&r.addon_id).or_default().push(&m.plan.app);
        }
    }
    let mut out: Vec<String> = by_addon
        .into_iter()
        .filter(|(_, apps)| apps.len() > 1)
        .map(|(addon, apps)| {
            format!(
                "{} restore the same database {addon}: the restores run one after the other, and each loses the writes made before it since its own restore instant",
                apps.join(" and ")
            )
        })
        .collect();
    out.sort();
    out
}

/// Carries out `plan`: takes every app's lock (by name; refused, naming
/// the app, when one is held), checks each app again, opens one incident,
/// then runs the phases (see the module's doc). `runs` holds each app's
/// platform and options (matched by app name). `Err` only when nothing
/// could start (a lock, a check) or the journal cannot be written.
pub fn run_fleet(
    tools: &FleetTools<'_>,
    plan: &FleetPlan,
    runs: &[AppRun<'_>],
    progress: &mut dyn FleetProgress,
) -> Result<FleetSummary, FleetError> {
    let members: Vec<(&FleetMember, &AppRun<'_>)> = plan
        .members
        .iter()
        .map(|m| Ok((m, run_of(runs, &m.plan.app)?)))
        .collect::<Result<_, FleetError>>()?;
    let mut locks = lock_all(
        tools,
        members.iter().map(|(m, r)| (m.plan.app.as_str(), *r)),
        super::COMMAND,
        progress,
    )?;
    // Checked again under the locks, every app at once.
    let checks: Vec<(Result<(), RollbackError>, Option<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = members
            .iter()
            .map(|(m, r)| {
                s.spawn(
                    move || match check_again(tools.journal, r.platform, &m.plan, &r.options) {
                        Ok(user) => (Ok(()), user),
                        Err(e) => (Err(e), None),
                    },
                )
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut openings = Vec::new();
    for ((m, r), (checked, user)) in members.iter().zip(checks) {
        checked.map_err(|e| FleetError::of(&m.plan.app, e))?;
        let mut opened = opening(&m.plan, &r.options);
        opened["platform_user"] = json!(user);
        opened["why"] = json!(m.why);
        openings.push((m.plan.app.clone(), opened));
    }
    let first = members.first().map_or("", |(m, _)| m.plan.app.as_str());
    let incident = tools
        .journal
        .begin_several(openings)
        .map_err(|e| FleetError::of(first, e))?;
    let parts = tools
        .journal
        .parts(incident.as_str())
        .map_err(|e| FleetError::of(first, e))?;
    let mut starts = Vec::new();
    let mut pending = Vec::new();
    for ((m, r), lock) in members.iter().zip(locks.iter_mut()) {
        let app = m.plan.app.as_str();
        pending.push(
            lock.set_incident_later(tools.journal, &incident)
                .map_err(|e| FleetError::of(app, e))?,
        );
        opening_notes(tools.journal, &incident, &m.plan).map_err(|e| FleetError::of(app, e))?;
        let opened_at = parts
            .iter()
            .find(|p| p.app == app)
            .map_or_else(Utc::now, |p| p.opened_at);
        starts.push(Start {
            plan: &m.plan,
            why: m.why.clone(),
            run: r,
            facts: Facts::default(),
            complete: HashSet::new(),
            opened_at,
        });
    }
    // The team locks name the incident in the background (one push per
    // app, for whoever is refused next): the rollback waits for none of
    // them, and they are done, or their failure journaled and told,
    // before it ends and before the locks are let go.
    let git = tools.git;
    let (driven, pushed) = std::thread::scope(|s| {
        let pushes: Vec<_> = pending
            .iter()
            .map(|p| match p {
                Some(Ok(change)) => Some(s.spawn(move || change.push(git))),
                _ => None,
            })
            .collect();
        let driven = drive(tools, &incident, starts, progress);
        let pushed: Vec<_> = pushes
            .into_iter()
            .map(|h| h.map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))))
            .collect();
        (driven, pushed)
    });
    for (((m, _), lock), (pending, pushed)) in members
        .iter()
        .zip(locks.iter_mut())
        .zip(pending.into_iter().zip(pushed))
    {
        let app = m.plan.app.as_str();
        let warning = lock
            .incident_pushed(tools.journal, &incident, pending, pushed)
            .map_err(|e| FleetError::of(app, e))?;
        if let Some(text) = warning {
            progress.notice(app, &text);
        }
    }
    let apps = driven?;
    drop(locks);
    Ok(FleetSummary { incident, apps })
}

/// Finishes what a rollback of several apps left unfinished: the parts
/// that succeeded are left alone (nothing of theirs is done again), the
/// others are resumed as `rewind resume` resumes one app, phase by phase
/// like the first run.
pub fn resume_fleet(
    tools: &FleetTools<'_>,
    id: &str,
    force: bool,
    runs: &[AppRun<'_>],
    progress: &mut dyn FleetProgress,
) -> Result<FleetSummary, FleetError> {
    let parts = tools.journal.parts(id).map_err(|e| FleetError::of("", e))?;
    let incident = parts[0].id.clone();
    let mut earlier = Vec::new();
    let mut todo: Vec<(&Incident, Plan)> = Vec::new();
    for part in &parts {
        match &part.state {
            IncidentState::Closed(outcome) if !super::guard::resumable_outcome(outcome) => {
                earlier.push(part);
            }
            _ => {
                let plan = super::resume::resumable_plan(part)
                    .map_err(|e| FleetError::of(&part.app, e))?;
                todo.push((part, plan));
            }
        }
    }
    if todo.is_empty() {
        return Err(FleetError::of(
            "",
            RollbackError::NotResumable {
                id: incident.to_string(),
                state: "closed (succeeded for every app)".into(),
            },
        ));
    }
    let runs_of: Vec<&AppRun<'_>> = todo
        .iter()
        .map(|(_, plan)| run_of(runs, &plan.app))
        .collect::<Result<_, _>>()?;
    let mut locks = lock_all(
        tools,
        todo.iter()
            .zip(&runs_of)
            .map(|((_, plan), r)| (plan.app.as_str(), *r)),
        "resume",
        progress,
    )?;
    let mut starts = Vec::new();
    for (((part, plan), r), lock) in todo.iter().zip(&runs_of).zip(locks.iter_mut()) {
        let app = plan.app.as_str();
        lock.set_incident(tools.journal, &part.id)
            .map_err(|e| FleetError::of(app, e))?;
        super::resume::check_again(tools.journal, r.platform, plan, part, force)
            .map_err(|e| FleetError::of(app, e))?;
    }
    for ((part, plan), r) in todo.iter().zip(&runs_of) {
        let (facts, complete) = super::resume::pick_up(tools.journal, part, plan, r.options.actor)
            .map_err(|e| FleetError::of(&plan.app, e))?;
        starts.push(Start {
            plan,
            why: part.opening["why"].as_str().unwrap_or_default().to_string(),
            run: r,
            facts,
            complete,
            opened_at: part.opened_at,
        });
    }
    let mut apps = drive(tools, &incident, starts, progress)?;
    drop(locks);
    for part in earlier {
        apps.push(finished_earlier(part));
    }
    apps.sort_by(|a, b| a.summary.app.cmp(&b.summary.app));
    Ok(FleetSummary { incident, apps })
}

/// The report of a rollback of several apps: one section per app.
#[derive(Debug, Clone, Serialize)]
pub struct FleetReport {
    pub incident: String,
    pub apps: Vec<Report>,
}

/// The report of every part of one incident (`Journal::parts`).
pub fn fleet_report(parts: &[Incident]) -> FleetReport {
    FleetReport {
        incident: parts.first().map(|p| p.id.to_string()).unwrap_or_default(),
        apps: parts.iter().map(report).collect(),
    }
}

impl FleetReport {
    /// Markdown: where each app stands first, then each app's report as a
    /// section.
    pub fn to_markdown(&self) -> String {
        let names: Vec<&str> = self.apps.iter().map(|r| r.app.as_str()).collect();
        let mut out = format!(
            "# Incident {}: rollback of {} apps ({})\n\n",
            self.incident,
            self.apps.len(),
            names.join(", ")
        );
        for r in &self.apps {
            let at = r
                .steps
                .iter()
                .rev()
                .find(|s| !matches!(s.state, StepState::Done | StepState::Skipped))
                .map(|s| format!(" at step `{}`", s.id))
                .unwrap_or_default();
            let what = match (&r.from, &r.to) {
                (Some(from), Some(to)) => format!(": {from} -> {to}"),
                _ => String::new(),
            };
            let at = if r.outcome == "succeeded" {
                String::new()
            } else {
                at
            };
            out.push_str(&format!("- **{}**{what}: {}{at}\n", r.app, r.outcome));
        }
        for r in &self.apps {
            out.push('\n');
            for line in r.to_markdown().lines() {
                // Each app's report one level down, under the incident.
                if line.starts_with('#') {
                    out.push('#');
                }
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }
}

/// Whether incident `id` is a rollback of several apps.
pub fn is_fleet(journal: &Journal, id: &str) -> Result<bool, RollbackError> {
    Ok(journal.incident(id)?.is_several_apps())
}

fn run_of<'r, 'a>(runs: &'r [AppRun<'a>], app: &str) -> Result<&'r AppRun<'a>, FleetError> {
    runs.iter()
        .find(|r| r.options.app.name == app)
        .ok_or_else(|| {
            FleetError::of(
                app,
                RollbackError::UnreadablePlan {
                    id: String::new(),
                    detail: format!("{app} is not in rewind.toml any more"),
                },
            )
        })
}

/// Every app's lock: this machine's in the order of the apps' names, the
/// team's claimed at once (no lock ever waits, so two people rolling back
/// overlapping sets of apps never wait on each other); the first app, by
/// name, whose lock is held refuses the whole rollback, naming it, and
/// the locks taken are let go.
fn lock_all<'g, 'r, 'a>(
    tools: &FleetTools<'g>,
    apps: impl Iterator<Item = (&'r str, &'r AppRun<'a>)>,
    command: &str,
    progress: &mut dyn FleetProgress,
) -> Result<Vec<crate::team::Lock<'g>>, FleetError>
where
    'a: 'g + 'r,
{
    let mut apps: Vec<(&str, &AppRun<'_>)> = apps.collect();
    apps.sort_by(|a, b| a.0.cmp(b.0));
    let holders: Vec<Holder> = apps
        .iter()
        .map(|(_, run)| Holder::me(run.options.actor, command))
        .collect();
    let wanted = apps
        .iter()
        .zip(&holders)
        .map(|((app, run), holder)| {
            (
                *app,
                holder,
                crate::team::Shared::of(tools.git, run.options.app),
            )
        })
        .collect();
    // The team's locks are claimed all at once (one push each, in
    // parallel): none waits, so the order does not matter to anyone.
    let locks =
        crate::team::Lock::acquire_several(tools.journal, tools.git, wanted).map_err(|e| {
            let (app, e) = *e;
            FleetError::of(&app, e)
        })?;
    for ((app, _), lock) in apps.iter().zip(&locks) {
        if let Some(reason) = lock.alone() {
            progress.notice(app, &crate::team::alone_warning(app, reason));
        }
    }
    Ok(locks)
}

/// One app, ready to be carried out.
struct Start<'p> {
    plan: &'p Plan,
    why: String,
    run: &'p AppRun<'p>,
    facts: Facts,
    complete: HashSet<StepId>,
    opened_at: DateTime<Utc>,
}

/// Where an app stands when the team is told.
struct Ready {
    index: usize,
    /// The app is at its notify step.
    notify: bool,
    /// How the app stands, for the team's message.
    line: String,
}

/// One app's progress, forwarded with its name to the shared one.
struct AppProgress<'s, 'p> {
    app: &'s str,
    shared: &'s Mutex<&'p mut dyn FleetProgress>,
}

impl Progress for AppProgress<'_, '_> {
    fn step_started(&mut self, step: &PlannedStep) {
        let mut p = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        p.step_started(self.app, step);
    }
    fn step_ended(&mut self, step: &PlannedStep, report: &StepReport) {
        let mut p = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        p.step_ended(self.app, step, report);
    }
    fn deploy_event(&mut self, event: &FollowEvent) {
        let mut p = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        p.deploy_event(self.app, event);
    }
    fn notice(&mut self, text: &str) {
        let mut p = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        p.notice(self.app, text);
    }
}

/// Runs the apps' steps, phase by phase (see the module's doc), one
/// thread per app, and tells the team once.
fn drive(
    tools: &FleetTools<'_>,
    incident: &IncidentId,
    starts: Vec<Start<'_>>,
    progress: &mut dyn FleetProgress,
) -> Result<Vec<AppSummary>, FleetError> {
    let git = FetchOnce::new(tools.git);
    let tools = &FleetTools {
        git: &git,
        journal: tools.journal,
        interrupt: tools.interrupt,
    };
    let count = starts.len();
    let barrier = Barrier::new(count);
    // Apps restoring one database take turns.
    let mut databases: HashMap<String, Mutex<()>> = HashMap::new();
    for s in &starts {
        if let Some(r) = s.plan.database.as_ref().and_then(|d| d.restore.as_ref()) {
            databases.entry(r.addon_id.clone()).or_default();
        }
    }
    let shared = Mutex::new(progress);
    let (ready_tx, ready_rx) = mpsc::channel::<Ready>();
    let mut told_txs = Vec::new();
    let mut told_rxs = Vec::new();
    for _ in 0..count {
        let (tx, rx) = mpsc::channel::<Result<Ended, String>>();
        told_txs.push(tx);
        told_rxs.push(rx);
    }
    let actor = starts
        .first()
        .map(|s| s.run.options.actor.to_string())
        .unwrap_or_default();
    let reason = starts
        .first()
        .and_then(|s| s.run.options.reason.map(str::to_string));
    let webhooks: Vec<Option<&Secret>> = starts.iter().map(|s| s.run.options.webhook).collect();
    let results: Vec<(String, String, Result<Summary, RollbackError>)> = std::thread::scope(|s| {
        let handles: Vec<_> = starts
            .into_iter()
            .zip(told_rxs)
            .enumerate()
            .map(|(index, (start, told_rx))| {
                let (barrier, shared, databases) = (&barrier, &shared, &databases);
                let ready_tx = ready_tx.clone();
                s.spawn(move || {
                    let app = start.plan.app.clone();
                    let why = start.why.clone();
                    let result = carry_out(
                        tools, incident, start, index, barrier, shared, databases, &ready_tx,
                        told_rx,
                    );
                    (app, why, result)
                })
            })
            .collect();
        drop(ready_tx);
        // Every app at its notify step or stopped: one message for all.
        let mut ready: Vec<Ready> = ready_rx.iter().take(count).collect();
        ready.sort_by_key(|r| r.index);
        let notifying: Vec<usize> = ready.iter().filter(|r| r.notify).map(|r| r.index).collect();
        let mut told: HashMap<usize, Result<Ended, String>> = HashMap::new();
        if !notifying.is_empty() {
            let lines: Vec<&str> = ready.iter().map(|r| r.line.as_str()).collect();
            let mut text = format!(
                "{actor} rolled back {} app(s) (incident {incident}): {}",
                notifying.len(),
                lines.join("; ")
            );
            if let Some(reason) = &reason {
                text.push_str(&format!(". Reason: {reason}"));
            }
            // One message per webhook (most teams have one for all apps).
            let mut sent: Vec<(&str, Result<(), String>)> = Vec::new();
            for &i in &notifying {
                let outcome = match webhooks[i] {
                    None => Ok(Ended::Skipped("no webhook configured".into())),
                    Some(url) => {
                        let result = match sent.iter().find(|(u, _)| *u == url.expose()) {
                            Some((_, r)) => r.clone(),
                            None => {
                                let r = crate::notify::post_webhook(url, &text)
                                    .map_err(|e| e.to_string());
                                sent.push((url.expose(), r.clone()));
                                r
                            }
                        };
                        match result {
                            Ok(()) => Ok(Ended::Done(format!(
                                "the team was told through the webhook, in one message for the {} app(s)",
                                notifying.len()
                            ))),
                            Err(e) => Ok(Ended::Warned(format!("the webhook failed: {e}"))),
                        }
                    }
                };
                told.insert(i, outcome);
            }
        }
        for (i, tx) in told_txs.iter().enumerate() {
            let answer = told
                .remove(&i)
                .unwrap_or_else(|| Err("not at its notify step".into()));
            let _ = tx.send(answer);
        }
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    results
        .into_iter()
        .map(|(app, why, result)| {
            result
                .map(|summary| AppSummary {
                    why,
                    earlier: false,
                    summary,
                })
                .map_err(|e| FleetError::of(&app, e))
        })
        .collect()
}

/// One app's thread: its steps before the deploy (taking its database's
/// turn), the wait for every app to be there, its deploy and the steps
/// after, then the team's message (sent by the caller once for all) and
/// the end of its part. It always reaches the barrier and always says
/// where it stands, whatever happens, so that no other app waits forever.
#[allow(clippy::too_many_arguments)]
fn carry_out(
    tools: &FleetTools<'_>,
    incident: &IncidentId,
    start: Start<'_>,
    index: usize,
    barrier: &Barrier,
    shared: &Mutex<&mut dyn FleetProgress>,
    databases: &HashMap<String, Mutex<()>>,
    ready_tx: &mpsc::Sender<Ready>,
    told_rx: mpsc::Receiver<Result<Ended, String>>,
) -> Result<Summary, RollbackError> {
    let Start {
        plan,
        run,
        facts,
        complete,
        opened_at,
        ..
    } = start;
    let mut engine = Engine {
        platform: run.platform,
        git: tools.git,
        journal: tools.journal,
        interrupt: tools.interrupt,
        options: &run.options,
        plan,
        incident: incident.clone(),
        opened_at,
        facts,
        hold_note: None,
    };
    let mut pass = Pass::new();
    let mut view = AppProgress {
        app: &plan.app,
        shared,
    };
    // Should this thread panic (a bug, not a failure: failures are
    // results), the guard still meets the other apps at the barrier and
    // tells the caller where this app stands, so that the panic ends the
    // command instead of leaving every other thread waiting forever.
    let mut rendezvous = Rendezvous {
        index,
        app: &plan.app,
        barrier: Some(barrier),
        ready_tx: Some(ready_tx),
    };
    let first = {
        let turn = plan
            .database
            .as_ref()
            .and_then(|d| d.restore.as_ref())
            .and_then(|r| databases.get(&r.addon_id));
        let _turn = turn.map(|m| m.lock().unwrap_or_else(|e| e.into_inner()));
        engine.advance(&mut pass, &complete, Some(StepId::Deploy), &mut view)
    };
    rendezvous.meet();
    let mut result =
        first.and_then(|()| engine.advance(&mut pass, &complete, Some(StepId::Notify), &mut view));
    let mut notify: Option<(&PlannedStep, Instant)> = None;
    if result.is_ok() && engine.next_is(&pass, StepId::Notify) {
        let step = &plan.steps[pass.next];
        match engine.begin_step(&mut pass, step, &complete, &mut view) {
            Ok(true) => notify = Some((step, Instant::now())),
            Ok(false) => {}
            Err(e) => result = Err(e),
        }
    }
    rendezvous.ready(Ready {
        index,
        notify: notify.is_some(),
        line: stands(plan, &pass, notify.is_some()),
    });
    let told = told_rx.recv().unwrap_or_else(|_| Err("no answer".into()));
    result?;
    if let Some((step, started)) = notify {
        let ended =
            told.map_err(|e| super::run::Stop::Failed(super::run::Failure::new(e, Vec::new())));
        engine.end_step(&mut pass, step, ended, started.elapsed(), &mut view)?;
    }
    engine.advance(&mut pass, &complete, None, &mut view)?;
    engine.close(pass)
}

/// An app thread's two meeting points with the others: the barrier before
/// the deploys and its line for the team's message. Each is kept once;
/// dropped while the thread unwinds from a panic, the guard keeps the ones
/// not kept yet, so that nobody waits for a thread that is gone.
struct Rendezvous<'r> {
    index: usize,
    app: &'r str,
    barrier: Option<&'r Barrier>,
    ready_tx: Option<&'r mpsc::Sender<Ready>>,
}

impl Rendezvous<'_> {
    fn meet(&mut self) {
        if let Some(barrier) = self.barrier.take() {
            barrier.wait();
        }
    }

    fn ready(&mut self, ready: Ready) {
        if let Some(tx) = self.ready_tx.take() {
            let _ = tx.send(ready);
        }
    }
}

impl Drop for Rendezvous<'_> {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        self.meet();
        let line = format!(
            "{} stopped by an internal error in rewind (see the journal)",
            self.app
        );
        self.ready(Ready {
            index: self.index,
            notify: false,
            line,
        });
    }
}

/// An app's state in the team's message.
fn stands(plan: &Plan, pass: &Pass, at_notify: bool) -> String {
    match &pass.outcome {
        Outcome::Succeeded if at_notify => {
            format!("{} from {} to {}", plan.app, plan.from.label, plan.to.label)
        }
        Outcome::Succeeded => format!(
            "{} from {} to {} (steps left)",
            plan.app, plan.from.label, plan.to.label
        ),
        Outcome::Failed { step, runs_now, .. } => format!(
            "{} NOT rolled back, it failed at `{step}`{}",
            plan.app,
            runs_now
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ),
        Outcome::Interrupted { step, .. } => format!(
            "{} interrupted before `{step}`, to be finished with `rewind resume`",
            plan.app
        ),
    }
}

/// The summary of a part finished by an earlier run.
fn finished_earlier(part: &Incident) -> AppSummary {
    let plan: Option<Plan> = serde_json::from_value(part.opening["plan"].clone()).ok();
    let facts = Facts::of(part);
    let steps = plan
        .as_ref()
        .map(|p| {
            p.steps
                .iter()
                .map(|s| StepReport {
                    id: s.id,
                    title: s.title.clone(),
                    outcome: StepOutcome::AlreadyDone,
                    duration_ms: 0,
                    detail: None,
                })
                .collect()
        })
        .unwrap_or_default();
    let release = |label: &str| super::plan::ReleaseRef {
        label: label.to_string(),
        tag: None,
        commit: None,
        version: None,
        deployment_id: None,
    };
    AppSummary {
        why: part.opening["why"].as_str().unwrap_or_default().to_string(),
        earlier: true,
        summary: Summary {
            incident: part.id.clone(),
            app: part.app.clone(),
            method: plan.as_ref().map(|p| p.method).unwrap_or_default(),
            from: plan
                .as_ref()
                .map_or_else(|| release("unknown"), |p| p.from.clone()),
            to: plan
                .as_ref()
                .map_or_else(|| release("unknown"), |p| p.to.clone()),
            steps,
            deployment_id: facts.deployment_id,
            outcome: Outcome::Succeeded,
            warnings: Vec::new(),
        },
    }
}
