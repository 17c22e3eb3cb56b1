//! The app's own URL answers according to the release running: 503 before
//! any deploy, 200 for a release without `.sandbox/health`, the status that
//! file holds once such a release runs (or only while a variable has a
//! value, for a feature flag), and 200 again after going back to the
//! previous release; a broken health file is a 500 that says why. A
//! release that crashes at boot (`crash`) answers 503, its container is
//! `crashed`, and the app's timeline records the crash, as Scalingo's.

use std::path::Path;

use crate::deployments::{NodeRepo, config, git, manual_deploy, wait_finished};
use crate::harness::{Env, Reply, read};

fn app_get(env: &Env, path: &str) -> Reply {
    read(env.agent.get(&env.url(path)).call())
}

/// Commits `.sandbox/health` holding `text` on a new branch of the clone
/// and pushes it.
pub fn branch_with_health(repo: &NodeRepo, branch: &str, text: &str) {
    let work: &Path = &repo.work;
    git(work, &["checkout", "--quiet", "-b", branch, "v1.1.0"]);
    std::fs::create_dir_all(work.join(".sandbox")).expect("mkdir");
    std::fs::write(work.join(".sandbox/health"), text).expect("write");
    git(work, &["add", ".sandbox/health"]);
    git(
        work,
        &["commit", "--quiet", "-m", &format!("release {branch}")],
    );
    git(work, &["checkout", "--quiet", "main"]);
    let origin = repo.origin.display().to_string();
    git(work, &["push", "--quiet", &origin, branch]);
}

pub fn deploy(env: &Env, bearer: &str, branch: &str) {
    let reply = manual_deploy(env, bearer, branch);
    assert_eq!(reply.status, 200, "{}", reply.text);
    let id = reply.json()["deployment"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let done = wait_finished(env, bearer, "shop", &id);
    assert_eq!(done["status"], "success", "{done}");
}

#[test]
fn the_app_answers_as_the_running_release_says() {
    let repo = NodeRepo::create();
    branch_with_health(&repo, "unhealthy", "503\n");
    branch_with_health(&repo, "broken-health", "fine\n");
    let env = Env::start(config(&repo, false));
    let bearer = env.bearer();

    let before = app_get(&env, "/_apps/shop/");
    assert_eq!(before.status, 503, "{}", before.text);
    assert!(before.text.contains("no release"), "{}", before.text);

    deploy(&env, &bearer, "v1.0.0");
    let up = app_get(&env, "/_apps/shop/health");
    assert_eq!(up.status, 200, "{}", up.text);
    assert_eq!(up.json()["release"], repo.sha("v1.0.0").as_str());

    deploy(&env, &bearer, "unhealthy");
    for path in [
        "/_apps/shop",
        "/_apps/shop/",
        "/_apps/shop/health",
        "/_apps/shop/a/b",
    ] {
        let failing = app_get(&env, path);
        assert_eq!(failing.status, 503, "{path}: {}", failing.text);
        assert_eq!(failing.json()["release"], repo.sha("unhealthy").as_str());
    }

    deploy(&env, &bearer, "v1.1.0");
    assert_eq!(app_get(&env, "/_apps/shop/health").status, 200);

    deploy(&env, &bearer, "broken-health");
    let broken = app_get(&env, "/_apps/shop/health");
    assert_eq!(broken.status, 500, "{}", broken.text);
    assert!(broken.text.contains(".sandbox/health"), "{}", broken.text);

    assert_eq!(app_get(&env, "/_apps/nope/health").status, 404);
}

#[test]
fn a_release_failing_only_with_its_feature_on_heals_when_the_flag_goes_off() {
    let repo = NodeRepo::create();
    branch_with_health(&repo, "flagged", "503 when FEATURE_X=true\n");
    let env = Env::start(config(&repo, false));
    let bearer = env.bearer();
    deploy(&env, &bearer, "flagged");
    assert_eq!(
        app_get(&env, "/_apps/shop/health").status,
        200,
        "flag unset"
    );
    let set = |value: &str| {
        let reply = env.send(
            "POST",
            &bearer,
            "/v1/apps/shop/variables",
            Some(serde_json::json!({ "variable": { "name": "FEATURE_X", "value": value } })),
        );
        assert!(reply.status < 300, "{}", reply.text);
    };
    set("true");
    assert_eq!(app_get(&env, "/_apps/shop/health").status, 503, "flag on");
    let id = env.get(&bearer, "/v1/apps/shop/variables").json()["variables"][0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let reply = env.send(
        "PATCH",
        &bearer,
        &format!("/v1/apps/shop/variables/{id}"),
        Some(serde_json::json!({ "variable": { "value": "false" } })),
    );
    assert!(reply.status < 300, "{}", reply.text);
    assert_eq!(app_get(&env, "/_apps/shop/health").status, 200, "flag off");
}

/// The app's `crash` events, oldest first, once there are `count` (the
/// sandbox records them right after the deployment or restart ends).
fn crash_events(env: &Env, bearer: &str, count: usize) -> Vec<serde_json::Value> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let events = env.get(bearer, "/v1/apps/shop/events?per_page=50").json()["events"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let crashes: Vec<serde_json::Value> = events
            .into_iter()
            .rev()
            .filter(|e| e["type"] == "crash")
            .collect();
        if crashes.len() >= count || std::time::Instant::now() > deadline {
            return crashes;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn a_release_that_crashes_at_boot_records_its_crash_and_its_container_is_crashed() {
    let repo = NodeRepo::create();
    branch_with_health(&repo, "crashing", "crash when FEATURE_X=true\n");
    let env = Env::start(config(&repo, false));
    let bearer = env.bearer();
    deploy(&env, &bearer, "v1.0.0");
    let reply = env.send(
        "POST",
        &bearer,
        "/v1/apps/shop/variables",
        Some(serde_json::json!({ "variable": { "name": "FEATURE_X", "value": "true" } })),
    );
    assert!(reply.status < 300, "{}", reply.text);
    assert!(
        crash_events(&env, &bearer, 0).is_empty(),
        "v1.0.0 runs fine"
    );

    deploy(&env, &bearer, "crashing");
    let crashes = crash_events(&env, &bearer, 1);
    assert_eq!(crashes.len(), 1, "{crashes:?}");
    let crash = &crashes[0];
    assert_eq!(crash["type_data"]["container_type"], "web", "{crash}");
    assert!(
        crash["type_data"]["crash_logs"]
            .as_str()
            .is_some_and(|l| l.contains("exited")),
        "{crash}"
    );
    assert!(crash["type_data"]["logs_url"].is_string(), "{crash}");
    // Dated from the deployment's end, as the timeline shows it.
    let deployments = env.get(&bearer, "/v1/apps/shop/deployments").json();
    assert_eq!(
        crash["created_at"].as_str().map(|t| t.get(..19)),
        deployments["deployments"][0]["finished_at"]
            .as_str()
            .map(|t| t.get(..19)),
        "{crash}\n{deployments}"
    );
    let answer = app_get(&env, "/_apps/shop/");
    assert_eq!(answer.status, 503, "{}", answer.text);
    assert!(answer.text.contains("crashed"), "{}", answer.text);
    let ps = env.get(&bearer, "/v1/apps/shop/ps").json();
    assert_eq!(ps["containers"][0]["state"], "crashed", "{ps}");

    // A restart crashes again: a second event; the feature off heals it
    // (no new crash once restarted).
    let restart = |env: &Env| {
        let reply = env.send("POST", &bearer, "/v1/apps/shop/restart", None);
        assert_eq!(reply.status, 202, "{}", reply.text);
    };
    restart(&env);
    assert_eq!(crash_events(&env, &bearer, 2).len(), 2);
    let id = env.get(&bearer, "/v1/apps/shop/variables").json()["variables"][0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let reply = env.send(
        "PATCH",
        &bearer,
        &format!("/v1/apps/shop/variables/{id}"),
        Some(serde_json::json!({ "variable": { "value": "false" } })),
    );
    assert!(reply.status < 300, "{}", reply.text);
    restart(&env);
    std::thread::sleep(std::time::Duration::from_millis(800));
    assert_eq!(crash_events(&env, &bearer, 3).len(), 2, "healed");
    assert_eq!(app_get(&env, "/_apps/shop/").status, 200);
    let ps = env.get(&bearer, "/v1/apps/shop/ps").json();
    assert_eq!(ps["containers"][0]["state"], "running", "{ps}");
}

#[test]
fn the_apps_url_points_at_it() {
    let repo = NodeRepo::create();
    let env = Env::start(config(&repo, false));
    let bearer = env.bearer();
    let app = env.get(&bearer, "/v1/apps/shop").json();
    let url = app["app"]["url"].as_str().expect("url").to_string();
    assert_eq!(url, env.url("/_apps/shop/"));
    deploy(&env, &bearer, "v1.0.0");
    let reply = read(env.agent.get(&format!("{url}health")).call());
    assert_eq!(reply.status, 200, "{}", reply.text);
}
