//! Did the rehearsal reach its outcome? Each scenario's promise is checked
//! where it lives: the release the platform runs, the app's health, the
//! database's rows, the app's variables and events, the team's webhook,
//! the ticket draft on disk. Nothing is taken from the walk's own word.

use chrono::{DateTime, Utc};
use serde::Serialize;

use rewind_core::git::short_sha;
use rewind_core::guide::{GuideSummary, Outcome};
use rewind_core::platform::Platform;

use crate::admin::Row;
use crate::history::{APP, BAD, FLAG, FLAG_OFF, GOOD};
use crate::night::{Broken, Shipped, Stage};
use crate::scenario::Scenario;

/// One fact checked.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub what: String,
    pub ok: bool,
    pub detail: String,
}

impl Check {
    pub(crate) fn new(what: impl Into<String>, ok: bool, detail: impl Into<String>) -> Check {
        Check {
            what: what.into(),
            ok,
            detail: detail.into(),
        }
    }
}

/// What the rows say after the walk.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DataLoss {
    /// Rows written after the restore point, gone with the restore
    /// (`HH:MM:SS.mmm  text`).
    pub lost: Vec<String>,
    /// The bad release's rows still in the database (no restore).
    pub kept_bad: Vec<String>,
}

/// Checks the scenario's outcome against production.
pub fn verify(
    scenario: Scenario,
    stage: &Stage<'_>,
    broken: &Broken,
    summary: &GuideSummary,
    webhook_messages: &[String],
) -> (Vec<Check>, DataLoss) {
    let mut checks = Vec::new();
    let finished = matches!(summary.outcome, Outcome::Finished { .. });
    let done: Vec<&str> = summary.actions.iter().map(|a| a.node.as_str()).collect();
    let ended = match &summary.outcome {
        Outcome::Finished { exit } => exit.clone().unwrap_or_else(|| "finished".into()),
        Outcome::NothingToDo => "nothing to do".into(),
        Outcome::ActionFailed { node } => format!("{node} failed"),
        Outcome::NotWell { node } => format!("stopped after {node}"),
    };
    checks.push(Check::new(
        "the walk",
        finished && done == scenario.actions(),
        format!("actions {}: {ended}", done.join(", ")),
    ));
    let ws = stage.workspace;
    let running = running_commit(stage.platform, APP);
    let release_check = |version: &str| {
        let want = ws.commit(version).unwrap_or_default();
        let ok = running.as_deref().ok() == Some(want);
        let detail = match &running {
            Ok(sha) => format!("the last successful deployment runs {}", short_sha(sha)),
            Err(e) => e.clone(),
        };
        Check::new(format!("v{version} runs"), ok, detail)
    };
    let mut loss = DataLoss::default();
    let rows = stage.admin.rows(&broken.addon);
    let healthy = || match stage.health_check() {
        Ok(h) => Check::new(
            "the health check passes",
            h.ok,
            h.last_error
                .unwrap_or_else(|| format!("HTTP {}", h.last_status.unwrap_or_default())),
        ),
        Err(e) => Check::new("the health check passes", false, e.to_string()),
    };
    match scenario {
        // The multi-app scenario is checked by `fleet_night::verify_fleet`.
        Scenario::WithDb | Scenario::AppOnly | Scenario::MultiApp => {
            checks.push(release_check(GOOD));
            checks.push(healthy());
            checks.push(auto_deploy_held(stage.platform, APP));
            checks.push(Check::new(
                "the team was told",
                !webhook_messages.is_empty(),
                format!("{} webhook message(s)", webhook_messages.len()),
            ));
        }
        Scenario::FeatureFlag | Scenario::Minor | Scenario::Watch | Scenario::WatchHealthy => {
            checks.push(release_check(BAD))
        }
    }
    match (scenario, rows) {
        (_, Err(e)) => checks.push(Check::new("the database's rows", false, e.to_string())),
        (Scenario::WithDb, Ok(now)) => {
            let lost = broken.rows_after_restore_point();
            let kept: Vec<&Row> = broken
                .rows
                .iter()
                .filter(|r| r.at <= broken.restore_point)
                .collect();
            let gone = lost.iter().all(|r| !has(&now, r));
            let stayed = kept.iter().all(|r| has(&now, r));
            checks.push(Check::new(
                "the rows written since the restore point are gone",
                gone && !lost.is_empty(),
                format!("{} row(s) lost, {} still there", lost.len(), now.len()),
            ));
            checks.push(Check::new(
                "the rows written before it are kept",
                stayed,
                format!("{} row(s) expected", kept.len()),
            ));
            loss.lost = row_lines(&lost);
        }
        (_, Ok(now)) => {
            let bad: Vec<String> = broken
                .rows
                .iter()
                .filter(|r| r.text.contains(&format!("(v{BAD})")))
                .map(|r| r.text.clone())
                .collect();
            let untouched = broken.rows.iter().all(|r| has(&now, r));
            checks.push(Check::new(
                "the database is untouched",
                untouched,
                format!("{} row(s), none restored", now.len()),
            ));
            loss.kept_bad = bad;
        }
    }
    match scenario {
        Scenario::FeatureFlag | Scenario::Watch => {
            checks.push(flag_off(stage.platform));
            checks.push(restarted(stage.platform, broken.alert_at));
            checks.push(healthy());
        }
        Scenario::Minor => {
            let warned = webhook_messages.iter().any(|m| m.contains(APP));
            checks.push(Check::new(
                "the product owner was warned",
                warned,
                format!("{} webhook message(s)", webhook_messages.len()),
            ));
            checks.push(ticket_written(summary));
        }
        Scenario::WithDb | Scenario::AppOnly | Scenario::WatchHealthy | Scenario::MultiApp => {}
    }
    (checks, loss)
}

/// The watch scenario's outcome: `rewind watch --policy auto` closed its
/// incident as `acted` (`outcome`, from the journal), the feature is off,
/// the app restarted since `detected_at` and is healthy, v1.3.0 still
/// runs, the team got the watch's two messages, the database untouched.
pub fn verify_watch(
    stage: &Stage<'_>,
    shipped: &Shipped,
    outcome: &str,
    detected_at: DateTime<Utc>,
    webhook_messages: &[String],
) -> Vec<Check> {
    let mut checks = vec![Check::new(
        "rewind watch acted",
        outcome == "acted",
        format!("its incident closed as `{outcome}`"),
    )];
    let want = stage.workspace.commit(BAD).unwrap_or_default();
    let running = running_commit(stage.platform, APP);
    checks.push(Check::new(
        format!("v{BAD} runs"),
        running.as_deref().ok() == Some(want),
        match &running {
            Ok(sha) => format!("the last successful deployment runs {}", short_sha(sha)),
            Err(e) => e.clone(),
        },
    ));
    checks.push(flag_off(stage.platform));
    checks.push(restarted(stage.platform, detected_at));
    checks.push(match stage.health_check() {
        Ok(h) => Check::new(
            "the health check passes",
            h.ok,
            h.last_error
                .unwrap_or_else(|| format!("HTTP {}", h.last_status.unwrap_or_default())),
        ),
        Err(e) => Check::new("the health check passes", false, e.to_string()),
    });
    checks.push(Check::new(
        "the team was told, then told what was done",
        webhook_messages.len() == 2 && webhook_messages[1].contains("is done"),
        format!("{} webhook message(s)", webhook_messages.len()),
    ));
    checks.push(match stage.admin.rows(&shipped.addon) {
        Ok(now) => Check::new(
            "the database is untouched",
            shipped.rows.iter().all(|r| has(&now, r)),
            format!("{} row(s), none restored", now.len()),
        ),
        Err(e) => Check::new("the database's rows", false, e.to_string()),
    });
    checks
}

/// The healthy watch's outcome: the watch ended quietly, opened no
/// incident (`incidents`, from the journal), posted nothing, and v1.3.0
/// still runs healthy, its feature off, the database untouched.
pub fn verify_quiet(
    stage: &Stage<'_>,
    shipped: &Shipped,
    quiet: bool,
    incidents: usize,
    webhook_messages: &[String],
) -> Vec<Check> {
    let mut checks = vec![
        Check::new(
            "rewind watch ended quietly",
            quiet,
            if quiet {
                "no threshold crossed".to_string()
            } else {
                "a threshold was crossed: a false alarm".to_string()
            },
        ),
        Check::new(
            "no incident opened",
            incidents == 0,
            format!("{incidents} incident(s) in the journal"),
        ),
        Check::new(
            "nothing posted",
            webhook_messages.is_empty(),
            format!("{} webhook message(s)", webhook_messages.len()),
        ),
    ];
    let want = stage.workspace.commit(BAD).unwrap_or_default();
    let running = running_commit(stage.platform, APP);
    checks.push(Check::new(
        format!("v{BAD} runs"),
        running.as_deref().ok() == Some(want),
        match &running {
            Ok(sha) => format!("the last successful deployment runs {}", short_sha(sha)),
            Err(e) => e.clone(),
        },
    ));
    checks.push(flag_off(stage.platform));
    checks.push(match stage.health_check() {
        Ok(h) => Check::new(
            "the health check passes",
            h.ok,
            h.last_error
                .unwrap_or_else(|| format!("HTTP {}", h.last_status.unwrap_or_default())),
        ),
        Err(e) => Check::new("the health check passes", false, e.to_string()),
    });
    checks.push(match stage.admin.rows(&shipped.addon) {
        Ok(now) => Check::new(
            "the database is untouched",
            shipped.rows.iter().all(|r| has(&now, r)) && now.len() == shipped.rows.len(),
            format!("{} row(s)", now.len()),
        ),
        Err(e) => Check::new("the database's rows", false, e.to_string()),
    });
    checks
}

pub(crate) fn has(rows: &[Row], row: &Row) -> bool {
    rows.iter().any(|r| r.text == row.text)
}

/// The commit of the newest successful deployment of `app`: what runs.
pub(crate) fn running_commit(platform: &dyn Platform, app: &str) -> Result<String, String> {
    let page = platform
        .deployments(app, 1, 20)
        .map_err(|e| format!("cannot read the deployments: {e}"))?;
    page.items
        .iter()
        .find(|d| d.status.is_success())
        .and_then(|d| d.git_ref.clone())
        .ok_or_else(|| "no successful deployment".to_string())
}

pub(crate) fn auto_deploy_held(platform: &dyn Platform, app: &str) -> Check {
    let what = if app == APP {
        "auto-deploy is held".to_string()
    } else {
        format!("{app}'s auto-deploy is held")
    };
    match platform.scm_link(app) {
        Ok(Some(link)) => Check::new(
            what,
            !link.auto_deploy_enabled,
            format!(
                "auto-deploy of {} is {}",
                link.branch.as_deref().unwrap_or("the linked branch"),
                if link.auto_deploy_enabled {
                    "on"
                } else {
                    "off"
                }
            ),
        ),
        Ok(None) => Check::new(what, false, "the app has no SCM link"),
        Err(e) => Check::new(what, false, e.to_string()),
    }
}

fn flag_off(platform: &dyn Platform) -> Check {
    let what = format!("{FLAG} is off");
    match platform.variables(APP) {
        Ok(vars) => {
            let value = vars
                .iter()
                .find(|v| v.name == FLAG)
                .map(|v| v.value.clone());
            Check::new(
                what,
                value.as_deref() == Some(FLAG_OFF),
                format!("{FLAG}={}", value.unwrap_or_else(|| "(unset)".into())),
            )
        }
        Err(e) => Check::new(what, false, e.to_string()),
    }
}

fn restarted(platform: &dyn Platform, since: DateTime<Utc>) -> Check {
    let what = "the app restarted";
    match platform.events(APP, 1, 50) {
        Ok(page) => {
            let restarts = page
                .items
                .iter()
                .filter(|e| e.kind == "restart" && e.created_at.is_some_and(|t| t >= since))
                .count();
            Check::new(
                what,
                restarts > 0,
                format!("{restarts} restart event(s) since the bad release was noticed"),
            )
        }
        Err(e) => Check::new(what, false, e.to_string()),
    }
}

fn ticket_written(summary: &GuideSummary) -> Check {
    let what = "a ticket draft is written";
    let path = summary.actions.iter().find_map(|a| a.ticket.clone());
    match path {
        Some(path) => match std::fs::metadata(&path) {
            Ok(m) if m.len() > 0 => Check::new(what, true, path.display().to_string()),
            _ => Check::new(
                what,
                false,
                format!("{} is missing or empty", path.display()),
            ),
        },
        None => Check::new(what, false, "the walk wrote no ticket"),
    }
}

/// Rows as a person reads them: `HH:MM:SS.mmm  text`.
pub fn row_lines(rows: &[Row]) -> Vec<String> {
    rows.iter()
        .map(|r| format!("{}  {}", r.at.format("%H:%M:%S%.3f"), r.text))
        .collect()
}
