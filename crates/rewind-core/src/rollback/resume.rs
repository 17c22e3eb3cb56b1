//! `rewind resume ID`: finish a rollback that did not succeed: interrupted
//! (Ctrl-C, a crash, a closed laptop) or stopped on a failure (a rate
//! limit at the verify step, a deploy request that failed). The plan comes back from the incident's opening
//! entry and the facts from its step entries; the steps the journal knows
//! are complete are not run again, and the others re-read git and the
//! platform before acting (see the `act` module), so a deployment already
//! started is followed, never started twice.

use std::collections::HashSet;

use serde_json::json;

use crate::journal::{EntryKind, Holder, Incident, IncidentId, IncidentState, StepState};
use crate::platform::DeploymentStatus;

use super::error::RollbackError;
use super::facts::Facts;
use super::guard;
use super::plan::Plan;
use super::run::{Engine, Progress, RunOptions, Summary, Tools};
use super::steps::StepId;

/// Resumes incident `id` (or a unique prefix of it). `force` overrides the
/// one-rollback-at-a-time checks, as for a new rollback.
pub fn resume(
    tools: &Tools<'_>,
    id: &str,
    force: bool,
    options: &RunOptions<'_>,
    progress: &mut dyn Progress,
) -> Result<Summary, RollbackError> {
    let Tools {
        platform,
        git,
        journal,
        interrupt,
    } = *tools;
    let incident = journal.incident(id)?;
    let plan = resumable_plan(&incident)?;
    let mut lock = crate::team::Lock::acquire(
        journal,
        &plan.app,
        &Holder::me(options.actor, "resume"),
        crate::team::Shared::of(git, options.app),
    )?;
    if let Some(reason) = lock.alone() {
        progress.notice(&crate::team::alone_warning(&plan.app, reason));
    }
    lock.set_incident(journal, &incident.id)?;
    check_again(journal, platform, &plan, &incident, force)?;
    let (facts, complete) = pick_up(journal, &incident, &plan, options.actor)?;
    let engine = Engine {
        platform,
        git,
        journal,
        interrupt,
        options,
        plan: &plan,
        incident: incident.id.clone(),
        opened_at: incident.opened_at,
        facts,
        hold_note: None,
    };
    engine.execute(&complete, progress)
}

/// The plan of `incident` (one app's part), when it is a rollback that can
/// be resumed.
pub(crate) fn resumable_plan(incident: &Incident) -> Result<Plan, RollbackError> {
    let command = incident.opening["command"].as_str().unwrap_or("unknown");
    if command != super::COMMAND {
        return Err(RollbackError::NotARollback {
            id: incident.id.to_string(),
            command: command.to_string(),
        });
    }
    if let IncidentState::Closed(outcome) = &incident.state
        && !guard::resumable_outcome(outcome)
    {
        return Err(RollbackError::NotResumable {
            id: incident.id.to_string(),
            state: format!("closed ({outcome})"),
        });
    }
    serde_json::from_value(incident.opening["plan"].clone()).map_err(|e| {
        RollbackError::UnreadablePlan {
            id: incident.id.to_string(),
            detail: e.to_string(),
        }
    })
}

/// The one-rollback-at-a-time checks, made again under the lock, but for
/// the incident being resumed and its own deployment still running.
pub(crate) fn check_again(
    journal: &crate::journal::Journal,
    platform: &dyn crate::platform::Platform,
    plan: &Plan,
    incident: &Incident,
    force: bool,
) -> Result<(), RollbackError> {
    for obstacle in guard::obstacles(journal, platform, &plan.app, Some(&incident.id))? {
        // Our own deployment, still running: the deploy step adopts it.
        if let RollbackError::DeploymentRunning { id, .. } = &obstacle {
            let running = platform.deployment(&plan.app, id)?;
            if running.git_ref.as_deref() == Some(plan.target_commit()) {
                continue;
            }
        }
        if !force {
            return Err(obstacle);
        }
        journal.record(
            &incident.id,
            &plan.app,
            EntryKind::Note,
            None,
            json!({ "override": format!("--force: {obstacle}") }),
        )?;
    }
    Ok(())
}

/// The facts the journal holds for `incident` and the steps it knows are
/// complete (a deployment that failed is not: it is started again);
/// journals that `actor` resumes it.
pub(crate) fn pick_up(
    journal: &crate::journal::Journal,
    incident: &Incident,
    plan: &Plan,
    actor: &str,
) -> Result<(Facts, HashSet<StepId>), RollbackError> {
    let mut facts = Facts::of(incident);
    let mut complete: HashSet<StepId> = incident
        .steps
        .iter()
        .filter(|s| {
            matches!(s.state, StepState::Done | StepState::Skipped)
                || (s.state == StepState::Failed && s.data["fatal"] == json!(false))
        })
        .filter_map(|s| StepId::parse(&s.id))
        .collect();
    // A deployment that ended in failure changed nothing that runs: the
    // resume starts a new one rather than following the failed one again.
    let failed_deploy = facts
        .deployment_status
        .as_deref()
        .map(DeploymentStatus::parse)
        .is_some_and(|s| s.is_failure());
    if failed_deploy {
        complete.remove(&StepId::Deploy);
        complete.remove(&StepId::Follow);
        facts.deployment_id = None;
        facts.deployment_status = None;
    }
    journal.record(
        &incident.id,
        &plan.app,
        EntryKind::Note,
        None,
        json!({ "resumed_by": actor, "complete": complete.iter().map(|s| s.as_str()).collect::<Vec<_>>() }),
    )?;
    Ok((facts, complete))
}

/// The incidents `rewind resume` can finish, among `incidents` (the whole
/// journal, oldest first), in one pass: a rollback interrupted, cut short,
/// or closed on a failure or a refusal, that no later rollback of the app
/// finished; or a guide walk whose rollback is one.
pub fn resumable(incidents: &[Incident]) -> HashSet<IncidentId> {
    use std::collections::HashMap;
    let is_rollback = |i: &Incident| i.opening["command"].as_str() == Some(super::COMMAND);
    // The newest rollback of each app that succeeded.
    let mut finished: HashMap<&str, chrono::DateTime<chrono::Utc>> = HashMap::new();
    for i in incidents.iter().filter(|i| is_rollback(i)) {
        if i.state == IncidentState::Closed("succeeded".into()) {
            let at = finished.entry(i.app.as_str()).or_insert(i.opened_at);
            *at = (*at).max(i.opened_at);
        }
    }
    let mut out: HashSet<IncidentId> = incidents
        .iter()
        .filter(|i| is_rollback(i))
        .filter(|i| match &i.state {
            IncidentState::Closed(outcome) => guard::resumable_outcome(outcome),
            _ => true,
        })
        .filter(|i| {
            finished
                .get(i.app.as_str())
                .is_none_or(|at| *at < i.opened_at)
        })
        .map(|i| i.id.clone())
        .collect();
    let guides: Vec<IncidentId> = incidents
        .iter()
        .filter(|i| i.opening["command"].as_str() == Some("guide"))
        .filter(|i| guide_rollback(incidents, i).is_some_and(|id| out.contains(&IncidentId(id))))
        .map(|i| i.id.clone())
        .collect();
    out.extend(guides);
    out
}

/// The rollback a guide walk started (its redeploy action), if any: the
/// one its journal names, or, when the walk was cut short before it could
/// write that down, the rollback whose reason names the walk.
pub fn guide_rollback(incidents: &[Incident], guide: &Incident) -> Option<String> {
    let noted = guide
        .entries
        .iter()
        .rev()
        .find_map(|e| e.data["rollback_incident"].as_str().map(str::to_string));
    noted.or_else(|| {
        let reason = crate::guide::rollback_reason(guide.id.as_str());
        incidents
            .iter()
            .rev()
            .find(|i| {
                i.opening["command"].as_str() == Some(super::COMMAND)
                    && i.opening["reason"].as_str() == Some(reason.as_str())
            })
            .map(|i| i.id.to_string())
    })
}

/// The release a rollback went back from, when `deployment_id` is that
/// rollback's own deployment: what was bad before the release running now
/// was put back. `(incident, from label, from deployment)`.
pub fn rolled_back_from(
    incidents: &[Incident],
    app: &str,
    deployment_id: &str,
) -> Option<(IncidentId, String, String)> {
    incidents.iter().rev().find_map(|i| {
        if i.app != app || i.opening["command"].as_str() != Some(super::COMMAND) {
            return None;
        }
        if Facts::of(i).deployment_id.as_deref() != Some(deployment_id) {
            return None;
        }
        let from = &i.opening["plan"]["from"];
        Some((
            i.id.clone(),
            from["label"].as_str()?.to_string(),
            from["deployment_id"].as_str()?.to_string(),
        ))
    })
}
