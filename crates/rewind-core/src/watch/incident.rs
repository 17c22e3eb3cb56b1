//! A watch that fired: the incident opened in the journal, the evidence
//! the tree's questions use gathered once, the tree walked as far as that
//! evidence (and the signal itself) decides, the team told on its webhook
//! with the exact command to run next. Each step is journaled before and
//! after, like every other incident.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::detect::Signal;
use super::run::Watched;
use crate::guide::{self, ProbeResult, Tools};
use crate::journal::{EntryKind, IncidentId, Journal, JournalError};
use crate::notify::{NotifyError, post_webhook};
use crate::tree::{Lang, Probe, Tree};

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
}

/// Opens the incident for `signal`, gathers the evidence, tells the team.
pub fn raise(
    tools: &Tools<'_>,
    tree: &Tree,
    lang: Lang,
    watched: &Watched,
    signal: &Signal,
    detected_at: DateTime<Utc>,
) -> Result<Raised, JournalError> {
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
    let lines = message(app, watched, signal, detection, &evidence, &next);
    let notified = match tools.webhook {
        None => {
            step(
                EntryKind::StepSkipped,
                "notify",
                json!({"reason": "no webhook_url in rewind.toml"}),
            )?;
            None
        }
        Some(url) => {
            step(EntryKind::StepStarted, "notify", Value::Null)?;
            let sent = post_webhook(url, &lines.join("\n"));
            match &sent {
                Ok(()) => step(EntryKind::StepDone, "notify", Value::Null)?,
                Err(e) => step(
                    EntryKind::StepFailed,
                    "notify",
                    json!({"error": e.to_string()}),
                )?,
            }
            Some(sent)
        }
    };
    journal.record(
        &incident,
        app,
        EntryKind::IncidentClosed,
        None,
        json!({"outcome": "detected", "next": next}),
    )?;
    Ok(Raised {
        incident,
        lines,
        next,
        answers,
        notified,
    })
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
