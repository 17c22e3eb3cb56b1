//! Benchmark: wall time from start to "deploy accepted" for a rollback, on a
//! repository of 20,000 commits and 2,000 tags, against the sandbox with
//! 50 ms of latency added to every API request; next to the runbook's own
//! command sequence run as a script on the same repository (fetch, check
//! the tag, checkout, branch, push, then the manual deploy request), and
//! next to the round-trip floor: what no rollback can avoid (the token
//! exchange, the branch push, the deploy request), done one after the
//! other with nothing else; rewind's time is also given as a ratio of it.
//!
//! Run: `cargo bench -p rewind-core --bench rollback`
//! (`REWIND_BENCH_TRACE=1` prints, for each rewind run, every API request
//! and git command with when it ended and how long it took).
//!
//! Each approach runs 3 times on a fresh clone and a fresh sandbox (setup is
//! not timed); the median is printed. Nothing is asserted.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rewind_core::config::Config;
use rewind_core::git::GitCli;
use rewind_core::interrupt::Interrupt;
use rewind_core::journal::Journal;
use rewind_core::platform::scalingo::{RequestBudget, Scalingo, ScalingoSettings};
use rewind_core::rollback::{
    PrepareOptions, Progress, RunOptions, StepId, StepReport, Tools, prepare, run,
};
use rewind_sandbox::{AppSeed, Sandbox, SandboxConfig, ScmSeed};
use rewind_test_support::{GIT_ENV, git};
use serde_json::json;

const COMMITS: usize = 20_000;
const EVERY: usize = 10; // one tag every ten commits: 2,000 tags
const LATENCY_MS: u64 = 50;
const RUNS: usize = 3;

/// A fresh clone and a fresh sandbox running the newest release, its
/// predecessor deployed before it, and 50 ms on every API request.
fn setup(work: &Path, origin: &Path) -> (Sandbox, Vec<String>) {
    git(
        work.parent().expect("parent"),
        &[
            "clone",
            "--quiet",
            origin.to_str().expect("utf-8"),
            work.to_str().expect("utf-8"),
        ],
    );
    // The clone forgets its tags, as one cloned before the last releases
    // would not have them: both approaches must fetch them.
    let refs = git(
        work,
        &["for-each-ref", "--format=delete %(refname)", "refs/tags"],
    );
    let mut child = Command::new("git")
        .args(["update-ref", "--stdin"])
        .current_dir(work)
        .envs(GIT_ENV)
        .stdin(Stdio::piped())
        .spawn()
        .expect("update-ref");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(refs.as_bytes()).expect("write");
        stdin.write_all(b"\n").expect("write");
    }
    assert!(child.wait().expect("wait").success());
    let last = COMMITS / EVERY;
    let shas: Vec<String> = [last - 1, last]
        .iter()
        .map(|n| git(origin, &["rev-parse", &format!("v1.{n}.0^{{commit}}")]))
        .collect();
    let sandbox = Sandbox::start(SandboxConfig {
        apps: vec![AppSeed {
            name: "shop".into(),
            repo: Some(origin.display().to_string()),
            scm: Some(ScmSeed {
                branch: "main".into(),
                auto_deploy: false,
            }),
            addons: Vec::new(),
        }],
        rate_limit_per_minute: 0,
        deploy_duration: Duration::from_millis(500),
        ..SandboxConfig::default()
    })
    .expect("sandbox");
    admin(
        &sandbox,
        "/_sandbox/apps/shop/deployments/history",
        json!({"deployments": [
            {"git_ref": shas[0], "created_at": "2026-11-25T10:00:00Z"},
            {"git_ref": shas[1], "created_at": "2026-11-26T10:00:00Z"},
        ]}),
    );
    for path in [
        "/v1/*",
        "/v1/*/*",
        "/v1/*/*/*",
        "/v1/*/*/*/*",
        "/v1/*/*/*/*/*",
    ] {
        admin(
            &sandbox,
            "/_sandbox/faults",
            json!({"path": path, "latency_ms": LATENCY_MS}),
        );
    }
    (sandbox, shas)
}

/// Stops the clock when the deploy step ends, and the run right after.
struct UntilDeployAccepted {
    start: Instant,
    accepted: Option<Duration>,
    interrupt: Interrupt,
}

impl Progress for UntilDeployAccepted {
    fn step_started(&mut self, step: &rewind_core::rollback::PlannedStep) {
        if TRACE.get().is_some_and(|l| l.verbose) {
            println!(
                "  {:>5} ms step {} starts",
                self.start.elapsed().as_millis(),
                step.id
            );
        }
    }

    fn step_ended(&mut self, step: &rewind_core::rollback::PlannedStep, _report: &StepReport) {
        if step.id == StepId::Deploy && self.accepted.is_none() {
            self.accepted = Some(self.start.elapsed());
            self.interrupt.raise();
        }
    }
}

/// The core's `http` and `git` events: how long rewind's `git fetch` took
/// (always), and with `REWIND_BENCH_TRACE=1` every event printed with the
/// time since the run started, its thread and its fields (a request's
/// method and path come from its span).
#[path = "support/trace.rs"]
mod trace;
#[path = "support/world.rs"]
mod world;

use world::{admin, build_origin, floor_once, median};

static TRACE: std::sync::OnceLock<&'static trace::Lines> = std::sync::OnceLock::new();

/// Rewind's time to the deploy accepted, and the part of it spent in
/// `git fetch`.
fn rewind_once(work: &Path, sandbox: &Sandbox) -> (Duration, Duration) {
    let config = Config::parse(
        "[[apps]]\nname = \"shop\"\npackage = \"shop\"\n",
        work.join("rewind.toml"),
    )
    .expect("config");
    let app = &config.apps[0];
    let vars = sandbox.env_vars();
    let settings = ScalingoSettings {
        budget: RequestBudget::new(10_000, Duration::from_secs(60)),
        ..ScalingoSettings::new("sandbox-local")
    }
    .with_env(|n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| v.clone()));
    let platform = Scalingo::new(settings).expect("client");
    let git = GIT_ENV
        .iter()
        .fold(GitCli::new(work), |g, (k, v)| g.env(k, v));
    let journal_dir = tempfile::tempdir().expect("journal");
    let journal = Journal::open(journal_dir.path());
    let interrupt = Interrupt::new();
    let tools = Tools {
        platform: &platform,
        git: &git,
        journal: &journal,
        interrupt: &interrupt,
    };
    let start = Instant::now();
    let lines = TRACE.get().expect("the subscriber");
    *lines.start.lock().unwrap() = start;
    lines
        .fetch_ms
        .store(0, std::sync::atomic::Ordering::Relaxed);
    if lines.verbose {
        println!("rewind run:");
    }
    let plan = prepare(
        &tools,
        app,
        &PrepareOptions {
            to: None,
            method: Default::default(),
            force: false,
            force_bad: false,
            archive_template: None,
            webhook: false,
            database: Default::default(),
            backup_dir: None,
            restore_again: false,
            restore_ran: None,
        },
    )
    .expect("plan");
    if lines.verbose {
        println!("  {:>5} ms plan ready", start.elapsed().as_millis());
    }
    let mut progress = UntilDeployAccepted {
        start,
        accepted: None,
        interrupt: interrupt.clone(),
    };
    let options = RunOptions::new(app, "bench");
    let _ = run(&tools, &plan, &options, &mut progress);
    let fetch = lines.fetch_ms.load(std::sync::atomic::Ordering::Relaxed);
    (
        progress.accepted.expect("the deploy was accepted"),
        Duration::from_millis(fetch),
    )
}

fn runbook_once(work: &Path, sandbox: &Sandbox, tag: &str) -> Duration {
    let base = sandbox.base_url();
    let token = sandbox.api_token();
    let script = format!(
        r#"set -e
git fetch --all --prune --quiet
git tag | grep -q '^{tag}$'
git checkout --quiet {tag}
git checkout --quiet -b release/{tag}
git push --quiet origin release/{tag}
BEARER=$(curl -s -u ":{token}" -X POST "{base}/v1/tokens/exchange" | sed 's/.*"token":"\([^"]*\)".*/\1/')
curl -s -o /dev/null -f -H "Authorization: Bearer $BEARER" -H "Content-Type: application/json" \
  -X POST -d '{{"branch":"release/{tag}"}}' "{base}/v1/apps/shop/scm_repo_link/manual_deploy"
"#
    );
    let start = Instant::now();
    let out = Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(work)
        .envs(GIT_ENV)
        .output()
        .expect("bash");
    let elapsed = start.elapsed();
    assert!(
        out.status.success(),
        "runbook script: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    elapsed
}

fn main() {
    let verbose = std::env::var_os("REWIND_BENCH_TRACE").is_some();
    let lines: &'static trace::Lines = Box::leak(Box::new(trace::Lines::new(verbose)));
    TRACE.set(lines).ok();
    tracing::subscriber::set_global_default(lines).expect("one subscriber");
    let dir = tempfile::tempdir().expect("tempdir");
    let origin = dir.path().join("origin.git");
    std::fs::create_dir_all(&origin).expect("origin dir");
    let t = Instant::now();
    build_origin(&origin, COMMITS, EVERY);
    let tags = git(&origin, &["tag"]).lines().count();
    let commits = git(&origin, &["rev-list", "--count", "main"]);
    println!(
        "repository: {commits} commits, {tags} tags (built in {:.1}s)",
        t.elapsed().as_secs_f64()
    );
    println!("sandbox: {LATENCY_MS} ms added to every API request; median of {RUNS} runs\n");
    let target = format!("v1.{}.0", COMMITS / EVERY - 1);
    let mut rewind_times = Vec::new();
    let mut without_fetch = Vec::new();
    let mut runbook_times = Vec::new();
    let mut floor_times = Vec::new();
    for i in 0..RUNS {
        let work = dir.path().join(format!("rewind-{i}"));
        let (sandbox, _) = setup(&work, &origin);
        let (took, fetch) = rewind_once(&work, &sandbox);
        rewind_times.push(took);
        without_fetch.push(took.saturating_sub(fetch));
        let work = dir.path().join(format!("runbook-{i}"));
        let (sandbox, _) = setup(&work, &origin);
        runbook_times.push(runbook_once(&work, &sandbox, &target));
        // The floor pushes a tag the clone must have: it fetched them.
        let work = dir.path().join(format!("floor-{i}"));
        let (sandbox, _) = setup(&work, &origin);
        git(&work, &["fetch", "--quiet", "--tags", "origin"]);
        floor_times.push(floor_once(&work, &sandbox, "shop", &target));
    }
    let (rewind, floor) = (median(rewind_times), median(floor_times));
    let without_fetch = median(without_fetch);
    println!(
        "{:<52} {:>10}",
        "approach (start to deploy accepted)", "wall"
    );
    println!(
        "{:<52} {:>9.2}s",
        "rewind rollback (plan, tags, branch, push, hold, deploy)",
        rewind.as_secs_f64()
    );
    println!(
        "{:<52} {:>9.2}s",
        "  the same, less its git fetch (2,000 new tags)",
        without_fetch.as_secs_f64()
    );
    println!(
        "{:<52} {:>9.2}s",
        "runbook as a script (fetch, grep, checkout, push, curl)",
        median(runbook_times).as_secs_f64()
    );
    println!(
        "{:<52} {:>9.2}s",
        "round-trip floor (token exchange, push, deploy request)",
        floor.as_secs_f64()
    );
    println!(
        "\nrewind / floor: {:.1}x ({:.1}x less the fetch, which the floor does not make)",
        rewind.as_secs_f64() / floor.as_secs_f64(),
        without_fetch.as_secs_f64() / floor.as_secs_f64()
    );
}
