//! Sandbox tests: deployments. Listing and pagination over a long history,
//! manual deploys of branches and tags resolved in a real git repository,
//! build logs, failure outcomes, hanging deploys, archive deploys, and the
//! API's 404/422 answers. The helpers here (a Node-style repository with
//! tags, a sandbox linked to it) serve the `scm` and `stream` tests too.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rewind_sandbox::{AppSeed, SandboxConfig, ScmSeed, Variants};
use serde_json::{Value, json};

use rewind_test_support::{wait_for, wait_until};

use crate::harness::{Env, Reply, read};

pub const APP: &str = "shop";

/// Git run hermetically (rewind-test-support's: no user or system
/// configuration, a fixed identity and dates), trimmed stdout; the `scm`
/// and `stream` tests take it from here.
pub use rewind_test_support::git;

/// A Node-style app: a bare "origin" (the app's repository, as the sandbox
/// sees it) and a clone to commit in. `main` holds 1.0.0 (tag v1.0.0) then
/// 1.1.0 (tag v1.1.0); one branch per failure outcome, and `hang`.
pub struct NodeRepo {
    _dir: tempfile::TempDir,
    pub origin: PathBuf,
    pub work: PathBuf,
}

pub const OUTCOMES: &[&str] = &[
    "build-error",
    "hook-error",
    "crashed-error",
    "timeout-error",
];

impl NodeRepo {
    pub fn create() -> NodeRepo {
        let dir = tempfile::tempdir().expect("temp dir");
        let origin = dir.path().join("shop.git");
        let work = dir.path().join("work");
        git(
            dir.path(),
            &["init", "--quiet", "--bare", "-b", "main", "shop.git"],
        );
        git(dir.path(), &["init", "--quiet", "-b", "main", "work"]);
        let repo = NodeRepo {
            _dir: dir,
            origin,
            work,
        };
        repo.commit_version("1.0.0", None);
        git(&repo.work, &["tag", "v1.0.0"]);
        repo.commit_version("1.1.0", None);
        git(&repo.work, &["tag", "v1.1.0"]);
        for outcome in OUTCOMES.iter().chain(&["hang"]) {
            git(
                &repo.work,
                &[
                    "checkout",
                    "--quiet",
                    "-b",
                    &format!("fail/{outcome}"),
                    "v1.1.0",
                ],
            );
            repo.commit_version(&format!("1.2.0-{outcome}"), Some(outcome));
        }
        git(&repo.work, &["checkout", "--quiet", "main"]);
        let origin = repo.origin.display().to_string();
        git(&repo.work, &["push", "--quiet", &origin, "--all"]);
        git(&repo.work, &["push", "--quiet", &origin, "--tags"]);
        repo
    }

    /// Commits a `package.json` at `version` (and `.sandbox/outcome` when
    /// asked) on the current branch of the clone; returns the SHA.
    pub fn commit_version(&self, version: &str, outcome: Option<&str>) -> String {
        let package = json!({
            "name": "shop",
            "version": version,
            "scripts": { "prepare": "node scripts/prepare.js", "build": "tsc -p ." },
        });
        std::fs::write(self.work.join("package.json"), package.to_string()).expect("write");
        git(&self.work, &["add", "package.json"]);
        if let Some(outcome) = outcome {
            std::fs::create_dir_all(self.work.join(".sandbox")).expect("mkdir");
            std::fs::write(self.work.join(".sandbox/outcome"), format!("{outcome}\n"))
                .expect("write");
            git(&self.work, &["add", ".sandbox/outcome"]);
        }
        git(
            &self.work,
            &["commit", "--quiet", "-m", &format!("release {version}")],
        );
        git(&self.work, &["rev-parse", "HEAD"])
    }

    /// Pushes the clone's `main` to origin, as a developer's push does.
    pub fn push_main(&self) {
        let origin = self.origin.display().to_string();
        git(&self.work, &["push", "--quiet", &origin, "main"]);
    }

    /// The full SHA a revision names in origin.
    pub fn sha(&self, rev: &str) -> String {
        git(&self.origin, &["rev-parse", &format!("{rev}^{{commit}}")])
    }
}

/// A sandbox config with fast deploys, no rate limit, and the app `shop`
/// linked to `repo` (as a `file://` URL) on `main`.
pub fn config(repo: &NodeRepo, auto_deploy: bool) -> SandboxConfig {
    SandboxConfig {
        rate_limit_per_minute: 0,
        deploy_duration: Duration::from_millis(300),
        apps: vec![AppSeed {
            name: APP.to_string(),
            repo: Some(format!("file://{}", repo.origin.display())),
            scm: Some(ScmSeed {
                branch: "main".to_string(),
                auto_deploy,
            }),
            addons: Vec::new(),
        }],
        ..SandboxConfig::default()
    }
}

/// A config with one app and no repository.
pub fn bare_config(app: &str) -> SandboxConfig {
    SandboxConfig {
        rate_limit_per_minute: 0,
        deploy_duration: Duration::from_millis(300),
        apps: vec![AppSeed {
            name: app.to_string(),
            repo: None,
            scm: None,
            addons: Vec::new(),
        }],
        ..SandboxConfig::default()
    }
}

/// Calls a `/_sandbox/` admin route (no credentials).
pub fn admin(env: &Env, path: &str, body: Value) -> Reply {
    read(env.agent.post(&env.url(path)).send_json(body))
}

pub fn manual_deploy(env: &Env, bearer: &str, branch: &str) -> Reply {
    env.send(
        "POST",
        bearer,
        &format!("/v1/apps/{APP}/scm_repo_link/manual_deploy"),
        Some(json!({ "branch": branch })),
    )
}

/// Polls a deployment until it is no longer in progress; panics past the
/// deadline.
pub fn wait_finished(env: &Env, bearer: &str, app: &str, id: &str) -> Value {
    wait_for(
        Duration::from_secs(10),
        &format!("deployment {id} to end"),
        || {
            let reply = env.get(bearer, &format!("/v1/apps/{app}/deployments/{id}"));
            assert_eq!(reply.status, 200, "{}", reply.text);
            let deployment = reply.json()["deployment"].clone();
            let status = deployment["status"].as_str().unwrap_or("");
            (!["queued", "building", "pushing", "starting"].contains(&status)).then_some(deployment)
        },
    )
}

/// Waits until the deployment has reached its hang: from then on only the
/// `finish` route moves it, so a status read afterwards is its last.
fn wait_hanging(env: &Env, id: &str) {
    wait_until(
        Duration::from_secs(10),
        &format!("deployment {id} to hang"),
        || {
            let state = read(
                env.agent
                    .get(&env.url(&format!("/_sandbox/apps/{APP}/state")))
                    .call(),
            )
            .json();
            state["deployments"]
                .as_array()
                .expect("deployments")
                .iter()
                .any(|d| d["id"] == id && d["hanging"] == true)
        },
    );
}

/// The build log at the deployment's `links.output`.
pub fn output(env: &Env, bearer: &str, deployment: &Value) -> Reply {
    let url = deployment["links"]["output"]
        .as_str()
        .expect("links.output");
    read(
        env.agent
            .get(url)
            .header("Authorization", &format!("Bearer {bearer}"))
            .header("Accept", "text/plain")
            .call(),
    )
}

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/scalingo-examples")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("fixture");
    serde_json::from_str(&text).expect("fixture is JSON")
}

/// Every field of the documented example is present with the same JSON
/// type (null matches anything: the docs show nulls for unset values).
pub fn assert_same_shape(example: &Value, ours: &Value, at: &str) {
    let Some(fields) = example.as_object() else {
        return;
    };
    for (key, value) in fields {
        let mine = ours
            .get(key)
            .unwrap_or_else(|| panic!("{at}.{key} is missing from {ours}"));
        let same = match (value, mine) {
            (Value::Null, _) | (_, Value::Null) => true,
            (Value::Object(_), Value::Object(_)) => {
                assert_same_shape(value, mine, &format!("{at}.{key}"));
                true
            }
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        };
        assert!(same, "{at}.{key}: documented {value}, sandbox {mine}");
    }
}

#[test]
fn a_long_history_pages_newest_first_with_exact_meta() {
    let env = Env::start(bare_config("big"));
    let bearer = env.bearer();
    let history: Vec<Value> = (0..250)
        .map(|i| json!({ "git_ref": format!("v1.{i}.0"), "package": "big", "version": format!("1.{i}.0") }))
        .collect();
    let inserted = admin(
        &env,
        "/_sandbox/apps/big/deployments/history",
        json!({ "deployments": history }),
    );
    assert_eq!(inserted.status, 201, "{}", inserted.text);
    assert_eq!(
        inserted.json()["deployments"].as_array().map(Vec::len),
        Some(250)
    );

    let page = |query: &str| {
        let reply = env.get(&bearer, &format!("/v1/apps/big/deployments{query}"));
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json()
    };
    let meta = |v: &Value| v["meta"]["pagination"].clone();

    let first = page("");
    assert_eq!(
        meta(&first),
        json!({"current_page": 1, "prev_page": null, "next_page": 2, "total_pages": 9, "total_count": 250})
    );
    assert_eq!(first["deployments"].as_array().map(Vec::len), Some(30));
    assert_eq!(first["deployments"][0]["git_ref"], "v1.249.0");
    assert_eq!(first["deployments"][0]["previous_git_ref"], "v1.248.0");
    assert_eq!(first["deployments"][29]["git_ref"], "v1.220.0");

    let middle = page("?page=5&per_page=30");
    assert_eq!(
        meta(&middle),
        json!({"current_page": 5, "prev_page": 4, "next_page": 6, "total_pages": 9, "total_count": 250})
    );
    assert_eq!(middle["deployments"][0]["git_ref"], "v1.129.0");

    let last = page("?page=9");
    assert_eq!(
        meta(&last),
        json!({"current_page": 9, "prev_page": 8, "next_page": null, "total_pages": 9, "total_count": 250})
    );
    assert_eq!(last["deployments"].as_array().map(Vec::len), Some(10));
    assert_eq!(last["deployments"][9]["git_ref"], "v1.0.0");
    assert_eq!(last["deployments"][9]["previous_git_ref"], Value::Null);

    let hundred = page("?page=3&per_page=100");
    assert_eq!(meta(&hundred)["total_pages"], 3);
    assert_eq!(meta(&hundred)["next_page"], Value::Null);
    assert_eq!(hundred["deployments"].as_array().map(Vec::len), Some(50));

    let beyond = page("?page=12");
    assert_eq!(beyond["deployments"], json!([]));
    assert_eq!(meta(&beyond)["current_page"], 12);
    assert_eq!(meta(&beyond)["next_page"], Value::Null);
    assert_eq!(meta(&beyond)["total_count"], 250);

    let bad = env.get(&bearer, "/v1/apps/big/deployments?page=zero");
    assert_eq!(bad.status, 400, "{}", bad.text);

    // Each inserted deployment is finished, with a log naming its version.
    let one = &first["deployments"][3];
    assert_eq!(one["status"], "success");
    assert!(one["finished_at"].is_string());
    assert_eq!(one["duration"], 40);
    let log = output(&env, &bearer, one);
    assert_eq!(log.status, 200);
    assert!(log.text.contains("> big@1.246.0 prepare"), "{}", log.text);
    let app = env.get(&bearer, "/v1/apps/big").json();
    assert_eq!(app["app"]["status"], "running");
    assert_eq!(
        app["app"]["last_deployment_id"],
        first["deployments"][0]["id"]
    );
}

#[test]
fn history_takes_statuses_dates_and_commits_and_refuses_bad_entries() {
    let repo = NodeRepo::create();
    let env = Env::start(config(&repo, false));
    let bearer = env.bearer();
    let body = json!({ "deployments": [
        { "git_ref": "v1.1.0", "status": "crashed-error", "created_at": "2026-07-18T22:00:00.000+00:00" },
        { "git_ref": "v1.0.0", "created_at": "2026-07-18T21:00:00Z", "pusher": "alice" },
        { "git_ref": "release-7", "type": "archive", "created_at": "2026-07-18T23:00:00Z", "package": "shop", "version": "7.0.0", "status": "hook-error" },
    ]});
    let reply = admin(
        &env,
        &format!("/_sandbox/apps/{APP}/deployments/history"),
        body,
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    let list = env
        .get(&bearer, &format!("/v1/apps/{APP}/deployments"))
        .json();
    let refs: Vec<&str> = list["deployments"]
        .as_array()
        .expect("list")
        .iter()
        .map(|d| d["git_ref"].as_str().unwrap_or(""))
        .collect();
    let (v100, v110) = (repo.sha("v1.0.0"), repo.sha("v1.1.0"));
    assert_eq!(refs, vec!["release-7", v110.as_str(), v100.as_str()]);
    let crashed = &list["deployments"][1];
    assert_eq!(crashed["status"], "crashed-error");
    assert_eq!(crashed["previous_git_ref"], v100.as_str());
    assert!(
        output(&env, &bearer, crashed)
            .text
            .contains("> shop@1.1.0 prepare")
    );
    assert_eq!(list["deployments"][2]["pusher"]["username"], "alice");
    assert_eq!(list["deployments"][0]["type"], "archive");

    let bad = admin(
        &env,
        &format!("/_sandbox/apps/{APP}/deployments/history"),
        json!({ "deployments": [
            { "git_ref": "ok" },
            { "git_ref": "-rf", "status": "building", "created_at": "yesterday" },
        ]}),
    );
    assert_eq!(bad.status, 422, "{}", bad.text);
    let errors = &bad.json()["errors"];
    assert!(errors["deployments[1].git_ref"].is_array(), "{errors}");
    assert!(errors["deployments[1].status"].is_array(), "{errors}");
    assert!(errors["deployments[1].created_at"].is_array(), "{errors}");
    let missing = admin(
        &env,
        "/_sandbox/apps/nope/deployments/history",
        json!({ "deployments": [] }),
    );
    assert_eq!(missing.status, 404);
}

#[test]
fn manual_deploys_of_a_branch_and_a_tag_record_the_commit_and_succeed() {
    let repo = NodeRepo::create();
    let env = Env::start(config(&repo, false));
    let bearer = env.bearer();

    let reply = manual_deploy(&env, &bearer, "main");
    assert_eq!(reply.status, 200, "{}", reply.text);
    let started = reply.json()["deployment"].clone();
    assert_same_shape(
        &fixture("deployments-03.json")["deployment"],
        &started,
        "deployment",
    );
    assert_eq!(started["git_ref"], repo.sha("main"));
    assert_eq!(started["finished_at"], Value::Null);
    assert_eq!(started["type"], "deployment");
    assert_eq!(started["pusher"]["username"], "sandbox-user");
    let id = started["id"].as_str().expect("id").to_string();
    assert_eq!(
        started["links"]["output"],
        format!(
            "{}/v1/apps/{APP}/deployments/{id}/output",
            env.sandbox.base_url()
        )
    );

    let done = wait_finished(&env, &bearer, APP, &id);
    assert_eq!(done["status"], "success");
    assert!(done["finished_at"].is_string());
    assert!(done["image_size"].as_u64().unwrap_or(0) > 0);

    let tag = manual_deploy(&env, &bearer, "v1.0.0");
    assert_eq!(tag.status, 200, "{}", tag.text);
    let tag = tag.json()["deployment"].clone();
    assert_eq!(tag["git_ref"], repo.sha("v1.0.0"));
    assert_eq!(tag["previous_git_ref"], repo.sha("main"));
    let tag_id = tag["id"].as_str().expect("id").to_string();
    assert_eq!(
        wait_finished(&env, &bearer, APP, &tag_id)["status"],
        "success"
    );

    let log = output(&env, &bearer, &tag);
    assert_eq!(log.status, 200);
    assert!(
        log.header("content-type")
            .unwrap_or("")
            .starts_with("text/plain")
    );
    let lines: Vec<&str> = log.text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.trim() == "> shop@1.0.0 prepare")
        .unwrap_or_else(|| panic!("no prepare line in {}", log.text));
    assert!(
        at > 10 && at < lines.len() - 10,
        "version line at {at} of {}",
        lines.len()
    );
    assert!(lines.len() > 30, "{}", log.text);
    assert!(log.text.contains("-----> "), "{}", log.text);
    assert!(log.text.contains("\x1b["), "no ANSI colour in {}", log.text);
    assert!(!log.text.contains("shop@1.1.0"), "{}", log.text);

    let app = env.get(&bearer, &format!("/v1/apps/{APP}")).json()["app"].clone();
    assert_eq!(app["status"], "running");
    assert_eq!(app["last_deployment_id"], tag_id.as_str());

    let list = env
        .get(&bearer, &format!("/v1/apps/{APP}/deployments"))
        .json();
    assert_same_shape(&fixture("deployments-01.json"), &list, "list");
    assert_eq!(list["deployments"][0]["id"], tag_id.as_str());
    assert_eq!(list["deployments"][1]["id"], id.as_str());
}

#[test]
fn the_log_grows_while_the_deploy_runs() {
    let repo = NodeRepo::create();
    let mut config = config(&repo, false);
    config.deploy_duration = Duration::from_millis(600);
    let env = Env::start(config);
    let bearer = env.bearer();
    let started = manual_deploy(&env, &bearer, "main").json()["deployment"].clone();
    let id = started["id"].as_str().expect("id").to_string();
    let mut sizes = Vec::new();
    let mut statuses = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let d = env
            .get(&bearer, &format!("/v1/apps/{APP}/deployments/{id}"))
            .json()["deployment"]
            .clone();
        sizes.push(output(&env, &bearer, &d).text.len());
        let status = d["status"].as_str().unwrap_or("").to_string();
        if statuses.last() != Some(&status) {
            statuses.push(status.clone());
        }
        if status == "success" || Instant::now() > deadline {
            break;
        }
        // Samples of the log while it grows: the pause spaces them over
        // the deploy, whose steps come at their own pace.
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(statuses.last().map(String::as_str), Some("success"));
    assert!(statuses.contains(&"building".to_string()), "{statuses:?}");
    let distinct: std::collections::BTreeSet<_> = sizes.iter().collect();
    assert!(
        distinct.len() > 3,
        "the log did not grow step by step: {sizes:?}"
    );
    assert!(sizes.windows(2).all(|w| w[0] <= w[1]), "{sizes:?}");
}

#[test]
fn each_failure_outcome_ends_in_its_status_and_keeps_the_previous_release() {
    let repo = NodeRepo::create();
    let env = Env::start(config(&repo, false));
    let bearer = env.bearer();
    let good = manual_deploy(&env, &bearer, "v1.0.0").json()["deployment"].clone();
    let good_id = good["id"].as_str().expect("id").to_string();
    assert_eq!(
        wait_finished(&env, &bearer, APP, &good_id)["status"],
        "success"
    );

    // Started together: they run side by side.
    let started: Vec<(String, Value)> = OUTCOMES
        .iter()
        .map(|outcome| {
            let reply = manual_deploy(&env, &bearer, &format!("fail/{outcome}"));
            assert_eq!(reply.status, 200, "{}", reply.text);
            (outcome.to_string(), reply.json()["deployment"].clone())
        })
        .collect();
    for (outcome, deployment) in &started {
        let id = deployment["id"].as_str().expect("id");
        let done = wait_finished(&env, &bearer, APP, id);
        assert_eq!(done["status"], outcome.as_str(), "{done}");
        assert!(done["finished_at"].is_string());
        let log = output(&env, &bearer, &done).text;
        let (phase_seen, phase_not_seen) = match outcome.as_str() {
            "build-error" => ("Build failed", "shipping your container"),
            "hook-error" => ("postdeploy hook", "Waiting for your application to boot"),
            _ => ("Waiting for your application to boot", "Build failed"),
        };
        assert!(log.contains(phase_seen), "{outcome}: {log}");
        assert!(!log.contains(phase_not_seen), "{outcome}: {log}");
        assert!(!log.contains("sandbox.localhost -->"), "{outcome}: {log}");
    }

    let app = env.get(&bearer, &format!("/v1/apps/{APP}")).json()["app"].clone();
    assert_eq!(app["status"], "running");
    let list = env
        .get(&bearer, &format!("/v1/apps/{APP}/deployments"))
        .json();
    let newest_success = list["deployments"]
        .as_array()
        .expect("list")
        .iter()
        .find(|d| d["status"] == "success")
        .expect("a success");
    assert_eq!(newest_success["id"], good_id.as_str());
    assert_eq!(newest_success["git_ref"], repo.sha("v1.0.0"));
    for (_, deployment) in &started {
        assert_eq!(deployment["previous_git_ref"], repo.sha("v1.0.0"));
    }
}

#[test]
fn a_hanging_deploy_stays_building_until_finished_by_hand() {
    let repo = NodeRepo::create();
    let env = Env::start(config(&repo, false));
    let bearer = env.bearer();
    let hung = manual_deploy(&env, &bearer, "fail/hang").json()["deployment"].clone();
    let id = hung["id"].as_str().expect("id").to_string();
    let path = format!("/v1/apps/{APP}/deployments/{id}");
    // Once the deploy has reached its hang, nothing moves it but `finish`.
    wait_hanging(&env, &id);
    assert_eq!(
        env.get(&bearer, &path).json()["deployment"]["status"],
        "building"
    );

    let finish = |id: &str, status: &str| {
        admin(
            &env,
            &format!("/_sandbox/apps/{APP}/deployments/{id}/finish"),
            json!({ "status": status }),
        )
    };
    let bad = finish(&id, "building");
    assert_eq!(bad.status, 422, "{}", bad.text);
    let done = finish(&id, "success");
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(done.json()["deployment"]["status"], "success");
    assert!(done.json()["deployment"]["finished_at"].is_string());
    assert_eq!(
        env.get(&bearer, &path).json()["deployment"]["status"],
        "success"
    );
    let again = finish(&id, "success");
    assert_eq!(again.status, 409, "{}", again.text);
    assert_eq!(finish("nope", "success").status, 404);

    // hang-next: the next deploy, of a healthy branch, hangs too.
    let armed = admin(
        &env,
        &format!("/_sandbox/apps/{APP}/deployments/hang-next"),
        json!({}),
    );
    assert_eq!(armed.status, 200, "{}", armed.text);
    let next = manual_deploy(&env, &bearer, "main").json()["deployment"].clone();
    let next_id = next["id"].as_str().expect("id").to_string();
    wait_hanging(&env, &next_id);
    let still = env.get(&bearer, &format!("/v1/apps/{APP}/deployments/{next_id}"));
    assert_eq!(still.json()["deployment"]["status"], "building");
    let ended = finish(&next_id, "build-error");
    assert_eq!(ended.json()["deployment"]["status"], "build-error");
    // Only the next one: the one after runs normally.
    let after = manual_deploy(&env, &bearer, "main").json()["deployment"].clone();
    let after_id = after["id"].as_str().expect("id").to_string();
    assert_eq!(
        wait_finished(&env, &bearer, APP, &after_id)["status"],
        "success"
    );
}

/// Serves one file over HTTP on 127.0.0.1, for as many requests as come.
fn serve_file(bytes: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/gzip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                bytes.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&bytes);
        }
    });
    format!("http://127.0.0.1:{}/shop.tar.gz", addr.port())
}

fn archive_of(repo: &NodeRepo, rev: &str, dir: &Path) -> PathBuf {
    let name = rev.replace('/', "-");
    let path = dir.join(format!("shop-{name}.tar.gz"));
    let out = path.display().to_string();
    let prefix = format!("shop-{name}/");
    git(
        &repo.work,
        &[
            "archive",
            "--format=tar.gz",
            &format!("--prefix={prefix}"),
            "-o",
            &out,
            rev,
        ],
    );
    path
}

fn archive_deploy(env: &Env, bearer: &str, body: Value) -> Reply {
    env.send(
        "POST",
        bearer,
        &format!("/v1/apps/{APP}/deployments"),
        Some(body),
    )
}

#[test]
fn archive_deploys_from_a_file_or_loopback_url_answer_the_configured_status() {
    let repo = NodeRepo::create();
    let dir = tempfile::tempdir().expect("temp dir");
    let good = archive_of(&repo, "v1.1.0", dir.path());
    let failing = archive_of(&repo, "fail/crashed-error", dir.path());
    for status in [200u16, 201] {
        let mut config = config(&repo, false);
        config.variants = Variants {
            archive_deploy_status: status,
            ..Variants::default()
        };
        let env = Env::start(config);
        let bearer = env.bearer();
        let reply = archive_deploy(
            &env,
            &bearer,
            json!({ "deployment": { "git_ref": "v1.1.0", "source_url": format!("file://{}", good.display()) } }),
        );
        assert_eq!(reply.status, status, "{}", reply.text);
        let deployment = reply.json()["deployment"].clone();
        assert_same_shape(
            &fixture("deployments-04.json")["deployment"],
            &deployment,
            "deployment",
        );
        assert_eq!(deployment["git_ref"], "v1.1.0");
        assert_eq!(deployment["type"], "archive");
        let id = deployment["id"].as_str().expect("id").to_string();
        let done = wait_finished(&env, &bearer, APP, &id);
        assert_eq!(done["status"], "success");
        let log = output(&env, &bearer, &done).text;
        assert!(log.contains("> shop@1.1.0 prepare"), "{log}");
    }

    let env = Env::start(config(&repo, false));
    let bearer = env.bearer();
    let url = serve_file(std::fs::read(&failing).expect("archive"));
    let reply = archive_deploy(
        &env,
        &bearer,
        json!({ "deployment": { "git_ref": "broken-build", "source_url": url } }),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    let id = reply.json()["deployment"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let done = wait_finished(&env, &bearer, APP, &id);
    assert_eq!(done["status"], "crashed-error");
    assert!(
        output(&env, &bearer, &done)
            .text
            .contains("> shop@1.2.0-crashed-error prepare")
    );
}

#[test]
fn archive_deploys_refuse_bad_refs_missing_fields_and_other_hosts() {
    let repo = NodeRepo::create();
    let dir = tempfile::tempdir().expect("temp dir");
    let good = format!(
        "file://{}",
        archive_of(&repo, "v1.0.0", dir.path()).display()
    );
    let env = Env::start(config(&repo, false));
    let bearer = env.bearer();
    let errors = |body: Value| {
        let reply = archive_deploy(&env, &bearer, body);
        assert_eq!(reply.status, 422, "{}", reply.text);
        reply.json()["errors"].clone()
    };
    let e = errors(json!({ "deployment": { "git_ref": "-v1", "source_url": good } }));
    assert!(e["git_ref"][0].as_str().unwrap_or("").contains("-"), "{e}");
    let e = errors(json!({ "deployment": { "git_ref": "v1" } }));
    assert_eq!(e["source_url"], json!(["can't be blank"]));
    let e = errors(json!({ "deployment": {} }));
    assert!(e["git_ref"].is_array() && e["source_url"].is_array(), "{e}");
    let e = errors(json!({}));
    assert!(e["deployment"].is_array(), "{e}");
    let e = errors(
        json!({ "deployment": { "git_ref": "v1", "source_url": "https://github.com/a/b/archive/v1.tar.gz" } }),
    );
    assert!(
        e["source_url"][0]
            .as_str()
            .unwrap_or("")
            .contains("127.0.0.1"),
        "{e}"
    );
    let e = errors(
        json!({ "deployment": { "git_ref": "v1", "source_url": "http://example.com:80@127.0.0.1.evil/x.tar.gz" } }),
    );
    assert!(e["source_url"].is_array(), "{e}");
    let not_archive = dir.path().join("plain.txt");
    std::fs::write(&not_archive, "hello").expect("write");
    let e = errors(
        json!({ "deployment": { "git_ref": "v1", "source_url": format!("file://{}", not_archive.display()) } }),
    );
    assert!(
        e["source_url"][0].as_str().unwrap_or("").contains("tar.gz"),
        "{e}"
    );
    let e = errors(
        json!({ "deployment": { "git_ref": "v1", "source_url": format!("file://{}/missing.tar.gz", dir.path().display()) } }),
    );
    assert!(
        e["source_url"][0]
            .as_str()
            .unwrap_or("")
            .contains("cannot read"),
        "{e}"
    );
    let list = env
        .get(&bearer, &format!("/v1/apps/{APP}/deployments"))
        .json();
    assert_eq!(
        list["deployments"],
        json!([]),
        "a refused deploy must not be recorded"
    );
}

#[test]
fn manual_deploys_refuse_unknown_refs_and_unlinked_apps() {
    let repo = NodeRepo::create();
    let mut config = config(&repo, false);
    config.apps.push(AppSeed {
        name: "no-repo".to_string(),
        repo: None,
        scm: None,
        addons: Vec::new(),
    });
    let env = Env::start(config);
    let bearer = env.bearer();
    let unknown = manual_deploy(&env, &bearer, "release/v9");
    assert_eq!(unknown.status, 422, "{}", unknown.text);
    assert!(
        unknown.json()["errors"]["branch"][0]
            .as_str()
            .unwrap_or("")
            .contains("release/v9")
    );
    let dash = manual_deploy(&env, &bearer, "--upload-pack=evil");
    assert_eq!(dash.status, 422, "{}", dash.text);
    assert!(dash.json()["errors"]["branch"].is_array());
    let blank = env.send(
        "POST",
        &bearer,
        &format!("/v1/apps/{APP}/scm_repo_link/manual_deploy"),
        Some(json!({})),
    );
    assert_eq!(blank.status, 422);
    assert_eq!(blank.json()["errors"]["branch"], json!(["can't be blank"]));
    let unlinked = env.send(
        "POST",
        &bearer,
        "/v1/apps/no-repo/scm_repo_link/manual_deploy",
        Some(json!({ "branch": "main" })),
    );
    assert_eq!(unlinked.status, 422, "{}", unlinked.text);
    let message = unlinked.json()["errors"]["scm_repo_link"][0]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(
        message.contains("no SCM link") && message.contains("repository"),
        "{message}"
    );
    let gone = env.send(
        "POST",
        &bearer,
        "/v1/apps/ghost/scm_repo_link/manual_deploy",
        Some(json!({ "branch": "main" })),
    );
    assert_eq!(gone.status, 404);
    assert_eq!(
        gone.json(),
        json!({ "resource": "app", "error": "not found" })
    );
}

#[test]
fn unknown_apps_and_deployments_answer_404_and_logs_need_a_bearer() {
    let repo = NodeRepo::create();
    let env = Env::start(config(&repo, false));
    let bearer = env.bearer();
    let missing = env.get(&bearer, &format!("/v1/apps/{APP}/deployments/nope"));
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.json(),
        json!({ "resource": "deployment", "error": "not found" })
    );
    let log = env.get(&bearer, &format!("/v1/apps/{APP}/deployments/nope/output"));
    assert_eq!(log.status, 404);
    let app = env.get(&bearer, "/v1/apps/ghost/deployments");
    assert_eq!(app.status, 404);
    assert_eq!(
        app.json(),
        json!({ "resource": "app", "error": "not found" })
    );

    let started = manual_deploy(&env, &bearer, "main").json()["deployment"].clone();
    let url = started["links"]["output"]
        .as_str()
        .expect("output")
        .to_string();
    let anonymous = read(env.agent.get(&url).call());
    assert_eq!(anonymous.status, 401);
    let empty = env.get(
        &bearer,
        &format!("/v1/apps/{APP}/deployments?page=1&per_page=5"),
    );
    assert_eq!(empty.json()["meta"]["pagination"]["total_count"], 1);
}

#[test]
fn a_push_to_the_apps_git_url_deploys_the_pushed_commit() {
    let repo = NodeRepo::create();
    let remote;
    {
        let env = Env::start(config(&repo, false));
        let bearer = env.bearer();
        let app = env.get(&bearer, &format!("/v1/apps/{APP}")).json();
        let git_url = app["app"]["git_url"].as_str().expect("git_url").to_string();
        assert!(git_url.starts_with("file://"), "{git_url}");
        remote = PathBuf::from(git_url.trim_start_matches("file://"));

        let old = repo.sha("v1.0.0");
        git(
            &repo.work,
            &[
                "push",
                "--quiet",
                "--force",
                &git_url,
                &format!("{old}:refs/heads/master"),
            ],
        );
        crate::scm::tick(&env, 1);
        let list = env
            .get(&bearer, &format!("/v1/apps/{APP}/deployments"))
            .json();
        assert_eq!(list["deployments"].as_array().map(Vec::len), Some(1));
        let first = list["deployments"][0].clone();
        assert_eq!(first["git_ref"], old.as_str());
        assert_eq!(first["pusher"]["username"], "sandbox-user");
        let id = first["id"].as_str().expect("id");
        let done = wait_finished(&env, &bearer, APP, id);
        assert_eq!(done["status"], "success");
        assert!(
            output(&env, &bearer, &done)
                .text
                .contains("> shop@1.0.0 prepare")
        );

        // A push to another branch of the remote deploys nothing.
        git(
            &repo.work,
            &["push", "--quiet", &git_url, "v1.1.0:refs/heads/other"],
        );
        assert_eq!(crate::scm::tick(&env, 3), 0);
        let list = env
            .get(&bearer, &format!("/v1/apps/{APP}/deployments"))
            .json();
        assert_eq!(list["deployments"].as_array().map(Vec::len), Some(1));

        // `main` is the other branch Scalingo deploys: pushing to it the
        // commit `master` holds deploys it again; pushing it once more
        // moves nothing and deploys nothing.
        let to_main = format!("{old}:refs/heads/main");
        git(
            &repo.work,
            &["push", "--quiet", "--force", &git_url, &to_main],
        );
        crate::scm::tick(&env, 1);
        let list = env
            .get(&bearer, &format!("/v1/apps/{APP}/deployments"))
            .json();
        assert_eq!(list["deployments"].as_array().map(Vec::len), Some(2));
        let second = list["deployments"][0].clone();
        assert_eq!(second["git_ref"], old.as_str());
        wait_finished(&env, &bearer, APP, second["id"].as_str().expect("id"));
        git(
            &repo.work,
            &["push", "--quiet", "--force", &git_url, &to_main],
        );
        assert_eq!(crate::scm::tick(&env, 3), 0);
        let list = env
            .get(&bearer, &format!("/v1/apps/{APP}/deployments"))
            .json();
        assert_eq!(list["deployments"].as_array().map(Vec::len), Some(2));
    }
    // The remotes go away with the sandbox.
    assert!(!remote.exists(), "{} is left behind", remote.display());
}
