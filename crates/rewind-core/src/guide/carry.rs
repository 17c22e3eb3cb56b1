//! One leaf carried out outside a walk, for `rewind watch --policy auto`
//! and `--policy ask`: the same leaves as the guide's (a feature flag
//! switched off, the previous release redeployed), under the app's lock,
//! journaled before and after in the caller's incident. Only those two:
//! a database restore or a warning is always a person's walk. In two
//! halves: [`check`] plans and may refuse, changing nothing, so that the
//! team is told what will be done only once it is allowed; [`act`]
//! carries the checked plan out.

use serde_json::json;

use crate::journal::{EntryKind, Holder, IncidentId, JournalError};
use crate::prompt::NoPrompter;
use crate::tree::ActionKind;

use super::actions::{ActionOutcome, ActionReport, Failure, Stop};
use super::tools::{GuideOptions, Tools};
use super::{redeploy, switch_off};

/// The step id a carried-out leaf is journaled under.
pub const STEP: &str = "action";

/// A leaf planned and allowed: what [`act`] carries out.
pub struct Checked {
    node: String,
    kind: ActionKind,
    options: GuideOptions,
    planned: Planned,
}

impl Checked {
    /// The plan's lines: what will be done.
    pub fn lines(&self) -> &[String] {
        self.planned.lines()
    }

    pub fn kind(&self) -> ActionKind {
        self.kind
    }
}

/// Why a leaf is refused before anything changed.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub node: String,
    pub kind: ActionKind,
    pub error: String,
    /// What to do instead, and what stood in the way.
    pub hints: Vec<String>,
}

impl Refusal {
    /// The refusal in one line, its hints after a colon each.
    pub fn describe(&self) -> String {
        let mut text = format!("`{}` refused: {}", self.kind.name(), self.error);
        for hint in &self.hints {
            text.push_str("; ");
            text.push_str(hint);
        }
        text
    }
}

/// Plans the leaf `kind` of node `node` with nobody to ask, and says
/// whether it may be carried out, changing nothing and journaling
/// nothing: a flag must be the tree's `flag` param or the app's only one
/// and not already off; a redeploy leaves the database as it is and is
/// refused when a migration changed between the two releases; a restore
/// or a warning is never carried out by `command`.
pub fn check(
    tools: &Tools<'_>,
    options: &GuideOptions,
    command: &str,
    node: &str,
    kind: ActionKind,
    params: &toml::Table,
) -> Result<Checked, Refusal> {
    let app = &tools.app.name;
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
    match planned {
        Ok(planned) => Ok(Checked {
            node: node.to_string(),
            kind,
            options,
            planned,
        }),
        Err(stop) => {
            let failure = match stop {
                Stop::Failed(f) => f,
                Stop::Guide(e) => Failure::new(e.to_string()).refused(),
            };
            Err(Refusal {
                node: node.to_string(),
                kind,
                error: failure.error,
                hints: failure.hints,
            })
        }
    }
}

/// Journals a refusal in `incident` under the step [`STEP`] (stage
/// `plan`): nothing was changed.
pub fn record_refusal(
    tools: &Tools<'_>,
    incident: &IncidentId,
    refusal: &Refusal,
) -> Result<(), JournalError> {
    tools.journal.record(
        incident,
        &tools.app.name,
        EntryKind::StepFailed,
        Some(STEP),
        json!({"action": refusal.kind.name(), "stage": "plan", "error": refusal.error}),
    )
}

/// Carries out a checked leaf under the app's lock, journaled before and
/// after in `incident` under the step [`STEP`]; `command` names the
/// caller in the lock. `Err` only when the journal cannot be written.
pub fn act(
    tools: &Tools<'_>,
    incident: &IncidentId,
    command: &str,
    checked: Checked,
    progress: &mut dyn FnMut(&str),
) -> Result<ActionReport, JournalError> {
    let app = &tools.app.name;
    let journal = tools.journal;
    let Checked {
        node,
        kind,
        options,
        planned,
    } = checked;
    let record = |entry: EntryKind, data| journal.record(incident, app, entry, Some(STEP), data);
    let mut report = ActionReport {
        node: node.clone(),
        action: kind.name(),
        outcome: ActionOutcome::Done,
        lines: planned.lines().to_vec(),
        ticket: None,
        rollback_incident: None,
    };
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

/// [`check`] then [`act`]: a refusal is journaled (stage `plan`) and
/// reported as a failed action.
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
    match check(tools, options, command, node, kind, params) {
        Ok(checked) => act(tools, incident, command, checked, progress),
        Err(refusal) => {
            record_refusal(tools, incident, &refusal)?;
            let report = ActionReport {
                node: refusal.node.clone(),
                action: kind.name(),
                outcome: ActionOutcome::Done,
                lines: Vec::new(),
                ticket: None,
                rollback_incident: None,
            };
            let failure = Failure {
                error: refusal.error,
                hints: refusal.hints,
                refused: true,
            };
            Ok(failed(report, failure))
        }
    }
}

fn failed(mut report: ActionReport, failure: Failure) -> ActionReport {
    report.outcome = ActionOutcome::Failed {
        error: failure.error,
        hints: failure.hints,
        refused: failure.refused,
    };
    report
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
