//! A sandbox and what tests need around it: Scalingo clients pointed at it
//! with fast retries and a private request budget (so tests run quickly and
//! do not share a rate limit), calls to its `/_sandbox/` admin surface, and
//! its request log read back.

use std::time::Duration;

use rewind_core::platform::scalingo::{RequestBudget, RetryPolicy, Scalingo, ScalingoSettings};
use rewind_sandbox::{AppSeed, Sandbox, SandboxConfig, ScmSeed};
use serde_json::Value;

pub struct PlatformEnv {
    pub sandbox: Sandbox,
    pub agent: ureq::Agent,
}

/// Client settings with fast retries (`max_attempts` tries of a read) and a
/// budget of their own, without any credential or URL yet.
pub fn fast_settings(max_attempts: u32) -> ScalingoSettings {
    ScalingoSettings {
        retry: RetryPolicy {
            max_attempts,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        },
        budget: RequestBudget::new(10_000, Duration::from_secs(60)),
        ..ScalingoSettings::new("sandbox-local")
    }
}

impl PlatformEnv {
    /// A sandbox whose app `app` deploys from the repository at `repo`.
    pub fn start(app: &str, repo: &std::path::Path) -> PlatformEnv {
        PlatformEnv::with_config(SandboxConfig {
            apps: vec![AppSeed {
                name: app.to_string(),
                repo: Some(repo.display().to_string()),
                scm: Some(ScmSeed {
                    branch: "main".to_string(),
                    auto_deploy: false,
                }),
                addons: Vec::new(),
            }],
            deploy_duration: Duration::from_millis(200),
            rate_limit_per_minute: 0,
            ..SandboxConfig::default()
        })
        .expect("sandbox starts")
    }

    /// A sandbox started from `config`; its error as text, for tests that
    /// skip when a real PostgreSQL is missing.
    pub fn with_config(config: SandboxConfig) -> Result<PlatformEnv, String> {
        let sandbox = Sandbox::start(config).map_err(|e| e.to_string())?;
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Ok(PlatformEnv { sandbox, agent })
    }

    /// [`fast_settings`] logged in to this sandbox.
    pub fn settings(&self, max_attempts: u32) -> ScalingoSettings {
        let vars = self.sandbox.env_vars();
        fast_settings(max_attempts).with_env(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
        })
    }

    /// A client for the sandbox, trying a read three times.
    pub fn client(&self) -> Scalingo {
        self.client_trying(3)
    }

    /// A client for the sandbox, trying a read `max_attempts` times: tests
    /// that count retries say how many they expect.
    pub fn client_trying(&self, max_attempts: u32) -> Scalingo {
        Scalingo::new(self.settings(max_attempts)).expect("client")
    }

    /// POSTs to the sandbox's admin surface; it must answer 2xx.
    pub fn admin(&self, path: &str, body: Value) -> Value {
        let response = self
            .agent
            .post(&format!("{}{path}", self.sandbox.base_url()))
            .send_json(body)
            .expect("admin call");
        answer("POST", path, response)
    }

    /// PUTs to the sandbox's admin surface (`/_sandbox/variants`); it must
    /// answer 2xx.
    pub fn put(&self, path: &str, body: Value) -> Value {
        let response = self
            .agent
            .put(&format!("{}{path}", self.sandbox.base_url()))
            .send_json(body)
            .expect("admin call");
        answer("PUT", path, response)
    }

    /// DELETEs on the sandbox's admin surface (`/_sandbox/faults`: every
    /// fault rule goes); it must answer 2xx.
    pub fn delete(&self, path: &str) -> Value {
        let response = self
            .agent
            .delete(&format!("{}{path}", self.sandbox.base_url()))
            .call()
            .expect("admin call");
        answer("DELETE", path, response)
    }

    /// GETs from the sandbox's admin surface; it must answer 2xx.
    pub fn get(&self, path: &str) -> Value {
        let response = self
            .agent
            .get(&format!("{}{path}", self.sandbox.base_url()))
            .call()
            .expect("admin call");
        answer("GET", path, response)
    }

    /// Every request the sandbox received (its admin routes excepted).
    pub fn requests(&self) -> Vec<Value> {
        self.get("/_sandbox/requests")["requests"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Requests the sandbox received whose path contains `fragment`.
    pub fn received(&self, fragment: &str) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|r| r["path"].as_str().is_some_and(|p| p.contains(fragment)))
            .collect()
    }

    /// Requests that could change something, accepted or not: neither reads
    /// nor token exchanges, nor the addon tokens a database read takes.
    pub fn writes(&self) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|r| {
                r["method"] != "GET"
                    && r["path"] != "/v1/tokens/exchange"
                    && !r["path"].as_str().is_some_and(|p| p.ends_with("/token"))
            })
            .collect()
    }

    /// Deploy requests (manual or archive) the platform accepted.
    pub fn deploys(&self) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|r| {
                r["method"] == "POST"
                    && r["path"].as_str().is_some_and(|p| {
                        p.ends_with("/manual_deploy") || p.ends_with("/deployments")
                    })
                    && accepted(r)
            })
            .collect()
    }
}

/// Whether a logged request was answered 2xx.
pub fn accepted(request: &Value) -> bool {
    request["status"]
        .as_u64()
        .is_some_and(|s| (200..300).contains(&s))
}

/// `METHOD path` of a logged request, as assertions read best.
pub fn method_path(request: &Value) -> String {
    format!(
        "{} {}",
        request["method"].as_str().unwrap_or(""),
        request["path"].as_str().unwrap_or("")
    )
}

fn answer(method: &str, path: &str, mut response: ureq::http::Response<ureq::Body>) -> Value {
    let status = response.status();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    assert!(status.is_success(), "{method} {path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}
