//! Runs one case: a fresh world, the command with its fault (added when
//! the journal shows the step begins, or `kill -9` in the middle of it),
//! then the retries a person makes, then what must be true at the end.

use std::collections::{BTreeSet, HashMap};
use std::process::Child;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::cases::{Case, Fault, Flow, Retry, Step};
use super::checks::{self, BACKUP, DEPLOY, RESTORE};
use super::git_faults;
use super::hook::HookFault;
use super::world::{World, wait_for};
use crate::support::{Run, admin_delete, finish};

/// Past rewind's 30 s request timeout. When rewind gives up, the sandbox
/// drops the call before handling it: a request lost in the network. (It
/// cannot yet handle a call and answer it too late.)
const TIMEOUT_LATENCY_MS: u64 = 31_000;
/// A slowed request, for a kill to land in it.
const KILL_LATENCY_MS: u64 = 3_000;
/// After the step begins, when its request is under way.
const KILL_AFTER: Duration = Duration::from_millis(1_200);
/// After the step begins, when the slow request has surely been made.
const UNSLOW_AFTER: Duration = Duration::from_millis(2_500);
/// Retries a person makes before giving up.
const RETRIES: usize = 3;

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
    let Case::Fault { flow, step, fault } = case else {
        return vec![one(case, concurrent)];
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
struct Book<'a> {
    world: &'a World,
    outcome: Outcome,
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
    fn check(&mut self, label: &str, run: &Run, killed: bool, began: DateTime<Utc>) {
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
    if !killed && last.code == 0 {
        book.outcome.finished = true;
        return true;
    }
    for _ in 0..RETRIES {
        let hint = checks::resume_hint(&last.stderr);
        let resume_id = match retry {
            Retry::Resume => hint.or_else(|| first_incident(book.world, flow)),
            Retry::Rerun if !last_was_resume && last.code == 3 => hint,
            Retry::Rerun => None,
        };
        let next: Vec<String> = match &resume_id {
            Some(id) => vec!["resume".into(), id.clone(), "--yes".into()],
            None => args.iter().map(|a| a.to_string()).collect(),
        };
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

/// Takes back whatever fault did not fire, so the retries run clean.
fn clear_faults(world: &World, step: Step) {
    admin_delete(&world.sandbox, "/_sandbox/faults");
    world.post("/_sandbox/stream/refuse", json!({"times": 0}));
    git_faults::clear(world, step);
    world.hook.clear();
}

/// The sandbox rule for an HTTP fault at `step`.
fn rule(step: Step, fault: Fault) -> Option<Value> {
    let request = step.request()?;
    let mut rule = json!({"method": request.method, "path": request.path});
    let times = |n: u32| if step == Step::Health { 3 } else { n };
    let effect = match fault {
        Fault::Status500 => json!({"status": 500, "times": times(1)}),
        Fault::Status503 => json!({"status": 503, "times": times(2)}),
        Fault::Burst429 => json!({"status": 429, "times": 4}),
        Fault::Timeout => json!({"latency_ms": TIMEOUT_LATENCY_MS}),
        Fault::Reset => json!({"drop_connection": true, "times": 1}),
        Fault::Malformed => json!({"malformed_body": true, "times": 1}),
        Fault::Kill => json!({"latency_ms": KILL_LATENCY_MS}),
        _ => return None,
    };
    rule.as_object_mut()?.extend(effect.as_object()?.clone());
    Some(rule)
}

/// The first run with its fault; returns the run, whether rewind was
/// killed, and whether the fault landed.
fn faulted_run(world: &World, flow: Flow, step: Step, fault: Fault) -> (Run, bool, bool) {
    let mut plan = Plan::default();
    let journal_step = step.journal_step(flow);
    match (step, fault) {
        (Step::Notify, _) => {
            let f = match fault {
                Fault::Status500 => vec![HookFault::Status(500)],
                Fault::Status503 => vec![HookFault::Status(503); 2],
                Fault::Burst429 => vec![HookFault::Status(429); 4],
                Fault::Timeout => vec![HookFault::Slow(Duration::from_secs(11))],
                Fault::Reset => vec![HookFault::Drop],
                Fault::Malformed => vec![HookFault::Malformed],
                _ => vec![HookFault::Slow(Duration::from_secs(3))],
            };
            for one in f {
                world.hook.fail_next(one);
            }
            plan.kill = (fault == Fault::Kill).then_some(Trigger::HookBusy);
            plan.landed = Landed::Hook;
        }
        (_, Fault::GitFailure) => {
            git_faults::fail_once(world, step);
            plan.landed = Landed::Git;
        }
        (_, Fault::Kill) if step.is_git() => {
            git_faults::slow_once(world, step);
            plan.kill = Some(Trigger::GitStarted);
        }
        (Step::MarkBad, Fault::Kill) => {
            plan.kill = Some(Trigger::Journal(
                journal_step.expect("mark-bad"),
                Duration::ZERO,
            ));
        }
        (Step::Follow, Fault::StreamCut) => {
            plan.cut_stream_on = journal_step;
            plan.landed = Landed::StreamCut;
        }
        (Step::Follow, Fault::StreamRefused) => {
            world.post("/_sandbox/stream/refuse", json!({"times": 3}));
            plan.landed = Landed::Refused;
        }
        _ => {
            let rule = rule(step, fault).expect("an HTTP fault at an HTTP step");
            plan.rule = Some((rule, step.request().and_then(|r| r.arm_on)));
            plan.landed = Landed::Rule;
            if matches!(fault, Fault::Timeout | Fault::Kill) {
                plan.unslow_on = journal_step;
            }
            if fault == Fault::Kill {
                plan.kill = Some(Trigger::Journal(
                    journal_step.expect("a journal step"),
                    KILL_AFTER,
                ));
            }
        }
    }
    let child = world.rewind(&flow.args()).spawn();
    drive(world, step, child, plan)
}

#[derive(Default)]
struct Plan {
    /// A fault rule, added at the start or when that journal step begins.
    rule: Option<(Value, Option<&'static str>)>,
    /// Remove the (latency) rule this long after this step begins.
    unslow_on: Option<&'static str>,
    kill: Option<Trigger>,
    cut_stream_on: Option<&'static str>,
    landed: Landed,
}

#[derive(Clone, Copy)]
enum Trigger {
    /// This long after the journal shows the step began.
    Journal(&'static str, Duration),
    GitStarted,
    HookBusy,
}

/// How to tell that the fault happened.
#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Landed {
    #[default]
    Killed,
    Rule,
    Hook,
    Git,
    StreamCut,
    Refused,
}

/// Watches the journal while rewind runs and acts at the planned moments.
fn drive(world: &World, step: Step, mut child: Child, mut plan: Plan) -> (Run, bool, bool) {
    drop(child.stdin.take());
    let mut seen: HashMap<String, Instant> = HashMap::new();
    let mut rule_id: Option<u64> = None;
    let mut rule_hits = false;
    let mut killed = false;
    let mut cut = false;
    let add_rule = |rule: &Value| -> u64 {
        world.post("/_sandbox/faults", rule.clone())["rule"]["id"]
            .as_u64()
            .or_else(|| world.get("/_sandbox/faults")["faults"].as_array()?.last()?["id"].as_u64())
            .expect("the rule's id")
    };
    if let Some((rule, None)) = &plan.rule {
        rule_id = Some(add_rule(rule));
    }
    let begun = Instant::now();
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        for entry in checks::entries(world) {
            if entry["kind"] == "step_started"
                && let Some(s) = entry["step"].as_str()
            {
                seen.entry(s.to_string()).or_insert_with(Instant::now);
            }
        }
        let since = |s: &str| seen.get(s).map(Instant::elapsed);
        if rule_id.is_none()
            && let Some((rule, Some(on))) = &plan.rule
            && since(on).is_some()
        {
            rule_id = Some(add_rule(rule));
        }
        if let (Some(id), Some(on)) = (rule_id, plan.unslow_on)
            && since(on).is_some_and(|d| d >= UNSLOW_AFTER)
        {
            rule_hits = true;
            let _ = remove_rule(world, id);
            plan.unslow_on = None;
        }
        if !cut
            && let Some(on) = plan.cut_stream_on
            && since(on).is_some()
        {
            let closed =
                world.post("/_sandbox/stream/disconnect", json!({"app": "shop"}))["closed"]
                    .as_u64()
                    .unwrap_or(0);
            cut = closed > 0;
        }
        let fire = match plan.kill {
            Some(Trigger::Journal(s, after)) => since(s).is_some_and(|d| d >= after),
            Some(Trigger::GitStarted) => git_faults::started(world, step),
            Some(Trigger::HookBusy) => world.hook.busy(),
            None => false,
        };
        if fire && !killed {
            let _ = child.kill();
            killed = true;
            plan.kill = None;
        }
        if begun.elapsed() > Duration::from_secs(180) {
            // A hung rewind is a finding, not a reason to hang the matrix.
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(3));
    }
    let run = finish(child);
    let killed = killed && run.code == 128 + 9;
    // A killed step's slow git goes on: let it end before the retries.
    if step.is_git() && killed {
        wait_for(Duration::from_secs(10), || git_faults::ended(world, step));
    }
    let landed = match plan.landed {
        Landed::Killed => killed,
        Landed::Rule => {
            rule_hits
                || rule_id.is_some_and(|id| {
                    world.get("/_sandbox/faults")["faults"]
                        .as_array()
                        .and_then(|all| all.iter().find(|r| r["id"] == id).cloned())
                        .is_none_or(|r| r["remaining"] != r["times"])
                })
                || killed
        }
        Landed::Hook => world.hook.messages() > 0,
        Landed::Git => !world
            .control()
            .join(format!("fail-{}", step.name()))
            .exists(),
        Landed::StreamCut => cut,
        Landed::Refused => {
            world.post("/_sandbox/stream/refuse", json!({"times": 0}));
            true
        }
    };
    if let Some(id) = rule_id {
        let _ = remove_rule(world, id);
    }
    (run, killed, landed)
}

fn remove_rule(world: &World, id: u64) -> Option<()> {
    let listed = world.get("/_sandbox/faults");
    listed["faults"]
        .as_array()?
        .iter()
        .find(|r| r["id"] == id)?;
    admin_delete(&world.sandbox, &format!("/_sandbox/faults/{id}"));
    Some(())
}

/// Two `rewind rollback --with-db` of the same app on one machine (one
/// HOME, one journal), both planned at once, confirmed two seconds
/// apart: exactly one may go on.
fn concurrent(book: &mut Book<'_>) {
    let world = book.world;
    // The first one restores slowly, so the second is confirmed while it
    // is still at work.
    world.post(
        "/_sandbox/faults",
        json!({"method": "GET", "path": "/api/databases/*/operations/*", "latency_ms": 1500}),
    );
    let args = ["rollback", "--with-db"];
    let spawn = || world.rewind(&args).env("REWIND_INTERACTIVE", "1").spawn();
    let mut first = spawn();
    let mut second = spawn();
    std::thread::sleep(Duration::from_millis(1500));
    confirm(&mut first);
    std::thread::sleep(Duration::from_millis(2000));
    confirm(&mut second);
    let first = finish(first);
    let second = finish(second);
    admin_delete(&world.sandbox, "/_sandbox/faults");
    // Each saw the other's writes: only what runs is checked against
    // their words, not what they changed.
    let after = Utc::now();
    book.check(
        "rollback --with-db (first, confirmed at once)",
        &first,
        false,
        after,
    );
    book.check(
        "rollback --with-db (second, confirmed 2 s later)",
        &second,
        false,
        after,
    );
    book.said.clear();
    let codes = [first.code, second.code];
    let went_on = codes.iter().filter(|c| **c == 0).count();
    if went_on != 1 || !codes.contains(&3) {
        book.outcome.problems.push(format!(
            "exits {codes:?}: exactly one should go on (0) and the other be refused (3)"
        ));
    }
    book.outcome.finished = went_on >= 1;
}

fn confirm(child: &mut Child) {
    use std::io::Write;
    if let Some(stdin) = child.stdin.as_mut() {
        let _ = stdin.write_all(b"shop\n");
        let _ = stdin.flush();
    }
}
