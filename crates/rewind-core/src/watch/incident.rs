//! A watch that fired: the incident opened in the journal, the evidence
//! the tree's questions use gathered once, the tree walked as far as that
//! evidence (and the signal itself) decides, the team told on its webhook
//! with the exact command to run next. Each step is journaled before and
//! after, like every other incident.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::detect::Signal;
use super::run::Watched;
use crate::config::AutoAction;
use crate::guide::{self, ActionOutcome, ActionReport, GuideOptions, ProbeResult, Tools};
use crate::journal::{EntryKind, IncidentId, Journal, JournalError};
use crate::notify::{NotifyError, post_webhook};
use crate::prompt::{PromptError, Prompter};
use crate::tree::{ActionKind, Probe, Tree};

/// What `rewind watch` does once a threshold is crossed.
#[derive(Clone, Copy)]
pub enum Policy<'p> {
    /// Open the incident, tell the team, change nothing.
    Notify,
    /// The same, then carry out the action the evidence decides, when the
    /// team allowed it in `[apps.watch] auto`.
    Auto,
    /// The same as notify, then ask the person at the terminal to confirm
    /// the proposed action with the typed app name.
    Ask(&'p dyn Prompter),
}

impl Policy<'_> {
    pub fn name(&self) -> &'static str {
        match self {
            Policy::Notify => "notify",
            Policy::Auto => "auto",
            Policy::Ask(_) => "ask",
        }
    }
}

/// What the policy did about the proposed action.
#[derive(Debug)]
pub enum Acted {
    /// Policy notify: nothing to decide.
    Notified,
    /// The action was carried out (or tried: see its outcome).
    Carried(ActionReport),
    /// Nothing was carried out, and why.
    NotCarried(String),
}

/// The action the evidence leads to: the tree's node where the decided
/// walk stopped, when that node is an action.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub node: String,
    pub kind: ActionKind,
    params: toml::Table,
}

impl Proposal {
    /// The name `[apps.watch] auto` allows it by, if it has one.
    pub fn auto_name(&self) -> Option<AutoAction> {
        match self.kind {
            ActionKind::SwitchFeatureOff => Some(AutoAction::FeatureFlagOff),
            ActionKind::RedeployPrevious => Some(AutoAction::Redeploy),
            ActionKind::RestoreDatabase | ActionKind::WarnProductOwner => None,
        }
    }
}

/// The `command` of a watch incident's opening entry.
pub const COMMAND: &str = "watch";

/// What the incident holds, for the caller to show.
#[derive(Debug)]
pub struct Raised {
    pub incident: IncidentId,
    /// The message posted to the team (and to show), line by line.
    pub lines: Vec<String>,
    /// The command to run next.
    pub next: String,
    /// The tree's answers the evidence decided, `(question, answer)`.
    pub answers: Vec<(String, String)>,
    /// `None` when no webhook is configured.
    pub notified: Option<Result<(), NotifyError>>,
    /// The action the evidence leads to, when it decides the whole path.
    pub proposal: Option<Proposal>,
    /// What the policy did about it.
    pub acted: Acted,
}

/// Opens the incident for `signal`, gathers the evidence, tells the team,
/// and carries out the decided action when `policy` allows it (`options`
/// for the action: who, the restart's pace; `progress` shows its steps).
#[allow(clippy::too_many_arguments)]
pub fn raise(
    tools: &Tools<'_>,
    tree: &Tree,
    options: &GuideOptions,
    policy: Policy<'_>,
    watched: &Watched,
    signal: &Signal,
    detected_at: DateTime<Utc>,
    progress: &mut dyn FnMut(&str),
) -> Result<Raised, JournalError> {
    let lang = options.lang;
    let journal = tools.journal;
    let app = &tools.app.name;
    let detection = (detected_at - watched.ended_at).num_milliseconds() as f64 / 1000.0;
    let incident = journal.begin(
        app,
        json!({
            "command": COMMAND,
            "reason": signal.describe(),
            "signal": signal,
            "deployment_id": watched.deployment.id,
            "git_ref": watched.deployment.git_ref,
            "deploy_ended_at": watched.ended_at,
            "detected_at": detected_at,
            "detection_seconds": detection,
            "baseline": watched.baseline,
            "policy": policy.name(),
        }),
    )?;
    let step = |kind: EntryKind, id: &str, data: Value| {
        journal.record(&incident, app, kind, Some(id), data)
    };

    step(EntryKind::StepStarted, "evidence", Value::Null)?;
    let evidence = guide::gather_evidence(tools, lang, &Probe::ALL);
    let (answers, stopped_at) = decided(tree, &evidence);
    step(
        EntryKind::StepDone,
        "evidence",
        json!({
            "probes": evidence.iter().map(|(p, r)| match r {
                Ok(ev) => json!({"probe": p.name(), "suggestion": ev.suggestion, "facts": ev.facts}),
                Err(e) => json!({"probe": p.name(), "error": e}),
            }).collect::<Vec<_>>(),
            "answers": answers.iter().map(|(q, a)| format!("{q}={a}")).collect::<Vec<_>>(),
            "stopped_at": stopped_at,
        }),
    )?;

    let next = next_command(app, &answers);
    let proposal = proposal(tree, &stopped_at);
    // The policy decides, and the action's plan is checked (reads only),
    // before the message: the team is told what rewind will do only once
    // it is allowed; ask asks after the message, a person may take a while.
    let decided = match policy {
        Policy::Notify => None,
        Policy::Auto => Some(auto_decision(
            tools,
            watched,
            proposal.as_ref(),
            &stopped_at,
        )?),
        Policy::Ask(_) => Some(never(tools, watched, proposal.as_ref(), &stopped_at)?),
    };
    let checked = match decided {
        None => None,
        Some(Err(why)) => Some(Err(why)),
        Some(Ok(p)) => Some(
            match guide::check(tools, options, COMMAND, &p.node, p.kind, &p.params) {
                Ok(plan) => Ok((p, plan)),
                Err(refusal) => {
                    guide::record_refusal(tools, &incident, &refusal)?;
                    Err(format!("{}; nothing was changed", refusal.describe()))
                }
            },
        ),
    };
    let mut lines = message(app, watched, signal, detection, &evidence, &next);
    match (&checked, policy) {
        (Some(Ok((p, plan))), Policy::Auto) => {
            lines.push(format!(
                "policy auto: rewind is carrying out `{}` ({}) now; the outcome follows",
                p.kind.name(),
                p.node
            ));
            lines.extend(plan.lines().iter().map(|l| format!("  {l}")));
        }
        (Some(Ok((p, plan))), _) => {
            lines.push(format!(
                "policy ask: the person watching is asked to confirm `{}` ({})",
                p.kind.name(),
                p.node
            ));
            lines.extend(plan.lines().iter().map(|l| format!("  {l}")));
        }
        (Some(Err(why)), _) => lines.push(format!("policy {} did not act: {why}", policy.name())),
        (None, _) => {}
    }
    let notified = tell(tools, &incident, "notify", &lines)?;

    let acted = match (policy, checked) {
        (Policy::Notify, _) | (_, None) => Acted::Notified,
        (_, Some(Err(why))) => {
            step(
                EntryKind::Note,
                "action",
                json!({"policy": policy.name(), "not_carried": why}),
            )?;
            Acted::NotCarried(why)
        }
        (Policy::Auto, Some(Ok((_, plan)))) => {
            Acted::Carried(guide::act(tools, &incident, COMMAND, plan, progress)?)
        }
        (Policy::Ask(prompter), Some(Ok((p, plan)))) => match ask(tools, watched, &p, prompter) {
            Ok(()) => {
                step(
                    EntryKind::Note,
                    "action",
                    json!({"policy": "ask", "confirmed": true}),
                )?;
                Acted::Carried(guide::act(tools, &incident, COMMAND, plan, progress)?)
            }
            Err(why) => {
                step(
                    EntryKind::Note,
                    "action",
                    json!({"policy": "ask", "not_carried": why}),
                )?;
                Acted::NotCarried(why)
            }
        },
    };
    if let Acted::Carried(report) = &acted {
        let mut result = match &report.outcome {
            ActionOutcome::Failed { error, .. } => vec![format!(
                "rewind watch: `{}` on {app} failed: {error}",
                report.action
            )],
            _ => vec![format!(
                "rewind watch: `{}` on {app} is done",
                report.action
            )],
        };
        result.extend(report.lines.iter().cloned());
        lines.extend(result.iter().cloned());
        tell(tools, &incident, "notify-outcome", &result)?;
    }
    let outcome = match &acted {
        Acted::Carried(ActionReport {
            outcome: ActionOutcome::Failed { .. },
            ..
        }) => "action-failed",
        Acted::Carried(_) => "acted",
        _ => "detected",
    };
    journal.record(
        &incident,
        app,
        EntryKind::IncidentClosed,
        None,
        json!({"outcome": outcome, "next": next}),
    )?;
    Ok(Raised {
        incident,
        lines,
        next,
        answers,
        notified,
        proposal,
        acted,
    })
}

/// The one line a quiet watch posts when `[apps.watch] healthy_message`
/// asks for it.
pub fn healthy_line(app: &str, watched: &Watched, watched_for: std::time::Duration) -> String {
    let release = watched
        .deployment
        .git_ref
        .as_deref()
        .map(|r| format!(" ({})", r.get(..12).unwrap_or(r)))
        .unwrap_or_default();
    format!(
        "rewind watch: {app}'s release looks healthy: deployment {}{release} crossed no threshold in {} ({} rounds of checks)",
        watched.deployment.id,
        crate::config::format_duration(watched_for),
        watched.rounds
    )
}

/// Posts `lines` on the team's webhook, journaled as step `id`.
fn tell(
    tools: &Tools<'_>,
    incident: &IncidentId,
    id: &str,
    lines: &[String],
) -> Result<Option<Result<(), NotifyError>>, JournalError> {
    let app = &tools.app.name;
    let step =
        |kind: EntryKind, data: Value| tools.journal.record(incident, app, kind, Some(id), data);
    Ok(match tools.webhook {
        None => {
            step(
                EntryKind::StepSkipped,
                json!({"reason": "no webhook_url in rewind.toml"}),
            )?;
            None
        }
        Some(url) => {
            step(EntryKind::StepStarted, Value::Null)?;
            let sent = post_webhook(url, &lines.join("\n"));
            match &sent {
                Ok(()) => step(EntryKind::StepDone, Value::Null)?,
                Err(e) => step(EntryKind::StepFailed, json!({"error": e.to_string()}))?,
            }
            Some(sent)
        }
    })
}

/// The action node the decided walk stopped at, if it stopped at one.
fn proposal(tree: &Tree, stopped_at: &str) -> Option<Proposal> {
    let node = tree.node(stopped_at)?;
    let action = node.as_action()?;
    Some(Proposal {
        node: node.id.clone(),
        kind: action.action,
        params: action.params.clone(),
    })
}

/// Why a proposal cannot be carried out by rewind watch at all (whatever
/// the policy), or `None` when it can.
fn never(
    tools: &Tools<'_>,
    watched: &Watched,
    proposal: Option<&Proposal>,
    stopped_at: &str,
) -> Result<Result<Proposal, String>, JournalError> {
    let Some(p) = proposal else {
        return Ok(Err(format!(
            "the evidence does not decide the tree's whole path: it stops at question `{stopped_at}`, a person's answer"
        )));
    };
    if p.auto_name().is_none() {
        return Ok(Err(format!(
            "`{}` is never carried out by rewind watch; a person runs it with `rewind guide`",
            p.kind.name()
        )));
    }
    if let Some(earlier) = earlier_action(tools.journal, &tools.app.name, &watched.deployment.id)? {
        return Ok(Err(format!(
            "incident {earlier} already acted on deployment {}: rewind does not act twice on one release",
            watched.deployment.id
        )));
    }
    if p.kind == ActionKind::RedeployPrevious
        && let Some(by) = made_by_rewind(tools.journal, &tools.app.name, &watched.deployment.id)?
    {
        return Ok(Err(format!(
            "deployment {} is rewind's own redeploy (incident {by}): redeploying the release before it would undo it",
            watched.deployment.id
        )));
    }
    Ok(Ok(p.clone()))
}

/// Policy auto: the proposal, or why it is not carried out.
fn auto_decision(
    tools: &Tools<'_>,
    watched: &Watched,
    proposal: Option<&Proposal>,
    stopped_at: &str,
) -> Result<Result<Proposal, String>, JournalError> {
    let p = match never(tools, watched, proposal, stopped_at)? {
        Ok(p) => p,
        Err(why) => return Ok(Err(why)),
    };
    let name = p.auto_name().map_or("", AutoAction::name);
    if !p
        .auto_name()
        .is_some_and(|a| tools.app.watch.auto.contains(&a))
    {
        return Ok(Err(format!(
            "`{name}` is not allowed in rewind.toml ([apps.watch] auto = [{}])",
            tools
                .app
                .watch
                .auto
                .iter()
                .map(|a| format!("\"{a}\""))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(Ok(p))
}

/// Policy ask: `Ok` once the person typed the app's name, or why nothing
/// is carried out.
fn ask(
    tools: &Tools<'_>,
    watched: &Watched,
    p: &Proposal,
    prompter: &dyn Prompter,
) -> Result<(), String> {
    let app = &tools.app.name;
    let summary = format!(
        "rewind watch proposes `{}` ({}) on {app}, deployment {}",
        p.kind.name(),
        p.node,
        watched.deployment.id
    );
    match prompter.confirm_typed(&summary, app) {
        Ok(true) => Ok(()),
        Ok(false) => Err("the person did not confirm: nothing was changed".to_string()),
        Err(PromptError::NobodyToAsk { .. }) => {
            Err("no terminal to ask: behaved as notify, nothing was changed".to_string())
        }
        Err(e) => Err(format!("no confirmation ({e}): nothing was changed")),
    }
}

/// An earlier watch incident that carried out (or started) an action for
/// `deployment`: a rerun never acts twice on one release.
fn earlier_action(
    journal: &Journal,
    app: &str,
    deployment: &str,
) -> Result<Option<String>, JournalError> {
    Ok(journal
        .incidents()?
        .into_iter()
        .find(|i| {
            i.app == app
                && i.opening.get("command").and_then(Value::as_str) == Some(COMMAND)
                && i.opening.get("deployment_id").and_then(Value::as_str) == Some(deployment)
                && i.step(guide::CARRIED_STEP)
                    .is_some_and(|s| s.started_at.is_some())
        })
        .map(|i| i.id.to_string()))
}

/// A rollback incident whose deployment is `deployment`: the watched
/// release is rewind's own redeploy.
fn made_by_rewind(
    journal: &Journal,
    app: &str,
    deployment: &str,
) -> Result<Option<String>, JournalError> {
    Ok(journal
        .incidents()?
        .into_iter()
        .find(|i| {
            i.app == app
                && i.opening.get("command").and_then(Value::as_str) != Some(COMMAND)
                && i.entries.iter().any(|e| {
                    e.data.get("deployment_id").and_then(Value::as_str) == Some(deployment)
                })
        })
        .map(|i| i.id.to_string()))
}

/// Records a watch stopped by Ctrl-C as an incident of one line, closed:
/// nothing was changed, and nothing is left to resume.
pub fn interrupted(journal: &Journal, app: &str, phase: &str) -> Result<IncidentId, JournalError> {
    let incident = journal.begin(
        app,
        json!({"command": COMMAND, "reason": format!("watch interrupted while {phase}")}),
    )?;
    journal.record(
        &incident,
        app,
        EntryKind::Interrupted,
        None,
        json!({"phase": phase}),
    )?;
    journal.record(
        &incident,
        app,
        EntryKind::IncidentClosed,
        None,
        json!({"outcome": "interrupted"}),
    )?;
    Ok(incident)
}

/// The tree walked from its entry as far as the evidence decides: the
/// signal answers the entry question (its one answer that is not the
/// "all is well" loop), each probe's suggestion answers its question when
/// the question has that answer. Returns the answers and the node where
/// the walk stopped (a question nobody can answer yet, or an action).
pub fn decided(tree: &Tree, evidence: &[(Probe, ProbeResult)]) -> (Vec<(String, String)>, String) {
    let mut answers = Vec::new();
    let mut node = tree.entry();
    for _ in 0..tree.nodes().len() {
        let Some(question) = node.as_question() else {
            break;
        };
        let not_fine: Vec<_> = question.answers.iter().filter(|a| !a.is_loop).collect();
        let suggested = question
            .probe
            .and_then(|p| evidence.iter().find(|(probe, _)| *probe == p))
            .and_then(|(_, found)| found.as_ref().ok())
            .and_then(|ev| ev.suggestion.as_deref())
            .and_then(|s| question.answer(s));
        let chosen = match suggested {
            Some(answer) => answer,
            // The watch fired: the release is not fine.
            None if node.id == tree.entry().id
                && not_fine.len() == 1
                && not_fine.len() < question.answers.len() =>
            {
                not_fine[0]
            }
            None => break,
        };
        if chosen.is_loop {
            break;
        }
        answers.push((node.id.clone(), chosen.id.clone()));
        match tree.node(&chosen.next) {
            Some(next) => node = next,
            None => break,
        }
    }
    (answers, node.id.clone())
}

/// `rewind guide APP --answer q=a ...`: the walk resumes where the
/// evidence stopped deciding.
fn next_command(app: &str, answers: &[(String, String)]) -> String {
    let mut command = format!("rewind guide {app}");
    for (q, a) in answers {
        command.push_str(&format!(" --answer {q}={a}"));
    }
    command
}

/// The message: the signal, when, the evidence, what to run.
fn message(
    app: &str,
    watched: &Watched,
    signal: &Signal,
    detection: f64,
    evidence: &[(Probe, ProbeResult)],
    next: &str,
) -> Vec<String> {
    let d = &watched.deployment;
    let mut lines = vec![
        format!("rewind watch: {app} looks broken since deployment {}", d.id),
        format!("signal: {}", signal.describe()),
        format!(
            "the deploy ended at {} ({}); noticed {detection:.0}s later",
            watched.ended_at.format("%Y-%m-%d %H:%M:%S UTC"),
            d.git_ref.as_deref().unwrap_or("unknown commit"),
        ),
        format!(
            "baseline before it: {:.1}% 5XX over {} requests in {} minutes",
            watched.baseline.ratio() * 100.0,
            watched.baseline.requests,
            watched.baseline.minutes,
        ),
    ];
    for (probe, found) in evidence {
        match found {
            Ok(ev) => {
                for line in &ev.lines {
                    lines.push(format!("{}: {line}", probe.name()));
                }
            }
            Err(e) => lines.push(format!("{}: not read ({e})", probe.name())),
        }
    }
    lines.push(format!("next: {next}"));
    lines.push(format!(
        "or, to put the previous release back at once: rewind rollback {app}"
    ));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guide::Evidence;

    fn suggesting(probe: Probe, answer: &str) -> (Probe, ProbeResult) {
        let mut ev = Evidence::new(probe);
        ev.suggest(answer, "because");
        (probe, Ok(ev))
    }

    fn pairs(answers: &[(String, String)]) -> Vec<String> {
        answers.iter().map(|(q, a)| format!("{q}={a}")).collect()
    }

    #[test]
    fn the_signal_answers_the_entry_question_and_evidence_the_next_ones() {
        let tree = Tree::default_runbook();
        let (answers, stopped) = decided(&tree, &[]);
        assert_eq!(pairs(&answers), ["mep=problem"]);
        assert_eq!(stopped, "q1");

        let evidence = [
            suggesting(Probe::FeatureFlags, "no"),
            suggesting(Probe::AppHealth, "yes"),
            (Probe::Database, Err("not read".to_string())),
        ];
        let (answers, stopped) = decided(&tree, &evidence);
        assert_eq!(pairs(&answers), ["mep=problem", "q1=no", "q2=yes"]);
        // q3 (how many users) is the same probe with no answer "yes".
        assert_eq!(stopped, "q3");
        assert_eq!(
            next_command("shop", &answers),
            "rewind guide shop --answer mep=problem --answer q1=no --answer q2=yes"
        );
    }

    #[test]
    fn a_release_is_acted_on_once_and_rewinds_own_redeploy_is_known() {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::open(dir.path());
        // A rollback that deployed d2; a watch of d1 that acted.
        let rollback = journal
            .begin("shop", json!({"command": "rollback"}))
            .expect("begin");
        journal
            .record(
                &rollback,
                "shop",
                EntryKind::IncidentClosed,
                None,
                json!({"outcome": "succeeded", "deployment_id": "d2"}),
            )
            .expect("record");
        let watch = journal
            .begin("shop", json!({"command": COMMAND, "deployment_id": "d1"}))
            .expect("begin");
        assert_eq!(earlier_action(&journal, "shop", "d1").expect("read"), None);
        journal
            .record(
                &watch,
                "shop",
                EntryKind::StepStarted,
                Some(guide::CARRIED_STEP),
                Value::Null,
            )
            .expect("record");

        assert_eq!(
            earlier_action(&journal, "shop", "d1").expect("read"),
            Some(watch.to_string())
        );
        assert_eq!(earlier_action(&journal, "shop", "d2").expect("read"), None);
        assert_eq!(earlier_action(&journal, "cart", "d1").expect("read"), None);
        assert_eq!(
            made_by_rewind(&journal, "shop", "d2").expect("read"),
            Some(rollback.to_string())
        );
        // The watch's own incident names d1, but did not deploy it.
        assert_eq!(made_by_rewind(&journal, "shop", "d1").expect("read"), None);
    }

    #[test]
    fn an_entry_question_with_several_ways_to_be_wrong_is_left_to_a_person() {
        let tree = Tree::parse(
            "team.toml",
            r#"
entry = "start"
[[question]]
id = "start"
text = { fr = "What is wrong?", en = "What is wrong?" }
[[question.answer]]
id = "slow"
label = { fr = "Slow", en = "Slow" }
next = "warn"
[[question.answer]]
id = "down"
label = { fr = "Down", en = "Down" }
next = "back"
[[action]]
id = "warn"
text = { fr = "Warn the product owner", en = "Warn the product owner" }
action = "warn_product_owner"
next = "end"
[[action]]
id = "back"
text = { fr = "Put the previous release back", en = "Put the previous release back" }
action = "redeploy_previous"
next = "end"
[[exit]]
id = "end"
text = { fr = "Done", en = "Done" }
"#,
        )
        .expect("tree");
        let (answers, stopped) = decided(&tree, &[]);
        assert!(answers.is_empty());
        assert_eq!(stopped, "start");
    }
}
