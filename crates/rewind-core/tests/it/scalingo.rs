//! The Scalingo client against the sandbox: bearer refresh, region lookup,
//! addon tokens, reads retried and writes never retried blindly, and no
//! secret in what it prints.

use std::time::Duration;

use rewind_core::platform::scalingo::{RequestBudget, Scalingo, ScalingoSettings};
use rewind_core::platform::{Platform, PlatformError};
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
