//! Benchmark: wall time from start to "deploy accepted" for a rollback, on a
//! repository of 20,000 commits and 2,000 tags, against the sandbox with
//! 50 ms of latency added to every API request; next to the runbook's own
//! command sequence run as a script on the same repository (fetch, check
//! the tag, checkout, branch, push, then the manual deploy request).
//!
//! Run: `cargo bench -p rewind-core --bench rollback`
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
use serde_json::{Value, json};

const COMMITS: usize = 20_000;
const EVERY: usize = 10; // one tag every ten commits: 2,000 tags
const LATENCY_MS: u64 = 50;
const RUNS: usize = 3;

/// The origin, written at once with `git fast-import`.
fn build_origin(origin: &Path) {
    git(
        origin.parent().expect("parent"),
        &[
            "init",
            "--quiet",
            "--bare",
            "--initial-branch=main",
            origin.to_str().expect("utf-8"),
        ],
    );
    let mut stream = String::with_capacity(COMMITS * 200);
    for i in 1..=COMMITS {
        let tagged = i % EVERY == 0;
        let version = format!("1.{}.0", i / EVERY);
        let content = if tagged {
            format!("{{\"name\":\"shop\",\"version\":\"{version}\"}}\n")
        } else {
            format!("{{\"name\":\"shop\",\"version\":\"{version}-dev.{i}\"}}\n")
        };
        let message = format!("commit {i}\n");
        stream.push_str(&format!(
            "commit refs/heads/main\nmark :{i}\ncommitter bench <bench@rewind.invalid> {} +0000\ndata {}\n{message}",
            1_700_000_000 + i * 60,
            message.len()
        ));
        if i > 1 {
            stream.push_str(&format!("from :{}\n", i - 1));
        }
        stream.push_str(&format!(
            "M 644 inline package.json\ndata {}\n{content}\n",
            content.len()
        ));
        if tagged {
            stream.push_str(&format!("reset refs/tags/v{version}\nfrom :{i}\n\n"));
        }
    }
    let mut child = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(origin)
        .envs(GIT_ENV)
        .stdin(Stdio::piped())
        .spawn()
        .expect("fast-import");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stream.as_bytes())
        .expect("write");
    assert!(child.wait().expect("wait").success());
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn admin(sandbox: &Sandbox, path: &str, body: Value) {
    let r = agent()
        .post(&format!("{}{path}", sandbox.base_url()))
        .send_json(body)
        .expect("admin");
    assert!(r.status().is_success(), "{path}: {}", r.status());
}

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
    fn step_ended(&mut self, step: &rewind_core::rollback::PlannedStep, _report: &StepReport) {
        if step.id == StepId::Deploy && self.accepted.is_none() {
            self.accepted = Some(self.start.elapsed());
            self.interrupt.raise();
        }
    }
}

fn rewind_once(work: &Path, sandbox: &Sandbox) -> Duration {
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
    let mut progress = UntilDeployAccepted {
        start,
        accepted: None,
        interrupt: interrupt.clone(),
    };
    let options = RunOptions::new(app, "bench");
    let _ = run(&tools, &plan, &options, &mut progress);
    progress.accepted.expect("the deploy was accepted")
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

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let origin = dir.path().join("origin.git");
    std::fs::create_dir_all(&origin).expect("origin dir");
    let t = Instant::now();
    build_origin(&origin);
    let tags = git(&origin, &["tag"]).lines().count();
    let commits = git(&origin, &["rev-list", "--count", "main"]);
    println!(
        "repository: {commits} commits, {tags} tags (built in {:.1}s)",
        t.elapsed().as_secs_f64()
    );
    println!("sandbox: {LATENCY_MS} ms added to every API request; median of {RUNS} runs\n");
    let target = format!("v1.{}.0", COMMITS / EVERY - 1);
    let mut rewind_times = Vec::new();
    let mut runbook_times = Vec::new();
    for i in 0..RUNS {
        let work = dir.path().join(format!("rewind-{i}"));
        let (sandbox, _) = setup(&work, &origin);
        rewind_times.push(rewind_once(&work, &sandbox));
        let work = dir.path().join(format!("runbook-{i}"));
        let (sandbox, _) = setup(&work, &origin);
        runbook_times.push(runbook_once(&work, &sandbox, &target));
    }
    println!(
        "{:<52} {:>10}",
        "approach (start to deploy accepted)", "wall"
    );
    println!(
        "{:<52} {:>9.2}s",
        "rewind rollback (plan, tags, branch, push, hold, deploy)",
        median(rewind_times).as_secs_f64()
    );
    println!(
        "{:<52} {:>9.2}s",
        "runbook as a script (fetch, grep, checkout, push, curl)",
        median(runbook_times).as_secs_f64()
    );
}
