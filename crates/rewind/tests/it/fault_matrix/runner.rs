//! Runs one case: a fresh world, the command with its fault (added when
//! the journal shows the step begins, or `kill -9` in the middle of it),
//! then the retries a person makes, then what must be true at the end.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::cases::{Case, Fault, Flow, Retry, Step};
use super::checks::{self, BACKUP, DEPLOY, RESTORE};
use super::concurrent::concurrent;
use super::git_faults;
use super::inject::{KILL_LATENCY_MS, TIMEOUT_LATENCY_MS, clear_faults, faulted_run};
use super::world::World;
use crate::support::Run;

/// Retries a person makes before giving up.
const RETRIES: usize = 5;

/// What a case found.
#[derive(Debug, Default)]
pub struct Outcome {
    pub name: String,
    pub finished: bool,
    /// Finished by a retry, the first run having failed.
    pub resumed: bool,
    pub duplicate_deploys: usize,
    pub duplicate_backups: usize,
    pub duplicate_restores: usize,
    pub bad_redeploys: usize,
    pub panics: usize,
    pub false_statements: Vec<String>,
    /// Everything else that is wrong.
    pub problems: Vec<String>,
    /// One line per run: the command, its exit, its first error.
    pub transcript: Vec<String>,
    pub seconds: f64,
}

impl Outcome {
    pub fn failed(&self) -> bool {
        self.duplicate_deploys
            + self.duplicate_backups
            + self.duplicate_restores
            + self.bad_redeploys
            + self.panics
            + self.false_statements.len()
            + self.problems.len()
            > 0
    }
}

/// One case: with `rewind resume` as the retry, and, when the first run
/// did not finish by itself, again in a new world with the command run
/// again as the retry. Each retry gives an outcome (`NAME/resume`,
/// `NAME/rerun`); a first run that finishes gives one, `NAME`.
pub fn run(case: Case) -> Vec<Outcome> {
    let (flow, step, fault) = match case {
        Case::Fault { flow, step, fault } => (flow, step, fault),
        Case::Control { flow } => {
            return vec![one(case, |book| {
                let run = book.plain(&flow.args());
                book.outcome.finished = run.code == 0;
            })];
        }
        Case::Concurrent => return vec![one(case, concurrent)],
    };
    let mut first_finished = false;
    let resume = one(case, |book| {
        first_finished = fault_case(book, flow, step, fault, Retry::Resume);
    });
    if first_finished {
        return vec![resume];
    }
    let rerun = one(case, |book| {
        fault_case(book, flow, step, fault, Retry::Rerun);
    });
    let named = |mut o: Outcome, retry: Retry| {
        o.name = format!("{case}/{}", retry.name());
        o
    };
    vec![named(resume, Retry::Resume), named(rerun, Retry::Rerun)]
}

/// One world, one story, its end checked.
fn one(case: Case, story: impl FnOnce(&mut Book<'_>)) -> Outcome {
    let started = Instant::now();
    let world = World::new();
    git_faults::install(&world);
    let mut book = Book {
        world: &world,
        outcome: Outcome {
            name: case.to_string(),
            ..Outcome::default()
        },
        start: world.request_mark(),
        torn: BTreeSet::new(),
        said: Vec::new(),
        settle_until: Instant::now(),
    };
    story(&mut book);
    book.end();
    let mut outcome = book.outcome;
    outcome.seconds = started.elapsed().as_secs_f64();
    outcome
}

/// The case's record, kept as it goes.
pub struct Book<'a> {
    pub world: &'a World,
    pub outcome: Outcome,
    /// The sandbox's request index when the case began.
    start: u64,
    /// Journal lines torn by a kill.
    torn: BTreeSet<usize>,
    /// What the runs said, to check against the requests at the end.
    said: Vec<Said>,
    /// Until when slowed requests may still land.
    settle_until: Instant,
}

/// One run's words and when it ran.
struct Said {
    label: String,
    stderr: String,
    began: DateTime<Utc>,
    ended: DateTime<Utc>,
}

impl Book<'_> {
    /// Checks one run right after it ended (what it says runs); what it
    /// says it changed is checked at the end, once late requests landed.
    /// `began` is when it started.
    pub fn check(&mut self, label: &str, run: &Run, killed: bool, began: DateTime<Utc>) {
        let o = &mut self.outcome;
        o.transcript.push(format!(
            "$ rewind {label} -> {}{}",
            if killed {
                "killed (-9)".to_string()
            } else {
                format!("exit {}", run.code)
            },
            match checks::first_error(run) {
                e if e.is_empty() || run.code == 0 => String::new(),
                e => format!(": {e}"),
            }
        ));
        if checks::panicked(run) {
            o.panics += 1;
            o.problems
                .push(format!("`rewind {label}` panicked (exit {})", run.code));
        }
        if killed {
            if let Some(i) = checks::torn_last_line(self.world) {
                self.torn.insert(i);
            }
            return;
        }
        if let Some(wrong) = checks::undocumented_exit(run) {
            o.problems.push(format!("`rewind {label}`: {wrong}"));
        }
        let running = self.world.running();
        for wrong in checks::about_what_runs(self.world, run, running.as_deref()) {
            o.false_statements
                .push(format!("`rewind {label}`: {wrong}"));
        }
        self.said.push(Said {
            label: label.to_string(),
            stderr: run.stderr.clone(),
            began,
            ended: Utc::now(),
        });
    }

    /// Runs that saw each other's writes cannot be held to what they say
    /// they changed: only what runs is checked against their words.
    pub fn forget_changes_said(&mut self) {
        self.said.clear();
    }

    /// A plain run of `args`.
    fn plain(&mut self, args: &[&str]) -> Run {
        let began = Utc::now();
        let run = self.world.rewind(args).run();
        self.check(&args.join(" "), &run, false, began);
        run
    }

    /// What must be true once the person is done.
    fn end(&mut self) {
        let w = self.world;
        // A slowed request may still be handled after rewind gave up on it
        // or was killed: let it land.
        let settle = self
            .settle_until
            .max(Instant::now() + Duration::from_millis(200));
        std::thread::sleep(settle.saturating_duration_since(Instant::now()));
        let requests = w.requests(self.start);
        for said in &self.said {
            let writes = checks::arrived_between(&requests, said.began, said.ended);
            for wrong in checks::about_changes(&said.stderr, &writes) {
                self.outcome
                    .false_statements
                    .push(format!("`rewind {}`: {wrong}", said.label));
            }
        }
        let o = &mut self.outcome;
        let backups = checks::accepted(&requests, BACKUP.0, BACKUP.1);
        let restores = checks::accepted(&requests, RESTORE.0, RESTORE.1);
        let deployments = w.new_deployments();
        let of = |commit: &str| deployments.iter().filter(|(c, _)| c == commit).count();
        let (good, bad) = (of(&w.good), of(&w.bad));
        let other = deployments.len() - good - bad;
        o.duplicate_deploys = good.saturating_sub(1) + other;
        o.duplicate_backups = backups.saturating_sub(1);
        o.duplicate_restores = restores.saturating_sub(1);
        o.bad_redeploys = bad;
        if good == 0 {
            o.problems.push("v1.0.0 was never deployed".into());
        }
        if o.duplicate_deploys > 0 {
            let accepted = checks::accepted(&requests, DEPLOY.0, DEPLOY.1);
            o.problems.push(format!(
                "{good} deployment(s) of v1.0.0 and {other} of something else ({accepted} deploy request(s) accepted)"
            ));
        }
        if backups == 0 {
            o.problems.push("no safety backup was taken".into());
        }
        if o.duplicate_backups > 0 {
            o.problems.push(format!("{backups} safety backups"));
        }
        if restores == 0 {
            o.problems.push("the database was never restored".into());
        }
        if o.duplicate_restores > 0 {
            o.problems.push(format!(
                "{restores} point-in-time restores (each one loses what was written since the one before)"
            ));
        }
        if bad > 0 {
            o.problems
                .push(format!("v1.1.0 was deployed again {bad} time(s)"));
        }
        let running = w.running();
        if running.as_deref() != Some(w.good.as_str()) {
            let label = running.as_deref().map(|c| w.label(c)).unwrap_or("nothing");
            o.problems
                .push(format!("{label} runs at the end, not v1.0.0"));
        }
        let rows = w.rows();
        if rows != ["before"] {
            o.problems.push(format!(
                "the database holds {rows:?}, not the rows from before the bad release"
            ));
        }
        let marked = checks::entries(w)
            .iter()
            .any(|e| e["kind"] == "release_marked_bad" && e["data"]["label"] == "v1.1.0");
        if !marked {
            o.problems.push("v1.1.0 was never marked bad".into());
        }
        if !o.finished {
            o.problems.push(format!(
                "never finished: {}",
                o.transcript.last().cloned().unwrap_or_default()
            ));
        }
        let kept: Vec<String> = std::fs::read_dir(w.journal_dir().join("backups/shop"))
            .map(|dir| {
                dir.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        // One archive per safety backup taken; more is a partial download
        // left where a person looks for the backup.
        if kept.len() > backups {
            o.problems.push(format!(
                "the backups folder holds {} files for {backups} safety backup(s): {kept:?}",
                kept.len()
            ));
        }
        for problem in checks::journal_problems(w, &self.torn) {
            o.problems.push(problem);
        }
    }
}

/// The faulted run, then the retries; true when the first run finished
/// by itself.
fn fault_case(book: &mut Book<'_>, flow: Flow, step: Step, fault: Fault, retry: Retry) -> bool {
    let args = flow.args();
    let began = Utc::now();
    book.settle_until = Instant::now()
        + match fault {
            Fault::Timeout => Duration::from_millis(TIMEOUT_LATENCY_MS + 1_000),
            Fault::Kill => Duration::from_millis(KILL_LATENCY_MS + 1_000),
            _ => Duration::ZERO,
        };
    let (run, killed, landed) = faulted_run(book.world, flow, step, fault);
    book.check(&args.join(" "), &run, killed, began);
    if !landed && step == Step::MarkBad {
        // Marking bad is one journal line: nothing can hold rewind there,
        // and the kill may come when it has ended.
        book.outcome
            .transcript
            .push("(the kill came after rewind had ended)".into());
    } else if !landed {
        book.outcome
            .problems
            .push("the fault never landed (the matrix's targeting is wrong)".into());
    }
    clear_faults(book.world, step);
    let mut last = run;
    let mut last_was_resume = false;
    // Once rewind asked for the person's word on a restore it could not see
    // the end of, the person keeps giving it.
    let mut word_asked = false;
    if !killed && last.code == 0 {
        book.outcome.finished = true;
        return true;
    }
    for _ in 0..RETRIES {
        let hint = checks::resume_hint(&last.stderr);
        // rewind says nothing was done and to run the command again: the
        // person does.
        let start_over = last.stderr.contains("nothing was done") && hint.is_none();
        let resume_id = match retry {
            Retry::Resume if start_over => None,
            Retry::Resume => hint.or_else(|| first_incident(book.world, flow)),
            Retry::Rerun if !last_was_resume && last.code == 3 => hint,
            Retry::Rerun => None,
        };
        let mut next: Vec<String> = match &resume_id {
            Some(id) => vec!["resume".into(), id.clone(), "--yes".into()],
            None => args.iter().map(|a| a.to_string()).collect(),
        };
        // rewind was cut short while asking for the restore and asks the
        // person to look at the database's operations in the dashboard:
        // the person does (the sandbox's record of accepted restores) and
        // answers.
        word_asked |= last.stderr.contains("--restore-ran yes");
        if word_asked {
            let (method, pattern) = checks::RESTORE;
            let ran = checks::accepted(&book.world.requests(0), method, pattern) > 0;
            next.push("--restore-ran".into());
            next.push(if ran { "yes" } else { "no" }.into());
        }
        let next: Vec<&str> = next.iter().map(String::as_str).collect();
        last = book.plain(&next);
        last_was_resume = resume_id.is_some();
        if last.code == 0 {
            book.outcome.finished = true;
            book.outcome.resumed = true;
            break;
        }
    }
    false
}

/// The incident the command opened (the guide's own, not its rollback's).
fn first_incident(world: &World, flow: Flow) -> Option<String> {
    let command = match flow {
        Flow::Rollback => "rollback",
        Flow::Guide => "guide",
    };
    checks::entries(world)
        .iter()
        .find(|e| e["kind"] == "incident_opened" && e["data"]["command"] == command)
        .and_then(|e| e["incident"].as_str().map(str::to_string))
}
