//! What rewind's test suites share, in one place: git run hermetically
//! (no configuration of the person running the tests, a fixed identity and
//! fixed dates), a rollback `Progress` that presses Ctrl-C when a chosen
//! step ends, a line written past the test harness's capture, and waiting
//! for a condition (never for a fixed time).
//!
//! A dev-dependency only. Anything a single test file needs stays in that
//! file; what lands here is what two suites or more used to copy.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

/// No git configuration, never a prompt, and a fixed identity: commits,
/// tags and pushes made by the tests and by rewind come out the same on
/// every machine.
pub const GIT_ENV: [(&str, &str); 8] = [
    ("GIT_CONFIG_GLOBAL", "/dev/null"),
    ("GIT_CONFIG_SYSTEM", "/dev/null"),
    ("GIT_CONFIG_NOSYSTEM", "1"),
    ("GIT_TERMINAL_PROMPT", "0"),
    ("GIT_AUTHOR_NAME", "Rewind Tests"),
    ("GIT_AUTHOR_EMAIL", "tests@rewind.invalid"),
    ("GIT_COMMITTER_NAME", "Rewind Tests"),
    ("GIT_COMMITTER_EMAIL", "tests@rewind.invalid"),
];

/// The first half of [`GIT_ENV`]: no configuration and never a prompt, but
/// no identity either, for the tests that check rewind brings its own.
pub const GIT_NO_CONFIG: [(&str, &str); 4] = [GIT_ENV[0], GIT_ENV[1], GIT_ENV[2], GIT_ENV[3]];

/// The date every test commit carries unless its test dates it otherwise.
pub const GIT_DATE: &str = "2024-03-01T12:00:00+00:00";

/// Fixed commit dates, so the tests' commits have the same SHAs each run.
pub const GIT_DATES: [(&str, &str); 2] = [
    ("GIT_AUTHOR_DATE", GIT_DATE),
    ("GIT_COMMITTER_DATE", GIT_DATE),
];

/// A `git` command in `dir` with [`GIT_ENV`] and [`GIT_DATES`]; later
/// `.env` calls override either (a `HOME`, a date of its own).
pub fn git_command(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command.current_dir(dir).envs(GIT_ENV).envs(GIT_DATES);
    command
}

/// Runs `command` (a [`git_command`]); panics with git's stderr when it
/// fails, returns its stdout as it is.
pub fn run_git(command: &mut Command) -> String {
    let out = command.output().expect("git runs");
    assert!(
        out.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("git's output is UTF-8")
}

/// Runs `git ARGS` in `dir` hermetically; panics with git's stderr when it
/// fails, returns its trimmed stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    run_git(git_command(dir).args(args)).trim().to_string()
}

/// Writes a line on the test process's stderr directly: libtest captures
/// `println!` and `eprintln!`, not writes to the stream itself. For the
/// figure lines every CI run shows.
pub fn shown(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// How often [`wait_for`] asks again. The one pause of the waits: short
/// enough that a condition met is seen at once, long enough not to take
/// a core from what is awaited on a two-core machine.
const ASK_EVERY: Duration = Duration::from_millis(10);

/// Asks `check` until it gives a value and returns it; panics saying
/// `what` was awaited when `within` passes first. `within` is a deadline
/// for a test that would otherwise hang, not a measure: set it well past
/// what a loaded machine needs.
pub fn wait_for<T>(within: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "gave up after {within:?} waiting for {what}"
        );
        std::thread::sleep(ASK_EVERY);
    }
}

/// [`wait_for`] a condition to hold.
pub fn wait_until(within: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    wait_for(within, what, || condition().then_some(()));
}

/// Waits until the system's clock has passed `t`, and returns the time
/// then: what happens afterwards is dated after `t`. For the clocks no
/// test can move: real PostgreSQL's and rewind's own (the sandbox's moves
/// with `POST /_sandbox/clock`).
pub fn wait_past(t: SystemTime) -> SystemTime {
    // A minute is far more than any test waits for: past it, the test
    // asked for a moment it meant to be soon and got it wrong.
    wait_for(
        Duration::from_secs(60),
        "the system's clock to move on",
        || Some(SystemTime::now()).filter(|now| *now > t),
    )
}

#[cfg(feature = "rollback")]
mod rollback {
    use rewind_core::interrupt::Interrupt;
    use rewind_core::rollback::{PlannedStep, Progress, StepId, StepReport};

    /// A rollback `Progress` that raises the interrupt when `after` ends,
    /// as Ctrl-C would: how the tests cut a rollback short at a known point
    /// and then resume it.
    pub struct InterruptAfter {
        pub after: StepId,
        pub interrupt: Interrupt,
    }

    impl Progress for InterruptAfter {
        fn step_ended(&mut self, step: &PlannedStep, _report: &StepReport) {
            if step.id == self.after {
                self.interrupt.raise();
            }
        }
    }
}

#[cfg(feature = "rollback")]
pub use rollback::InterruptAfter;
