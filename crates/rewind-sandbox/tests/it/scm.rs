//! Sandbox tests: the SCM link (reading it, switching auto-deploy and the
//! branch) and auto-deploy, where a push to the linked branch of the app's
//! real repository starts a deployment by itself.
//!
//! The watcher is made to look with `/_sandbox/watcher/tick`, which
//! answers once the look is over: after a push and a tick, a deployment
//! that should start has started, and one that should not never will
//! from that push.

use std::path::Path;

use serde_json::{Value, json};

use crate::deployments::{
    APP, NodeRepo, admin, assert_same_shape, bare_config, config, wait_finished,
};
use crate::harness::Env;

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/scalingo-examples")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("JSON")
}

fn deployments(env: &Env, bearer: &str) -> Vec<Value> {
    let reply = env.get(bearer, &format!("/v1/apps/{APP}/deployments"));
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()["deployments"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Makes the watcher look `times` times, one after the other; returns
/// how many deployments those looks started.
pub fn tick(env: &Env, times: usize) -> u64 {
    (0..times)
        .map(|_| {
            let reply = admin(env, "/_sandbox/watcher/tick", json!({}));
            assert_eq!(reply.status, 200, "{}", reply.text);
            reply.json()["deployments_started"]
                .as_u64()
                .expect("deployments_started")
        })
        .sum()
}

fn events(env: &Env, bearer: &str) -> Vec<Value> {
    let reply = env.get(bearer, &format!("/v1/apps/{APP}/events"));
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()["events"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn patch_link(env: &Env, bearer: &str, fields: Value) -> crate::harness::Reply {
    env.send(
        "PATCH",
        bearer,
        &format!("/v1/apps/{APP}/scm_repo_link"),
        Some(json!({ "scm_repo_link": fields })),
    )
}

#[test]
fn the_link_reads_like_the_documentation_and_404s_without_one() {
    let repo = NodeRepo::create();
    let env = Env::start(config(&repo, true));
    let bearer = env.bearer();
    let reply = env.get(&bearer, &format!("/v1/apps/{APP}/scm_repo_link"));
    assert_eq!(reply.status, 200, "{}", reply.text);
    let link = reply.json()["scm_repo_link"].clone();
    assert_same_shape(
        &fixture("scm_repo_link-03.json")["scm_repo_link"],
        &link,
        "scm_repo_link",
    );
    assert_eq!(link["branch"], "main");
    assert_eq!(link["scm_type"], "github");
    assert_eq!(link["repo"], "shop");
    assert_eq!(link["auto_deploy_enabled"], true);
    assert_eq!(link["url"], format!("file://{}", repo.origin.display()));
    assert!(link["app_id"].is_string());

    let other = Env::start(bare_config("lonely"));
    let bearer = other.bearer();
    let missing = other.get(&bearer, "/v1/apps/lonely/scm_repo_link");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["resource"], "scm_repo_link");
    let ghost = other.get(&bearer, "/v1/apps/ghost/scm_repo_link");
    assert_eq!(
        ghost.json(),
        json!({ "resource": "app", "error": "not found" })
    );
}

#[test]
fn a_push_to_the_linked_branch_deploys_it_when_auto_deploy_is_on() {
    let repo = NodeRepo::create();
    let env = Env::start(config(&repo, true));
    let bearer = env.bearer();
    // Existing history is no push: nothing deploys by itself.
    assert_eq!(tick(&env, 3), 0);
    assert_eq!(deployments(&env, &bearer), Vec::<Value>::new());

    let sha = repo.commit_version("1.3.0", None);
    repo.push_main();
    tick(&env, 1);
    let found = deployments(&env, &bearer);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["git_ref"], sha.as_str());
    assert_eq!(found[0]["pusher"]["username"], "auto-deploy");
    let id = found[0]["id"].as_str().expect("id");
    let done = wait_finished(&env, &bearer, APP, id);
    assert_eq!(done["status"], "success");
    let link = env
        .get(&bearer, &format!("/v1/apps/{APP}/scm_repo_link"))
        .json();
    assert!(link["scm_repo_link"]["last_auto_deploy_at"].is_string());
    let event = events(&env, &bearer)
        .into_iter()
        .find(|e| e["type"] == "deployment")
        .expect("a deployment event");
    assert_eq!(event["type_data"]["deployment_id"], id);
    assert_eq!(event["type_data"]["git_ref"], sha.as_str());
    assert_eq!(event["type_data"]["status"], "success");

    // A push to another branch deploys nothing.
    crate::deployments::git(&repo.work, &["checkout", "--quiet", "-b", "feature"]);
    repo.commit_version("1.4.0-feature", None);
    let origin = repo.origin.display().to_string();
    crate::deployments::git(&repo.work, &["push", "--quiet", &origin, "feature"]);
    assert_eq!(tick(&env, 3), 0);
    assert_eq!(deployments(&env, &bearer).len(), 1);
}

#[test]
fn with_auto_deploy_off_a_push_deploys_nothing() {
    let repo = NodeRepo::create();
    let env = Env::start(config(&repo, true));
    let bearer = env.bearer();
    let reply = patch_link(&env, &bearer, json!({ "auto_deploy_enabled": false }));
    assert_eq!(reply.status, 200, "{}", reply.text);
    let link = reply.json()["scm_repo_link"].clone();
    assert_eq!(link["auto_deploy_enabled"], false);
    assert_eq!(link["branch"], "main");
    let shown = env
        .get(&bearer, &format!("/v1/apps/{APP}/scm_repo_link"))
        .json();
    assert_eq!(shown["scm_repo_link"]["auto_deploy_enabled"], false);
    let event = events(&env, &bearer)
        .into_iter()
        .find(|e| e["type"] == "update_scm")
        .expect("an update_scm event");
    assert_eq!(event["type_data"]["auto_deploy"], false);
    assert_eq!(event["type_data"]["branch"], "main");

    repo.commit_version("1.3.0", None);
    repo.push_main();
    assert_eq!(tick(&env, 3), 0);
    assert_eq!(deployments(&env, &bearer), Vec::<Value>::new());

    // Switching it back on does not deploy the push made while it was off;
    // the next push does.
    let on = patch_link(&env, &bearer, json!({ "auto_deploy_enabled": true }));
    assert_eq!(on.status, 200, "{}", on.text);
    assert_eq!(tick(&env, 3), 0);
    assert_eq!(deployments(&env, &bearer), Vec::<Value>::new());
    let sha = repo.commit_version("1.3.1", None);
    repo.push_main();
    tick(&env, 1);
    let found = deployments(&env, &bearer);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["git_ref"], sha.as_str());
}

#[test]
fn changing_the_branch_watches_the_new_one_and_bad_patches_are_refused() {
    let repo = NodeRepo::create();
    let env = Env::start(config(&repo, true));
    let bearer = env.bearer();
    let reply = patch_link(&env, &bearer, json!({ "branch": "release" }));
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["scm_repo_link"]["branch"], "release");

    // The new branch appears with a push: that push deploys. The watcher
    // first looks while the branch does not exist yet.
    crate::deployments::git(&repo.work, &["checkout", "--quiet", "-b", "release"]);
    assert_eq!(tick(&env, 1), 0);
    let sha = repo.commit_version("2.0.0", None);
    let origin = repo.origin.display().to_string();
    crate::deployments::git(&repo.work, &["push", "--quiet", &origin, "release"]);
    tick(&env, 1);
    let found = deployments(&env, &bearer);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["git_ref"], sha.as_str());

    let bad = patch_link(&env, &bearer, json!({ "auto_deploy_enabled": "yes" }));
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.json()["errors"]["auto_deploy_enabled"].is_array());
    let dash = patch_link(&env, &bearer, json!({ "branch": "-x" }));
    assert_eq!(dash.status, 422, "{}", dash.text);
    let unwrapped = env.send(
        "PATCH",
        &bearer,
        &format!("/v1/apps/{APP}/scm_repo_link"),
        Some(json!({ "auto_deploy_enabled": false })),
    );
    assert_eq!(unwrapped.status, 422, "{}", unwrapped.text);
    assert!(unwrapped.json()["errors"]["scm_repo_link"].is_array());
    let link = env
        .get(&bearer, &format!("/v1/apps/{APP}/scm_repo_link"))
        .json();
    assert_eq!(link["scm_repo_link"]["auto_deploy_enabled"], true);
}
