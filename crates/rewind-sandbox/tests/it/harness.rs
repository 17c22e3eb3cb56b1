//! Shared test helpers: start a sandbox, exchange a token, make requests and
//! read status and JSON whatever the status.

use rewind_sandbox::{Sandbox, SandboxConfig};
use serde_json::Value;

/// A started sandbox and an HTTP agent that never turns statuses into errors.
pub struct Env {
    pub sandbox: Sandbox,
    pub agent: ureq::Agent,
}

/// A response read in full.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

impl Env {
    pub fn start(config: SandboxConfig) -> Env {
        let sandbox = Sandbox::start(config).expect("sandbox starts");
        Env {
            sandbox,
            agent: agent(),
        }
    }

    pub fn default() -> Env {
        Self::start(SandboxConfig::default())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.sandbox.base_url(), path)
    }

    /// Exchanges the sandbox's first API token for a bearer.
    pub fn bearer(&self) -> String {
        let reply = self.exchange(self.sandbox.api_token());
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json()["token"].as_str().expect("token").to_string()
    }

    pub fn exchange(&self, api_token: &str) -> Reply {
        use base64::Engine;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(":{api_token}"));
        let response = self
            .agent
            .post(&self.url("/v1/tokens/exchange"))
            .header("Authorization", &format!("Basic {basic}"))
            .send_json(serde_json::json!({}));
        read(response)
    }

    pub fn get(&self, bearer: &str, path: &str) -> Reply {
        let response = self
            .agent
            .get(&self.url(path))
            .header("Authorization", &format!("Bearer {bearer}"))
            .header("Accept", "application/json")
            .call();
        read(response)
    }

    pub fn send(&self, method: &str, bearer: &str, path: &str, body: Option<Value>) -> Reply {
        let url = self.url(path);
        let auth = format!("Bearer {bearer}");
        let response = match (method, body) {
            ("POST", Some(b)) => self
                .agent
                .post(&url)
                .header("Authorization", &auth)
                .send_json(b),
            ("POST", None) => self
                .agent
                .post(&url)
                .header("Authorization", &auth)
                .send_empty(),
            ("PATCH", Some(b)) => self
                .agent
                .patch(&url)
                .header("Authorization", &auth)
                .send_json(b),
            ("PUT", Some(b)) => self
                .agent
                .put(&url)
                .header("Authorization", &auth)
                .send_json(b),
            ("DELETE", _) => self
                .agent
                .delete(&url)
                .header("Authorization", &auth)
                .call(),
            (m, _) => panic!("unsupported method {m}"),
        };
        read(response)
    }
}

pub fn read(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    let mut response = response.expect("the sandbox answers");
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    Reply {
        status,
        headers,
        text,
    }
}
