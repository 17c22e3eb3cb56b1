//! `rewind guide APP APP…|--all`: the tree walked once for several apps.
//! Each question's evidence is gathered for every app and shown app by
//! app; a probe's suggestion is offered only when every app agrees. The
//! question is asked once; at a leaf the action is carried out for each
//! app it concerns:
//!
//! - a redeploy (and a restore leading to a redeploy: the runbook's A3 then
//!   A4) goes through the rollback of several apps
//!   ([`crate::rollback::run_fleet`]): one plan, one confirmation typing the
//!   apps' names, every database restored before any deploy, the deploys
//!   at once; its own incident, which the guide's incident points at;
//! - a restore alone restores each app that has a database in rewind.toml;
//! - a feature switch-off, for each app that has a flag configured (the
//!   others are named as having none);
//! - the warning and its ticket, once for all the apps.
//!
//! One incident: an opening entry per app under one id
//! ([`Journal::begin_several`]); the answers are recorded under the first
//! app and name every app; each action's entries are recorded under the
//! apps it concerns.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::mpsc;

use serde_json::{Value, json};

use crate::config::AppConfig;
use crate::follow::FollowEvent;
use crate::git::Git;
use crate::i18n::Lang;
use crate::interrupt::Interrupt;
use crate::journal::{EntryKind, Holder, IncidentId, Journal};
use crate::notify::post_webhook;
use crate::platform::Platform;
use crate::prompt::{Choice, PromptError, Prompter};
use crate::rollback::{
    self, AppRun, DatabaseChoice, FleetApp, FleetPlan, FleetProgress, FleetTools, Outcome as Ran,
    PlannedStep, PrepareOptions, RunOptions, StepReport,
};
use crate::secret::Secret;
use crate::tree::{
    Action, ActionKind, Answered, Node, NodeKind, Position, PresetAnswers, Question, Tree, Walk,
};

use super::actions::{ActionOutcome, ActionReport, Failure, Stop};
use super::error::GuideError;
use super::evidence::ProbeResult;
use super::narrator::Narrator;
use super::probes::{self, Known};
use super::say::{leaves, walk as words};
use super::session::{GuideSummary, Outcome, pick_answer};
use super::ticket::{self, AnswerRecord, TicketDraft, TicketInput};
use super::tools::{GuideOptions, Tools};
use super::{COMMAND, redeploy, restore, switch_off};

/// What the apps share: the repository's git, the journal, Ctrl-C.
#[derive(Clone, Copy)]
pub struct SharedTools<'a> {
    pub git: &'a (dyn Git + Sync),
    pub journal: &'a Journal,
    pub interrupt: &'a Interrupt,
}

/// One app of the walk.
pub struct GuideApp<'a> {
    pub config: &'a AppConfig,
    pub platform: &'a (dyn Platform + Sync),
    /// The team's webhook for this app.
    pub webhook: Option<&'a Secret>,
    /// Where its safety backup is downloaded.
    pub backup_dir: PathBuf,
}

/// Walks `tree` once for every app of `apps` (two or more; one app is
/// [`super::guide`]'s walk).
pub fn guide_several(
    tree: &Tree,
    preset: &PresetAnswers,
    shared: &SharedTools<'_>,
    apps: &[GuideApp<'_>],
    options: &GuideOptions,
    prompter: &dyn Prompter,
    narrator: &mut dyn Narrator,
) -> Result<GuideSummary, GuideError> {
    let names: Vec<String> = apps.iter().map(|a| a.config.name.clone()).collect();
    let platform_user = apps
        .first()
        .and_then(|a| a.platform.current_user().ok().flatten())
        .map(|u| u.username);
    let incident = shared.journal.begin_several(
        names
            .iter()
            .map(|name| {
                (
                    name.clone(),
                    json!({
                        "command": COMMAND,
                        "user": options.actor,
                        "tree": tree.source_name(),
                        "lang": options.lang.code(),
                        "dry_run": options.dry_run,
                        "no_db": options.no_db,
                        "platform_user": platform_user,
                    }),
                )
            })
            .collect(),
    )?;
    let mut walk = Several {
        shared,
        apps,
        names,
        options,
        prompter,
        narrator,
        incident,
        known: apps.iter().map(|_| Known::new(options.lang)).collect(),
        evidence: Vec::new(),
        answers: Vec::new(),
        actions: Vec::new(),
        done: Vec::new(),
        restored: false,
        carried_with: None,
    };
    let result = walk.walk(tree, preset);
    let closing = match &result {
        Ok(Outcome::NothingToDo) => "nothing-to-do",
        Ok(Outcome::Finished { .. }) => "succeeded",
        Ok(Outcome::ActionFailed { .. }) => "failed",
        Ok(Outcome::NotWell { .. }) => "stopped",
        Err(GuideError::Unanswered(_) | GuideError::FlagNotChosen { .. }) => "unanswered",
        Err(GuideError::Prompt(PromptError::Interrupted)) => "interrupted",
        Err(GuideError::NotConfirmed { .. } | GuideError::Prompt(_)) => "refused",
        Err(GuideError::Journal(_)) => "journal-error",
    };
    if let Err(GuideError::Prompt(PromptError::Interrupted)) = &result {
        walk.record_all(
            EntryKind::Interrupted,
            None,
            json!({"while": "waiting for an answer"}),
        )?;
    }
    let mut data = json!({ "outcome": closing });
    if let Err(e) = &result {
        data["error"] = json!(e.to_string());
    }
    let kind = if options.dry_run && result.is_ok() {
        EntryKind::DryRun
    } else {
        EntryKind::IncidentClosed
    };
    walk.record_all(kind, None, data)?;
    let outcome = result?;
    Ok(GuideSummary {
        incident: walk.incident,
        app: walk.names.join(", "),
        apps: walk.names.clone(),
        path: walk
            .answers
            .iter()
            .map(|a| Answered {
                question: a.question.clone(),
                answer: a.answer.clone(),
            })
            .collect(),
        actions: walk.actions,
        outcome,
        dry_run: options.dry_run,
    })
}

struct Several<'s, 'a> {
    shared: &'s SharedTools<'a>,
    apps: &'s [GuideApp<'a>],
    names: Vec<String>,
    options: &'s GuideOptions,
    prompter: &'s dyn Prompter,
    narrator: &'s mut dyn Narrator,
    incident: IncidentId,
    /// What each app's probes read once, in the apps' order.
    known: Vec<Known>,
    /// Every probe gathered, once each, per app.
    evidence: Vec<(&'static str, Vec<ProbeResult>)>,
    answers: Vec<AnswerRecord>,
    actions: Vec<ActionReport>,
    done: Vec<String>,
    restored: bool,
    /// The redeploy node already carried out with the restore before it.
    carried_with: Option<(String, String)>,
}

/// An action of several apps, ready to be confirmed.
enum Prepared {
    /// The apps whose flag is switched off, with their plan.
    SwitchOff(Vec<(usize, switch_off::Prepared)>),
    Warn,
    /// The apps whose database is restored, with their plan.
    Restore(Vec<(usize, Box<restore::Prepared>)>),
    Fleet(Box<FleetPlan>),
}

impl<'a> Several<'_, 'a> {
    fn tools(&self, i: usize) -> Tools<'a> {
        let app = &self.apps[i];
        Tools {
            platform: app.platform,
            git: self.shared.git,
            journal: self.shared.journal,
            interrupt: self.shared.interrupt,
            app: app.config,
            webhook: app.webhook,
        }
    }

    fn options_of(&self, i: usize) -> GuideOptions {
        GuideOptions {
            backup_dir: self.apps[i].backup_dir.clone(),
            ..self.options.clone()
        }
    }

    fn record(
        &self,
        app: &str,
        kind: EntryKind,
        step: Option<&str>,
        data: Value,
    ) -> Result<(), GuideError> {
        Ok(self
            .shared
            .journal
            .record(&self.incident, app, kind, step, data)?)
    }

    fn record_all(
        &self,
        kind: EntryKind,
        step: Option<&str>,
        data: Value,
    ) -> Result<(), GuideError> {
        for name in &self.names {
            self.record(name, kind.clone(), step, data.clone())?;
        }
        Ok(())
    }

    fn record_for(
        &self,
        apps: &[String],
        kind: EntryKind,
        step: Option<&str>,
        data: Value,
    ) -> Result<(), GuideError> {
        for name in apps {
            self.record(name, kind.clone(), step, data.clone())?;
        }
        Ok(())
    }

    fn walk(&mut self, tree: &Tree, preset: &PresetAnswers) -> Result<Outcome, GuideError> {
        let mut walk = Walk::new(tree);
        let mut used: HashSet<String> = HashSet::new();
        loop {
            match walk.position() {
                Position::Question(node, question) => {
                    let (answer_id, is_loop) = self.question(node, question, preset, &mut used)?;
                    if is_loop {
                        return Ok(Outcome::NothingToDo);
                    }
                    walk.answer(&answer_id)
                        .map_err(|e| astray(&e.to_string()))?;
                }
                Position::Action(node, action) => {
                    let carried = self
                        .carried_with
                        .as_ref()
                        .is_some_and(|(redeploy, _)| *redeploy == node.id);
                    let report = if carried {
                        self.already_carried(node, action)?
                    } else {
                        self.action(tree, node, action)?
                    };
                    let failed = matches!(report.outcome, ActionOutcome::Failed { .. });
                    self.actions.push(report);
                    if failed {
                        return Ok(Outcome::ActionFailed {
                            node: node.id.clone(),
                        });
                    }
                    // A restore carried out with its redeploy is one
                    // action: nothing to ask between them.
                    let joined = self
                        .carried_with
                        .as_ref()
                        .is_some_and(|(_, restore)| *restore == node.id);
                    if !joined && !self.went_well(tree, node, action)? {
                        return Ok(Outcome::NotWell {
                            node: node.id.clone(),
                        });
                    }
                    walk.action_done().map_err(|e| astray(&e.to_string()))?;
                }
                Position::Exit(node) => {
                    return Ok(Outcome::Finished {
                        exit: Some(node.text.get(self.options.lang).to_string()),
                    });
                }
                Position::Finished => return Ok(Outcome::Finished { exit: None }),
            }
        }
    }

    fn question(
        &mut self,
        node: &Node,
        question: &Question,
        preset: &PresetAnswers,
        used: &mut HashSet<String>,
    ) -> Result<(String, bool), GuideError> {
        let lang = self.options.lang;
        self.narrator.question(node);
        let mut suggested: Option<String> = None;
        let mut evidence_data = Value::Null;
        if let Some(probe) = question.probe {
            let cached = self
                .evidence
                .iter()
                .find(|(name, _)| *name == probe.name())
                .map(|(_, r)| r.clone());
            let results = match cached {
                Some(results) => results,
                None => {
                    let mut results = Vec::new();
                    for i in 0..self.apps.len() {
                        let tools = self.tools(i);
                        let mut known = std::mem::replace(&mut self.known[i], Known::new(lang));
                        results.push(probes::gather(probe, &tools, &mut known));
                        self.known[i] = known;
                    }
                    self.evidence.push((probe.name(), results.clone()));
                    results
                }
            };
            // One item per app, its lines naming it: the report shows
            // each item's lines.
            let mut by_app = Vec::new();
            let mut suggestions: Vec<(String, Option<String>)> = Vec::new();
            for (name, result) in self.names.iter().zip(&results) {
                self.narrator.app_evidence(name, probe, result);
                match result {
                    Ok(ev) => {
                        let s = ev
                            .suggestion
                            .clone()
                            .filter(|s| question.answer(s).is_some());
                        suggestions.push((name.clone(), s.clone()));
                        let lines: Vec<String> =
                            ev.lines.iter().map(|l| format!("{name}: {l}")).collect();
                        by_app.push(json!({
                            "probe": probe.name(), "app": name, "lines": lines,
                            "suggestion": s, "facts": ev.facts,
                        }));
                    }
                    Err(why) => {
                        suggestions.push((name.clone(), None));
                        by_app.push(json!({
                            "probe": probe.name(), "app": name, "error": why,
                            "lines": [format!("{name}: {why}")],
                        }));
                    }
                }
            }
            let first = suggestions.first().and_then(|(_, s)| s.clone());
            if first.is_some() && suggestions.iter().all(|(_, s)| *s == first) {
                suggested = first;
            } else if suggestions.iter().any(|(_, s)| s.is_some()) {
                self.narrator.progress(&apps_differ(lang, &suggestions));
            }
            evidence_data = Value::Array(by_app);
        }
        let text = node.text.get(lang).to_string();
        let (answer_id, source) = pick_answer(
            self.prompter,
            preset,
            used,
            node,
            question,
            &text,
            suggested.as_deref(),
            lang,
        )?;
        let answer = question
            .answer(&answer_id)
            .ok_or_else(|| astray(&format!("unknown answer {answer_id}")))?;
        self.narrator.answered(node, answer, source);
        let label = answer.label.get(lang).to_string();
        self.record(
            &self.names[0],
            EntryKind::Answer,
            Some(&node.id),
            json!({
                "question": node.id,
                "text": text,
                "answer": answer.id,
                "label": label,
                "suggested": suggested,
                "source": source.as_str(),
                "evidence": evidence_data,
                "apps": self.names,
            }),
        )?;
        self.answers.push(AnswerRecord {
            question: node.id.clone(),
            text,
            answer: answer.id.clone(),
            label,
            suggested,
            source: source.as_str(),
        });
        Ok((answer.id.clone(), answer.is_loop))
    }

    /// The redeploy carried out already by the restore before it.
    fn already_carried(
        &mut self,
        node: &Node,
        action: &Action,
    ) -> Result<ActionReport, GuideError> {
        let restore = self
            .carried_with
            .as_ref()
            .map(|(_, r)| r.clone())
            .unwrap_or_default();
        let line = carried_with_restore(self.options.lang, &restore);
        let report = ActionReport {
            node: node.id.clone(),
            action: action.action.name(),
            outcome: if self.options.dry_run {
                ActionOutcome::DryRun
            } else {
                ActionOutcome::Done
            },
            lines: vec![line.clone()],
            ticket: None,
            rollback_incident: None,
        };
        self.narrator.plan(node, std::slice::from_ref(&line));
        self.record_all(
            EntryKind::Note,
            Some(&node.id),
            json!({ "action": action.action.name(), "carried_with": restore }),
        )?;
        self.narrator.action_ended(node, &report);
        Ok(report)
    }

    fn action(
        &mut self,
        tree: &Tree,
        node: &Node,
        action: &Action,
    ) -> Result<ActionReport, GuideError> {
        let kind = action.action;
        let step = Some(node.id.as_str());
        let mut report = ActionReport {
            node: node.id.clone(),
            action: kind.name(),
            outcome: ActionOutcome::Done,
            lines: Vec::new(),
            ticket: None,
            rollback_incident: None,
        };
        // The runbook's restore then redeploy: one rollback of every app,
        // restores first, when the restore leads straight to a redeploy.
        let redeploy_next = (kind == ActionKind::RestoreDatabase)
            .then_some(action.next.as_ref())
            .flatten()
            .and_then(|next| tree.node(&next.node))
            .filter(|n| {
                matches!(&n.kind, NodeKind::Action(a) if a.action == ActionKind::RedeployPrevious)
            })
            .map(|n| n.id.clone());
        let mut lines = Vec::new();
        let prepared = match self.prepare(kind, &action.params, redeploy_next.is_some(), &mut lines)
        {
            Ok(p) => p,
            Err(Stop::Guide(e)) => return Err(e),
            Err(Stop::Failed(failure)) => {
                self.record_all(
                    EntryKind::StepFailed,
                    step,
                    json!({ "action": kind.name(), "stage": "plan", "error": failure.error }),
                )?;
                return Ok(self.failed(node, report, failure));
            }
        };
        if let (Some(redeploy), Prepared::Fleet(_)) = (&redeploy_next, &prepared) {
            self.carried_with = Some((redeploy.clone(), node.id.clone()));
        }
        let concerned = self.concerned(&prepared);
        if matches!(kind, ActionKind::SwitchFeatureOff) {
            lines.push(leaves::plan_ticket(
                self.options.lang,
                &self.options.ticket_dir,
            ));
        }
        self.narrator.plan(node, &lines);
        report.lines = lines.clone();
        if self.options.dry_run {
            self.record_for(
                &concerned,
                EntryKind::StepSkipped,
                step,
                json!({ "action": kind.name(), "dry_run": true, "plan": lines, "apps": concerned }),
            )?;
            if matches!(
                kind,
                ActionKind::SwitchFeatureOff | ActionKind::WarnProductOwner
            ) {
                let draft = self.ticket(node, action);
                self.narrator.ticket(&draft);
            }
            report.outcome = ActionOutcome::DryRun;
            self.narrator.action_ended(node, &report);
            return Ok(report);
        }
        self.confirm(node, &concerned)?;
        self.record_for(
            &concerned,
            EntryKind::StepStarted,
            step,
            json!({ "action": kind.name(), "plan": lines, "apps": concerned }),
        )?;
        let (result, rollback_incident) = self.run(node, action, prepared, &mut report);
        report.rollback_incident = rollback_incident.clone();
        if let Some(id) = &rollback_incident {
            self.record_for(
                &concerned,
                EntryKind::Note,
                step,
                json!({ "rollback_incident": id }),
            )?;
        }
        match result {
            Ok(done) => {
                self.record_for(
                    &concerned,
                    EntryKind::StepDone,
                    step,
                    json!({ "action": kind.name(), "done": done, "ticket": report.ticket }),
                )?;
                report.lines = done;
                if kind == ActionKind::RestoreDatabase {
                    self.restored = true;
                }
                self.narrator.action_ended(node, &report);
                Ok(report)
            }
            Err(failure) => {
                self.record_for(
                    &concerned,
                    EntryKind::StepFailed,
                    step,
                    json!({ "action": kind.name(), "error": failure.error, "ticket": report.ticket }),
                )?;
                Ok(self.failed(node, report, failure))
            }
        }
    }

    fn concerned(&self, prepared: &Prepared) -> Vec<String> {
        match prepared {
            Prepared::SwitchOff(list) => list.iter().map(|(i, _)| self.names[*i].clone()).collect(),
            Prepared::Restore(list) => list.iter().map(|(i, _)| self.names[*i].clone()).collect(),
            Prepared::Fleet(plan) => plan.apps().into_iter().map(str::to_string).collect(),
            Prepared::Warn => self.names.clone(),
        }
    }

    fn failed(&mut self, node: &Node, mut report: ActionReport, failure: Failure) -> ActionReport {
        report.outcome = ActionOutcome::Failed {
            error: failure.error,
            hints: failure.hints,
            refused: failure.refused,
        };
        self.narrator.action_ended(node, &report);
        report
    }

    /// Plans the action for every app it concerns; `lines` receives the
    /// plan, app by app.
    fn prepare(
        &mut self,
        kind: ActionKind,
        params: &toml::Table,
        redeploy_next: bool,
        lines: &mut Vec<String>,
    ) -> Result<Prepared, Stop> {
        let lang = self.options.lang;
        match kind {
            ActionKind::SwitchFeatureOff => {
                // `--flag NAME` (or the tree's `flag`) names one flag: the
                // apps that do not have it are left alone, as those
                // without any flag.
                let named = self.options.flag.clone().or_else(|| {
                    params
                        .get("flag")
                        .and_then(|v| v.as_str())
                        .map(str::to_string)
                });
                let mut chosen = Vec::new();
                for i in 0..self.apps.len() {
                    let name = &self.names[i];
                    let flags = &self.apps[i].config.feature_flags;
                    let lacks = named
                        .as_deref()
                        .is_some_and(|n| !flags.iter().any(|f| f.name == n));
                    if flags.is_empty() || lacks {
                        lines.push(no_flag(lang, name));
                        continue;
                    }
                    let prepared =
                        switch_off::prepare(&self.tools(i), self.options, params, self.prompter)?;
                    lines.extend(prepared.lines.iter().map(|l| format!("{name}: {l}")));
                    chosen.push((i, prepared));
                }
                if chosen.is_empty() {
                    return Err(Stop::Failed(
                        Failure::new(format!(
                            "no feature flag{} is configured for any of {} in rewind.toml",
                            named.as_deref().map(|n| format!(" {n}")).unwrap_or_default(),
                            self.names.join(", ")
                        ))
                        .hint("declare the flag under [[apps.feature_flags]] (name, off_value), or answer the tree's question `no`"),
                    ));
                }
                Ok(Prepared::SwitchOff(chosen))
            }
            ActionKind::WarnProductOwner => {
                lines.push(leaves::plan_ticket(lang, &self.options.ticket_dir));
                lines.push(leaves::plan_webhook(lang, self.webhook().is_some()));
                Ok(Prepared::Warn)
            }
            ActionKind::RestoreDatabase if redeploy_next => {
                self.prepare_fleet(DatabaseChoice::WithDb, lines)
            }
            ActionKind::RestoreDatabase => {
                let mut chosen = Vec::new();
                for i in 0..self.apps.len() {
                    let name = self.names[i].clone();
                    if self.apps[i].config.database.is_none() {
                        lines.push(no_database(lang, &name));
                        continue;
                    }
                    let tools = self.tools(i);
                    let options = self.options_of(i);
                    let mut known = std::mem::replace(&mut self.known[i], Known::new(lang));
                    let prepared = restore::prepare(&tools, &options, &mut known);
                    self.known[i] = known;
                    let prepared = prepared.map_err(|stop| in_app(stop, &name))?;
                    lines.extend(prepared.lines.iter().map(|l| format!("{name}: {l}")));
                    chosen.push((i, Box::new(prepared)));
                }
                if chosen.is_empty() {
                    return Err(Stop::Failed(
                        Failure::new(format!(
                            "no database is configured for any of {} in rewind.toml",
                            self.names.join(", ")
                        ))
                        .hint("declare it under [apps.database] (addon), or answer the tree's question `no`"),
                    ));
                }
                Ok(Prepared::Restore(chosen))
            }
            ActionKind::RedeployPrevious => {
                let database = if self.restored {
                    DatabaseChoice::RestoredAlready
                } else if self.options.no_db {
                    DatabaseChoice::NoDb
                } else {
                    DatabaseChoice::Undecided
                };
                self.prepare_fleet(database, lines)
            }
        }
    }

    /// One plan for every app's rollback.
    fn prepare_fleet(
        &mut self,
        database: DatabaseChoice,
        lines: &mut Vec<String>,
    ) -> Result<Prepared, Stop> {
        let lang = self.options.lang;
        let fleet_apps: Vec<FleetApp<'_>> = self
            .apps
            .iter()
            .map(|a| FleetApp {
                config: a.config,
                platform: a.platform,
                to: None,
                why: guided(lang),
                webhook: a.webhook.is_some(),
                backup_dir: Some(a.backup_dir.as_path()),
            })
            .collect();
        let plan = rollback::prepare_fleet(
            &self.fleet_tools(),
            &fleet_apps,
            &PrepareOptions {
                archive_template: self.options.archive_template.as_ref(),
                database,
                restore_again: self.options.restore_again,
                restore_ran: self.options.restore_ran,
                ..PrepareOptions::default()
            },
        )
        .map_err(|e| {
            let app = e.app.clone();
            in_app(Stop::Failed(Failure::from(*e.error)), &app)
        })?;
        // A typed confirmation means a person read the migrations; `--yes`
        // alone must not redeploy old code over a changed schema.
        if self.options.yes && !self.options.dry_run {
            for m in &plan.members {
                let plan = &m.plan;
                if plan.database.as_ref().is_some_and(|d| d.needs_a_choice()) {
                    let verdict = plan
                        .database
                        .as_ref()
                        .and_then(|d| d.migrations.as_ref())
                        .map_or("unknown", |m| m.verdict.as_str());
                    let mut failure = Failure::new(format!(
                        "{}: {}",
                        plan.app,
                        leaves::yes_needs_db_choice(
                            lang,
                            verdict,
                            &plan.to.label,
                            &plan.from.label
                        )
                    ));
                    for mig in &plan.removed.migrations {
                        failure = failure.hint(format!("migration {} {}", mig.change, mig.path));
                    }
                    failure = failure.hint(leaves::yes_db_choices(lang, &plan.from.label));
                    return Err(failure.refused().into());
                }
            }
        }
        lines.push(fleet_heading(lang, &plan.apps()));
        for m in &plan.members {
            let p = &m.plan;
            let app = &p.app;
            lines.push(format!(
                "{app}: {}",
                leaves::plan_redeploy(lang, &p.to.label, &p.from.label, &p.method.to_string())
            ));
            lines.push(format!(
                "{app}: {}",
                leaves::plan_commits_removed(lang, p.removed.commits.len())
            ));
            for mig in &p.removed.migrations {
                lines.push(format!(
                    "{app}: {}",
                    leaves::plan_migration_changed(
                        lang,
                        &p.to.label,
                        &mig.change.to_string(),
                        &mig.path
                    )
                ));
            }
            for warning in &p.warnings {
                lines.push(format!("{app}: {}", leaves::plan_warning(lang, warning)));
            }
            for (i, s) in p.steps.iter().enumerate() {
                lines.push(format!("{app}: {}. {}", i + 1, s.title));
            }
        }
        for warning in &plan.warnings {
            lines.push(leaves::plan_warning(lang, warning));
        }
        lines.push(fleet_order(lang));
        Ok(Prepared::Fleet(Box::new(plan)))
    }

    fn fleet_tools(&self) -> FleetTools<'a> {
        FleetTools {
            git: self.shared.git,
            journal: self.shared.journal,
            interrupt: self.shared.interrupt,
        }
    }

    fn webhook(&self) -> Option<&Secret> {
        self.apps.iter().find_map(|a| a.webhook)
    }

    /// The names of the apps concerned, typed, unless `--yes`.
    fn confirm(&mut self, node: &Node, concerned: &[String]) -> Result<(), GuideError> {
        if self.options.yes {
            return Ok(());
        }
        let what = node.text.get(self.options.lang).to_string();
        let typed = concerned.join(" ");
        let summary = words::confirm(self.options.lang, &what, &concerned.join(", "));
        let summary = format!("{summary}; {}", type_names(self.options.lang));
        if self.prompter.confirm_typed(&summary, &typed)? {
            self.record_for(
                concerned,
                EntryKind::Note,
                Some(&node.id),
                json!({ "confirmed": true }),
            )?;
            Ok(())
        } else {
            Err(GuideError::NotConfirmed { what })
        }
    }

    fn run(
        &mut self,
        node: &Node,
        action: &Action,
        prepared: Prepared,
        report: &mut ActionReport,
    ) -> (Result<Vec<String>, Failure>, Option<String>) {
        match prepared {
            Prepared::Fleet(plan) => self.run_fleet(&plan),
            Prepared::Warn => {
                let draft = match self.write_ticket(node, action) {
                    Ok(d) => d,
                    Err(f) => return (Err(f), None),
                };
                report.ticket = draft.path.clone();
                (self.warn(&draft), None)
            }
            Prepared::SwitchOff(list) => {
                let mut done = Vec::new();
                for (i, p) in &list {
                    let name = self.names[*i].clone();
                    let result = self.locked(*i, |this| {
                        let tools = this.tools(*i);
                        let options = this.options;
                        let narrator = &mut *this.narrator;
                        switch_off::run(&tools, options, p, &mut |line| {
                            narrator.progress(&format!("{name}: {line}"))
                        })
                    });
                    match result {
                        Ok(lines) => done.extend(lines.iter().map(|l| format!("{name}: {l}"))),
                        Err(f) => return (Err(failure_in(f, &name)), None),
                    }
                }
                for i in 0..self.apps.len() {
                    if list.iter().all(|(j, _)| *j != i) {
                        done.push(no_flag(self.options.lang, &self.names[i]));
                    }
                }
                self.done.extend(done.iter().cloned());
                match self.write_ticket(node, action) {
                    Ok(draft) => report.ticket = draft.path.clone(),
                    Err(f) => return (Err(f), None),
                }
                (Ok(done), None)
            }
            Prepared::Restore(list) => {
                let mut done = Vec::new();
                for (i, p) in &list {
                    let name = self.names[*i].clone();
                    let incident = self.incident.clone();
                    let result = self.locked(*i, |this| {
                        let tools = this.tools(*i);
                        let options = this.options_of(*i);
                        let narrator = &mut *this.narrator;
                        restore::run(&tools, &options, p, &incident, &mut |line| {
                            narrator.progress(&format!("{name}: {line}"))
                        })
                    });
                    match result {
                        Ok(lines) => done.extend(lines.iter().map(|l| format!("{name}: {l}"))),
                        Err(f) => return (Err(failure_in(f, &name)), None),
                    }
                }
                self.done.extend(done.iter().cloned());
                (Ok(done), None)
            }
        }
    }

    /// Runs `f` with the app locked against another rewind on it.
    fn locked(
        &mut self,
        i: usize,
        f: impl FnOnce(&mut Self) -> Result<Vec<String>, Failure>,
    ) -> Result<Vec<String>, Failure> {
        let holder = Holder::me(&self.options.actor, "guide");
        let (journal, git, config) = (self.shared.journal, self.shared.git, self.apps[i].config);
        let mut lock = crate::team::Lock::acquire(
            journal,
            &config.name,
            &holder,
            crate::team::Shared::of(git, config),
        )
        .map_err(|e| Failure {
            error: e.to_string(),
            hints: e.hints(),
            refused: true,
        })?;
        if let Some(reason) = lock.alone() {
            self.narrator
                .progress(&crate::team::alone_warning(&config.name, reason));
        }
        lock.set_incident(journal, &self.incident)
            .map_err(|e| Failure::new(e.to_string()))?;
        f(self)
    }

    /// The rollback of every app, its progress forwarded line by line as
    /// it happens.
    fn run_fleet(&mut self, plan: &FleetPlan) -> (Result<Vec<String>, Failure>, Option<String>) {
        let lang = self.options.lang;
        let reason = redeploy::rollback_reason(self.incident.as_str());
        let runs: Vec<AppRun<'_>> = self
            .apps
            .iter()
            .map(|a| AppRun {
                platform: a.platform,
                options: RunOptions {
                    reason: Some(&reason),
                    archive_template: self.options.archive_template.as_ref(),
                    webhook: a.webhook,
                    follow: self.options.follow.clone(),
                    ..RunOptions::new(a.config, &self.options.actor)
                },
            })
            .collect();
        let tools = self.fleet_tools();
        let (send, receive) = mpsc::channel::<String>();
        let narrator = &mut *self.narrator;
        let result = std::thread::scope(|s| {
            let handle = s.spawn(move || {
                let mut lines = Lines { lang, send };
                rollback::run_fleet(&tools, plan, &runs, &mut lines)
            });
            for line in receive {
                narrator.progress(&line);
            }
            handle
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p))
        });
        let summary = match result {
            Ok(s) => s,
            Err(e) => {
                let app = e.app.clone();
                return (Err(failure_in(Failure::from(*e.error), &app)), None);
            }
        };
        let id = summary.incident.to_string();
        let mut done = Vec::new();
        let mut failures = Vec::new();
        let mut hints = Vec::new();
        let mut refused = false;
        for a in &summary.apps {
            let s = &a.summary;
            let app = &s.app;
            match &s.outcome {
                Ran::Succeeded => done.push(format!(
                    "{app}: {}",
                    leaves::redeployed(lang, &s.to.label, s.deployment_id.as_deref())
                )),
                Ran::Failed {
                    step,
                    error,
                    hints: more,
                    refused: r,
                    ..
                } => {
                    failures.push(format!("{app} failed at step {step}: {error}"));
                    hints.extend(more.iter().map(|h| format!("{app}: {h}")));
                    refused |= *r;
                }
                Ran::Interrupted { message, .. } => {
                    failures.push(format!("{app} was interrupted: {message}"));
                }
            }
        }
        done.push(leaves::rollback_incident(lang, &id));
        if failures.is_empty() {
            self.done.extend(done.iter().cloned());
            return (Ok(done), Some(id));
        }
        hints.push(format!(
            "rewind report {id} tells each app's rollback step by step; rewind resume {id} finishes only what is unfinished"
        ));
        (
            Err(Failure {
                error: format!(
                    "the rollback of several apps did not finish: {}",
                    failures.join("; ")
                ),
                hints,
                refused,
            }),
            Some(id),
        )
    }

    /// The warning, once for all the apps.
    fn warn(&mut self, draft: &TicketDraft) -> Result<Vec<String>, Failure> {
        let lang = self.options.lang;
        let Some(url) = self.webhook() else {
            let line = leaves::no_webhook(lang);
            self.narrator.progress(&line);
            return Ok(vec![line]);
        };
        let message = leaves::warning_message(
            lang,
            &self.names.join(", "),
            &draft.title,
            draft.path.as_deref(),
        );
        post_webhook(url, &message).map_err(|e| {
            let mut failure = Failure::new(format!("the team was not warned: {e}"));
            failure.hints = e.hints();
            failure
                .hints
                .push("the ticket draft is written: send it to the product owner by hand".into());
            failure
        })?;
        let line = leaves::webhook_received(lang);
        self.narrator.progress(&line);
        Ok(vec![line])
    }

    fn ticket(&mut self, node: &Node, action: &Action) -> TicketDraft {
        let releases = self.releases();
        let apps = self.names.join(", ");
        // The ticket tells each probe once: the first app's findings, the
        // others' being in the journal.
        let evidence: Vec<(&'static str, ProbeResult)> = self
            .evidence
            .iter()
            .filter_map(|(name, results)| results.first().map(|r| (*name, r.clone())))
            .collect();
        ticket::draft(&TicketInput {
            lang: self.options.lang,
            app: &apps,
            incident: self.incident.as_str(),
            action_text: node.text.get(self.options.lang),
            kind: action.params.get("ticket").and_then(|v| v.as_str()),
            answers: &self.answers,
            evidence: &evidence,
            releases: &releases,
            done: &self.done,
        })
    }

    fn write_ticket(&mut self, node: &Node, action: &Action) -> Result<TicketDraft, Failure> {
        let draft = self.ticket(node, action);
        let draft = ticket::write(
            self.options.lang,
            draft,
            &self.options.ticket_dir,
            self.incident.as_str(),
            &node.id,
        )
        .map_err(|e| Failure::new(e).hint("pass --ticket-dir DIR to write it elsewhere"))?;
        self.narrator.ticket(&draft);
        Ok(draft)
    }

    /// Each app's releases, as the ticket tells them.
    fn releases(&mut self) -> Vec<String> {
        let lang = self.options.lang;
        let mut lines = Vec::new();
        for i in 0..self.apps.len() {
            let tools = self.tools(i);
            let name = self.names[i].clone();
            let mut known = std::mem::replace(&mut self.known[i], Known::new(lang));
            if let Ok(situation) = known.situation(&tools) {
                let line = |current: bool, id: &crate::identify::Identified| {
                    let at = id
                        .deployment
                        .finished_at
                        .or(id.deployment.created_at)
                        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string());
                    format!(
                        "{name}: {}",
                        words::release_line(
                            lang,
                            current,
                            &id.release.label,
                            &id.deployment.id,
                            at.as_deref()
                        )
                    )
                };
                if let Some(current) = &situation.current {
                    lines.push(line(true, current));
                }
                if let Some(previous) = &situation.last_good {
                    lines.push(line(false, previous));
                }
            }
            self.known[i] = known;
        }
        lines
    }

    /// As the one-app walk: after an action that leads on, did it go well?
    fn went_well(&mut self, tree: &Tree, node: &Node, action: &Action) -> Result<bool, GuideError> {
        let Some(next) = &action.next else {
            return Ok(true);
        };
        let leads_on = tree
            .node(&next.node)
            .is_some_and(|n| !matches!(n.kind, NodeKind::Exit));
        if !leads_on || self.options.dry_run {
            return Ok(true);
        }
        let lang = self.options.lang;
        let well = if self.options.yes {
            true
        } else {
            let question = match &next.label {
                Some(label) => format!("{}?", label.get(lang).trim_end_matches('?')),
                None => words::went_well(lang),
            };
            let choices = [
                Choice {
                    id: "yes".into(),
                    label: words::go_on(lang),
                },
                Choice {
                    id: "no".into(),
                    label: words::stop_here(lang),
                },
            ];
            self.prompter.choose(&question, &choices, None)? == 0
        };
        self.record(
            &self.names[0],
            EntryKind::Answer,
            Some(&node.id),
            json!({
                "question": "went_well",
                "after": node.id,
                "answer": if well { "yes" } else { "no" },
                "source": if self.options.yes { "--yes" } else { "prompt" },
                "apps": self.names,
            }),
        )?;
        Ok(well)
    }
}

/// The fleet's progress, as lines with their app in front, sent to the
/// walk's thread.
struct Lines {
    lang: Lang,
    send: mpsc::Sender<String>,
}

impl FleetProgress for Lines {
    fn step_started(&mut self, app: &str, step: &PlannedStep) {
        let _ = self
            .send
            .send(format!("{app}: {}: {}", step.id, step.title));
    }

    fn step_ended(&mut self, app: &str, step: &PlannedStep, report: &StepReport) {
        let detail = report
            .detail
            .as_deref()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        let _ = self.send.send(format!(
            "{app}: {}: {}{detail}",
            step.id,
            report.outcome.label()
        ));
    }

    fn deploy_event(&mut self, app: &str, event: &FollowEvent) {
        if let FollowEvent::Status(status) = event {
            let _ = self.send.send(format!(
                "{app}: {}",
                leaves::deployment_status(self.lang, &status.to_string())
            ));
        }
    }

    fn notice(&mut self, app: &str, text: &str) {
        let _ = self.send.send(format!("{app}: {text}"));
    }
}

fn failure_in(mut failure: Failure, app: &str) -> Failure {
    failure.error = format!("{app}: {}", failure.error);
    failure
}

fn in_app(stop: Stop, app: &str) -> Stop {
    match stop {
        Stop::Failed(f) => Stop::Failed(failure_in(f, app)),
        guide => guide,
    }
}

/// A checked tree cannot send the walk astray; if it did, say so plainly.
fn astray(what: &str) -> GuideError {
    GuideError::Prompt(PromptError::Io(std::io::Error::other(format!(
        "the decision tree walk went wrong: {what}"
    ))))
}

fn apps_differ(lang: Lang, suggestions: &[(String, Option<String>)]) -> String {
    let each: Vec<String> = suggestions
        .iter()
        .map(|(app, s)| match (lang, s) {
            (Lang::En, Some(s)) => format!("{app} suggests {s}"),
            (Lang::En, None) => format!("{app} suggests nothing"),
            (Lang::Fr, Some(s)) => format!("{app} suggère {s}"),
            (Lang::Fr, None) => format!("{app} ne suggère rien"),
        })
        .collect();
    match lang {
        Lang::En => format!(
            "the apps differ ({}): no answer is suggested, yours applies to them all",
            each.join(", ")
        ),
        Lang::Fr => format!(
            "les apps diffèrent ({}) : aucune réponse n'est suggérée, la vôtre vaut pour toutes",
            each.join(", ")
        ),
    }
}

fn no_flag(lang: Lang, app: &str) -> String {
    match lang {
        Lang::En => {
            format!("{app}: no feature flag configured in rewind.toml: nothing switched off there")
        }
        Lang::Fr => format!("{app} : aucun feature flag dans rewind.toml : rien n'y est désactivé"),
    }
}

fn no_database(lang: Lang, app: &str) -> String {
    match lang {
        Lang::En => format!("{app}: no database configured in rewind.toml: nothing restored there"),
        Lang::Fr => {
            format!("{app} : aucune base de données dans rewind.toml : rien n'y est restauré")
        }
    }
}

fn guided(lang: Lang) -> String {
    match lang {
        Lang::En => "named to rewind guide".into(),
        Lang::Fr => "nommée à rewind guide".into(),
    }
}

fn fleet_heading(lang: Lang, apps: &[&str]) -> String {
    match lang {
        Lang::En => format!("one rollback of {} apps: {}", apps.len(), apps.join(", ")),
        Lang::Fr => format!(
            "un seul retour arrière de {} apps : {}",
            apps.len(),
            apps.join(", ")
        ),
    }
}

fn fleet_order(lang: Lang) -> String {
    match lang {
        Lang::En => "order: every safety backup and database restore first, then every deploy started and followed at once, then one message to the team".into(),
        Lang::Fr => "ordre : toutes les sauvegardes de sécurité et restaurations d'abord, puis tous les déploiements lancés et suivis ensemble, puis un seul message à l'équipe".into(),
    }
}

fn carried_with_restore(lang: Lang, restore: &str) -> String {
    match lang {
        Lang::En => {
            format!("carried out with {restore}, in the same rollback (databases restored first)")
        }
        Lang::Fr => {
            format!("fait avec {restore}, dans le même retour arrière (bases restaurées d'abord)")
        }
    }
}

fn type_names(lang: Lang) -> String {
    match lang {
        Lang::En => "type the apps' names, separated by spaces, as listed".into(),
        Lang::Fr => "tapez le nom des apps, séparés par des espaces, dans l'ordre".into(),
    }
}
