//! A sandbox with one app linked to a test repository, and a Scalingo
//! client pointed at it with fast retries and a private request budget, so
//! tests run quickly and do not share a rate limit.

use std::time::Duration;

use rewind_core::platform::scalingo::{RequestBudget, RetryPolicy, Scalingo, ScalingoSettings};
use rewind_sandbox::{AppSeed, Sandbox, SandboxConfig, ScmSeed};
use serde_json::Value;

pub struct PlatformEnv {
    pub sandbox: Sandbox,
    pub agent: ureq::Agent,
}

impl PlatformEnv {
    /// A sandbox whose app `app` deploys from the repository at `repo`.
    pub fn start(app: &str, repo: &std::path::Path) -> PlatformEnv {
        let config = SandboxConfig {
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
        };
        let sandbox = Sandbox::start(config).expect("sandbox starts");
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        PlatformEnv { sandbox, agent }
    }

    /// A client for the sandbox.
    pub fn client(&self) -> Scalingo {
        let vars = self.sandbox.env_vars();
        let settings = ScalingoSettings {
            retry: RetryPolicy {
                max_attempts: 3,
                base_delay: Duration::from_millis(10),
                max_delay: Duration::from_millis(50),
            },
            budget: RequestBudget::new(10_000, Duration::from_secs(60)),
            ..ScalingoSettings::new("sandbox-local")
        }
        .with_env(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
        });
        Scalingo::new(settings).expect("client")
    }

    /// POSTs to the sandbox's admin surface.
    pub fn admin(&self, path: &str, body: Value) -> Value {
        let mut response = self
            .agent
            .post(&format!("{}{path}", self.sandbox.base_url()))
            .send_json(body)
            .expect("admin call");
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().expect("body");
        assert!((200..300).contains(&status), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Requests the sandbox received whose path contains `fragment`.
    pub fn received(&self, fragment: &str) -> Vec<Value> {
        let mut response = self
            .agent
            .get(&format!("{}/_sandbox/requests", self.sandbox.base_url()))
            .call()
            .expect("requests");
        let all: Value = response.body_mut().read_json().expect("json");
        let list = all
            .get("requests")
            .and_then(Value::as_array)
            .cloned()
            .or_else(|| all.as_array().cloned())
            .unwrap_or_default();
        list.into_iter()
            .filter(|r| r["path"].as_str().is_some_and(|p| p.contains(fragment)))
            .collect()
    }
}
