//! Sandbox tests: the platform surface. Environment variables and their
//! events, restart and its operation, the events list and its paging, the
//! per-token rate limit; answers are checked against the documentation's
//! example bodies.

use std::path::PathBuf;
use std::time::Duration;

use rewind_sandbox::{SandboxConfig, TokenSeed};
use serde_json::{Value, json};

use crate::admin::{add_app, admin, app_state};
use crate::harness::Env;
use crate::persist::deployed_app;

fn example(file: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/scalingo-examples")
        .join(file);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Every field of the documented example is present in the answer, with
/// the same JSON type (a null answer stands for "not yet", as the API's
/// `finished_at` does).
fn assert_same_shape(example: &Value, actual: &Value, at: &str) {
    match (example, actual) {
        (_, Value::Null) | (Value::Null, _) => {}
        (Value::Object(e), Value::Object(a)) => {
            for (key, value) in e {
                let Some(found) = a.get(key) else {
                    panic!("{at}.{key} is missing from {actual}");
                };
                assert_same_shape(value, found, &format!("{at}.{key}"));
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if let (Some(e), Some(a)) = (e.first(), a.first()) {
                assert_same_shape(e, a, &format!("{at}[0]"));
            }
        }
        (Value::Number(_), Value::Number(_))
        | (Value::String(_), Value::String(_))
        | (Value::Bool(_), Value::Bool(_)) => {}
        _ => panic!("{at}: {actual} is not shaped like {example}"),
    }
}

fn events(env: &Env, bearer: &str, app: &str) -> Vec<Value> {
    let reply = env.get(bearer, &format!("/v1/apps/{app}/events?per_page=100"));
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()["events"].as_array().unwrap().clone()
}

#[test]
fn variables_can_be_created_changed_and_deleted() {
    let env = Env::default();
    add_app(&env, "shop-prod");
    let bearer = env.bearer();
    let path = "/v1/apps/shop-prod/variables";

    let empty = env.get(&bearer, path);
    assert_eq!(empty.status, 200);
    assert_eq!(empty.json(), json!({ "variables": [] }));

    let created = env.send(
        "POST",
        &bearer,
        path,
        Some(json!({ "variable": { "name": "FEATURE_X", "value": "on" } })),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let variable = created.json();
    assert_same_shape(&example("environment-02.json"), &variable, "create");
    assert_eq!(variable["variable"]["name"], "FEATURE_X");
    assert_eq!(variable["variable"]["value"], "on");
    let id = variable["variable"]["id"].as_str().unwrap().to_string();

    let listed = env.get(&bearer, path).json();
    assert_same_shape(&example("environment-01.json"), &listed, "list");
    assert_eq!(listed["variables"][0]["id"], id.as_str());

    let changed = env.send(
        "PATCH",
        &bearer,
        &format!("{path}/{id}"),
        Some(json!({ "variable": { "value": "off" } })),
    );
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_same_shape(&example("environment-04.json"), &changed.json(), "patch");
    assert_eq!(changed.json()["variable"]["value"], "off");
    assert_eq!(changed.json()["variable"]["name"], "FEATURE_X");

    let deleted = env.send("DELETE", &bearer, &format!("{path}/{id}"), None);
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert!(deleted.text.is_empty());
    assert_eq!(env.get(&bearer, path).json()["variables"], json!([]));

    // Changing variables does not restart the app.
    assert_eq!(app_state(&env, "shop-prod")["status"], "new");
    assert_eq!(app_state(&env, "shop-prod")["operations"], json!([]));

    let timeline = events(&env, &bearer, "shop-prod");
    let kinds: Vec<&str> = timeline
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["delete_variable", "edit_variable", "new_variable"]);
    assert_eq!(
        timeline[2]["type_data"],
        json!({ "name": "FEATURE_X", "value": "on" })
    );
    assert_eq!(
        timeline[1]["type_data"],
        json!({ "name": "FEATURE_X", "old_value": "on", "value": "off" })
    );
    assert_eq!(
        timeline[0]["type_data"],
        json!({ "name": "FEATURE_X", "value": "off" })
    );
    assert_same_shape(&example("events-19.json"), &timeline[1], "edit event");
    assert_same_shape(&example("events-21.json"), &timeline[0], "delete event");
    assert_eq!(timeline[0]["user"]["username"], "sandbox-user");
}

#[test]
fn several_variables_are_set_at_once() {
    let env = Env::default();
    add_app(&env, "shop-prod");
    let bearer = env.bearer();
    let path = "/v1/apps/shop-prod/variables";
    let created = env.send(
        "POST",
        &bearer,
        path,
        Some(json!({ "variable": { "name": "RAILS_ENV", "value": "staging" } })),
    );
    assert_eq!(created.status, 201);

    let reply = env.send(
        "PUT",
        &bearer,
        path,
        Some(json!({ "variables": [
            { "name": "RAILS_ENV", "value": "production" },
            { "name": "RACK_ENV", "value": "production" },
        ] })),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_same_shape(&example("environment-03.json"), &reply.json(), "bulk");
    let listed = env.get(&bearer, path).json();
    let pairs: Vec<(&str, &str)> = listed["variables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["name"].as_str().unwrap(), v["value"].as_str().unwrap()))
        .collect();
    assert_eq!(
        pairs,
        [("RAILS_ENV", "production"), ("RACK_ENV", "production")]
    );

    let timeline = events(&env, &bearer, "shop-prod");
    assert_eq!(timeline[0]["type"], "edit_variables");
    assert_eq!(
        timeline[0]["type_data"],
        json!({
            "new_vars": [{ "name": "RACK_ENV", "value": "production" }],
            "updated_vars": [{ "name": "RAILS_ENV", "value": "production", "old_value": "staging" }],
        })
    );

    // One bad name refuses the whole request.
    let refused = env.send(
        "PUT",
        &bearer,
        path,
        Some(json!({ "variables": [
            { "name": "GOOD", "value": "1" },
            { "name": "BAD NAME", "value": "2" },
        ] })),
    );
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert_eq!(
        env.get(&bearer, path).json()["variables"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn bad_variables_and_unknown_ids_are_refused() {
    let env = Env::default();
    add_app(&env, "shop-prod");
    let bearer = env.bearer();
    let path = "/v1/apps/shop-prod/variables";
    let create = |name: &str| {
        env.send(
            "POST",
            &bearer,
            path,
            Some(json!({ "variable": { "name": name, "value": "v" } })),
        )
    };
    assert_eq!(create("DATABASE_URL").status, 201);
    for bad in ["", "1ST", "WITH SPACE", "DASH-ED", "DATABASE_URL"] {
        let reply = create(bad);
        assert_eq!(reply.status, 422, "{bad:?}: {}", reply.text);
        assert!(reply.json()["errors"]["name"].is_array(), "{}", reply.text);
    }
    let no_wrapper = env.send("POST", &bearer, path, Some(json!({ "name": "X" })));
    assert_eq!(no_wrapper.status, 400, "{}", no_wrapper.text);

    let missing = env.send(
        "PATCH",
        &bearer,
        &format!("{path}/no-such-id"),
        Some(json!({ "variable": { "value": "x" } })),
    );
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["resource"], "variable");
    assert_eq!(
        env.send("DELETE", &bearer, &format!("{path}/no-such-id"), None)
            .status,
        404
    );
    assert_eq!(env.get(&bearer, "/v1/apps/nope/variables").status, 404);
    assert_eq!(env.get("not-a-bearer", path).status, 401);
}

#[test]
fn restart_runs_an_operation_to_done() {
    let dir = tempfile::tempdir().unwrap();
    let env = Env::start(deployed_app(dir.path(), "shop-prod"));
    let bearer = env.bearer();

    let reply = env.send(
        "POST",
        &bearer,
        "/v1/apps/shop-prod/restart",
        Some(json!({ "scope": ["web"] })),
    );
    assert_eq!(reply.status, 202, "{}", reply.text);
    assert!(reply.text.is_empty(), "empty body: {}", reply.text);
    let location = reply
        .header("Location")
        .expect("a Location header")
        .to_string();
    let prefix = format!("{}/v1/apps/shop-prod/operations/", env.sandbox.base_url());
    assert!(location.starts_with(&prefix), "{location}");
    let path = &location[env.sandbox.base_url().len()..];

    let first = env.get(&bearer, path).json();
    assert!(
        ["pending", "running"].contains(&first["operation"]["status"].as_str().unwrap()),
        "{first}"
    );
    assert_eq!(first["operation"]["type"], "restart");
    assert!(first["operation"]["finished_at"].is_null());
    let app = env.get(&bearer, "/v1/apps/shop-prod").json();
    assert_eq!(app["app"]["status"], "restarting");

    let done = rewind_test_support::wait_for(Duration::from_secs(5), "the restart to end", || {
        let op = env.get(&bearer, path).json();
        (op["operation"]["status"] == "done").then_some(op)
    });
    assert_same_shape(&example("operations-01.json"), &done, "operation");
    assert!(done["operation"]["finished_at"].is_string());
    assert!(done["operation"]["error"].is_null());
    let app = env.get(&bearer, "/v1/apps/shop-prod").json();
    assert_eq!(app["app"]["status"], "running");

    let timeline = events(&env, &bearer, "shop-prod");
    assert_eq!(timeline[0]["type"], "restart");
    assert_eq!(timeline[0]["type_data"], json!({ "scope": ["web"] }));
    assert_same_shape(&example("events-05.json"), &timeline[0], "restart event");
}

#[test]
fn restart_without_scope_means_every_container() {
    let dir = tempfile::tempdir().unwrap();
    let env = Env::start(deployed_app(dir.path(), "shop-prod"));
    let bearer = env.bearer();
    let reply = env.send("POST", &bearer, "/v1/apps/shop-prod/restart", None);
    assert_eq!(reply.status, 202, "{}", reply.text);
    let reply = env.send(
        "POST",
        &bearer,
        "/v1/apps/shop-prod/restart",
        Some(json!({ "scope": [] })),
    );
    assert_eq!(reply.status, 202, "{}", reply.text);
    let timeline = events(&env, &bearer, "shop-prod");
    assert_eq!(timeline[0]["type_data"]["scope"], json!(["web"]));
    assert_eq!(timeline[1]["type_data"]["scope"], json!(["web"]));
}

#[test]
fn restart_needs_a_successful_deployment() {
    let env = Env::default();
    add_app(&env, "shop-prod");
    let bearer = env.bearer();
    let reply = env.send("POST", &bearer, "/v1/apps/shop-prod/restart", None);
    assert_eq!(reply.status, 422, "{}", reply.text);
    assert!(reply.json()["errors"]["app"].is_array(), "{}", reply.text);
    assert!(reply.header("Location").is_none());
    assert_eq!(app_state(&env, "shop-prod")["status"], "new");

    assert_eq!(
        env.send("POST", &bearer, "/v1/apps/nope/restart", None)
            .status,
        404
    );
    let op = env.get(&bearer, "/v1/apps/shop-prod/operations/no-such-op");
    assert_eq!(op.status, 404);
    assert_eq!(op.json()["resource"], "operation");
}

#[test]
fn events_are_paged_newest_first() {
    let env = Env::start(SandboxConfig {
        rate_limit_per_minute: 0,
        ..SandboxConfig::default()
    });
    add_app(&env, "shop-prod");
    for n in 0..120 {
        let reply = admin(
            &env,
            "POST",
            "/_sandbox/apps/shop-prod/events",
            Some(json!({ "type": "custom", "type_data": { "n": n } })),
        );
        assert_eq!(reply.status, 201, "{}", reply.text);
    }
    let bearer = env.bearer();
    let page = |query: &str| {
        let reply = env.get(&bearer, &format!("/v1/apps/shop-prod/events{query}"));
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json()
    };

    let first = page("?page=1&per_page=50");
    let items = first["events"].as_array().unwrap();
    assert_eq!(items.len(), 50);
    assert_eq!(items[0]["type_data"]["n"], 119);
    assert_eq!(items[49]["type_data"]["n"], 70);
    assert_eq!(
        first["meta"]["pagination"],
        json!({ "current_page": 1, "prev_page": null, "next_page": 2, "total_pages": 3, "total_count": 120 })
    );
    assert_same_shape(&example("events-01.json"), &items[0], "event");
    assert_same_shape(
        &example("deployments-01.json")["meta"],
        &first["meta"],
        "meta",
    );

    let last = page("?page=3&per_page=50");
    assert_eq!(last["events"].as_array().unwrap().len(), 20);
    assert_eq!(last["events"][19]["type_data"]["n"], 0);
    assert_eq!(
        last["meta"]["pagination"],
        json!({ "current_page": 3, "prev_page": 2, "next_page": null, "total_pages": 3, "total_count": 120 })
    );

    let default = page("");
    assert_eq!(default["events"].as_array().unwrap().len(), 30);
    assert_eq!(default["meta"]["pagination"]["total_pages"], 4);

    let beyond = page("?page=9&per_page=50");
    assert_eq!(beyond["events"], json!([]));
    assert_eq!(beyond["meta"]["pagination"]["next_page"], Value::Null);

    let bad = env.get(&bearer, "/v1/apps/shop-prod/events?page=0");
    assert_eq!(bad.status, 400, "{}", bad.text);
    let bad = env.get(&bearer, "/v1/apps/shop-prod/events?per_page=many");
    assert_eq!(bad.status, 400, "{}", bad.text);
}

#[test]
fn the_rate_limit_counts_per_api_token() {
    let env = Env::start(SandboxConfig {
        rate_limit_per_minute: 5,
        tokens: vec![
            TokenSeed::new("tk-us-alice", "alice"),
            TokenSeed::new("tk-us-bob", "bob"),
        ],
        ..SandboxConfig::default()
    });
    add_app(&env, "shop-prod");
    let alice = env.bearer();
    let path = "/v1/apps/shop-prod/variables";
    for n in 1..=5 {
        let reply = env.get(&alice, path);
        assert_eq!(reply.status, 200, "call {n}: {}", reply.text);
    }
    let limited = env.get(&alice, path);
    assert_eq!(limited.status, 429);
    assert_eq!(limited.text, "Retry later");

    // A fresh bearer for the same token shares its budget.
    let alice_again = env.exchange("tk-us-alice");
    assert_eq!(alice_again.status, 200, "the token exchange is not limited");
    let alice_again = alice_again.json()["token"].as_str().unwrap().to_string();
    assert_eq!(env.get(&alice_again, path).status, 429);

    // Another token has its own budget.
    let bob = env.exchange("tk-us-bob").json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(env.get(&bob, path).status, 200);

    // The admin surface is never limited.
    for _ in 0..10 {
        assert_eq!(admin(&env, "GET", "/_sandbox/requests", None).status, 200);
    }
    let limit = admin(&env, "GET", "/_sandbox/rate_limit", None).json();
    assert_eq!(limit["rate_limit"]["per_minute"], 5);

    assert_eq!(
        admin(&env, "POST", "/_sandbox/rate_limit/reset", None).status,
        204
    );
    assert_eq!(env.get(&alice, path).status, 200);

    let off = admin(
        &env,
        "PUT",
        "/_sandbox/rate_limit",
        Some(json!({ "per_minute": 0 })),
    );
    assert_eq!(off.status, 200, "{}", off.text);
    for _ in 0..10 {
        assert_eq!(env.get(&alice, path).status, 200);
    }
}
