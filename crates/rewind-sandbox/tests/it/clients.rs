//! The sandbox driven the way Scalingo's own clients drive it: the token
//! exchange, then the current user, an app, its containers, their stats
//! and the router metrics. Each answer is decoded into structs declared
//! here with the field names and JSON types of Scalingo's official Go
//! client (go-scalingo: `User`, `App`, `Container`, `ContainerSize`,
//! `ContainerStat`) and of its JavaScript client for metric points
//! (scalingo.js: `Point`). Every field is required, so a missing field or
//! a wrong type fails the test as it would fail the Go decoder; unknown
//! fields are accepted, as Go's decoder accepts them.

use std::collections::HashMap;

use rewind_sandbox::TokenSeed;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::app_url::{branch_with_health, deploy};
use crate::deployments::{NodeRepo, config};
use crate::harness::{Env, Reply, read};

#[derive(Debug, Deserialize)]
struct SelfResponse {
    user: User,
}

#[derive(Debug, Deserialize)]
struct User {
    id: String,
    username: String,
    fullname: String,
    email: String,
    flags: HashMap<String, bool>,
}

#[derive(Debug, Deserialize)]
struct AppResponse {
    app: App,
}

#[derive(Debug, Deserialize)]
struct App {
    id: String,
    name: String,
    owner: Owner,
    status: String,
}

#[derive(Debug, Deserialize)]
struct Owner {
    id: String,
    username: String,
    email: String,
}

#[derive(Debug, Deserialize)]
struct ContainersResponse {
    containers: Vec<Container>,
}

#[derive(Debug, Deserialize)]
struct Container {
    id: String,
    app_id: String,
    /// `*time.Time`: present, null or RFC 3339.
    created_at: Option<String>,
    deleted_at: Option<String>,
    command: String,
    #[serde(rename = "type")]
    kind: String,
    type_index: i64,
    label: String,
    state: String,
    /// `*App`.
    app: Option<App>,
    container_size: ContainerSize,
}

#[derive(Debug, Deserialize)]
struct ContainerSize {
    id: String,
    name: String,
    human_name: String,
    human_cpu: String,
    memory: i64,
    hourly_price: i64,
    thirtydays_price: i64,
    pricings: HashMap<String, HashMap<String, String>>,
    swap: i64,
    ordinal: i64,
    // `sku` and `pids_limit` are `omitempty` in Go: optional.
}

#[derive(Debug, Deserialize)]
struct StatsResponse {
    stats: Vec<ContainerStat>,
}

#[derive(Debug, Deserialize)]
struct ContainerStat {
    id: String,
    /// Go `int`: a JSON integer, never a float.
    cpu_usage: i64,
    memory_usage: i64,
    swap_usage: i64,
    memory_limit: i64,
    swap_limit: i64,
    highest_memory_usage: i64,
    highest_swap_usage: i64,
}

#[derive(Debug, Deserialize)]
struct Point {
    time: String,
    value: f64,
}

/// Decodes a 200 answer. serde takes a missing `Option` for `null`, so the
/// test checks the nullable Go fields' presence on the raw JSON too.
fn decode<T: DeserializeOwned>(reply: &Reply) -> T {
    assert_eq!(reply.status, 200, "{}", reply.text);
    serde_json::from_str(&reply.text)
        .unwrap_or_else(|e| panic!("not what the Go client reads ({e}): {}", reply.text))
}

fn rfc3339(text: &str) {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("`{text}` is not RFC 3339 as Go's time.Time reads it: {e}"));
}

fn router(env: &Env, bearer: &str, query: &str) -> Vec<Point> {
    let points: Vec<Point> =
        decode(&env.get(bearer, &format!("/v1/apps/shop/stats/router{query}")));
    for p in &points {
        rfc3339(&p.time);
    }
    points
}

fn total(points: &[Point]) -> f64 {
    points.iter().map(|p| p.value).sum()
}

fn hit_app(env: &Env, times: usize, expected: u16) {
    for _ in 0..times {
        let reply = read(env.agent.get(&env.url("/_apps/shop/")).call());
        assert_eq!(reply.status, expected, "{}", reply.text);
    }
}

#[test]
fn scalingo_clients_read_the_user_the_containers_their_stats_and_the_router_metrics() {
    let repo = NodeRepo::create();
    branch_with_health(&repo, "unhealthy", "503\n");
    let mut seeded = config(&repo, false);
    seeded.tokens = vec![TokenSeed {
        email: Some("alice@example.com".to_string()),
        fullname: Some("Alice Martin".to_string()),
        ..TokenSeed::new("tk-us-alice", "alice")
    }];
    let env = Env::start(seeded);

    // The CLI's login: token exchange, then the current user on the auth API.
    let bearer = env.bearer();
    assert_eq!(env.get("not-a-bearer", "/v1/users/self").status, 401);
    let me: SelfResponse = decode(&env.get(&bearer, "/v1/users/self"));
    assert_eq!(me.user.username, "alice");
    assert_eq!(me.user.fullname, "Alice Martin");
    assert_eq!(me.user.email, "alice@example.com");
    assert!(me.user.id.starts_with("us-"), "{}", me.user.id);
    assert!(me.user.flags.is_empty());

    let app: AppResponse = decode(&env.get(&bearer, "/v1/apps/shop"));
    assert_eq!(app.app.name, "shop");
    assert_eq!(app.app.owner.id, me.user.id, "the app's owner is the user");
    assert_eq!(app.app.owner.username, "alice");
    assert_eq!(app.app.owner.email, "alice@example.com");

    // Nothing deployed: no container, no stats.
    let none: ContainersResponse = decode(&env.get(&bearer, "/v1/apps/shop/ps"));
    assert!(none.containers.is_empty());
    let no_stats: StatsResponse = decode(&env.get(&bearer, "/v1/apps/shop/stats"));
    assert!(no_stats.stats.is_empty());

    // A healthy release: one running web container that works a little.
    deploy(&env, &bearer, "v1.0.0");
    let ps_reply = env.get(&bearer, "/v1/apps/shop/ps");
    for key in ["created_at", "deleted_at", "app"] {
        assert!(
            ps_reply.json()["containers"][0].get(key).is_some(),
            "`{key}` missing: {}",
            ps_reply.text
        );
    }
    let ps: ContainersResponse = decode(&ps_reply);
    assert_eq!(ps.containers.len(), 1, "{}", ps_reply.text);
    let web = &ps.containers[0];
    assert_eq!(
        (web.kind.as_str(), web.type_index, web.label.as_str()),
        ("web", 1, "web-1")
    );
    assert_eq!(web.state, "running");
    assert_eq!(web.app_id, app.app.id);
    assert!(!web.id.is_empty());
    assert_eq!(web.command, "");
    assert!(web.deleted_at.is_none());
    rfc3339(web.created_at.as_deref().expect("created_at"));
    assert_eq!(web.app.as_ref().map(|a| a.status.as_str()), Some("running"));
    assert_eq!(web.container_size.name, "M");
    assert_eq!(web.container_size.human_name, "M");
    assert!(!web.container_size.id.is_empty() && !web.container_size.human_cpu.is_empty());
    assert_eq!(
        (
            web.container_size.swap,
            web.container_size.hourly_price,
            web.container_size.thirtydays_price,
            web.container_size.ordinal
        ),
        (0, 0, 0, 3)
    );
    assert!(web.container_size.pricings.is_empty());

    let stats: StatsResponse = decode(&env.get(&bearer, "/v1/apps/shop/stats"));
    assert_eq!(stats.stats.len(), 1);
    let stat = &stats.stats[0];
    assert_eq!(stat.id, "web-1");
    assert!(stat.cpu_usage > 0, "{stat:?}");
    assert!(
        stat.memory_usage > 0 && stat.memory_usage <= stat.memory_limit,
        "{stat:?}"
    );
    assert_eq!(stat.memory_limit, web.container_size.memory);
    assert!(stat.highest_memory_usage >= stat.memory_usage);
    assert!(stat.swap_usage <= stat.swap_limit && stat.highest_swap_usage >= stat.swap_usage);

    // Traffic reaches the router: three answered, none failed.
    hit_app(&env, 3, 200);
    let all = router(&env, &bearer, "?since=1");
    assert_eq!(all.len(), 60, "one point per minute of the hour");
    assert_eq!(total(&all), 3.0);
    assert_eq!(
        total(&router(&env, &bearer, "?since=1&status_code=5XX")),
        0.0
    );
    assert_eq!(total(&router(&env, &bearer, "?status_code=2XX")), 3.0);

    // A failing release: the container crashes, uses nothing, and the
    // router counts the 5XX.
    deploy(&env, &bearer, "unhealthy");
    let crashed: ContainersResponse = decode(&env.get(&bearer, "/v1/apps/shop/ps"));
    assert_eq!(crashed.containers.len(), 1);
    assert_eq!(crashed.containers[0].state, "crashed");
    let crashed_stats: StatsResponse = decode(&env.get(&bearer, "/v1/apps/shop/stats"));
    assert_eq!(
        (
            crashed_stats.stats[0].cpu_usage,
            crashed_stats.stats[0].memory_usage
        ),
        (0, 0)
    );
    hit_app(&env, 2, 503);
    assert_eq!(
        total(&router(&env, &bearer, "?since=1&status_code=5XX")),
        2.0
    );
    assert_eq!(total(&router(&env, &bearer, "?since=2")), 5.0);
    assert_eq!(router(&env, &bearer, "?since=2").len(), 120);
    // The container type and index are ignored for the router, as documented.
    assert_eq!(
        total(&router_on(&env, &bearer, "/web/1?status_code=5XX")),
        2.0
    );
    assert_eq!(router(&env, &bearer, "?last=true").len(), 1);

    // Back to a healthy release: running again.
    deploy(&env, &bearer, "v1.0.0");
    let healed: ContainersResponse = decode(&env.get(&bearer, "/v1/apps/shop/ps"));
    assert_eq!(healed.containers[0].state, "running");
}

fn router_on(env: &Env, bearer: &str, rest: &str) -> Vec<Point> {
    decode(&env.get(bearer, &format!("/v1/apps/shop/stats/router{rest}")))
}

#[test]
fn what_the_sandbox_does_not_serve_still_answers_501_with_its_path() {
    let repo = NodeRepo::create();
    let env = Env::start(config(&repo, false));
    let bearer = env.bearer();
    for path in [
        "/v1/apps/shop/stats/cpu/web/1",
        "/v1/apps/shop/containers",
        "/v1/users/self/keys",
        "/v1/account/usage",
    ] {
        let reply = env.get(&bearer, path);
        assert_eq!(reply.status, 501, "{path}: {}", reply.text);
        let error = reply.json()["error"].as_str().unwrap_or("").to_string();
        assert!(error.contains(path), "{path}: {error}");
    }
}

#[test]
fn router_metrics_refuse_a_window_or_status_class_they_cannot_serve() {
    let repo = NodeRepo::create();
    let env = Env::start(config(&repo, false));
    let bearer = env.bearer();
    for query in [
        "?since=0",
        "?since=abc",
        "?since=100000",
        "?status_code=6XX",
    ] {
        let reply = env.get(&bearer, &format!("/v1/apps/shop/stats/router{query}"));
        assert_eq!(reply.status, 400, "{query}: {}", reply.text);
        let error: Value = reply.json();
        assert!(error["error"].as_str().is_some(), "{query}: {}", reply.text);
    }
    let cpu = env.get(&bearer, "/v1/apps/shop/stats/cpu/web/1");
    assert_eq!(cpu.status, 501, "{}", cpu.text);
    assert!(
        cpu.text.contains("/v1/apps/shop/stats/cpu/web/1"),
        "{}",
        cpu.text
    );
    assert_eq!(env.get(&bearer, "/v1/apps/nope/ps").status, 404);
    assert_eq!(env.get(&bearer, "/v1/apps/nope/stats").status, 404);
    assert_eq!(env.get(&bearer, "/v1/apps/nope/stats/router").status, 404);
}
