//! Benchmark: several apps in one rollback. Wall time from start to every
//! deploy accepted for 1, 2 and 5 apps deployed from one repository,
//! against the sandbox with 50 ms of latency added to every API request
//! and its rate limiter on (60 requests per minute per token, as Scalingo);
//! every app's client draws on one request budget, as `rewind rollback
//! APP APP…` does (55 per minute, the file beside the journal).
//!
//! The repository is moderate (200 commits, 20 tags) so that the figures
//! measure the coordination of the apps, not the fetch of a big history
//! (the `rollback` bench measures that, on 20,000 commits).
//!
//! Printed: the median time of each size, the ratio 5 apps / 1 app, how
//! many requests the sandbox's rate limiter refused (read from its request
//! log: every 429), how many requests each app sent (the whole run's, read
//! from the log once it stopped: the follow's first reads, made between
//! the deploy accepted and the stop, are in it), and for one app the
//! round-trip floor (token exchange, branch push, deploy request, one
//! after the other) with rewind's ratio to it.
//!
//! Run: `cargo bench -p rewind-core --bench rollback_apps`
//! (`REWIND_BENCH_TRACE=1` prints every API request and git command of
//! each rewind run with when it ended).
//!
//! Each size runs 3 times, on a fresh clone and a fresh sandbox each time
//! (setup is not timed); the median is printed. Nothing is asserted.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use rewind_core::config::Config;
use rewind_core::git::GitCli;
use rewind_core::interrupt::Interrupt;
use rewind_core::journal::Journal;
use rewind_core::platform::scalingo::{RequestBudget, Scalingo, ScalingoSettings};
use rewind_core::rollback::{
    AppRun, FleetApp, FleetProgress, FleetTools, PlannedStep, PrepareOptions, RunOptions, StepId,
    StepReport, prepare_fleet, run_fleet,
};
use rewind_sandbox::{AppSeed, Sandbox, SandboxConfig, ScmSeed};
use rewind_test_support::{GIT_ENV, git};
use serde_json::{Value, json};

#[path = "support/trace.rs"]
mod trace;
#[path = "support/world.rs"]
mod world;

use world::{admin, agent, build_origin, floor_once, median};

const COMMITS: usize = 200;
const EVERY: usize = 10; // one tag every ten commits: 20 tags
const LATENCY_MS: u64 = 50;
const RUNS: usize = 3;
const SIZES: [usize; 3] = [1, 2, 5];

static TRACE: std::sync::OnceLock<&'static trace::Lines> = std::sync::OnceLock::new();

fn app_names(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("app-{i}")).collect()
}

/// A fresh clone (without its tags, as one cloned before the last
/// releases) and a fresh sandbox where every app runs the newest release,
/// its predecessor deployed before it, with 50 ms on every API request and
/// Scalingo's rate limit.
fn setup(work: &Path, origin: &Path, apps: &[String]) -> Sandbox {
    git(
        work.parent().expect("parent"),
        &[
            "clone",
            "--quiet",
            origin.to_str().expect("utf-8"),
            work.to_str().expect("utf-8"),
        ],
    );
    for tag in git(work, &["tag"]).lines() {
        git(work, &["tag", "-d", tag]);
    }
    let last = COMMITS / EVERY;
    let shas: Vec<String> = [last - 1, last]
        .iter()
        .map(|n| git(origin, &["rev-parse", &format!("v1.{n}.0^{{commit}}")]))
        .collect();
    let sandbox = Sandbox::start(SandboxConfig {
        apps: apps
            .iter()
            .map(|name| AppSeed {
                name: name.clone(),
                repo: Some(origin.display().to_string()),
                scm: Some(ScmSeed {
                    branch: "main".into(),
                    auto_deploy: false,
                }),
                addons: Vec::new(),
            })
            .collect(),
        rate_limit_per_minute: 60,
        deploy_duration: Duration::from_millis(500),
        ..SandboxConfig::default()
    })
    .expect("sandbox");
    for name in apps {
        admin(
            &sandbox,
            &format!("/_sandbox/apps/{name}/deployments/history"),
            json!({"deployments": [
                {"git_ref": shas[0], "created_at": "2026-11-25T10:00:00Z"},
                {"git_ref": shas[1], "created_at": "2026-11-26T10:00:00Z"},
            ]}),
        );
    }
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
    sandbox
}

/// Stops the clock when every app's deploy step has ended, and the run
/// right after.
struct UntilEveryDeployAccepted {
    start: Instant,
    apps: usize,
    accepted: usize,
    at: Option<Duration>,
    interrupt: Interrupt,
}

impl FleetProgress for UntilEveryDeployAccepted {
    fn step_started(&mut self, app: &str, step: &PlannedStep) {
        if TRACE.get().is_some_and(|l| l.verbose) {
            println!(
                "  {:>5} ms {app}: step {} starts",
                self.start.elapsed().as_millis(),
                step.id
            );
        }
    }

    fn step_ended(&mut self, _app: &str, step: &PlannedStep, _report: &StepReport) {
        if step.id == StepId::Deploy {
            self.accepted += 1;
            if self.accepted == self.apps && self.at.is_none() {
                self.at = Some(self.start.elapsed());
                self.interrupt.raise();
            }
        }
    }
}

/// What one run measured.
struct Measure {
    took: Duration,
    refused: usize,
    /// Requests whose path names each app.
    per_app: BTreeMap<String, usize>,
    /// Requests naming no app (token exchange, the user...).
    shared: usize,
}

fn rewind_once(work: &Path, sandbox: &Sandbox, apps: &[String]) -> Measure {
    let toml: String = apps
        .iter()
        .map(|a| format!("[[apps]]\nname = \"{a}\"\npackage = \"shop\"\n\n"))
        .collect();
    let config = Config::parse(&toml, work.join("rewind.toml")).expect("config");
    let journal_dir = tempfile::tempdir().expect("journal");
    let journal = Journal::open(journal_dir.path());
    // As `rewind rollback` makes them: one client per app, every one
    // drawing on Scalingo's budget kept beside the journal.
    let vars = sandbox.env_vars();
    let platforms: Vec<Scalingo> = config
        .apps
        .iter()
        .map(|_| {
            let settings = ScalingoSettings {
                budget: RequestBudget::scalingo_in(journal_dir.path()),
                ..ScalingoSettings::new("sandbox-local")
            }
            .with_env(|n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| v.clone()));
            Scalingo::new(settings).expect("client")
        })
        .collect();
    let git = GIT_ENV
        .iter()
        .fold(GitCli::new(work), |g, (k, v)| g.env(k, v));
    let interrupt = Interrupt::new();
    let tools = FleetTools {
        git: &git,
        journal: &journal,
        interrupt: &interrupt,
    };
    let fleet: Vec<FleetApp<'_>> = config
        .apps
        .iter()
        .zip(&platforms)
        .map(|(app, platform)| FleetApp {
            config: app,
            platform,
            to: None,
            why: "named on the command line".into(),
            webhook: false,
            backup_dir: None,
        })
        .collect();
    let runs: Vec<AppRun<'_>> = config
        .apps
        .iter()
        .zip(&platforms)
        .map(|(app, platform)| AppRun {
            platform,
            options: RunOptions::new(app, "bench"),
        })
        .collect();
    let lines = TRACE.get().expect("the subscriber");
    if lines.verbose {
        println!("rewind run, {} apps:", apps.len());
    }
    let start = Instant::now();
    *lines.start.lock().unwrap() = start;
    let plan = prepare_fleet(&tools, &fleet, &PrepareOptions::default()).expect("plan");
    if lines.verbose {
        println!("  {:>5} ms plan ready", start.elapsed().as_millis());
    }
    let mut progress = UntilEveryDeployAccepted {
        start,
        apps: apps.len(),
        accepted: 0,
        at: None,
        interrupt: interrupt.clone(),
    };
    let _ = run_fleet(&tools, &plan, &runs, &mut progress);
    let took = progress.at.expect("every deploy was accepted");
    let log: Value = agent()
        .get(&format!("{}/_sandbox/requests", sandbox.base_url()))
        .call()
        .expect("request log")
        .body_mut()
        .read_json()
        .expect("request log json");
    let mut measure = Measure {
        took,
        refused: 0,
        per_app: apps.iter().map(|a| (a.clone(), 0)).collect(),
        shared: 0,
    };
    for r in log["requests"].as_array().into_iter().flatten() {
        let path = r["path"].as_str().unwrap_or_default();
        if !path.starts_with("/v1/") && !path.starts_with("/api/") {
            continue; // git transport
        }
        if r["status"] == 429 {
            measure.refused += 1;
        }
        let app = path
            .split(['/', '?'])
            .skip_while(|s| *s != "apps")
            .nth(1)
            .filter(|a| measure.per_app.contains_key(*a));
        match app {
            Some(a) => *measure.per_app.get_mut(a).expect("an app") += 1,
            None => measure.shared += 1,
        }
    }
    measure
}

fn main() {
    let verbose = std::env::var_os("REWIND_BENCH_TRACE").is_some();
    let lines: &'static trace::Lines = Box::leak(Box::new(trace::Lines::new(verbose)));
    TRACE.set(lines).ok();
    tracing::subscriber::set_global_default(lines).expect("one subscriber");
    let dir = tempfile::tempdir().expect("tempdir");
    let origin = dir.path().join("origin.git");
    std::fs::create_dir_all(&origin).expect("origin dir");
    build_origin(&origin, COMMITS, EVERY);
    let tags = git(&origin, &["tag"]).lines().count();
    let commits = git(&origin, &["rev-list", "--count", "main"]);
    println!(
        "repository: {commits} commits, {tags} tags (moderate: the figures measure the apps' coordination)"
    );
    println!(
        "sandbox: {LATENCY_MS} ms added to every API request, rate limit 60/min per token; \
         one budget of {}/min shared by every app's client; median of {RUNS} runs\n",
        RequestBudget::SCALINGO_PER_MINUTE
    );
    let mut medians = BTreeMap::new();
    println!(
        "{:<6} {:>8} {:>9} {:>14}  requests per app (the follow's first reads included)",
        "apps", "wall", "refused", "requests"
    );
    for n in SIZES {
        let apps = app_names(n);
        let mut times = Vec::new();
        let mut refused = 0;
        let mut last = None;
        for i in 0..RUNS {
            let work = dir.path().join(format!("rewind-{n}-{i}"));
            let sandbox = setup(&work, &origin, &apps);
            let m = rewind_once(&work, &sandbox, &apps);
            times.push(m.took);
            refused += m.refused;
            last = Some(m);
        }
        let m = last.expect("a run");
        let total: usize = m.per_app.values().sum::<usize>() + m.shared;
        let each: Vec<String> = m.per_app.values().map(|c| c.to_string()).collect();
        let time = median(times);
        medians.insert(n, time);
        println!(
            "{n:<6} {:>7.2}s {refused:>9} {total:>14}  {} (+{} naming no app)",
            time.as_secs_f64(),
            each.join(", "),
            m.shared
        );
    }
    let mut floors = Vec::new();
    let target = format!("v1.{}.0", COMMITS / EVERY - 1);
    for i in 0..RUNS {
        let work = dir.path().join(format!("floor-{i}"));
        let sandbox = setup(&work, &origin, &app_names(1));
        git(&work, &["fetch", "--quiet", "--tags", "origin"]);
        floors.push(floor_once(&work, &sandbox, "app-1", &target));
    }
    let floor = median(floors);
    let (one, five) = (medians[&1], medians[&5]);
    println!(
        "\nround-trip floor, one app (token exchange, push, deploy request): {:.2}s; rewind / floor: {:.1}x",
        floor.as_secs_f64(),
        one.as_secs_f64() / floor.as_secs_f64()
    );
    println!(
        "5 apps / 1 app: {:.2}x (target: at most 1.2x); refused counts every run of every size",
        five.as_secs_f64() / one.as_secs_f64()
    );
}
