//! One rollback per app at a time: what stands in the way of starting one
//! now (another rollback the journal shows unfinished, a deployment running
//! on the platform). `--force` turns these into warnings.

use crate::journal::{IncidentId, IncidentState, Journal};
use crate::platform::Platform;

use super::error::RollbackError;

/// How many of the newest deployments are checked for one in progress: a
/// running deploy is always among the newest.
const RECENT_DEPLOYMENTS: u32 = 10;

/// Everything that forbids a rollback of `app` now, `except` the incident
/// being resumed.
pub(crate) fn obstacles(
    journal: &Journal,
    platform: &dyn Platform,
    app: &str,
    except: Option<&IncidentId>,
) -> Result<Vec<RollbackError>, RollbackError> {
    let mut found = Vec::new();
    for incident in journal.incidents()? {
        let is_rollback = incident.opening["command"].as_str() == Some(super::COMMAND);
        if incident.app != app || !is_rollback || Some(&incident.id) == except {
            continue;
        }
        if incident.is_unfinished() {
            let state = match incident.state {
                IncidentState::Interrupted => "interrupted",
                _ => "started and never closed",
            };
            found.push(RollbackError::RollbackInProgress {
                app: app.to_string(),
                incident: incident.id.to_string(),
                state: state.to_string(),
            });
        }
    }
    let page = platform.deployments(app, 1, RECENT_DEPLOYMENTS)?;
    if let Some(running) = page.items.iter().find(|d| d.status.in_progress()) {
        found.push(RollbackError::DeploymentRunning {
            app: app.to_string(),
            id: running.id.clone(),
            status: running.status.to_string(),
        });
    }
    Ok(found)
}
