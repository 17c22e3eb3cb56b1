//! The `redeploy_previous` leaf: the rollback engineer's flow, prepared
//! (the plan shown in full: from, to, what going back removes, the steps)
//! and run as `rewind rollback` runs it. The rollback records itself as its
//! own incident in the journal, so that `rewind report` and `rewind
//! resume` work on it; the guide's incident points at it.

use crate::follow::FollowEvent;
use crate::rollback::{
    self, Outcome, Plan, PlannedStep, PrepareOptions, Progress, RunOptions, StepReport,
};

use super::actions::{Failure, Stop};
use super::say::leaves as words;
use super::tools::{GuideOptions, Tools};
use crate::i18n::Lang;

pub(crate) struct Prepared {
    pub plan: Plan,
    pub lines: Vec<String>,
}

fn tools<'a>(t: &'a Tools<'a>) -> rollback::Tools<'a> {
    rollback::Tools {
        platform: t.platform,
        git: t.git,
        journal: t.journal,
        interrupt: t.interrupt,
    }
}

/// `restored`: the walk restored the database just before (the runbook's
/// A3 then A4), so the rollback neither restores it again nor warns about
/// the migrations.
pub(crate) fn prepare(
    t: &Tools<'_>,
    options: &GuideOptions,
    restored: bool,
) -> Result<Prepared, Stop> {
    let database = if restored {
        rollback::DatabaseChoice::RestoredAlready
    } else if options.no_db {
        rollback::DatabaseChoice::NoDb
    } else {
        rollback::DatabaseChoice::Undecided
    };
    let plan = rollback::prepare(
        &tools(t),
        t.app,
        &PrepareOptions {
            archive_template: options.archive_template.as_ref(),
            webhook: t.webhook.is_some(),
            database,
            ..PrepareOptions::default()
        },
    )?;
    let lang = options.lang;
    // A typed confirmation means a person read the migrations in the plan;
    // `--yes` alone must not redeploy old code over a changed schema.
    if options.yes && !options.dry_run && plan.database.as_ref().is_some_and(|d| d.needs_a_choice())
    {
        let verdict = plan
            .database
            .as_ref()
            .and_then(|d| d.migrations.as_ref())
            .map_or("unknown", |m| m.verdict.as_str());
        let mut failure = Failure::new(words::yes_needs_db_choice(
            lang,
            verdict,
            &plan.to.label,
            &plan.from.label,
        ));
        for m in &plan.removed.migrations {
            failure = failure.hint(format!("migration {} {}", m.change, m.path));
        }
        failure = failure.hint(words::yes_db_choices(lang, &plan.from.label));
        return Err(failure.refused().into());
    }
    let mut lines = vec![
        words::plan_redeploy(
            lang,
            &plan.to.label,
            &plan.from.label,
            &plan.method.to_string(),
        ),
        words::plan_commits_removed(lang, plan.removed.commits.len()),
    ];
    for m in &plan.removed.migrations {
        lines.push(words::plan_migration_changed(
            lang,
            &plan.to.label,
            &m.change.to_string(),
            &m.path,
        ));
    }
    for warning in &plan.warnings {
        lines.push(words::plan_warning(lang, warning));
    }
    for (i, step) in plan.steps.iter().enumerate() {
        lines.push(format!("{}. {}", i + 1, step.title));
    }
    Ok(Prepared { plan, lines })
}

/// The reason a guide's rollback records: it names the walk, so that the
/// walk finds its rollback even when it was cut short before noting it.
pub fn rollback_reason(guide_incident: &str) -> String {
    format!("rewind guide, incident {guide_incident}")
}

/// Forwards the rollback's progress as lines.
struct Lines<'p>(Lang, &'p mut dyn FnMut(&str));

impl Progress for Lines<'_> {
    fn step_started(&mut self, step: &PlannedStep) {
        (self.1)(&format!("{}: {}", step.id, step.title));
    }

    fn step_ended(&mut self, step: &PlannedStep, report: &StepReport) {
        let detail = report
            .detail
            .as_deref()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        (self.1)(&format!("{}: {}{detail}", step.id, report.outcome.label()));
    }

    fn deploy_event(&mut self, event: &FollowEvent) {
        if let FollowEvent::Status(status) = event {
            (self.1)(&words::deployment_status(self.0, &status.to_string()));
        }
    }
}

/// Runs the rollback; returns what was done and the rollback's incident.
pub(crate) fn run(
    t: &Tools<'_>,
    options: &GuideOptions,
    prepared: &Prepared,
    incident: &str,
    progress: &mut dyn FnMut(&str),
) -> (Result<Vec<String>, Failure>, Option<String>) {
    run_for(t, options, prepared, &rollback_reason(incident), progress)
}

/// Runs the rollback recording `reason` (who asked for it, and under
/// which incident).
pub(crate) fn run_for(
    t: &Tools<'_>,
    options: &GuideOptions,
    prepared: &Prepared,
    reason: &str,
    progress: &mut dyn FnMut(&str),
) -> (Result<Vec<String>, Failure>, Option<String>) {
    let reason = reason.to_string();
    let run_options = RunOptions {
        reason: Some(&reason),
        archive_template: options.archive_template.as_ref(),
        webhook: t.webhook,
        follow: options.follow.clone(),
        ..RunOptions::new(t.app, &options.actor)
    };
    let summary = match rollback::run(
        &tools(t),
        &prepared.plan,
        &run_options,
        &mut Lines(options.lang, progress),
    ) {
        Ok(s) => s,
        Err(e) => return (Err(e.into()), None),
    };
    let id = summary.incident.to_string();
    let result = match summary.outcome {
        Outcome::Succeeded => Ok(vec![
            words::redeployed(
                options.lang,
                &summary.to.label,
                summary.deployment_id.as_deref(),
            ),
            words::rollback_incident(options.lang, &id),
        ]),
        Outcome::Failed {
            step,
            error,
            mut hints,
            previous_release_running,
            runs_now,
            refused,
            ..
        } => {
            match runs_now {
                Some(now) => hints.push(now),
                None if previous_release_running => {
                    hints.push(format!("{} still runs", summary.from.label));
                }
                None => {}
            }
            hints.push(format!(
                "rewind report {id} tells the rollback step by step"
            ));
            Err(Failure {
                error: format!("the rollback failed at step {step}: {error}"),
                hints,
                refused,
            })
        }
        Outcome::Interrupted { message, .. } => Err(Failure::new(format!(
            "the rollback was interrupted: {message}"
        ))
        .hint(format!("rewind resume {id} finishes it"))),
    };
    (result, Some(id))
}
