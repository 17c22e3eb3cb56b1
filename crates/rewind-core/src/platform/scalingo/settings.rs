//! Where the Scalingo API is and how to talk to it: the API token, the
//! region, URL overrides (Scalingo's own variable names), retry policy,
//! rate-limit waits, request budget, timeouts, and who is told of waits and
//! who can stop them (Ctrl-C).

use std::sync::Arc;
use std::time::Duration;

use super::budget::RequestBudget;
use super::rate_limit::RateLimitPolicy;
use super::retry::RetryPolicy;
use crate::interrupt::Interrupt;
use crate::platform::wait::{Unwatched, WaitObserver};
use crate::secret::Secret;

/// The default authentication service.
pub const DEFAULT_AUTH_URL: &str = "https://auth.scalingo.com";
/// The default region.
pub const DEFAULT_REGION: &str = "osc-fr1";

#[derive(Clone)]
pub struct ScalingoSettings {
    pub api_token: Option<Secret>,
    pub region: String,
    pub auth_url: String,
    /// Overrides the region's API URL (`SCALINGO_API_URL`).
    pub api_url: Option<String>,
    /// Overrides the region's database API URL (`SCALINGO_DB_URL`).
    pub db_url: Option<String>,
    pub retry: RetryPolicy,
    /// How `429 too many requests` is waited out.
    pub rate_limit: RateLimitPolicy,
    pub budget: Arc<RequestBudget>,
    /// Time allowed for one request, connection included.
    pub timeout: Duration,
    /// Raised by Ctrl-C: every wait of the client stops early.
    pub interrupt: Interrupt,
    /// Told of every wait (retries, rate limit, budget).
    pub waits: Arc<dyn WaitObserver>,
}

impl std::fmt::Debug for ScalingoSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScalingoSettings")
            .field("api_token", &self.api_token)
            .field("region", &self.region)
            .field("auth_url", &self.auth_url)
            .field("api_url", &self.api_url)
            .field("db_url", &self.db_url)
            .field("retry", &self.retry)
            .field("rate_limit", &self.rate_limit)
            .field("budget", &self.budget)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl ScalingoSettings {
    pub fn new(region: impl Into<String>) -> Self {
        ScalingoSettings {
            api_token: None,
            region: region.into(),
            auth_url: DEFAULT_AUTH_URL.to_string(),
            api_url: None,
            db_url: None,
            retry: RetryPolicy::default(),
            rate_limit: RateLimitPolicy::default(),
            budget: RequestBudget::shared(),
            timeout: Duration::from_secs(30),
            interrupt: Interrupt::new(),
            waits: Arc::new(Unwatched),
        }
    }

    /// Applies `SCALINGO_API_TOKEN`, `SCALINGO_REGION`, `SCALINGO_AUTH_URL`,
    /// `SCALINGO_API_URL`, `SCALINGO_DB_URL` and rewind's
    /// `REWIND_RATE_LIMIT_WAIT` (seconds) from `lookup` (the process
    /// environment in real use). Empty values count as unset; a wait that
    /// is not a whole number of seconds keeps the default.
    pub fn with_env(mut self, lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        if let Some(token) = get("SCALINGO_API_TOKEN") {
            self.api_token = Some(Secret::new(token.trim()));
        }
        if let Some(region) = get("SCALINGO_REGION") {
            self.region = region.trim().to_string();
        }
        if let Some(url) = get("SCALINGO_AUTH_URL") {
            self.auth_url = trim_url(&url);
        }
        if let Some(url) = get("SCALINGO_API_URL") {
            self.api_url = Some(trim_url(&url));
        }
        if let Some(url) = get("SCALINGO_DB_URL") {
            self.db_url = Some(trim_url(&url));
        }
        if let Some(secs) = get("REWIND_RATE_LIMIT_WAIT").and_then(|v| v.trim().parse().ok()) {
            self.rate_limit.max_wait = Duration::from_secs(secs);
        }
        self
    }
}

/// URLs are joined with paths that start with `/`.
pub(crate) fn trim_url(url: &str) -> String {
    url.trim().trim_end_matches('/').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_use_scalingo_names_and_ignore_empty_values() {
        let env = |name: &str| match name {
            "SCALINGO_API_TOKEN" => Some("tk-us-abc".to_string()),
            "SCALINGO_REGION" => Some("osc-secnum-fr1".to_string()),
            "SCALINGO_API_URL" => Some("http://127.0.0.1:9/".to_string()),
            "SCALINGO_DB_URL" => Some(String::new()),
            "REWIND_RATE_LIMIT_WAIT" => Some("30".to_string()),
            _ => None,
        };
        let s = ScalingoSettings::new(DEFAULT_REGION).with_env(env);
        assert_eq!(s.api_token.as_ref().map(Secret::expose), Some("tk-us-abc"));
        assert_eq!(s.region, "osc-secnum-fr1");
        assert_eq!(s.api_url.as_deref(), Some("http://127.0.0.1:9"));
        assert_eq!(s.db_url, None);
        assert_eq!(s.auth_url, DEFAULT_AUTH_URL);
        assert_eq!(s.rate_limit.max_wait, Duration::from_secs(30));
    }
}
