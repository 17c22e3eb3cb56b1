//! The fault matrix: `rewind rollback --with-db --yes` and the guide's
//! restore-then-redeploy path (a3, a4) run against the sandbox with a
//! fault at every step (fetch, branch, push, hold, safety backup,
//! download, restore, restore polling, deploy, follow, verify and its
//! health check, notify, mark-bad): each error status the sandbox can
//! answer, a 429 burst, a timeout, a dropped connection, a body cut short,
//! a cut or refused deployment stream, a real git failure, and `kill -9`
//! of rewind in the middle of the step. After each failure the person
//! retries, either with `rewind resume` or by running the command again
//! (each in a world of its own: `NAME/resume`, `NAME/rerun`; a case whose
//! first run finishes is one outcome, `NAME`).
//! Every run must end without a panic, with a documented exit code, and
//! say only what the sandbox confirms; at the end exactly one deployment
//! of the target, one safety backup and one restore were made, the target
//! runs, the bad release was never redeployed, is marked bad, and the
//! database holds the rows from before it. Plus two rollbacks of one app
//! confirmed seconds apart on one machine: exactly one goes on.
//!
//! It prints one line (run with `--nocapture` to see it):
//! `fault matrix: N cases, N finished after resume, N duplicate deploys,
//! N duplicate backups, N duplicate restores, N bad releases redeployed,
//! N panics, N false statements`, then each failing case with what went
//! wrong. `FAULT_MATRIX_ONLY=deploy:500` (comma-separated pieces of case
//! names such as `guide/`, `restore:kill-9`, `concurrent`) runs
//! only the matching cases; `FAULT_MATRIX_THREADS` (default 4) sets how
//! many of the busy cases run at once; the
//! timeout and 429 cases, which mostly wait, run beside them, twelve at a
//! time.

mod cases;
mod checks;
mod concurrent;
mod git_faults;
mod hook;
mod inject;
mod runner;
mod world;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use cases::Case;
use runner::Outcome;

/// Threads for the cases that mostly wait (timeouts, 429 bursts).
const SLOW_THREADS: usize = 12;

#[test]
fn fault_matrix() {
    let only = std::env::var("FAULT_MATRIX_ONLY").ok();
    let threads: usize = std::env::var("FAULT_MATRIX_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .filter(|t| *t > 0)
        .unwrap_or(4);
    let (slow, fast): (Vec<Case>, Vec<Case>) = Case::all()
        .into_iter()
        .filter(|c| c.selected(only.as_deref()))
        .partition(Case::is_slow);
    assert!(
        !(slow.is_empty() && fast.is_empty()),
        "FAULT_MATRIX_ONLY={only:?} selects no case"
    );
    let started = Instant::now();
    let outcomes = Mutex::new(Vec::new());
    // The timeout and 429 cases mostly wait: they get their own pool,
    // wide, beside the busy one.
    let pools = [(fast, threads), (slow, SLOW_THREADS)];
    std::thread::scope(|scope| {
        for (cases, width) in pools {
            let queue = Arc::new(Mutex::new(VecDeque::from(cases)));
            let width = width.min(queue.lock().expect("queue").len());
            for _ in 0..width {
                let (queue, outcomes) = (queue.clone(), &outcomes);
                scope.spawn(move || {
                    // The lock is let go before the case runs.
                    let next = || queue.lock().expect("queue").pop_front();
                    while let Some(case) = next() {
                        for outcome in runner::run(case) {
                            if std::env::var_os("FAULT_MATRIX_VERBOSE").is_some() {
                                eprintln!("{} ({:.1}s)", outcome.name, outcome.seconds);
                                for line in &outcome.transcript {
                                    eprintln!("    {line}");
                                }
                            }
                            outcomes.lock().expect("outcomes").push(outcome);
                        }
                    }
                });
            }
        }
    });
    let mut outcomes = outcomes.into_inner().expect("outcomes");
    outcomes.sort_by(|a, b| a.name.cmp(&b.name));
    let sum = |f: fn(&Outcome) -> usize| outcomes.iter().map(f).sum::<usize>();
    let line = format!(
        "fault matrix: {} cases, {} finished after resume, {} duplicate deploys, {} duplicate backups, {} duplicate restores, {} bad releases redeployed, {} panics, {} false statements",
        outcomes.len(),
        sum(|o| usize::from(o.resumed)),
        sum(|o| o.duplicate_deploys),
        sum(|o| o.duplicate_backups),
        sum(|o| o.duplicate_restores),
        sum(|o| o.bad_redeploys),
        sum(|o| o.panics),
        sum(|o| o.false_statements.len()),
    );
    // Written past the test harness's capture, so that every CI run shows
    // the figures, not only a failing one.
    shown(&line);
    let failing: Vec<&Outcome> = outcomes.iter().filter(|o| o.failed()).collect();
    for o in &failing {
        println!("FAILED {} ({:.1}s)", o.name, o.seconds);
        for wrong in o.false_statements.iter().chain(&o.problems) {
            println!("  - {wrong}");
        }
        for run in &o.transcript {
            println!("    {run}");
        }
    }
    shown(&format!(
        "fault matrix: {} of {} case(s) failed; {:.0}s with {threads} thread(s)",
        failing.len(),
        outcomes.len(),
        started.elapsed().as_secs_f64()
    ));
    assert!(
        failing.is_empty(),
        "{line}\n{} case(s) failed (listed above)",
        failing.len()
    );
}

/// Writes a line on the test process's stderr directly: libtest captures
/// `println!` and `eprintln!`, not writes to the stream itself.
pub(crate) fn shown(line: &str) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}
