//! Sandbox tests: fault injection through `/_sandbox/faults`, each kind
//! seen by a plain HTTP client: added latency, error statuses for the next
//! N calls, dropped connections, malformed bodies, bodies of the test's
//! choosing and bodies of 50 MB.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::admin::{add_app, admin};
use crate::harness::Env;

fn add_fault(env: &Env, rule: Value) -> Value {
    let reply = admin(env, "POST", "/_sandbox/faults", Some(rule));
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.json()["fault"].clone()
}

#[test]
fn latency_slows_every_matching_call() {
    let env = Env::default();
    add_app(&env, "shop-prod");
    let bearer = env.bearer();
    add_fault(
        &env,
        json!({ "method": "GET", "path": "/v1/apps/*/variables", "latency_ms": 300 }),
    );
    for _ in 0..2 {
        let started = Instant::now();
        let reply = env.get(&bearer, "/v1/apps/shop-prod/variables");
        assert_eq!(reply.status, 200);
        assert!(
            started.elapsed() >= Duration::from_millis(290),
            "took {:?}",
            started.elapsed()
        );
    }
    let listed = admin(&env, "GET", "/_sandbox/faults", None).json();
    assert_eq!(listed["faults"][0]["effect"], "latency");
    assert_eq!(listed["faults"][0]["latency_ms"], 300);
}

#[test]
fn an_error_status_answers_the_next_n_calls_then_stops() {
    let env = Env::default();
    add_app(&env, "shop-prod");
    let bearer = env.bearer();
    let rule = add_fault(
        &env,
        json!({ "method": "get", "path": "/v1/apps/*/variables", "status": 500, "times": 2 }),
    );
    assert_eq!(rule["remaining"], 2);
    for _ in 0..2 {
        let reply = env.get(&bearer, "/v1/apps/shop-prod/variables");
        assert_eq!(reply.status, 500);
        assert!(reply.json()["error"].is_string(), "{}", reply.text);
    }
    // Other methods and paths were never affected.
    let post = env.send(
        "POST",
        &bearer,
        "/v1/apps/shop-prod/variables",
        Some(json!({ "variable": { "name": "A", "value": "1" } })),
    );
    assert_eq!(post.status, 201, "{}", post.text);
    let healed = env.get(&bearer, "/v1/apps/shop-prod/variables");
    assert_eq!(healed.status, 200, "{}", healed.text);

    let listed = admin(&env, "GET", "/_sandbox/faults", None).json();
    assert_eq!(listed["faults"][0]["remaining"], 0);
    assert_eq!(listed["faults"][0]["method"], "GET");
}

#[test]
fn statuses_carry_the_bodies_the_platform_gives() {
    let env = Env::default();
    add_fault(
        &env,
        json!({ "path": "/v1/tokens/exchange", "status": 429 }),
    );
    add_fault(&env, json!({ "path": "/v1/regions", "status": 503 }));
    add_fault(&env, json!({ "path": "/api/databases/*", "status": 500 }));

    let limited = env.exchange(env.sandbox.api_token());
    assert_eq!(limited.status, 429);
    assert_eq!(limited.text, "Retry later");
    let bearer = env.bearer();

    let unavailable = env.get(&bearer, "/v1/regions");
    assert_eq!(unavailable.status, 503);
    assert!(unavailable.text.contains("503"), "{}", unavailable.text);
    assert!(serde_json::from_str::<Value>(&unavailable.text).is_err());

    // The database API is covered too, whoever serves it.
    let db = env.get("any-addon-token", "/api/databases/some-id");
    assert_eq!(db.status, 500);
    assert!(db.json()["error"].is_string());
}

#[test]
fn a_dropped_connection_is_a_transport_error() {
    let env = Env::default();
    let bearer = env.bearer();
    add_fault(
        &env,
        json!({ "path": "/v1/regions", "drop_connection": true }),
    );

    let result = env
        .agent
        .get(&env.url("/v1/regions"))
        .header("Authorization", &format!("Bearer {bearer}"))
        .call();
    let error = result.expect_err("the connection must drop before any response");
    assert!(
        matches!(
            error,
            ureq::Error::Io(_) | ureq::Error::ConnectionFailed | ureq::Error::Protocol(_)
        ),
        "a transport error, got {error:?}"
    );

    let next = env.get(&bearer, "/v1/regions");
    assert_eq!(next.status, 200, "only the next call drops");

    // The record says the call was closed without a response.
    let record = admin(&env, "GET", "/_sandbox/requests?since=1", None).json();
    assert_eq!(record["requests"][0]["path"], "/v1/regions");
    assert_eq!(record["requests"][0]["status"], 444);
    assert_eq!(record["requests"][1]["status"], 200);
}

#[test]
fn a_malformed_body_does_not_parse() {
    let env = Env::default();
    add_app(&env, "shop-prod");
    let bearer = env.bearer();
    add_fault(
        &env,
        json!({ "path": "/v1/apps/shop-prod/variables", "malformed_body": true }),
    );
    let reply = env.get(&bearer, "/v1/apps/shop-prod/variables");
    assert_eq!(reply.status, 200);
    assert!(
        serde_json::from_str::<Value>(&reply.text).is_err(),
        "{}",
        reply.text
    );
    let next = env.get(&bearer, "/v1/apps/shop-prod/variables");
    assert_eq!(next.json()["variables"], json!([]));
}

#[test]
fn a_body_of_the_tests_choosing_replaces_the_answer_for_n_calls() {
    let env = Env::default();
    add_app(&env, "shop-prod");
    let bearer = env.bearer();
    let rule = add_fault(
        &env,
        json!({ "method": "GET", "path": "/v1/apps/shop-prod/variables", "body": {"variables": "many"}, "times": 2 }),
    );
    assert_eq!(rule["effect"], "body");
    assert_eq!(rule["body"], json!({"variables": "many"}));
    for _ in 0..2 {
        let reply = env.get(&bearer, "/v1/apps/shop-prod/variables");
        assert_eq!(reply.status, 200);
        assert_eq!(reply.json(), json!({"variables": "many"}));
    }
    let next = env.get(&bearer, "/v1/apps/shop-prod/variables");
    assert_eq!(next.json()["variables"], json!([]));
}

#[test]
fn a_huge_body_is_well_formed_json_of_50_mb() {
    let env = Env::default();
    add_app(&env, "shop-prod");
    let bearer = env.bearer();
    add_fault(
        &env,
        json!({ "path": "/v1/apps/shop-prod/variables", "huge_body": true }),
    );
    let mut response = env
        .agent
        .get(&env.url("/v1/apps/shop-prod/variables"))
        .header("Authorization", &format!("Bearer {bearer}"))
        .call()
        .expect("the sandbox answers");
    assert_eq!(response.status().as_u16(), 200);
    let text = response
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_string()
        .expect("the body");
    assert_eq!(text.len(), 50 * 1024 * 1024);
    let parsed: Value = serde_json::from_str(&text).expect("JSON");
    assert!(parsed["padding"].is_string());
}

#[test]
fn rules_are_checked_listed_and_cleared() {
    let env = Env::default();
    let two_effects = admin(
        &env,
        "POST",
        "/_sandbox/faults",
        Some(json!({ "path": "/v1/regions", "status": 500, "drop_connection": true })),
    );
    assert_eq!(two_effects.status, 422, "{}", two_effects.text);
    let no_slash = admin(
        &env,
        "POST",
        "/_sandbox/faults",
        Some(json!({ "path": "v1/regions", "status": 500 })),
    );
    assert_eq!(no_slash.status, 422, "{}", no_slash.text);
    let not_an_error = admin(
        &env,
        "POST",
        "/_sandbox/faults",
        Some(json!({ "path": "/v1/regions", "status": 200 })),
    );
    assert_eq!(not_an_error.status, 422, "{}", not_an_error.text);

    let first = add_fault(
        &env,
        json!({ "path": "/v1/regions", "status": 500, "times": 3 }),
    );
    add_fault(&env, json!({ "path": "/v1/apps/*", "latency_ms": 10 }));
    let listed = admin(&env, "GET", "/_sandbox/faults", None).json();
    assert_eq!(listed["faults"].as_array().unwrap().len(), 2);

    let removed = admin(
        &env,
        "DELETE",
        &format!("/_sandbox/faults/{}", first["id"]),
        None,
    );
    assert_eq!(removed.status, 204);
    let bearer = env.bearer();
    assert_eq!(env.get(&bearer, "/v1/regions").status, 200);

    assert_eq!(admin(&env, "DELETE", "/_sandbox/faults", None).status, 204);
    let listed = admin(&env, "GET", "/_sandbox/faults", None).json();
    assert_eq!(listed["faults"], json!([]));
}
