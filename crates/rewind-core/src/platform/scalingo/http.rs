//! One HTTP exchange with Scalingo, as rewind needs it: every request waits
//! for the shared budget; idempotent reads are retried on 5xx, 429, timeouts
//! and connection failures with backoff; writes are sent once. Transport
//! failures become [`PlatformError::Unreachable`] naming the URL tried,
//! never with its query string (download URLs carry a token there).

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ureq::http::{Method, Request};

use super::budget::RequestBudget;
use super::retry::RetryPolicy;
use crate::platform::PlatformError;
use crate::secret::Secret;

/// Answers larger than this are refused: Scalingo's JSON answers are small.
const MAX_BODY: u64 = 32 * 1024 * 1024;

/// How a request authenticates.
pub(crate) enum Auth<'a> {
    None,
    /// HTTP Basic with an empty user: the token exchange.
    Basic(&'a Secret),
    Bearer(&'a Secret),
}

pub(crate) struct Call<'a> {
    pub method: Method,
    pub url: String,
    pub auth: Auth<'a>,
    pub body: Option<serde_json::Value>,
    /// Safe to send twice: reads. Writes are never retried here.
    pub idempotent: bool,
}

impl<'a> Call<'a> {
    pub fn get(url: String, auth: Auth<'a>) -> Self {
        Call {
            method: Method::GET,
            url,
            auth,
            body: None,
            idempotent: true,
        }
    }

    pub fn write(
        method: Method,
        url: String,
        auth: Auth<'a>,
        body: Option<serde_json::Value>,
    ) -> Self {
        Call {
            method,
            url,
            auth,
            body,
            idempotent: false,
        }
    }
}

/// A complete answer, whatever its status.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

pub(crate) struct Http {
    agent: ureq::Agent,
    budget: Arc<RequestBudget>,
    retry: RetryPolicy,
}

impl Http {
    pub fn new(budget: Arc<RequestBudget>, retry: RetryPolicy, timeout: Duration) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .timeout_connect(Some(timeout.min(Duration::from_secs(10))))
            .user_agent(concat!("rewind/", env!("CARGO_PKG_VERSION")))
            .max_redirects(0)
            .build()
            .into();
        Http {
            agent,
            budget,
            retry,
        }
    }

    /// Sends a call, retrying idempotent ones on transient failures.
    pub fn send(&self, call: &Call<'_>) -> Result<Reply, PlatformError> {
        let attempts = if call.idempotent {
            self.retry.max_attempts.max(1)
        } else {
            1
        };
        let mut attempt = 1;
        loop {
            self.budget.acquire();
            let result = self.send_once(call);
            let transient = match &result {
                Ok(reply) => is_transient_status(reply.status),
                Err(_) => true,
            };
            if !transient || attempt >= attempts {
                return result;
            }
            std::thread::sleep(self.retry.delay(attempt));
            attempt += 1;
        }
    }

    fn send_once(&self, call: &Call<'_>) -> Result<Reply, PlatformError> {
        let request = build_request(call)?;
        let body = call
            .body
            .as_ref()
            .map(|b| b.to_string().into_bytes())
            .unwrap_or_default();
        let request = request.body(body).map_err(|e| unreachable(&call.url, &e))?;
        let mut response = self
            .agent
            .run(request)
            .map_err(|e| unreachable(&call.url, &e))?;
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_string()
            .map_err(|e| unreachable(&call.url, &e))?;
        Ok(Reply {
            status,
            location,
            body,
        })
    }

    /// Opens a GET whose body is read as a stream (build logs, archives).
    /// Returns the status and, for a 2xx, the reader. No overall timeout:
    /// the body may be long; each read still times out.
    pub fn open(
        &self,
        url: &str,
        auth: Auth<'_>,
        accept: &str,
    ) -> Result<(u16, Option<Box<dyn Read + Send>>), PlatformError> {
        let attempts = self.retry.max_attempts.max(1);
        let mut attempt = 1;
        loop {
            self.budget.acquire();
            let call = Call::get(url.to_string(), clone_auth(&auth));
            let result = build_request(&call).and_then(|req| {
                let req = req
                    .header("Accept", accept)
                    .body(Vec::new())
                    .map_err(|e| unreachable(url, &e))?;
                let req = self
                    .agent
                    .configure_request(req)
                    .timeout_global(None)
                    .timeout_recv_body(Some(Duration::from_secs(60)))
                    .build();
                self.agent.run(req).map_err(|e| unreachable(url, &e))
            });
            let transient = match &result {
                Ok(r) => is_transient_status(r.status().as_u16()),
                Err(_) => true,
            };
            if transient && attempt < attempts {
                std::thread::sleep(self.retry.delay(attempt));
                attempt += 1;
                continue;
            }
            let response = result?;
            let status = response.status().as_u16();
            if (200..300).contains(&status) {
                let reader = response.into_body().into_reader();
                return Ok((status, Some(Box::new(reader))));
            }
            return Ok((status, None));
        }
    }
}

fn clone_auth<'a>(auth: &Auth<'a>) -> Auth<'a> {
    match auth {
        Auth::None => Auth::None,
        Auth::Basic(s) => Auth::Basic(s),
        Auth::Bearer(s) => Auth::Bearer(s),
    }
}

fn build_request(call: &Call<'_>) -> Result<ureq::http::request::Builder, PlatformError> {
    let mut builder = Request::builder()
        .method(call.method.clone())
        .uri(&call.url)
        .header("Accept", "application/json");
    if call.body.is_some() {
        builder = builder.header("Content-Type", "application/json");
    }
    match &call.auth {
        Auth::None => {}
        Auth::Basic(token) => {
            let encoded = STANDARD.encode(format!(":{}", token.expose()));
            builder = builder.header("Authorization", format!("Basic {encoded}"));
        }
        Auth::Bearer(token) => {
            builder = builder.header("Authorization", format!("Bearer {}", token.expose()));
        }
    }
    Ok(builder)
}

/// 5xx and 429 may pass if asked again a little later.
fn is_transient_status(status: u16) -> bool {
    status == 429 || (500..600).contains(&status)
}

fn unreachable(url: &str, error: &dyn std::fmt::Display) -> PlatformError {
    let url = display_url(url);
    // ureq's messages may quote the URL; make sure no query string (and so
    // no token) survives in what the user sees.
    let detail = error.to_string();
    let detail = match detail.find('?') {
        Some(i) => format!("{}…", &detail[..i]),
        None => detail,
    };
    PlatformError::Unreachable { url, detail }
}

/// A URL fit for a message: no query string, no user info.
pub(crate) fn display_url(url: &str) -> String {
    let without_query = url.split(['?', '#']).next().unwrap_or(url);
    match without_query.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let host = authority.rsplit('@').next().unwrap_or(authority);
            format!("{scheme}://{host}{path}")
        }
        None => without_query.to_string(),
    }
}

/// The path of a URL, for messages.
pub(crate) fn path_of(url: &str) -> String {
    let shown = display_url(url);
    match shown.split_once("://") {
        Some((_, rest)) => rest
            .find('/')
            .map(|i| rest[i..].to_string())
            .unwrap_or_default(),
        None => shown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_in_messages_never_carry_tokens() {
        assert_eq!(
            display_url("https://db-api.example/api/x/download?token=abc"),
            "https://db-api.example/api/x/download"
        );
        assert_eq!(display_url("https://user:pw@host/p"), "https://host/p");
        assert_eq!(path_of("http://127.0.0.1:9/v1/apps/x?page=2"), "/v1/apps/x");
    }
}
