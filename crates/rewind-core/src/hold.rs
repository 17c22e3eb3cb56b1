//! Holding auto-deploy: while a bad release is rolled back, the next merge
//! to the linked branch must not ship the bad code again, so the SCM link's
//! auto-deploy is switched off, and the journal keeps what it was. `rewind
//! hold` and `rewind unhold` do it on their own; a rollback does it as a
//! step; [`hold_state`] tells `rewind status` whether an app is held.
//!
//! A hold is recorded as the `data.hold` of a step's end entry:
//! `{"held": true, "auto_deploy_was": true, "by": "alice"}`, or
//! `{"held": false}` when released. The newest such record wins.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use crate::journal::{EntryKind, IncidentId, Journal, JournalError};
use crate::platform::{Platform, PlatformError};

/// What can stop `hold` or `unhold`.
#[derive(Debug, thiserror::Error)]
pub enum HoldError {
    #[error("{app} has no SCM link, which {needed_for}")]
    NoScmLink { app: String, needed_for: String },
    #[error(transparent)]
    Platform(#[from] PlatformError),
    #[error(transparent)]
    Journal(#[from] JournalError),
}

/// The step id `rewind hold` records (a rollback uses its own `hold` step).
const HOLD_STEP: &str = "hold";
const UNHOLD_STEP: &str = "unhold";

/// An app whose auto-deploy rewind switched off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HoldState {
    pub since: DateTime<Utc>,
    /// The incident that held it.
    pub incident: IncidentId,
    pub by: Option<String>,
    /// Whether auto-deploy was on before (what `unhold` restores).
    pub auto_deploy_was: Option<bool>,
    pub reason: Option<String>,
}

/// The `data.hold` a step records when it holds auto-deploy.
pub(crate) fn held_record(auto_deploy_was: bool, by: &str, reason: Option<&str>) -> Value {
    json!({ "held": true, "auto_deploy_was": auto_deploy_was, "by": by, "reason": reason })
}

/// The app's hold, if the journal's newest hold record says it is held.
pub fn hold_state(journal: &Journal, app: &str) -> Result<Option<HoldState>, JournalError> {
    let (entries, _) = journal.entries()?;
    let last = entries
        .into_iter()
        .rfind(|e| e.app == app && e.kind == EntryKind::StepDone && e.data["hold"].is_object());
    Ok(last.and_then(|e| {
        let hold = &e.data["hold"];
        (hold["held"] == Value::Bool(true)).then(|| HoldState {
            since: e.at,
            incident: e.incident.clone(),
            by: hold["by"].as_str().map(str::to_string),
            auto_deploy_was: hold["auto_deploy_was"].as_bool(),
            reason: hold["reason"].as_str().map(str::to_string),
        })
    }))
}

/// What `hold` or `unhold` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HoldChange {
    pub incident: IncidentId,
    /// Auto-deploy before the change.
    pub was_enabled: bool,
    /// Auto-deploy after the change.
    pub enabled: bool,
}

/// Switches auto-deploy off, and journals it as an incident of its own.
pub fn hold(
    platform: &dyn Platform,
    journal: &Journal,
    app: &str,
    by: &str,
    reason: Option<&str>,
) -> Result<HoldChange, HoldError> {
    change(platform, journal, app, by, reason, false)
}

/// Switches auto-deploy back on and records the hold as released.
pub fn unhold(
    platform: &dyn Platform,
    journal: &Journal,
    app: &str,
    by: &str,
    reason: Option<&str>,
) -> Result<HoldChange, HoldError> {
    change(platform, journal, app, by, reason, true)
}

fn change(
    platform: &dyn Platform,
    journal: &Journal,
    app: &str,
    by: &str,
    reason: Option<&str>,
    enable: bool,
) -> Result<HoldChange, HoldError> {
    let (command, step) = if enable {
        ("unhold", UNHOLD_STEP)
    } else {
        ("hold", HOLD_STEP)
    };
    let link = platform
        .scm_link(app)?
        .ok_or_else(|| HoldError::NoScmLink {
            app: app.to_string(),
            needed_for: "holds auto-deploy".into(),
        })?;
    let incident = journal.begin(
        app,
        json!({ "command": command, "user": by, "reason": reason }),
    )?;
    journal.record(
        &incident,
        app,
        EntryKind::StepStarted,
        Some(step),
        json!({}),
    )?;
    let was_enabled = link.auto_deploy_enabled;
    if was_enabled != enable
        && let Err(e) = platform.set_auto_deploy(app, enable)
    {
        journal.record(
            &incident,
            app,
            EntryKind::StepFailed,
            Some(step),
            json!({ "error": e.to_string() }),
        )?;
        journal.record(
            &incident,
            app,
            EntryKind::IncidentClosed,
            None,
            json!({ "outcome": "failed" }),
        )?;
        return Err(e.into());
    }
    let record = if enable {
        json!({ "held": false, "by": by })
    } else {
        held_record(was_enabled, by, reason)
    };
    journal.record(
        &incident,
        app,
        EntryKind::StepDone,
        Some(step),
        json!({ "hold": record, "auto_deploy_was": was_enabled, "auto_deploy": enable }),
    )?;
    journal.record(
        &incident,
        app,
        EntryKind::IncidentClosed,
        None,
        json!({ "outcome": "succeeded" }),
    )?;
    Ok(HoldChange {
        incident,
        was_enabled,
        enabled: enable,
    })
}
