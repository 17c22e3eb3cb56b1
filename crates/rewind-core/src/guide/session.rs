//! The guided walk: from the tree's entry, each question with its evidence
//! and the person's (or the script's) answer, each action planned,
//! confirmed and carried out, all of it journaled in one incident; it ends
//! at an exit, when the release turns out fine, or at the first action that
//! fails or did not go well.

use std::collections::HashSet;

use serde::Serialize;
use serde_json::{Value, json};

use crate::i18n::Lang;
use crate::journal::{EntryKind, Holder, IncidentId};
use crate::prompt::{Choice, PromptError, Prompter};
use crate::tree::{
    Action, ActionKind, Answered, Node, NodeKind, Position, PresetAnswers, Question, Tree, Walk,
};

use super::actions::{ActionOutcome, ActionReport, Failure, Stop};
use super::error::{GuideError, UnansweredQuestion};
use super::evidence::ProbeResult;
use super::narrator::{AnswerSource, Narrator};
use super::probes::{self, Known};
use super::say::{leaves, walk as words};
use super::ticket::{self, AnswerRecord, TicketDraft, TicketInput};
use super::tools::{GuideOptions, Tools};
use super::{COMMAND, redeploy, restore, switch_off, warn};

/// How the walk ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Outcome {
    /// The release is fine: nothing to do until the next one.
    NothingToDo,
    /// The walk reached its end; `exit` is the exit node's text.
    Finished { exit: Option<String> },
    /// An action failed: the walk stopped there.
    ActionFailed { node: String },
    /// The person said an action did not go well: the walk stopped there.
    NotWell { node: String },
}

/// The end of a walk, for people.
#[derive(Debug, Clone)]
pub struct GuideSummary {
    pub incident: IncidentId,
    /// The app, or the apps' names joined by `, `.
    pub app: String,
    /// Every app the walk was for.
    pub apps: Vec<String>,
    /// The questions answered, in order.
    pub path: Vec<Answered>,
    pub actions: Vec<ActionReport>,
    pub outcome: Outcome,
    pub dry_run: bool,
}

impl GuideSummary {
    /// Every rollback incident started on the way (`rewind report ID`).
    pub fn rollback_incidents(&self) -> impl Iterator<Item = &str> {
        self.actions
            .iter()
            .filter_map(|a| a.rollback_incident.as_deref())
    }
}

/// Walks `tree` for `tools.app`: answers come from `preset` first, then
/// from `prompter`; actions are confirmed with the typed app name unless
/// `options.yes`. `Err` when the walk cannot go on (a question or a
/// confirmation nobody can give, the journal); an action that fails ends
/// the walk with [`Outcome::ActionFailed`].
pub fn guide(
    tree: &Tree,
    preset: &PresetAnswers,
    tools: &Tools<'_>,
    options: &GuideOptions,
    prompter: &dyn Prompter,
    narrator: &mut dyn Narrator,
) -> Result<GuideSummary, GuideError> {
    let incident = tools.journal.begin(
        &tools.app.name,
        json!({
            "command": COMMAND,
            "user": options.actor,
            "tree": tree.source_name(),
            "lang": options.lang.code(),
            "dry_run": options.dry_run,
            "no_db": options.no_db,
            "platform_user": tools
                .platform
                .current_user()
                .ok()
                .flatten()
                .map(|u| u.username),
        }),
    )?;
    let mut session = Session {
        tools,
        options,
        prompter,
        narrator,
        incident,
        known: Known::new(options.lang),
        restored: false,
        evidence: Vec::new(),
        answers: Vec::new(),
        actions: Vec::new(),
        done: Vec::new(),
    };
    let result = session.walk(tree, preset);
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
        session.record(
            EntryKind::Interrupted,
            None,
            json!({"while": "waiting for an answer"}),
        )?;
    }
    session.close(closing, &result)?;
    let outcome = result?;
    Ok(GuideSummary {
        incident: session.incident,
        app: tools.app.name.clone(),
        apps: vec![tools.app.name.clone()],
        path: session
            .answers
            .iter()
            .map(|a| Answered {
                question: a.question.clone(),
                answer: a.answer.clone(),
            })
            .collect(),
        actions: session.actions,
        outcome,
        dry_run: options.dry_run,
    })
}

struct Session<'s, 'a> {
    tools: &'s Tools<'a>,
    options: &'s GuideOptions,
    prompter: &'s dyn Prompter,
    narrator: &'s mut dyn Narrator,
    incident: IncidentId,
    known: Known,
    /// A restore of the database succeeded earlier in this walk.
    restored: bool,
    /// Every probe gathered, once each, in the order met.
    evidence: Vec<(&'static str, ProbeResult)>,
    answers: Vec<AnswerRecord>,
    actions: Vec<ActionReport>,
    /// What the actions did, line by line, for the tickets.
    done: Vec<String>,
}

/// An action ready to be confirmed.
enum Prepared {
    SwitchOff(switch_off::Prepared),
    Warn(Vec<String>),
    // Boxed: a rollback plan or a restore plan is large beside the others.
    Restore(Box<restore::Prepared>),
    Redeploy(Box<redeploy::Prepared>),
}

impl Prepared {
    fn lines(&self) -> &[String] {
        match self {
            Prepared::SwitchOff(p) => &p.lines,
            Prepared::Warn(lines) => lines,
            Prepared::Restore(p) => &p.lines,
            Prepared::Redeploy(p) => &p.lines,
        }
    }
}

impl Session<'_, '_> {
    fn record(&self, kind: EntryKind, step: Option<&str>, data: Value) -> Result<(), GuideError> {
        Ok(self
            .tools
            .journal
            .record(&self.incident, &self.tools.app.name, kind, step, data)?)
    }

    fn close(&self, outcome: &str, result: &Result<Outcome, GuideError>) -> Result<(), GuideError> {
        let mut data = json!({ "outcome": outcome });
        if let Err(e) = result {
            data["error"] = json!(e.to_string());
        }
        if self.options.dry_run && result.is_ok() {
            self.record(EntryKind::DryRun, None, data)
        } else {
            self.record(EntryKind::IncidentClosed, None, data)
        }
    }

    fn walk(&mut self, tree: &Tree, preset: &PresetAnswers) -> Result<Outcome, GuideError> {
        let mut walk = Walk::new(tree);
        // Each preset answers its question once: the tree's loop back to
        // the entry must not answer itself forever.
        let mut used: HashSet<String> = HashSet::new();
        loop {
            match walk.position() {
                Position::Question(node, question) => {
                    let (answer_id, is_loop) = self.question(node, question, preset, &mut used)?;
                    if is_loop {
                        return Ok(Outcome::NothingToDo);
                    }
                    walk.answer(&answer_id)
                        .map_err(|e| unreachable_walk(&e.to_string()))?;
                }
                Position::Action(node, action) => {
                    let report = self.action(node, action)?;
                    let failed = matches!(report.outcome, ActionOutcome::Failed { .. });
                    self.actions.push(report);
                    if failed {
                        return Ok(Outcome::ActionFailed {
                            node: node.id.clone(),
                        });
                    }
                    if !self.went_well(tree, node, action)? {
                        return Ok(Outcome::NotWell {
                            node: node.id.clone(),
                        });
                    }
                    walk.action_done()
                        .map_err(|e| unreachable_walk(&e.to_string()))?;
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

    /// Shows the evidence, takes the answer, journals it. Returns the
    /// answer's id and whether it loops back to the entry.
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
            let cached = self.evidence.iter().find(|(name, _)| *name == probe.name());
            let result = match cached {
                Some((_, result)) => result.clone(),
                None => {
                    let result = probes::gather(probe, self.tools, &mut self.known);
                    self.evidence.push((probe.name(), result.clone()));
                    result
                }
            };
            self.narrator.evidence(probe, &result);
            match &result {
                Ok(ev) => {
                    suggested = ev
                        .suggestion
                        .clone()
                        .filter(|s| question.answer(s).is_some());
                    evidence_data =
                        json!({ "probe": probe.name(), "lines": ev.lines, "facts": ev.facts });
                }
                Err(why) => evidence_data = json!({ "probe": probe.name(), "error": why }),
            }
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
            .ok_or_else(|| unreachable_walk(&format!("unknown answer {answer_id}")))?;
        self.narrator.answered(node, answer, source);
        let label = answer.label.get(lang).to_string();
        self.record(
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

    /// Plans, confirms and carries out one action; journals each stage.
    fn action(&mut self, node: &Node, action: &Action) -> Result<ActionReport, GuideError> {
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
        let prepared = match self.prepare(kind, &action.params) {
            Ok(p) => p,
            Err(Stop::Guide(e)) => return Err(e),
            Err(Stop::Failed(failure)) => {
                self.record(
                    EntryKind::StepFailed,
                    step,
                    json!({ "action": kind.name(), "stage": "plan", "error": failure.error }),
                )?;
                return Ok(self.failed(node, report, failure));
            }
        };
        let mut lines = prepared.lines().to_vec();
        let writes_ticket = matches!(kind, ActionKind::SwitchFeatureOff);
        if writes_ticket {
            lines.push(leaves::plan_ticket(
                self.options.lang,
                &self.options.ticket_dir,
            ));
        }
        self.narrator.plan(node, &lines);
        report.lines = lines.clone();
        if self.options.dry_run {
            self.record(
                EntryKind::StepSkipped,
                step,
                json!({ "action": kind.name(), "dry_run": true, "plan": lines }),
            )?;
            if matches!(
                kind,
                ActionKind::SwitchFeatureOff | ActionKind::WarnProductOwner
            ) {
                let draft = self.ticket(node, action, &[]);
                self.narrator.ticket(&draft);
            }
            report.outcome = ActionOutcome::DryRun;
            self.narrator.action_ended(node, &report);
            return Ok(report);
        }
        self.confirm(node)?;
        // From the confirmation to the end of the action, nobody else on
        // this machine changes the app (a rollback inside finds the lock
        // held by this process).
        let holder = Holder::me(&self.options.actor, "guide");
        let acquired = crate::team::Lock::acquire(
            self.tools.journal,
            &self.tools.app.name,
            &holder,
            crate::team::Shared::of(self.tools.git, self.tools.app),
        );
        let mut lock = match acquired {
            Ok(lock) => lock,
            Err(e) => {
                let failure = Failure {
                    error: e.to_string(),
                    hints: e.hints(),
                    refused: true,
                };
                self.record(
                    EntryKind::StepFailed,
                    step,
                    json!({ "action": kind.name(), "stage": "lock", "error": failure.error }),
                )?;
                return Ok(self.failed(node, report, failure));
            }
        };
        if let Some(reason) = lock.alone() {
            self.narrator
                .progress(&crate::team::alone_warning(&self.tools.app.name, reason));
        }
        lock.set_incident(self.tools.journal, &self.incident)?;
        self.record(
            EntryKind::StepStarted,
            step,
            json!({ "action": kind.name(), "plan": lines }),
        )?;
        let (result, rollback_incident) = self.run(node, action, prepared, &mut report);
        report.rollback_incident = rollback_incident.clone();
        if let Some(id) = &rollback_incident {
            self.record(EntryKind::Note, step, json!({ "rollback_incident": id }))?;
        }
        match result {
            Ok(done) => {
                self.record(
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
                self.record(
                    EntryKind::StepFailed,
                    step,
                    json!({ "action": kind.name(), "error": failure.error, "ticket": report.ticket }),
                )?;
                Ok(self.failed(node, report, failure))
            }
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

    fn prepare(&mut self, kind: ActionKind, params: &toml::Table) -> Result<Prepared, Stop> {
        let (tools, options) = (self.tools, self.options);
        Ok(match kind {
            ActionKind::SwitchFeatureOff => {
                Prepared::SwitchOff(switch_off::prepare(tools, options, params, self.prompter)?)
            }
            ActionKind::WarnProductOwner => Prepared::Warn(warn::plan(tools, options)),
            ActionKind::RestoreDatabase => {
                Prepared::Restore(Box::new(restore::prepare(tools, options, &mut self.known)?))
            }
            ActionKind::RedeployPrevious => {
                Prepared::Redeploy(Box::new(redeploy::prepare(tools, options, self.restored)?))
            }
        })
    }

    /// The typed app name, unless `--yes`.
    fn confirm(&mut self, node: &Node) -> Result<(), GuideError> {
        if self.options.yes {
            return Ok(());
        }
        let what = node.text.get(self.options.lang).to_string();
        let summary = words::confirm(self.options.lang, &what, &self.tools.app.name);
        if self
            .prompter
            .confirm_typed(&summary, &self.tools.app.name)?
        {
            self.record(
                EntryKind::Note,
                Some(&node.id),
                json!({ "confirmed": true }),
            )?;
            Ok(())
        } else {
            Err(GuideError::NotConfirmed { what })
        }
    }

    /// Carries the action out. Returns what was done, or why it failed,
    /// and the rollback's own incident when one was started.
    fn run(
        &mut self,
        node: &Node,
        action: &Action,
        prepared: Prepared,
        report: &mut ActionReport,
    ) -> (Result<Vec<String>, Failure>, Option<String>) {
        let (tools, options) = (self.tools, self.options);
        let narrator = &mut *self.narrator;
        let mut progress = |line: &str| narrator.progress(line);
        let result = match &prepared {
            Prepared::SwitchOff(p) => switch_off::run(tools, options, p, &mut progress),
            Prepared::Restore(p) => restore::run(tools, options, p, &self.incident, &mut progress),
            Prepared::Redeploy(p) => {
                let incident = self.incident.to_string();
                return redeploy::run(tools, options, p, &incident, &mut progress);
            }
            Prepared::Warn(_) => {
                // The draft first: it is the durable part of the warning.
                let draft = match self.write_ticket(node, action, &[]) {
                    Ok(d) => d,
                    Err(f) => return (Err(f), None),
                };
                report.ticket = draft.path.clone();
                let narrator = &mut *self.narrator;
                return (
                    warn::run(tools, options.lang, &draft, &mut |line| {
                        narrator.progress(line)
                    }),
                    None,
                );
            }
        };
        let done = match result {
            Ok(done) => done,
            Err(f) => return (Err(f), None),
        };
        if matches!(prepared, Prepared::SwitchOff(_)) {
            match self.write_ticket(node, action, &done) {
                Ok(draft) => report.ticket = draft.path.clone(),
                Err(f) => return (Err(f), None),
            }
        }
        self.done.extend(done.iter().cloned());
        (Ok(done), None)
    }

    fn ticket(&mut self, node: &Node, action: &Action, done_now: &[String]) -> TicketDraft {
        let releases = self.releases();
        let mut done = self.done.clone();
        done.extend(done_now.iter().cloned());
        ticket::draft(&TicketInput {
            lang: self.options.lang,
            app: &self.tools.app.name,
            incident: self.incident.as_str(),
            action_text: node.text.get(self.options.lang),
            kind: action.params.get("ticket").and_then(|v| v.as_str()),
            answers: &self.answers,
            evidence: &self.evidence,
            releases: &releases,
            done: &done,
        })
    }

    fn write_ticket(
        &mut self,
        node: &Node,
        action: &Action,
        done_now: &[String],
    ) -> Result<TicketDraft, Failure> {
        let draft = self.ticket(node, action, done_now);
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

    /// The releases involved, as the ticket tells them.
    fn releases(&mut self) -> Vec<String> {
        let Ok(situation) = self.known.situation(self.tools) else {
            return Vec::new();
        };
        let lang = self.options.lang;
        let line = |current: bool, i: &crate::identify::Identified| {
            let at = i
                .deployment
                .finished_at
                .or(i.deployment.created_at)
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string());
            words::release_line(
                lang,
                current,
                &i.release.label,
                &i.deployment.id,
                at.as_deref(),
            )
        };
        let mut lines = Vec::new();
        if let Some(current) = &situation.current {
            lines.push(line(true, current));
        }
        if let Some(previous) = &situation.last_good {
            lines.push(line(false, previous));
        }
        lines
    }

    /// After an action that leads on to another action or question: did
    /// it go well? `--yes` takes rewind's own checks as the answer; a dry
    /// run goes on to show the next plans.
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
            EntryKind::Answer,
            Some(&node.id),
            json!({
                "question": "went_well",
                "after": node.id,
                "answer": if well { "yes" } else { "no" },
                "source": if self.options.yes { "--yes" } else { "prompt" },
            }),
        )?;
        Ok(well)
    }
}

/// A checked tree cannot send the walk astray; if it did, say so plainly.
fn unreachable_walk(what: &str) -> GuideError {
    GuideError::Prompt(PromptError::Io(std::io::Error::other(format!(
        "the decision tree walk went wrong: {what}"
    ))))
}

/// The answer to `question`: the preset's, once (a tree's loop back to the
/// question asks the person the second time), else the person's through
/// the prompter, with the evidence's suggestion preselected. Nobody to ask
/// is the question left unanswered, named with its answers.
#[allow(clippy::too_many_arguments)]
pub(super) fn pick_answer(
    prompter: &dyn Prompter,
    preset: &PresetAnswers,
    used: &mut HashSet<String>,
    node: &Node,
    question: &Question,
    text: &str,
    suggested: Option<&str>,
    lang: Lang,
) -> Result<(String, AnswerSource), GuideError> {
    if let Some(a) = preset.get(&node.id).filter(|_| !used.contains(&node.id)) {
        used.insert(node.id.clone());
        return Ok((a.to_string(), AnswerSource::Preset));
    }
    let choices: Vec<Choice> = question
        .answers
        .iter()
        .map(|a| Choice {
            id: a.id.clone(),
            label: a.label.get(lang).to_string(),
        })
        .collect();
    let index = suggested.and_then(|s| question.answers.iter().position(|a| a.id == s));
    match prompter.choose(text, &choices, index) {
        Ok(i) => Ok((question.answers[i].id.clone(), AnswerSource::Prompt)),
        Err(PromptError::NobodyToAsk { .. }) => Err(GuideError::Unanswered(UnansweredQuestion {
            id: node.id.clone(),
            text: text.to_string(),
            answers: question.answers.iter().map(|a| a.id.clone()).collect(),
        })),
        Err(e) => Err(e.into()),
    }
}
