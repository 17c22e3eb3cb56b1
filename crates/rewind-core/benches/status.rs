//! Benchmark: how much `rewind status` costs on a long history, next to the
//! naive approach (list every deployment, download every build log and grep
//! it for `name@version`), which is what the runbook does by hand.
//!
//! Run: `cargo bench -p rewind-core --bench status`
//!
//! It builds a repository of 50 tagged releases, a sandbox app with 500
//! deployments of them, and measures, for both approaches: requests sent,
//! bytes received (as the sandbox recorded them) and wall time (median of
//! 5 runs), without and with 50 ms of added latency per request. It prints
//! a table; nothing here is asserted.

use std::path::Path;
use std::time::{Duration, Instant};

use rewind_core::git::{Git, GitCli};
use rewind_core::identify::{Resolver, identify};
use rewind_core::platform::scalingo::{RequestBudget, RetryPolicy, Scalingo, ScalingoSettings};
use rewind_core::release::{TagFormat, find_version};
use rewind_sandbox::{AppSeed, Sandbox, SandboxConfig, ScmSeed};
use rewind_test_support::{GIT_NO_CONFIG, git};
use serde_json::{Value, json};

const RELEASES: usize = 50;
const DEPLOYMENTS: usize = 500;
const RUNS: usize = 5;

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn admin(sandbox: &Sandbox, method: &str, path: &str, body: Value) -> Value {
    let url = format!("{}{path}", sandbox.base_url());
    let a = agent();
    let mut r = match method {
        "POST" => a.post(&url).send_json(body),
        "DELETE" => a.delete(&url).call(),
        _ => a.get(&url).call(),
    }
    .expect("admin");
    serde_json::from_str(&r.body_mut().read_to_string().unwrap_or_default()).unwrap_or(Value::Null)
}

/// Requests and bytes the sandbox recorded since the last clear.
fn traffic(sandbox: &Sandbox) -> (usize, u64) {
    let v = admin(sandbox, "GET", "/_sandbox/requests", Value::Null);
    let list = v
        .get("requests")
        .and_then(Value::as_array)
        .cloned()
        .or_else(|| v.as_array().cloned())
        .unwrap_or_default();
    let bytes = list
        .iter()
        .filter_map(|r| r["response_bytes"].as_u64())
        .sum();
    (list.len(), bytes)
}

fn client(sandbox: &Sandbox) -> Scalingo {
    let vars = sandbox.env_vars();
    let settings = ScalingoSettings {
        retry: RetryPolicy::none(),
        budget: RequestBudget::new(100_000, Duration::from_secs(60)),
        ..ScalingoSettings::new("sandbox-local")
    }
    .with_env(|n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| v.clone()));
    Scalingo::new(settings).expect("client")
}

/// rewind's way: identify the current and last good releases.
fn rewind_way(sandbox: &Sandbox, repo: &Path) -> String {
    let platform = client(sandbox);
    let git = GIT_NO_CONFIG
        .iter()
        .fold(GitCli::new(repo), |cli, (key, value)| cli.env(key, value));
    let resolver = Resolver::new(
        &git,
        &platform,
        git.tag_index().expect("tags"),
        TagFormat::parse("v{version}").expect("format"),
        Some("shop".into()),
        None,
    );
    let s = identify(&platform, "shop", &resolver, 10, &|_| false).expect("identify");
    format!(
        "{} / {}",
        s.current.map(|c| c.release.label).unwrap_or_default(),
        s.last_good.map(|g| g.release.label).unwrap_or_default()
    )
}

/// The naive way: every page of deployments, every build log, grep.
fn naive_way(sandbox: &Sandbox) -> String {
    let a = agent();
    let base = sandbox.base_url();
    let mut r = a
        .post(&format!("{base}/v1/tokens/exchange"))
        .header(
            "Authorization",
            &format!("Basic {}", base64_token(sandbox.api_token())),
        )
        .send_json(json!({}))
        .expect("exchange");
    let bearer = r.body_mut().read_json::<Value>().expect("json")["token"]
        .as_str()
        .expect("token")
        .to_string();
    let auth = format!("Bearer {bearer}");
    let mut versions = Vec::new();
    let mut page = 1;
    loop {
        let mut r = a
            .get(&format!(
                "{base}/v1/apps/shop/deployments?page={page}&per_page=100"
            ))
            .header("Authorization", &auth)
            .call()
            .expect("list");
        let v: Value = r.body_mut().read_json().expect("json");
        for d in v["deployments"].as_array().cloned().unwrap_or_default() {
            let url = d["links"]["output"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let r = a
                .get(&url)
                .header("Authorization", &auth)
                .call()
                .expect("log");
            let version = find_version(r.into_body().into_reader(), "shop")
                .ok()
                .flatten();
            versions.push((d["status"].as_str().unwrap_or("").to_string(), version));
        }
        match v["meta"]["pagination"]["next_page"].as_u64() {
            Some(n) => page = n as u32,
            None => break,
        }
    }
    let mut successes = versions
        .iter()
        .filter(|(s, _)| s == "success")
        .map(|(_, v)| v);
    let current = successes.next().cloned().flatten();
    let good = successes.find(|v| **v != current).cloned().flatten();
    format!(
        "v{} / v{}",
        current.map(|v| v.to_string()).unwrap_or_default(),
        good.map(|v| v.to_string()).unwrap_or_default()
    )
}

fn base64_token(token: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!(":{token}"))
}

fn measure(sandbox: &Sandbox, name: &str, f: &dyn Fn() -> String) {
    let mut times = Vec::new();
    let mut result = String::new();
    let mut counted = (0, 0);
    for run in 0..RUNS {
        admin(sandbox, "DELETE", "/_sandbox/requests", Value::Null);
        let t = Instant::now();
        result = f();
        times.push(t.elapsed());
        if run == 0 {
            counted = traffic(sandbox);
        }
    }
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "{name:<32} {:>9} {:>12} {:>10.3}s   {result}",
        counted.0,
        counted.1,
        median.as_secs_f64()
    );
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path();
    git(repo, &["init", "--quiet", "--initial-branch=main"]);
    let mut shas = Vec::new();
    for i in 0..RELEASES {
        let v = format!("1.{i}.0");
        std::fs::write(
            repo.join("package.json"),
            format!("{{\"name\":\"shop\",\"version\":\"{v}\"}}\n"),
        )
        .expect("write");
        git(repo, &["add", "."]);
        git(repo, &["commit", "--quiet", "-m", &format!("release {v}")]);
        git(repo, &["tag", &format!("v{v}")]);
        shas.push(git(repo, &["rev-parse", "HEAD"]));
    }
    let sandbox = Sandbox::start(SandboxConfig {
        apps: vec![AppSeed {
            name: "shop".into(),
            repo: Some(repo.display().to_string()),
            scm: Some(ScmSeed {
                branch: "main".into(),
                auto_deploy: false,
            }),
            addons: Vec::new(),
        }],
        rate_limit_per_minute: 0,
        ..SandboxConfig::default()
    })
    .expect("sandbox");
    // Ten deployments per release, oldest first, one in ten failing.
    let per_release = DEPLOYMENTS / RELEASES;
    let entries: Vec<Value> = (0..DEPLOYMENTS)
        .map(|i| {
            let release = i / per_release;
            let minutes = i as i64 * 30;
            let at =
                chrono::DateTime::from_timestamp(1_760_000_000 + minutes * 60, 0).expect("time");
            json!({
                "git_ref": shas[release],
                "status": if i % 10 == 5 { "build-error" } else { "success" },
                "created_at": at.to_rfc3339(),
            })
        })
        .collect();
    for chunk in entries.chunks(100) {
        admin(
            &sandbox,
            "POST",
            "/_sandbox/apps/shop/deployments/history",
            json!({"deployments": chunk}),
        );
    }
    println!("history: {DEPLOYMENTS} deployments of {RELEASES} releases; median of {RUNS} runs\n");
    for latency in [0u64, 50] {
        admin(&sandbox, "DELETE", "/_sandbox/faults", Value::Null);
        if latency > 0 {
            for path in [
                "/v1/*",
                "/v1/*/*",
                "/v1/*/*/*",
                "/v1/*/*/*/*",
                "/v1/*/*/*/*/*",
                "/v1/*/*/*/*/*/*",
            ] {
                admin(
                    &sandbox,
                    "POST",
                    "/_sandbox/faults",
                    json!({"path": path, "latency_ms": latency}),
                );
            }
        }
        println!("added latency per request: {latency} ms");
        println!(
            "{:<32} {:>9} {:>12} {:>11}   current / last good",
            "approach", "requests", "bytes", "wall"
        );
        measure(&sandbox, "rewind (identify)", &|| {
            rewind_way(&sandbox, repo)
        });
        measure(&sandbox, "naive: every build log, grep", &|| {
            naive_way(&sandbox)
        });
        println!();
    }
}
