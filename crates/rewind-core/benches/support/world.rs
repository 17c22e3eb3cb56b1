//! What the rollback benchmarks share: the origin repository written at
//! once, the sandbox's admin routes, the round-trip floor (what a rollback
//! cannot avoid, done by hand) and the median of the runs.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rewind_sandbox::Sandbox;
use rewind_test_support::{GIT_ENV, git};
use serde_json::{Value, json};

/// The origin, written at once with `git fast-import`: `commits`
/// commits of one package, every `every`th one tagged as a release.
pub fn build_origin(origin: &Path, commits: usize, every: usize) {
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
    let mut stream = String::with_capacity(commits * 200);
    for i in 1..=commits {
        let tagged = i % every == 0;
        let version = format!("1.{}.0", i / every);
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

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

pub fn admin(sandbox: &Sandbox, path: &str, body: Value) {
    let r = agent()
        .post(&format!("{}{path}", sandbox.base_url()))
        .send_json(body)
        .expect("admin");
    assert!(r.status().is_success(), "{path}: {}", r.status());
}

/// The floor: a token exchange, the push of the target commit as the
/// release branch, and the manual deploy request, one after the other.
pub fn floor_once(work: &Path, sandbox: &Sandbox, app: &str, tag: &str) -> Duration {
    use base64::Engine as _;
    let base = sandbox.base_url();
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!(":{}", sandbox.api_token()));
    let start = Instant::now();
    let mut answer = agent()
        .post(&format!("{base}/v1/tokens/exchange"))
        .header("Authorization", &format!("Basic {basic}"))
        .send_empty()
        .expect("token exchange");
    assert!(
        answer.status().is_success(),
        "exchange: {}",
        answer.status()
    );
    let body: Value = answer.body_mut().read_json().expect("exchange answer");
    let bearer = body["token"].as_str().expect("a bearer token").to_string();
    let refspec = format!("{tag}^{{commit}}:refs/heads/release/{tag}");
    git(work, &["push", "--quiet", "origin", &refspec]);
    let answer = agent()
        .post(&format!("{base}/v1/apps/{app}/scm_repo_link/manual_deploy"))
        .header("Authorization", &format!("Bearer {bearer}"))
        .send_json(json!({"branch": format!("release/{tag}")}))
        .expect("deploy");
    let elapsed = start.elapsed();
    assert!(answer.status().is_success(), "deploy: {}", answer.status());
    elapsed
}

pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}
