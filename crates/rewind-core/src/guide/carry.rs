//! One leaf carried out outside a walk, for `rewind watch --policy auto`
//! and `--policy ask`: the same leaves as the guide's (a feature flag
//! switched off, the previous release redeployed), under the app's lock,
//! journaled before and after in the caller's incident. Only those two:
//! a database restore or a warning is always a person's walk.

use serde_json::json;

use crate::journal::{EntryKind, Holder, IncidentId, JournalError};
use crate::prompt::NoPrompter;
use crate::tree::ActionKind;

use super::actions::{ActionOutcome, ActionReport, Failure, Stop};
use super::tools::{GuideOptions, Tools};
use super::{redeploy, switch_off};

/// The step id a carried-out leaf is journaled under.
pub const STEP: &str = "action";

/// Plans the leaf `kind` of node `node` and carries it out, with nobody
/// to ask: a flag must be the tree's `flag` param or the app's only one,
/// a redeploy leaves the database as it is and is refused when a
/// migration changed between the two releases. Every stage is journaled
/// in `incident` under the step [`STEP`]; `command` names the caller in
/// the app's lock. `Err` only when the journal cannot be written.
#[allow(clippy::too_many_arguments)]
pub fn carry_out(
    tools: &Tools<'_>,
    options: &GuideOptions,
    incident: &IncidentId,
    command: &str,
    node: &str,
    kind: ActionKind,
    params: &toml::Table,
    progress: &mut dyn FnMut(&str),
) -> Result<ActionReport, JournalError> {
    let app = &tools.app.name;
    let journal = tools.journal;
    let record = |entry: EntryKind, data| journal.record(incident, app, entry, Some(STEP), data);
    let mut report = ActionReport {
        node: node.to_string(),
        action: kind.name(),
        outcome: ActionOutcome::Done,
        lines: Vec::new(),
        ticket: None,
        rollback_incident: None,
    };
    let failed = |mut report: ActionReport, failure: Failure| {
        report.outcome = ActionOutcome::Failed {
            error: failure.error,
            hints: failure.hints,
            refused: failure.refused,
        };
        report
    };
    let options = GuideOptions {
        yes: true,
        dry_run: false,
        no_db: true,
        ..options.clone()
    };
    let planned = match kind {
        ActionKind::SwitchFeatureOff => {
            switch_off::prepare(tools, &options, params, &NoPrompter).and_then(|p| {
                match &p.current {
                    Some(value) if *value == p.flag.off_value => Err(Stop::Failed(
                        Failure::new(format!(
                            "{} is already {value}: switching it off again would only restart {app}",
                            p.flag.name
                        ))
                        .refused(),
                    )),
                    _ => Ok(Planned::SwitchOff(p)),
                }
            })
        }
        ActionKind::RedeployPrevious => redeploy::prepare(tools, &options, false).and_then(|p| {
            if p.plan.removed.migrations.is_empty() {
                Ok(Planned::Redeploy(Box::new(p)))
            } else {
                let mut failure = Failure::new(format!(
                    "{} migration(s) changed between {} and {}: a redeploy over a changed schema is a person's decision",
                    p.plan.removed.migrations.len(),
                    p.plan.to.label,
                    p.plan.from.label
                ))
                .refused();
                for m in &p.plan.removed.migrations {
                    failure = failure.hint(format!("migration {} {}", m.change, m.path));
                }
                Err(Stop::Failed(failure.hint(format!("run `rewind guide {app}`"))))
            }
        }),
        ActionKind::RestoreDatabase | ActionKind::WarnProductOwner => Err(Stop::Failed(
            Failure::new(format!("`{}` is never carried out by {command}", kind.name())).refused(),
        )),
    };
    let planned = match planned {
        Ok(p) => p,
        Err(stop) => {
            let failure = match stop {
                Stop::Failed(f) => f,
                Stop::Guide(e) => Failure::new(e.to_string()).refused(),
            };
            record(
                EntryKind::StepFailed,
                json!({"action": kind.name(), "stage": "plan", "error": failure.error}),
            )?;
            return Ok(failed(report, failure));
        }
    };
    report.lines = planned.lines().to_vec();
    let holder = Holder::me(&options.actor, command);
    let mut lock = match crate::team::Lock::acquire(
        journal,
        app,
        &holder,
        crate::team::Shared::of(tools.git, tools.app),
    ) {
        Ok(lock) => lock,
        Err(e) => {
            let failure = Failure {
                error: e.to_string(),
                hints: e.hints(),
                refused: true,
            };
            record(
                EntryKind::StepFailed,
                json!({"action": kind.name(), "stage": "lock", "error": failure.error}),
            )?;
            return Ok(failed(report, failure));
        }
    };
    if let Some(reason) = lock.alone() {
        progress(&crate::team::alone_warning(app, reason));
    }
    lock.set_incident(journal, incident)?;
    record(
        EntryKind::StepStarted,
        json!({"action": kind.name(), "node": node, "plan": report.lines}),
    )?;
    let (result, rollback_incident) = match &planned {
        Planned::SwitchOff(p) => (switch_off::run(tools, &options, p, progress), None),
        Planned::Redeploy(p) => {
            let reason = format!("rewind {command}, incident {}", incident.as_str());
            redeploy::run_for(tools, &options, p, &reason, progress)
        }
    };
    report.rollback_incident = rollback_incident.clone();
    match result {
        Ok(done) => {
            record(
                EntryKind::StepDone,
                json!({"action": kind.name(), "done": done, "rollback_incident": rollback_incident}),
            )?;
            report.lines = done;
            Ok(report)
        }
        Err(failure) => {
            record(
                EntryKind::StepFailed,
                json!({"action": kind.name(), "error": failure.error, "rollback_incident": rollback_incident}),
            )?;
            Ok(failed(report, failure))
        }
    }
}

enum Planned {
    SwitchOff(switch_off::Prepared),
    Redeploy(Box<redeploy::Prepared>),
}

impl Planned {
    fn lines(&self) -> &[String] {
        match self {
            Planned::SwitchOff(p) => &p.lines,
            Planned::Redeploy(p) => &p.lines,
        }
    }
}
