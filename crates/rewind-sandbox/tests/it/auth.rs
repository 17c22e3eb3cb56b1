//! Token exchange, bearer checks and regions.

use std::time::Duration;

use base64::Engine;
use rewind_sandbox::SandboxConfig;
use serde_json::json;

use crate::harness::Env;

#[test]
fn exchange_gives_a_jwt_with_an_exp_claim() {
    let env = Env::default();
    let bearer = env.bearer();
    let parts: Vec<&str> = bearer.split('.').collect();
    assert_eq!(parts.len(), 3, "JWT-shaped: {bearer}");
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts[1])
        .expect("base64url payload");
    let claims: serde_json::Value = serde_json::from_slice(&payload).expect("JSON claims");
    let exp = claims["exp"].as_i64().expect("exp claim");
    let now = chrono::Utc::now().timestamp();
    assert!(
        (now + 3500..=now + 3700).contains(&exp),
        "exp {exp} about one hour after {now}"
    );
}

#[test]
fn unknown_api_token_is_refused_with_401_json() {
    let env = Env::default();
    let reply = env.exchange("tk-us-not-a-token");
    assert_eq!(reply.status, 401);
    assert!(reply.json()["error"].is_string());
}

#[test]
fn api_calls_need_a_valid_bearer() {
    let env = Env::default();
    let reply = env.get("not-a-bearer", "/v1/regions");
    assert_eq!(reply.status, 401);
    assert_eq!(reply.json()["error"], "invalid token");
}

#[test]
fn an_expired_bearer_is_refused() {
    let env = Env::start(SandboxConfig {
        token_lifetime: Duration::from_secs(1),
        ..SandboxConfig::default()
    });
    let bearer = env.bearer();
    assert_eq!(env.get(&bearer, "/v1/regions").status, 200);
    // A second later by the sandbox's clock: the bearer's whole life.
    let moved = crate::deployments::admin(&env, "/_sandbox/clock", json!({ "advance_ms": 1000 }));
    assert_eq!(moved.status, 200, "{}", moved.text);
    assert_eq!(moved.json()["clock"]["ahead_ms"], 1000);
    let reply = env.get(&bearer, "/v1/regions");
    assert_eq!(reply.status, 401);
    assert_eq!(reply.json()["error"], "token expired");
}

#[test]
fn regions_point_back_at_the_sandbox() {
    let env = Env::default();
    let bearer = env.bearer();
    let reply = env.get(&bearer, "/v1/regions");
    assert_eq!(reply.status, 200);
    let region = &reply.json()["regions"][0];
    assert_eq!(region["api"], env.sandbox.base_url());
    assert_eq!(region["database_api"], env.sandbox.base_url());
}

#[test]
fn unimplemented_requests_answer_501_with_the_path() {
    let env = Env::default();
    let bearer = env.bearer();
    let reply = env.get(&bearer, "/v1/apps/x/containers/nothing/here");
    assert_eq!(reply.status, 501);
    assert!(
        reply.text.contains("/v1/apps/x/containers/nothing/here"),
        "{}",
        reply.text
    );
}
