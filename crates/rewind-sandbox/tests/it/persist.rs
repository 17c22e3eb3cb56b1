//! Sandbox tests: state persistence. A sandbox with a state file comes back
//! after a stop with its apps, variables, events and bearers, and work that
//! was in progress when it stopped is marked as interrupted. Also the
//! helpers other tests use to start from a saved state (an app that has
//! already deployed, for instance).

use std::path::Path;
use std::time::Duration;

use rewind_sandbox::{AppSeed, Sandbox, SandboxConfig};
use serde_json::{Value, json};

use crate::admin::{add_app, app_state};
use crate::harness::Env;

/// A configuration whose state lives in `dir/state.json`.
pub fn state_config(dir: &Path) -> SandboxConfig {
    SandboxConfig {
        state_file: Some(dir.join("state.json")),
        deploy_duration: Duration::from_millis(400),
        ..SandboxConfig::default()
    }
}

/// Saves a world holding `app`, then lets `edit` change the saved JSON
/// (the way a sandbox stopped mid-work would have left it).
pub fn save_app_then_edit(config: &SandboxConfig, app: &str, edit: impl FnOnce(&mut Value)) {
    let mut seeded = config.clone();
    seeded.apps.push(AppSeed {
        name: app.to_string(),
        repo: None,
        scm: None,
        addons: Vec::new(),
    });
    Sandbox::start(seeded).expect("sandbox starts").shutdown();
    let path = config.state_file.as_ref().expect("a state file");
    let mut state: Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).expect("saved JSON");
    edit(&mut state["apps"][app]);
    std::fs::write(path, serde_json::to_vec_pretty(&state).unwrap()).unwrap();
}

/// A deployment record as the sandbox saves it.
pub fn deployment(status: &str, finished: bool) -> Value {
    json!({
        "id": format!("dep-{status}"),
        "created_at": "2026-07-18T22:00:00Z",
        "finished_at": if finished { json!("2026-07-18T22:05:00Z") } else { Value::Null },
        "status": status,
        "git_ref": "0123456789abcdef0123456789abcdef01234567",
        "previous_git_ref": null,
        "kind": "deployment",
        "pusher": "sandbox-user",
        "log": "-----> Building\n",
    })
}

/// An app that has deployed successfully once, ready to be restarted.
pub fn deployed_app(dir: &Path, app: &str) -> SandboxConfig {
    let config = state_config(dir);
    save_app_then_edit(&config, app, |saved| {
        saved["deployments"] = json!([deployment("success", true)]);
        saved["status"] = json!("running");
    });
    config
}

#[test]
fn state_comes_back_after_a_stop() {
    let dir = tempfile::tempdir().unwrap();
    let config = state_config(dir.path());
    let bearer;
    {
        let env = Env::start(config.clone());
        add_app(&env, "shop-prod");
        bearer = env.bearer();
        let created = env.send(
            "POST",
            &bearer,
            "/v1/apps/shop-prod/variables",
            Some(json!({ "variable": { "name": "FEATURE_X", "value": "on" } })),
        );
        assert_eq!(created.status, 201, "{}", created.text);
        env.sandbox.shutdown();
    }
    let env = Env::start(config);
    // The bearer from the first run still works.
    let variables = env.get(&bearer, "/v1/apps/shop-prod/variables");
    assert_eq!(variables.status, 200, "{}", variables.text);
    assert_eq!(variables.json()["variables"][0]["name"], "FEATURE_X");
    let events = env.get(&bearer, "/v1/apps/shop-prod/events").json();
    assert_eq!(events["events"][0]["type"], "new_variable");
}

#[test]
fn work_in_progress_is_marked_interrupted_on_load() {
    let dir = tempfile::tempdir().unwrap();
    let config = state_config(dir.path());
    save_app_then_edit(&config, "shop-prod", |app| {
        app["deployments"] = json!([deployment("success", true), deployment("building", false)]);
        app["operations"] = json!([{
            "id": "op-1",
            "created_at": "2026-07-18T22:10:00Z",
            "finished_at": null,
            "status": "running",
            "kind": "restart",
            "error": null,
        }]);
        app["status"] = json!("restarting");
    });
    let env = Env::start(config);
    let state = app_state(&env, "shop-prod");
    assert_eq!(state["deployments"][0]["status"], "success");
    assert_eq!(
        state["deployments"][0]["finished_at"],
        "2026-07-18T22:05:00Z"
    );
    assert_eq!(state["deployments"][1]["status"], "aborted");
    assert!(
        state["deployments"][1]["finished_at"].is_string(),
        "{state}"
    );
    assert_eq!(state["operations"][0]["status"], "error");
    assert!(state["operations"][0]["error"].is_string(), "{state}");
    assert!(state["operations"][0]["finished_at"].is_string(), "{state}");
    assert_eq!(state["status"], "running");

    let bearer = env.bearer();
    let op = env.get(&bearer, "/v1/apps/shop-prod/operations/op-1");
    assert_eq!(op.json()["operation"]["status"], "error");
}

#[test]
fn a_restart_cut_short_by_a_stop_ends_in_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = deployed_app(dir.path(), "shop-prod");
    // Long enough that the restart is still going when the sandbox stops.
    config.deploy_duration = Duration::from_secs(8);
    let location;
    {
        let env = Env::start(config.clone());
        let bearer = env.bearer();
        let reply = env.send("POST", &bearer, "/v1/apps/shop-prod/restart", None);
        assert_eq!(reply.status, 202, "{}", reply.text);
        location = reply.header("Location").unwrap().to_string();
        env.sandbox.shutdown();
    }
    let env = Env::start(config);
    let bearer = env.bearer();
    let path = location
        .split_once("/v1/")
        .map(|(_, p)| format!("/v1/{p}"))
        .unwrap();
    let op = env.get(&bearer, &path).json();
    assert_eq!(op["operation"]["status"], "error", "{op}");
    assert_eq!(app_state(&env, "shop-prod")["status"], "running");
}

#[test]
fn seed_apps_added_later_join_a_saved_state() {
    let dir = tempfile::tempdir().unwrap();
    let config = state_config(dir.path());
    save_app_then_edit(&config, "shop-prod", |app| {
        app["variables"] = json!([{ "id": "v1", "name": "KEPT", "value": "yes" }]);
    });
    let mut more = config.clone();
    for name in ["shop-prod", "shop-staging"] {
        more.apps.push(AppSeed {
            name: name.to_string(),
            repo: None,
            scm: None,
            addons: Vec::new(),
        });
    }
    let env = Env::start(more);
    assert_eq!(app_state(&env, "shop-prod")["variables"][0]["name"], "KEPT");
    assert_eq!(app_state(&env, "shop-staging")["name"], "shop-staging");
}

#[test]
fn an_unreadable_state_file_is_a_clear_start_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = state_config(dir.path());
    std::fs::write(dir.path().join("state.json"), "{ not json").unwrap();
    let error = match Sandbox::start(config) {
        Ok(_) => panic!("a malformed state file must stop the start"),
        Err(e) => e.to_string(),
    };
    assert!(error.contains("state.json"), "{error}");
    assert!(error.contains("not a sandbox state"), "{error}");

    let missing_dir = SandboxConfig {
        state_file: Some(dir.path().join("no-such-dir").join("state.json")),
        ..SandboxConfig::default()
    };
    let error = match Sandbox::start(missing_dir) {
        Ok(_) => panic!("an unwritable state file must stop the start"),
        Err(e) => e.to_string(),
    };
    assert!(error.contains("no-such-dir"), "{error}");
}
