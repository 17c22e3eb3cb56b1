//! Sandbox tests: the `/_sandbox/` admin surface (adding apps, reading what
//! the sandbox received, an app's whole state), and the small admin helpers
//! the platform, faults and persistence tests share.

use serde_json::{Value, json};

use crate::harness::{Env, Reply, read};

/// Calls an admin route: no credentials, as the admin surface needs none.
pub fn admin(env: &Env, method: &str, path: &str, body: Option<Value>) -> Reply {
    let url = env.url(path);
    let response = match (method, body) {
        ("GET", _) => env.agent.get(&url).call(),
        ("DELETE", _) => env.agent.delete(&url).call(),
        ("POST", Some(b)) => env.agent.post(&url).send_json(b),
        ("POST", None) => env.agent.post(&url).send_empty(),
        ("PUT", Some(b)) => env.agent.put(&url).send_json(b),
        (m, _) => panic!("unsupported admin call {m}"),
    };
    read(response)
}

/// Adds an app through the admin route, and checks it was added.
pub fn add_app(env: &Env, name: &str) {
    let reply = admin(env, "POST", "/_sandbox/apps", Some(json!({ "name": name })));
    assert_eq!(reply.status, 201, "{}", reply.text);
}

/// The app's whole state, as the sandbox holds it.
pub fn app_state(env: &Env, name: &str) -> Value {
    let reply = admin(env, "GET", &format!("/_sandbox/apps/{name}/state"), None);
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()
}

#[test]
fn an_added_app_is_served_by_the_api() {
    let env = Env::default();
    let reply = admin(
        &env,
        "POST",
        "/_sandbox/apps",
        Some(json!({
            "name": "shop-prod",
            "repo": "/tmp/does-not-matter.git",
            "scm": { "branch": "release", "auto_deploy": true },
            "addons": [{ "provider": "scalingo-postgresql", "plan": "postgresql-starter-512" }],
        })),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.json()["app"]["name"], "shop-prod");

    let bearer = env.bearer();
    let app = env.get(&bearer, "/v1/apps/shop-prod");
    assert_eq!(app.status, 200, "{}", app.text);
    assert_eq!(app.json()["app"]["status"], "new");

    let state = app_state(&env, "shop-prod");
    assert_eq!(state["repo"], "/tmp/does-not-matter.git");
    assert_eq!(state["scm"]["branch"], "release");
    assert_eq!(state["scm"]["auto_deploy_enabled"], true);
    assert_eq!(state["addons"][0]["provider"], "scalingo-postgresql");
}

#[test]
fn duplicate_bad_or_malformed_apps_are_refused() {
    let env = Env::default();
    add_app(&env, "shop-prod");
    let again = admin(
        &env,
        "POST",
        "/_sandbox/apps",
        Some(json!({ "name": "shop-prod" })),
    );
    assert_eq!(again.status, 409, "{}", again.text);
    assert!(
        again.json()["error"]
            .as_str()
            .unwrap()
            .contains("shop-prod")
    );

    for name in ["", "Shop", "shop_prod", "-shop", "shop-", "9shop"] {
        let reply = admin(
            &env,
            "POST",
            "/_sandbox/apps",
            Some(json!({ "name": name })),
        );
        assert_eq!(reply.status, 422, "name {name:?}: {}", reply.text);
        assert!(reply.json()["errors"]["name"].is_array(), "{}", reply.text);
    }

    let unknown_field = admin(
        &env,
        "POST",
        "/_sandbox/apps",
        Some(json!({ "name": "shop-two", "colour": "blue" })),
    );
    assert_eq!(unknown_field.status, 400, "{}", unknown_field.text);
    assert!(
        unknown_field.json()["error"]
            .as_str()
            .unwrap()
            .contains("colour")
    );
}

#[test]
fn requests_are_recorded_and_read_from_an_index() {
    let env = Env::default();
    add_app(&env, "shop-prod");
    let bearer = env.bearer();
    let created = env.send(
        "POST",
        &bearer,
        "/v1/apps/shop-prod/variables",
        Some(json!({ "variable": { "name": "A", "value": "1" } })),
    );
    assert_eq!(created.status, 201);
    let missing = env.get(&bearer, "/v1/apps/nope/variables?page=2");
    assert_eq!(missing.status, 404);

    let all = admin(&env, "GET", "/_sandbox/requests", None).json();
    let list = all["requests"].as_array().unwrap();
    // The admin calls are not recorded: exchange, POST, GET.
    let seen: Vec<(String, String, u64)> = list
        .iter()
        .map(|r| {
            (
                r["method"].as_str().unwrap().to_string(),
                r["path"].as_str().unwrap().to_string(),
                r["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            ("POST".into(), "/v1/tokens/exchange".into(), 200),
            ("POST".into(), "/v1/apps/shop-prod/variables".into(), 201),
            ("GET".into(), "/v1/apps/nope/variables?page=2".into(), 404),
        ]
    );
    assert_eq!(list[1]["body"]["variable"]["name"], "A");
    let next = all["next_index"].as_u64().unwrap();
    assert_eq!(next, 3);

    let regions = env.get(&bearer, "/v1/regions");
    assert_eq!(regions.status, 200);
    let since = admin(
        &env,
        "GET",
        &format!("/_sandbox/requests?since={next}"),
        None,
    )
    .json();
    let new = since["requests"].as_array().unwrap();
    assert_eq!(new.len(), 1, "{since}");
    assert_eq!(new[0]["path"], "/v1/regions");
    assert_eq!(new[0]["index"], 3);

    let cleared = admin(&env, "DELETE", "/_sandbox/requests", None);
    assert_eq!(cleared.status, 204);
    let empty = admin(&env, "GET", "/_sandbox/requests", None).json();
    assert_eq!(empty["requests"], json!([]));
    // Indexes go on counting, so an index kept from before stays valid.
    assert_eq!(empty["next_index"], 4);
    env.get(&bearer, "/v1/regions");
    let after = admin(&env, "GET", "/_sandbox/requests?since=4", None).json();
    assert_eq!(after["requests"][0]["index"], 4);

    let bad = admin(&env, "GET", "/_sandbox/requests?since=soon", None);
    assert_eq!(bad.status, 400, "{}", bad.text);
}

#[test]
fn app_state_of_an_unknown_app_is_404() {
    let env = Env::default();
    let reply = admin(&env, "GET", "/_sandbox/apps/nope/state", None);
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json()["resource"], "app");
}

#[test]
fn admin_events_feed_the_timeline() {
    let env = Env::default();
    add_app(&env, "shop-prod");
    let reply = admin(
        &env,
        "POST",
        "/_sandbox/apps/shop-prod/events",
        Some(json!({ "type": "restart", "type_data": { "scope": ["web"] }, "user": "bob" })),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    let event = &reply.json()["event"];
    assert_eq!(event["type"], "restart");
    assert_eq!(event["user"]["username"], "bob");
    assert_eq!(event["app_name"], "shop-prod");

    let blank = admin(
        &env,
        "POST",
        "/_sandbox/apps/shop-prod/events",
        Some(json!({ "type": " " })),
    );
    assert_eq!(blank.status, 422, "{}", blank.text);
    let missing = admin(
        &env,
        "POST",
        "/_sandbox/apps/nope/events",
        Some(json!({ "type": "restart" })),
    );
    assert_eq!(missing.status, 404, "{}", missing.text);
}

#[test]
fn the_webhook_answers_like_a_chat_and_keeps_what_it_received() {
    let env = Env::default();
    let url = env.url("/_sandbox/webhook");
    let empty = read(env.agent.get(&url).call());
    assert_eq!(empty.json()["messages"], json!([]));
    let sent = read(
        env.agent
            .post(&url)
            .send_json(json!({ "text": "rollback of shop done" })),
    );
    assert_eq!(sent.status, 200, "{}", sent.text);
    let plain = read(env.agent.post(&url).send("not json"));
    assert_eq!(plain.status, 200, "{}", plain.text);
    let kept = read(env.agent.get(&url).call()).json();
    assert_eq!(
        kept["messages"],
        json!([{ "text": "rollback of shop done" }, "not json"])
    );
}

#[test]
fn the_clock_moves_forward_only_and_what_the_sandbox_dates_follows() {
    let env = Env::default();
    add_app(&env, "shop-prod");
    let at = |reply: &Reply, pointer: &str| {
        chrono::DateTime::parse_from_rfc3339(
            reply
                .json()
                .pointer(pointer)
                .and_then(Value::as_str)
                .expect(pointer),
        )
        .expect("a time")
        .to_utc()
    };
    let before = admin(&env, "GET", "/_sandbox/clock", None);
    assert_eq!(before.status, 200, "{}", before.text);
    assert_eq!(before.json()["clock"]["ahead_ms"], 0);

    let hour = 3_600_000;
    let moved = admin(
        &env,
        "POST",
        "/_sandbox/clock",
        Some(json!({ "advance_ms": hour })),
    );
    assert_eq!(moved.status, 200, "{}", moved.text);
    assert_eq!(moved.json()["clock"]["ahead_ms"], hour);
    let system_then = chrono::Utc::now();
    assert!(at(&moved, "/clock/now") > system_then + chrono::Duration::minutes(59));
    // An event added now is dated by the moved clock.
    let event = admin(
        &env,
        "POST",
        "/_sandbox/apps/shop-prod/events",
        Some(json!({ "type": "restart" })),
    );
    assert_eq!(event.status, 201, "{}", event.text);
    assert!(at(&event, "/event/created_at") >= at(&moved, "/clock/now"));

    for bad in [
        json!({ "advance_ms": -1 }),
        json!({ "advance_ms": "1s" }),
        json!({ "back_ms": 1 }),
    ] {
        let refused = admin(&env, "POST", "/_sandbox/clock", Some(bad.clone()));
        assert!(
            refused.status == 400 || refused.status == 422,
            "{bad}: {} {}",
            refused.status,
            refused.text
        );
    }
    let after = admin(&env, "GET", "/_sandbox/clock", None);
    assert_eq!(
        after.json()["clock"]["ahead_ms"],
        hour,
        "refused moves change nothing"
    );

    // Each sandbox has its own clock.
    let other = Env::default();
    let theirs = admin(&other, "GET", "/_sandbox/clock", None);
    assert_eq!(theirs.json()["clock"]["ahead_ms"], 0);
}

#[test]
fn the_watcher_tick_answers_once_it_has_looked() {
    let env = Env::default();
    add_app(&env, "shop-prod");
    let reply = admin(&env, "POST", "/_sandbox/watcher/tick", None);
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json(), json!({ "deployments_started": 0 }));
}
