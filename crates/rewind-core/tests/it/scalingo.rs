//! The Scalingo client against the sandbox: bearer refresh, region lookup,
//! addon tokens, reads retried (a malformed body included) and writes never
//! retried blindly, 429s waited out within a bound, a request budget shared
//! through the journal directory, Ctrl-C during any wait, ids encoded in
//! paths, and no secret in what it prints.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rewind_core::interrupt::Interrupt;
use rewind_core::platform::scalingo::{RateLimitPolicy, RequestBudget, Scalingo, ScalingoSettings};
use rewind_core::platform::{Platform, PlatformError, Wait, WaitKind, WaitObserver};
use rewind_sandbox::{AddonSeed, AppSeed, Sandbox, SandboxConfig, ScmSeed};
use serde_json::json;

use crate::platform_env::{PlatformEnv, fast_settings};
use crate::repo::TestRepo;

/// Fast settings logged in to `sandbox` with only the `keep` variables.
fn settings(sandbox: &Sandbox, keep: &[&str]) -> ScalingoSettings {
    let vars = sandbox.env_vars();
    fast_settings(3).with_env(|name| {
        keep.contains(&name)
            .then(|| {
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.clone())
            })
            .flatten()
    })
}

fn env_with(config: SandboxConfig) -> PlatformEnv {
    PlatformEnv::with_config(config).expect("sandbox")
}

fn app_seed(name: &str) -> AppSeed {
    AppSeed {
        name: name.to_string(),
        repo: None,
        scm: None,
        addons: Vec::new(),
    }
}

const ALL: [&str; 4] = [
    "SCALINGO_API_TOKEN",
    "SCALINGO_AUTH_URL",
    "SCALINGO_API_URL",
    "SCALINGO_DB_URL",
];

#[test]
fn the_bearer_is_exchanged_again_before_it_expires() {
    let env = env_with(SandboxConfig {
        apps: vec![app_seed("shop")],
        token_lifetime: Duration::from_secs(2),
        rate_limit_per_minute: 0,
        ..SandboxConfig::default()
    });
    let client = Scalingo::new(settings(&env.sandbox, &ALL)).expect("client");
    client.app("shop").expect("first call");
    client.app("shop").expect("same bearer");
    assert_eq!(env.received("/v1/tokens/exchange").len(), 1);
    // Refreshed at half its life for a short token: after 1.2 s, a new one.
    // A real wait: the client decides by its own clock, which no test
    // moves (the sandbox's clock would only change the token's dates,
    // whose life the client measures from `iat` to `exp`).
    std::thread::sleep(Duration::from_millis(1200));
    client.app("shop").expect("refreshed");
    assert_eq!(env.received("/v1/tokens/exchange").len(), 2);
    assert!(
        env.received("/v1/apps/shop")
            .iter()
            .all(|r| r["status"] == 200)
    );
}

#[test]
fn a_refused_bearer_gets_one_fresh_exchange_and_one_more_try() {
    let env = env_with(SandboxConfig {
        apps: vec![app_seed("shop")],
        rate_limit_per_minute: 0,
        ..SandboxConfig::default()
    });
    let client = Scalingo::new(settings(&env.sandbox, &ALL)).expect("client");
    client.app("shop").expect("first call");
    env.admin(
        "/_sandbox/faults",
        json!({"path": "/v1/apps/shop", "status": 401, "times": 1}),
    );
    client
        .app("shop")
        .expect("second call succeeds after a new exchange");
    assert_eq!(env.received("/v1/tokens/exchange").len(), 2);
}

#[test]
fn without_url_overrides_the_region_is_looked_up() {
    let env = env_with(SandboxConfig {
        apps: vec![app_seed("shop")],
        rate_limit_per_minute: 0,
        ..SandboxConfig::default()
    });
    let only_auth = ["SCALINGO_API_TOKEN", "SCALINGO_AUTH_URL"];
    let client = Scalingo::new(settings(&env.sandbox, &only_auth)).expect("client");
    assert_eq!(client.app("shop").expect("app").name, "shop");
    assert_eq!(env.received("/v1/regions").len(), 1);
    client.app("shop").expect("again");
    assert_eq!(env.received("/v1/regions").len(), 1, "endpoints are cached");

    let mut s = settings(&env.sandbox, &only_auth);
    s.region = "osc-fr1".into();
    let err = Scalingo::new(s)
        .expect("client")
        .app("shop")
        .expect_err("unknown region");
    assert!(
        matches!(&err, PlatformError::UnknownRegion { available, .. } if available == "sandbox-local"),
        "{err:?}"
    );
}

#[test]
fn the_addon_token_is_cached_until_it_must_be_refreshed() {
    let env = env_with(SandboxConfig {
        apps: vec![AppSeed {
            addons: vec![AddonSeed {
                provider: "scalingo-postgresql".into(),
                plan: "postgresql-starter-512".into(),
            }],
            ..app_seed("shop")
        }],
        rate_limit_per_minute: 0,
        postgres: rewind_sandbox::PostgresMode::Off,
        ..SandboxConfig::default()
    });
    let client = Scalingo::new(settings(&env.sandbox, &ALL)).expect("client");
    let addon = client.addons("shop").expect("addons").remove(0);
    assert!(addon.is_postgresql());
    let db = client.database("shop", &addon.id).expect("database");
    assert_eq!(db.type_name.as_deref(), Some("postgresql"));
    client.backups("shop", &addon.id).expect("backups");
    client.recovery_window("shop", &addon.id).expect("window");
    let tokens = env
        .received("/addons/")
        .iter()
        .filter(|r| r["path"].as_str().is_some_and(|p| p.ends_with("/token")))
        .count();
    assert_eq!(tokens, 1, "one addon token for four calls");
}

#[test]
fn a_write_that_fails_is_not_sent_again_and_rewind_says_whether_it_happened() {
    let mut repo = TestRepo::new();
    repo.release("shop", "1.0.0");
    repo.tag("v1.0.0");
    let commit = repo.git(&["rev-parse", "HEAD"]);
    let env = env_with(SandboxConfig {
        apps: vec![AppSeed {
            repo: Some(repo.work().display().to_string()),
            scm: Some(ScmSeed {
                branch: "main".into(),
                auto_deploy: false,
            }),
            ..app_seed("shop")
        }],
        rate_limit_per_minute: 0,
        deploy_duration: Duration::from_millis(100),
        ..SandboxConfig::default()
    });
    let client = Scalingo::new(settings(&env.sandbox, &ALL)).expect("client");
    let path = "/v1/apps/shop/scm_repo_link/manual_deploy";

    // A 500 before anything happened: one attempt, and "it did not happen".
    env.admin(
        "/_sandbox/faults",
        json!({"method": "POST", "path": path, "status": 500, "times": 1}),
    );
    let err = client
        .manual_deploy("shop", "v1.0.0", Some(&commit))
        .expect_err("500");
    assert!(
        matches!(err, PlatformError::WriteNotApplied { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("rewind checked afterwards and it did not happen"),
        "{err}"
    );
    assert_eq!(env.received(path).len(), 1, "never retried");

    // An unreadable answer after the deploy started: found by reading again.
    env.admin(
        "/_sandbox/faults",
        json!({"method": "POST", "path": path, "malformed_body": true, "times": 1}),
    );
    let d = client
        .manual_deploy("shop", "v1.0.0", Some(&commit))
        .expect("found by re-reading");
    assert_eq!(d.git_ref.as_deref(), Some(commit.as_str()));
    assert_eq!(env.received(path).len(), 2, "still one attempt per call");
}

#[test]
fn errors_and_debug_output_never_carry_a_secret() {
    let env = env_with(SandboxConfig {
        apps: vec![app_seed("shop")],
        rate_limit_per_minute: 0,
        ..SandboxConfig::default()
    });
    let client = Scalingo::new(settings(&env.sandbox, &ALL)).expect("client");
    client.app("shop").expect("app");
    let debug = format!("{client:?}");
    assert!(!debug.contains("tk-us-"), "{debug}");
    assert!(!debug.contains("eyJ"), "no bearer in Debug: {debug}");
    let err = client.app("nope").expect_err("404");
    assert_eq!(
        err.to_string(),
        "app `nope` was not found (region sandbox-local)"
    );
    let mut s = settings(&env.sandbox, &ALL);
    s.api_token = Some(rewind_core::secret::Secret::new("tk-us-not-valid"));
    let err = Scalingo::new(s)
        .expect("client")
        .app("shop")
        .expect_err("401");
    assert!(matches!(err, PlatformError::InvalidToken { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("tk-us-not-valid"));
}

#[test]
fn threads_share_one_request_budget() {
    let env = env_with(SandboxConfig {
        apps: vec![app_seed("shop")],
        rate_limit_per_minute: 0,
        ..SandboxConfig::default()
    });
    // A budget of 5 requests per 1.5 s (the exchange counts): of the six
    // reads two threads make at once, the last ones wait for the window.
    let mut s = settings(&env.sandbox, &ALL);
    s.budget = RequestBudget::new(5, Duration::from_millis(1500));
    let client = Scalingo::new(s).expect("client");
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    (0..3)
                        .map(|_| client.app("shop").map(|_| ()))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for w in workers {
            for r in w.join().expect("thread") {
                r.expect("read");
            }
        }
    });
    let mut times: Vec<chrono::DateTime<chrono::Utc>> = env
        .received("/v1/")
        .iter()
        .filter_map(|r| r["at"].as_str().and_then(|t| t.parse().ok()))
        .collect();
    times.sort();
    assert_eq!(times.len(), 7, "one exchange and six reads");
    // Never more than five requests inside any 1.5 s window as the budget
    // sends them; as the sandbox sees them arrive, a thread slowed down on
    // a busy machine after its turn came may shorten a spread a little.
    // Without the budget, all seven arrive within a few milliseconds.
    for pair in times.windows(6) {
        let spread = pair[5] - pair[0];
        assert!(
            spread >= chrono::Duration::milliseconds(1000),
            "six requests within {spread}"
        );
    }
}

/// Every wait the client tells, as `kind path`; raises `stop` on the
/// first wait of `stop_on` kind, as a person pressing Ctrl-C would.
#[derive(Default)]
struct Waits {
    seen: Mutex<Vec<Wait>>,
    stop: Option<(Interrupt, &'static str)>,
}

impl WaitObserver for Waits {
    fn wait_started(&self, wait: &Wait) {
        self.seen.lock().unwrap().push(wait.clone());
        if let Some((interrupt, kind)) = &self.stop
            && kind_of(wait) == *kind
        {
            interrupt.raise();
        }
    }
}

impl Waits {
    fn kinds(&self) -> Vec<&'static str> {
        self.seen.lock().unwrap().iter().map(kind_of).collect()
    }
}

fn kind_of(wait: &Wait) -> &'static str {
    match wait.kind {
        WaitKind::Retry { .. } => "retry",
        WaitKind::RateLimited => "rate limited",
        WaitKind::Budget => "budget",
    }
}

fn watched(env: &PlatformEnv, attempts: u32, waits: &Arc<Waits>) -> ScalingoSettings {
    let mut s = env.settings(attempts);
    s.waits = waits.clone();
    s
}

#[test]
fn a_read_is_retried_through_a_malformed_body_a_500_and_a_dropped_connection() {
    let env = env_with(SandboxConfig {
        apps: vec![app_seed("shop")],
        rate_limit_per_minute: 0,
        ..SandboxConfig::default()
    });
    let waits = Arc::new(Waits::default());
    let client = Scalingo::new(watched(&env, 4, &waits)).expect("client");
    for fault in [
        json!({"method": "GET", "path": "/v1/apps/shop", "malformed_body": true}),
        json!({"method": "GET", "path": "/v1/apps/shop", "status": 500}),
        json!({"method": "GET", "path": "/v1/apps/shop", "drop_connection": true}),
    ] {
        env.admin("/_sandbox/faults", fault);
    }
    let app = client.app("shop").expect("the fourth attempt answers");
    assert_eq!(app.name, "shop");
    assert_eq!(env.received("/v1/apps/shop").len(), 4);
    assert_eq!(waits.kinds(), ["retry", "retry", "retry"]);
    let causes: Vec<String> = waits
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|w| match &w.kind {
            WaitKind::Retry { cause, .. } => cause.clone(),
            _ => String::new(),
        })
        .collect();
    assert_eq!(causes[0], "the answer could not be read");
    assert_eq!(causes[1], "HTTP 500");

    // A body that stays unreadable is a Malformed error once the attempts
    // are spent, and a sandbox's fault is never blamed on Scalingo.
    env.admin(
        "/_sandbox/faults",
        json!({"method": "GET", "path": "/v1/apps/shop", "malformed_body": true, "times": 4}),
    );
    let err = client.app("shop").expect_err("unreadable four times");
    assert!(matches!(err, PlatformError::Malformed { .. }), "{err:?}");
    assert!(err.to_string().starts_with("the sandbox's answer"), "{err}");
    assert!(
        !err.hints().join(" ").contains("Scalingo"),
        "{:?}",
        err.hints()
    );
}

#[test]
fn the_addon_token_request_is_retried_and_sends_an_empty_json_object() {
    let env = env_with(SandboxConfig {
        apps: vec![AppSeed {
            addons: vec![AddonSeed {
                provider: "scalingo-postgresql".into(),
                plan: "postgresql-starter-512".into(),
            }],
            ..app_seed("shop")
        }],
        rate_limit_per_minute: 0,
        postgres: rewind_sandbox::PostgresMode::Off,
        ..SandboxConfig::default()
    });
    let client = env.client_trying(3);
    let addon = client.addons("shop").expect("addons").remove(0);
    env.admin(
        "/_sandbox/faults",
        json!({"method": "POST", "path": "/v1/apps/shop/addons/*/token", "status": 503}),
    );
    client.database("shop", &addon.id).expect("database");
    let tokens: Vec<_> = env
        .received("/addons/")
        .into_iter()
        .filter(|r| r["path"].as_str().is_some_and(|p| p.ends_with("/token")))
        .collect();
    assert_eq!(tokens.len(), 2, "{tokens:?}");
    assert_eq!(tokens[0]["status"], 503);
    assert_eq!(tokens[1]["status"], 200, "{tokens:?}");
    assert_eq!(tokens[1]["body"], json!({}), "{tokens:?}");
}

/// Settings whose 429 waits take a fraction of a second: the window is
/// 300 ms instead of a minute, the bound 3 s instead of two minutes.
fn short_rate_limit(env: &PlatformEnv, waits: &Arc<Waits>) -> ScalingoSettings {
    let mut s = watched(env, 2, waits);
    s.rate_limit = RateLimitPolicy {
        window: Duration::from_millis(300),
        max_wait: Duration::from_secs(3),
    };
    s.budget = RequestBudget::new(10_000, Duration::from_millis(300));
    s
}

#[test]
fn a_429_on_a_read_is_waited_out_and_told_not_failed_on() {
    let env = env_with(SandboxConfig {
        apps: vec![app_seed("shop")],
        rate_limit_per_minute: 0,
        ..SandboxConfig::default()
    });
    let waits = Arc::new(Waits::default());
    let client = Scalingo::new(short_rate_limit(&env, &waits)).expect("client");
    env.admin(
        "/_sandbox/faults",
        json!({"method": "GET", "path": "/v1/apps/shop", "status": 429, "times": 3}),
    );
    client.app("shop").expect("read once the limit passed");
    // Three 429s waited out, none counted as a failed attempt (the client
    // tries a read twice only).
    assert_eq!(waits.kinds(), ["rate limited"; 3]);
    let statuses: Vec<u64> = env
        .received("/v1/apps/shop")
        .iter()
        .filter_map(|r| r["status"].as_u64())
        .collect();
    assert_eq!(statuses, [429, 429, 429, 200]);

    // The wait is bounded: past it, the read fails and says so.
    env.admin(
        "/_sandbox/faults",
        json!({"method": "GET", "path": "/v1/apps/shop", "status": 429, "times": 1000}),
    );
    let err = client.app("shop").expect_err("still limited");
    assert!(
        matches!(err, PlatformError::RateLimited { waited_secs: 3, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("rewind waited 3 s"), "{err}");
    let waited: Duration = waits.seen.lock().unwrap()[3..]
        .iter()
        .map(|w| w.length)
        .sum();
    assert_eq!(waited, Duration::from_secs(3));
    // A write that meets a 429 is not sent again: the caller decides.
    env.agent
        .delete(&format!("{}/_sandbox/faults", env.sandbox.base_url()))
        .call()
        .expect("clear faults");
    env.admin(
        "/_sandbox/faults",
        json!({"method": "POST", "path": "/v1/apps/shop/restart", "status": 429}),
    );
    let err = client.restart("shop", &[]).expect_err("429");
    assert!(matches!(err, PlatformError::RateLimited { .. }), "{err:?}");
    assert_eq!(env.received("/v1/apps/shop/restart").len(), 1);
}

#[test]
fn ctrl_c_stops_a_rate_limit_wait_and_a_retry_wait() {
    let env = env_with(SandboxConfig {
        apps: vec![app_seed("shop")],
        rate_limit_per_minute: 0,
        ..SandboxConfig::default()
    });
    for kind in ["rate limited", "retry"] {
        let interrupt = Interrupt::new();
        let waits = Arc::new(Waits {
            seen: Mutex::default(),
            stop: Some((interrupt.clone(), kind)),
        });
        // Waits a minute long, cut short by the interruption.
        let mut s = watched(&env, 3, &waits);
        s.retry.base_delay = Duration::from_secs(60);
        s.retry.max_delay = Duration::from_secs(60);
        s.interrupt = interrupt;
        let client = Scalingo::new(s).expect("client");
        let status = if kind == "retry" { 500 } else { 429 };
        env.admin(
            "/_sandbox/faults",
            json!({"method": "GET", "path": "/v1/apps/shop", "status": status}),
        );
        let err = client.app("shop").expect_err("interrupted");
        assert!(matches!(err, PlatformError::Interrupted { .. }), "{err:?}");
        assert_eq!(waits.kinds(), [kind]);
    }
    assert_eq!(env.received("/v1/apps/shop").len(), 2, "one request each");
}

#[test]
fn two_clients_on_one_journal_directory_share_the_request_budget() {
    // Two rewind processes of one person: each has its client, and both
    // keep their budget in the same journal directory. The sandbox allows
    // three app reads a minute; the budget five requests (exchanges
    // count for the budget, not for the sandbox's limit).
    let env = env_with(SandboxConfig {
        apps: vec![app_seed("shop")],
        rate_limit_per_minute: 3,
        ..SandboxConfig::default()
    });
    let journal = tempfile::tempdir().expect("journal dir");
    let interrupt = Interrupt::new();
    let waits = Arc::new(Waits {
        seen: Mutex::default(),
        stop: Some((interrupt.clone(), "budget")),
    });
    let client = |interrupt: Interrupt| {
        let mut s = watched(&env, 1, &waits);
        s.budget = RequestBudget::persistent(5, Duration::from_secs(60), journal.path());
        s.interrupt = interrupt;
        Scalingo::new(s).expect("client")
    };
    let first = client(Interrupt::new());
    let second = client(interrupt);
    first.app("shop").expect("first read");
    second.app("shop").expect("second read");
    first.app("shop").expect("third read");
    assert!(
        journal
            .path()
            .join(rewind_core::platform::scalingo::BUDGET_FILE)
            .is_file()
    );
    // The sixth request would pass the shared budget: the second client
    // waits for it instead of earning a 429 (and Ctrl-C ends the wait).
    let err = second.app("shop").expect_err("waits for the budget");
    assert!(matches!(err, PlatformError::Interrupted { .. }), "{err:?}");
    assert_eq!(waits.kinds(), ["budget"]);
    let statuses: Vec<u64> = env
        .received("/v1/apps/shop")
        .iter()
        .filter_map(|r| r["status"].as_u64())
        .collect();
    assert_eq!(statuses, [200, 200, 200], "no 429 earned");
}

#[test]
fn ids_are_percent_encoded_in_paths() {
    let env = env_with(SandboxConfig {
        apps: vec![app_seed("shop")],
        rate_limit_per_minute: 0,
        ..SandboxConfig::default()
    });
    let client = env.client();
    let err = client
        .deployment("shop", "../../shop")
        .expect_err("no such deployment");
    assert!(matches!(err, PlatformError::NotFound { .. }), "{err:?}");
    let paths: Vec<String> = env
        .received("/deployments/")
        .iter()
        .filter_map(|r| r["path"].as_str().map(str::to_string))
        .collect();
    assert_eq!(paths, ["/v1/apps/shop/deployments/..%2F..%2Fshop"]);
}

#[test]
fn the_account_behind_the_token_is_read_from_the_authentication_api() {
    let env = env_with(SandboxConfig {
        apps: vec![app_seed("shop")],
        rate_limit_per_minute: 0,
        ..SandboxConfig::default()
    });
    let client = Scalingo::new(settings(&env.sandbox, &ALL)).expect("client");
    let user = client
        .current_user()
        .expect("read")
        .expect("the sandbox says who");
    assert_eq!(user.username, "sandbox-user");
    assert!(!user.id.is_empty());
    assert_eq!(env.received("/v1/users/self").len(), 1);
}

#[test]
fn router_metrics_count_the_apps_requests_and_its_5xx_answers_per_minute() {
    let env = env_with(SandboxConfig {
        apps: vec![app_seed("shop")],
        rate_limit_per_minute: 0,
        ..SandboxConfig::default()
    });
    let client = env.client();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let hit = |expected: u16| {
        let answer = agent
            .get(&format!("{}/_apps/shop/", env.sandbox.base_url()))
            .call()
            .expect("the app answers");
        assert_eq!(answer.status().as_u16(), expected);
    };
    // Nothing deployed yet: the app answers 503; then a release answers.
    for _ in 0..3 {
        hit(503);
    }
    env.admin(
        "/_sandbox/apps/shop/deployments/history",
        json!({"deployments": [{"git_ref": "v1", "type": "archive"}]}),
    );
    for _ in 0..2 {
        hit(200);
    }

    let all = client.router_metrics("shop", 1, None).expect("all");
    let errors = client.router_metrics("shop", 1, Some("5XX")).expect("5XX");
    let sum = |points: &[rewind_core::platform::MetricPoint]| -> f64 {
        points.iter().map(|p| p.value).sum()
    };
    assert_eq!((sum(&all), sum(&errors)), (5.0, 3.0));
    // An hour of minutes, oldest first.
    assert_eq!(all.len(), 60);
    assert!(all.windows(2).all(|w| w[0].time < w[1].time));
    let sent = env.received("/stats/router");
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(
        sent[1]["path"]
            .as_str()
            .is_some_and(|p| p.ends_with("/v1/apps/shop/stats/router?since=1&status_code=5XX")),
        "{sent:?}"
    );
}
