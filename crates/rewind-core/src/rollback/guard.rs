//! One rollback per app at a time: what stands in the way of starting one
//! now (another rollback the journal shows unfinished, or stopped on a
//! failure while what it was about still holds; a deployment running on
//! the platform). `--force` turns these into warnings.

use crate::journal::{IncidentId, IncidentState, Journal};
use crate::platform::{Deployment, Page, Platform};

use super::error::RollbackError;
use super::plan::Plan;

/// How many of the newest deployments are checked for one in progress: a
/// running deploy is always among the newest.
pub(crate) const RECENT_DEPLOYMENTS: u32 = 10;

/// The newest deployments, read now: what the checks below judge.
pub(crate) fn recent(
    platform: &dyn Platform,
    app: &str,
) -> Result<Page<Deployment>, RollbackError> {
    Ok(platform.deployments(app, 1, RECENT_DEPLOYMENTS)?)
}

/// Everything that forbids a rollback of `app` now, `except` the incident
/// being resumed.
pub(crate) fn obstacles(
    journal: &Journal,
    platform: &dyn Platform,
    app: &str,
    except: Option<&IncidentId>,
) -> Result<Vec<RollbackError>, RollbackError> {
    obstacles_in(journal, &recent(platform, app)?, app, except)
}

/// [`obstacles`], judged on `page`, the newest deployments just read
/// ([`recent`]).
pub(crate) fn obstacles_in(
    journal: &Journal,
    page: &Page<Deployment>,
    app: &str,
    except: Option<&IncidentId>,
) -> Result<Vec<RollbackError>, RollbackError> {
    let mut found = Vec::new();
    let newest_success = page.items.iter().find(|d| d.status.is_success());
    let incidents = journal.incidents()?;
    let unfinished = super::resume::resumable(&incidents);
    for incident in &incidents {
        let is_rollback = incident.opening["command"].as_str() == Some(super::COMMAND);
        if incident.app != app
            || !is_rollback
            || Some(&incident.id) == except
            || !unfinished.contains(&incident.id)
        {
            continue;
        }
        // The part of a rollback of several apps about this app finished
        // well, while another app's part did not: nothing stands in the
        // way of this app.
        if let IncidentState::Closed(outcome) = &incident.state
            && !resumable_outcome(outcome)
        {
            continue;
        }
        let state = match &incident.state {
            IncidentState::Interrupted => "interrupted".to_string(),
            IncidentState::Closed(outcome) => {
                // A rollback that stopped on a failure is finished with
                // `rewind resume` while what it was about still holds: the
                // release it went back from, or its own deployment, is the
                // newest that succeeded.
                let from = incident.opening["plan"]["from"]["deployment_id"].as_str();
                let own = super::facts::Facts::of(incident).deployment_id;
                let current = newest_success.map(|d| d.id.as_str());
                let relevant = current.is_some() && (current == from || current == own.as_deref());
                if !relevant {
                    continue;
                }
                format!("{outcome} at step {}", failed_step(incident))
            }
            IncidentState::Open => "started and never closed".to_string(),
        };
        found.push(RollbackError::RollbackInProgress {
            app: app.to_string(),
            incident: incident.id.to_string(),
            state,
        });
    }
    if let Some(running) = page.items.iter().find(|d| d.status.in_progress()) {
        found.push(RollbackError::DeploymentRunning {
            app: app.to_string(),
            id: running.id.clone(),
            status: running.status.to_string(),
        });
    }
    Ok(found)
}

/// The checks made again once the app is locked, after the person
/// confirmed: one fresh read of the newest deployments, made now, judged
/// for both (another rollback or a deployment in the way, unless
/// `--force`; the release the plan goes back from still runs). Who acts,
/// as the platform knows them, is asked at the same time (best effort: the
/// run never waits on it or fails for it).
pub(crate) fn under_lock(
    journal: &Journal,
    platform: &dyn Platform,
    plan: &Plan,
    force: bool,
) -> Result<Option<String>, RollbackError> {
    let (page, user) = std::thread::scope(|s| {
        let user = s.spawn(|| platform.current_user().ok().flatten().map(|u| u.username));
        let page = recent(platform, &plan.app);
        (page, user.join().unwrap_or(None))
    });
    let page = page?;
    if !force
        && let Some(obstacle) = obstacles_in(journal, &page, &plan.app, None)?
            .into_iter()
            .next()
    {
        return Err(obstacle);
    }
    still_runs_in(&page, plan)?;
    Ok(user)
}

/// Closed outcomes `rewind resume` can finish.
pub fn resumable_outcome(outcome: &str) -> bool {
    matches!(outcome, "failed" | "refused")
}

fn failed_step(incident: &crate::journal::Incident) -> String {
    incident
        .steps
        .iter()
        .rev()
        .find(|s| s.state == crate::journal::StepState::Failed)
        .map_or_else(|| "?".to_string(), |s| s.id.clone())
}

/// The release the plan goes back from still runs: the newest successful
/// deployment is the one the plan was made from. Time passes between the
/// plan and the confirmation; acting on a stale plan could undo someone
/// else's fix. `page` is the newest deployments, just read ([`recent`]).
pub(crate) fn still_runs_in(page: &Page<Deployment>, plan: &Plan) -> Result<(), RollbackError> {
    let Some(planned) = plan.from.deployment_id.as_deref() else {
        return Ok(());
    };
    match page.items.iter().find(|d| d.status.is_success()) {
        Some(newest) if newest.id != planned => Err(RollbackError::AppChanged {
            app: plan.app.clone(),
            planned: format!("{} (deployment {planned})", plan.from.label),
            now: format!("deployment {}", newest.id),
        }),
        _ => Ok(()),
    }
}
