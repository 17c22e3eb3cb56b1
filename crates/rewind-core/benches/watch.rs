//! Benchmark: how soon `rewind watch` notices a release whose rise of 5XX
//! answers only the router metrics show, at the default pace (a round
//! every 15 s, every `[apps.watch]` threshold at its default), and how
//! many API requests a minute it spends meanwhile.
//!
//! Run: `cargo bench -p rewind-core --bench watch` (about a minute a run,
//! in real time: the sandbox's minutes are real minutes).
//!
//! Each run starts a sandbox whose app "shop" ran a healthy v1.0.0, sends
//! it a request a second (60 a minute, as users would), deploys v1.1.0,
//! which answers 503 to everything, and runs the watch's own core on it
//! with the health check and crash events set aside (`health_failures =
//! 100`, `crash_events = false`): only the 5XX share can fire. It prints
//! the time from the deploy's end to the signal and the most API requests
//! the watch sent within any 60 s; nothing here is asserted (the arithmetic is unit-tested in
//! `watch::detect`).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rewind_core::config::WatchConfig;
use rewind_core::follow::FollowOptions;
use rewind_core::interrupt::Interrupt;
use rewind_core::platform::Platform;
use rewind_core::platform::scalingo::{RequestBudget, RetryPolicy, Scalingo, ScalingoSettings};
use rewind_core::watch::{self, DEFAULT_POLL, Target, WatchOptions, WatchOutcome};
use rewind_sandbox::{AppSeed, Sandbox, SandboxConfig, ScmSeed};
use rewind_test_support::git;
use serde_json::{Value, json};

const RUNS: usize = 3;

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn admin(sandbox: &Sandbox, path: &str, body: Option<Value>) -> Value {
    let url = format!("{}{path}", sandbox.base_url());
    let mut r = match body {
        Some(body) => agent().post(&url).send_json(body),
        None => agent().get(&url).call(),
    }
    .expect("admin");
    serde_json::from_str(&r.body_mut().read_to_string().unwrap_or_default()).unwrap_or(Value::Null)
}

/// v1.0.0 healthy, v1.1.0 answering 503; their commits.
fn repo(dir: &Path) -> Vec<String> {
    git(dir, &["init", "--quiet", "--initial-branch=main"]);
    let mut shas = Vec::new();
    for v in ["1.0.0", "1.1.0"] {
        std::fs::write(
            dir.join("package.json"),
            format!("{{\"name\":\"shop\",\"version\":\"{v}\"}}\n"),
        )
        .expect("write");
        if v == "1.1.0" {
            std::fs::create_dir_all(dir.join(".sandbox")).expect(".sandbox");
            std::fs::write(dir.join(".sandbox/health"), "503\n").expect("health");
        }
        git(dir, &["add", "."]);
        git(dir, &["commit", "--quiet", "-m", &format!("release {v}")]);
        shas.push(git(dir, &["rev-parse", "HEAD"]));
    }
    shas
}

fn client(sandbox: &Sandbox) -> Scalingo {
    let vars = sandbox.env_vars();
    let settings = ScalingoSettings {
        retry: RetryPolicy::none(),
        // Scalingo's own limit.
        budget: RequestBudget::new(60, Duration::from_secs(60)),
        ..ScalingoSettings::new("sandbox-local")
    }
    .with_env(|n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| v.clone()));
    Scalingo::new(settings).expect("client")
}

/// One run: seconds from the deploy's end to the signal, and the most API
/// requests the watch sent within any 60 s.
fn run() -> (f64, f64, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let shas = repo(dir.path());
    let sandbox = Sandbox::start(SandboxConfig {
        apps: vec![AppSeed {
            name: "shop".into(),
            repo: Some(dir.path().display().to_string()),
            scm: Some(ScmSeed {
                branch: "main".into(),
                auto_deploy: false,
            }),
            addons: Vec::new(),
        }],
        deploy_duration: Duration::from_secs(2),
        rate_limit_per_minute: 0,
        ..SandboxConfig::default()
    })
    .expect("sandbox");
    admin(
        &sandbox,
        "/_sandbox/apps/shop/deployments/history",
        Some(json!({"deployments": [{"git_ref": shas[0], "pusher": "alice"}]})),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let users = {
        let stop = stop.clone();
        let url = format!("{}/_apps/shop/", sandbox.base_url());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let _ = agent().get(&url).call();
                std::thread::sleep(Duration::from_secs(1));
            }
        })
    };
    let platform = client(&sandbox);
    platform
        .manual_deploy("shop", "main", None)
        .expect("v1.1.0 deploys");
    let mark = admin(&sandbox, "/_sandbox/requests", None)["next_index"].clone();
    let config = WatchConfig {
        health_failures: 100,
        crash_events: false,
        ..WatchConfig::default()
    };
    let health = format!("{}/_apps/shop/health", sandbox.base_url());
    let target = Target {
        app: "shop",
        health_url: Some(&health),
        expect_status: 200,
        config: &config,
    };
    let opts = WatchOptions {
        duration: Duration::from_secs(300),
        poll: DEFAULT_POLL,
        follow: FollowOptions::default(),
    };
    let started = Instant::now();
    let outcome =
        watch::watch(&platform, &target, &opts, &Interrupt::new(), &mut |_| {}).expect("the watch");
    let spent = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let _ = users.join();
    // The API requests of the watch, and the most within any 60 s.
    let times: Vec<chrono::DateTime<chrono::Utc>> =
        admin(&sandbox, &format!("/_sandbox/requests?since={mark}"), None)["requests"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter(|r| r["path"].as_str().unwrap_or("").starts_with("/v1/"))
            .filter_map(|r| r["at"].as_str().and_then(|t| t.parse().ok()))
            .collect();
    let per_minute = times
        .iter()
        .map(|start| {
            times
                .iter()
                .filter(|t| **t >= *start && **t < *start + chrono::TimeDelta::seconds(60))
                .count()
        })
        .max()
        .unwrap_or(0) as f64;
    let _ = spent;
    match outcome {
        WatchOutcome::Fired {
            watched,
            signal,
            at,
        } => (
            (at - watched.ended_at).num_milliseconds() as f64 / 1000.0,
            per_minute,
            signal.describe(),
        ),
        WatchOutcome::Quiet(_) => (f64::NAN, per_minute, "never fired".into()),
    }
}

fn main() {
    println!(
        "rewind watch, default pace (a round every {}s), a release answering 503 that only the router metrics show, 60 requests a minute of traffic:",
        DEFAULT_POLL.as_secs()
    );
    for i in 1..=RUNS {
        let (detection, per_minute, signal) = run();
        println!(
            "run {i}: detection: {detection:.1}s from the bad deploy's end to the incident; at most {per_minute:.0} API requests within any 60 s (the deploy's end followed, the baseline, the rounds); {signal}"
        );
    }
}
