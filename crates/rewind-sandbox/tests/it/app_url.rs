//! The app's own URL answers according to the release running: 503 before
//! any deploy, 200 for a release without `.sandbox/health`, the status that
//! file holds once such a release runs (or only while a variable has a
//! value, for a feature flag), and 200 again after going back to the
//! previous release; a broken health file is a 500 that says why.

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
