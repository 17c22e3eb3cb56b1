//! One HTTP exchange with Scalingo, as rewind needs it: every request waits
//! for the shared budget; idempotent reads are retried on 5xx, timeouts,
//! connection failures and unreadable answers (a 2xx whose body is not
//! JSON) with backoff, and wait out `429 too many requests` within the
//! rate-limit policy's bound; writes are sent once. Every wait is told to
//! the observer and stops on Ctrl-C. Transport failures become
//! [`PlatformError::Unreachable`] naming the URL tried, never with its
//! query string (download URLs carry a token there).
//!
//! Each request is a `request` span (method, path) with one `http` event
//! per attempt (status or failure, attempt, milliseconds), shown with
//! `REWIND_LOG=debug`; headers (and so the bearer) never appear.

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use ureq::http::{Method, Request};

use super::INFO;
use super::budget::RequestBudget;
use super::rate_limit::{RateLimitPolicy, parse_retry_after};
use super::retry::RetryPolicy;
use super::settings::ScalingoSettings;
use crate::interrupt::Interrupt;
use crate::platform::error::TOO_LARGE;
use crate::platform::wait::{Wait, WaitKind, WaitObserver, pause};
use crate::platform::{PlatformError, Service};
use crate::secret::Secret;

/// Answers larger than this are refused: Scalingo's JSON answers are small.
const MAX_BODY: u64 = 32 * 1024 * 1024;

/// Redirects followed for a streamed GET (the build log may live on
/// another host); Scalingo's JSON API does not redirect.
const MAX_REDIRECTS: usize = 3;

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
    /// Safe to send twice: reads, and requests that change nothing (a
    /// token exchange, an addon token). Writes are never retried here.
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
    pub retry_after: Option<Duration>,
    pub body: String,
    /// A read answered 2xx with a body that is not JSON.
    pub unreadable: bool,
}

/// An answer whose status the request's log tells.
trait Answer {
    fn status(&self) -> u16;
}

impl Answer for Reply {
    fn status(&self) -> u16 {
        self.status
    }
}

impl Answer for ureq::http::Response<ureq::Body> {
    fn status(&self) -> u16 {
        ureq::http::Response::status(self).as_u16()
    }
}

/// What one attempt came to, for the retry loop.
enum Verdict {
    Done,
    /// 429, with the `Retry-After` it gave.
    RateLimited(Option<Duration>),
    /// May pass if asked again; the words say why it failed.
    Transient(String),
}

pub(crate) struct Http {
    agent: ureq::Agent,
    budget: Arc<RequestBudget>,
    retry: RetryPolicy,
    rate_limit: RateLimitPolicy,
    interrupt: Interrupt,
    waits: Arc<dyn WaitObserver>,
    /// Requests sent (one per budget slot taken).
    sent: std::sync::atomic::AtomicUsize,
}

impl Http {
    pub fn new(settings: &ScalingoSettings) -> Self {
        let timeout = settings.timeout;
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
            budget: settings.budget.clone(),
            retry: settings.retry,
            rate_limit: settings.rate_limit,
            interrupt: settings.interrupt.clone(),
            waits: settings.waits.clone(),
            sent: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// Requests sent so far.
    pub fn requests_sent(&self) -> usize {
        self.sent.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Waits (interruptibly, told) until the budget allows one more
    /// request to `url`, and counts it.
    pub fn take_slot(&self, url: &str) -> Result<(), PlatformError> {
        while let Some(length) = self.budget.try_acquire() {
            let wait = Wait {
                kind: WaitKind::Budget,
                service: Service::of_url(url, &INFO),
                path: path_of(url),
                length,
            };
            pause(&wait, &self.interrupt, &*self.waits)?;
        }
        self.sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// Sends a call, retrying idempotent ones on transient failures and
    /// waiting out their 429s.
    pub fn send(&self, call: &Call<'_>) -> Result<Reply, PlatformError> {
        self.with_retries(
            &call.method,
            &call.url,
            call.idempotent,
            || self.send_once(call),
            judge_reply,
        )
    }

    /// The loop every request goes through: a budget slot, one attempt,
    /// and for idempotent requests, a wait and another attempt while the
    /// failure may pass.
    fn with_retries<R: Answer>(
        &self,
        method: &Method,
        url: &str,
        idempotent: bool,
        mut attempt_once: impl FnMut() -> Result<R, PlatformError>,
        judge: impl Fn(&Result<R, PlatformError>) -> Verdict,
    ) -> Result<R, PlatformError> {
        let attempts = if idempotent {
            self.retry.max_attempts.max(1)
        } else {
            1
        };
        let path = path_of(url);
        let span = tracing::debug_span!("request", %method, path = %path);
        let _entered = span.enter();
        let mut attempt = 1;
        let mut limited = Duration::ZERO;
        loop {
            self.take_slot(url)?;
            let started = Instant::now();
            let result = attempt_once();
            let ms = started.elapsed().as_millis() as u64;
            match &result {
                Ok(answer) => {
                    tracing::debug!(target: "http", status = answer.status(), attempt, ms, "answered");
                }
                Err(error) => {
                    tracing::debug!(target: "http", attempt, ms, %error, "no answer");
                }
            }
            match judge(&result) {
                Verdict::Done => return result,
                Verdict::RateLimited(_) if !idempotent => return result,
                Verdict::RateLimited(retry_after) => {
                    let next = self.rate_limit.next_wait(
                        retry_after,
                        self.budget.rest_of_window(),
                        limited,
                    );
                    let Some(length) = next else {
                        return Err(PlatformError::RateLimited {
                            service: Service::of_url(url, &INFO),
                            path,
                            waited_secs: limited.as_secs(),
                        });
                    };
                    self.budget.spent_for(length);
                    let wait = Wait {
                        kind: WaitKind::RateLimited,
                        service: Service::of_url(url, &INFO),
                        path: path.clone(),
                        length,
                    };
                    pause(&wait, &self.interrupt, &*self.waits)?;
                    limited += length;
                }
                Verdict::Transient(_) if attempt >= attempts => return result,
                Verdict::Transient(cause) => {
                    let wait = Wait {
                        kind: WaitKind::Retry {
                            attempt,
                            of: attempts,
                            cause,
                        },
                        service: Service::of_url(url, &INFO),
                        path: path.clone(),
                        length: self.retry.delay(attempt),
                    };
                    pause(&wait, &self.interrupt, &*self.waits)?;
                    attempt += 1;
                }
            }
        }
    }

    fn send_once(&self, call: &Call<'_>) -> Result<Reply, PlatformError> {
        let request = build_request(call, "application/json")?;
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
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let location = header("location");
        let retry_after = header("retry-after").and_then(|v| parse_retry_after(&v, Utc::now()));
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_string()
            .map_err(|e| match e {
                // Asking again brings the same flood: not a network failure.
                ureq::Error::BodyExceedsLimit(_) => PlatformError::Malformed {
                    service: Service::of_url(&call.url, &INFO),
                    path: path_of(&call.url),
                    detail: format!(
                        "{TOO_LARGE} {} MB, far more than any API answer; it was not read",
                        MAX_BODY / (1024 * 1024)
                    ),
                },
                e => unreachable(&call.url, &e),
            })?;
        // A JSON answer that does not parse is a failed read, as a torn
        // connection is: asked again, it usually comes back whole.
        let unreadable = call.idempotent
            && (200..300).contains(&status)
            && serde_json::from_str::<serde::de::IgnoredAny>(&body).is_err();
        Ok(Reply {
            status,
            location,
            retry_after,
            body,
            unreadable,
        })
    }

    /// Opens a GET whose body is read as a stream (build logs). Returns
    /// the status and, for a 2xx, the reader. No overall timeout: the body
    /// may be long; each read still times out. Up to [`MAX_REDIRECTS`]
    /// redirects are followed; the bearer goes only to the first URL's
    /// host.
    pub fn open(
        &self,
        url: &str,
        auth: Auth<'_>,
        accept: &str,
    ) -> Result<(u16, Option<Box<dyn Read + Send>>), PlatformError> {
        let first_host = host_of(url);
        let mut url = url.to_string();
        for _ in 0..=MAX_REDIRECTS {
            let same_host = host_of(&url) == first_host;
            let response = self.with_retries(
                &Method::GET,
                &url,
                true,
                || {
                    let hop_auth = if same_host {
                        clone_auth(&auth)
                    } else {
                        Auth::None
                    };
                    let call = Call::get(url.clone(), hop_auth);
                    let req = build_request(&call, accept)?
                        .body(Vec::new())
                        .map_err(|e| unreachable(&url, &e))?;
                    let req = self
                        .agent
                        .configure_request(req)
                        .timeout_global(None)
                        .timeout_recv_body(Some(Duration::from_secs(60)))
                        .build();
                    self.agent.run(req).map_err(|e| unreachable(&url, &e))
                },
                |result| match result {
                    Ok(r) => judge_status(
                        r.status().as_u16(),
                        r.headers()
                            .get("retry-after")
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| parse_retry_after(v, Utc::now())),
                    ),
                    Err(e) => Verdict::Transient(short_cause(e)),
                },
            )?;
            let status = response.status().as_u16();
            if matches!(status, 301 | 302 | 303 | 307 | 308) {
                let next = response
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .map(|l| resolve(&url, l));
                if let Some(next) = next {
                    url = next;
                    continue;
                }
            }
            if (200..300).contains(&status) {
                let reader = response.into_body().into_reader();
                return Ok((status, Some(Box::new(reader))));
            }
            return Ok((status, None));
        }
        Err(PlatformError::Unreachable {
            platform: &INFO,
            url: display_url(&url),
            detail: format!("more than {MAX_REDIRECTS} redirects"),
        })
    }
}

fn judge_reply(result: &Result<Reply, PlatformError>) -> Verdict {
    match result {
        Ok(reply) if reply.unreadable => Verdict::Transient("the answer could not be read".into()),
        Ok(reply) => judge_status(reply.status, reply.retry_after),
        Err(PlatformError::Malformed { .. }) => Verdict::Done,
        Err(e) => Verdict::Transient(short_cause(e)),
    }
}

fn judge_status(status: u16, retry_after: Option<Duration>) -> Verdict {
    match status {
        429 => Verdict::RateLimited(retry_after),
        500..=599 => Verdict::Transient(format!("HTTP {status}")),
        _ => Verdict::Done,
    }
}

fn short_cause(e: &PlatformError) -> String {
    match e {
        PlatformError::Unreachable { detail, .. } => detail.clone(),
        other => other.to_string(),
    }
}

fn clone_auth<'a>(auth: &Auth<'a>) -> Auth<'a> {
    match auth {
        Auth::None => Auth::None,
        Auth::Basic(s) => Auth::Basic(s),
        Auth::Bearer(s) => Auth::Bearer(s),
    }
}

/// The request's head: one `Accept` header, a JSON content type when
/// there is a body, and the credential.
fn build_request(
    call: &Call<'_>,
    accept: &str,
) -> Result<ureq::http::request::Builder, PlatformError> {
    let mut builder = Request::builder()
        .method(call.method.clone())
        .uri(&call.url)
        .header("Accept", accept);
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

/// `scheme://host:port` of a URL, user info left out.
fn host_of(url: &str) -> String {
    let shown = display_url(url);
    match shown.split_once("://") {
        Some((scheme, rest)) => {
            let authority = rest.split('/').next().unwrap_or_default();
            format!("{scheme}://{authority}").to_ascii_lowercase()
        }
        None => String::new(),
    }
}

/// A `Location` made absolute against the URL that answered it.
fn resolve(base: &str, location: &str) -> String {
    url::Url::parse(base)
        .and_then(|b| b.join(location))
        .map(String::from)
        .unwrap_or_else(|_| location.to_string())
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
    PlatformError::Unreachable {
        platform: &INFO,
        url,
        detail,
    }
}

pub(crate) use crate::redact::display_url;

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

    #[test]
    fn redirects_are_resolved_and_the_bearer_stays_on_its_host() {
        let first = "https://api.example/v1/apps/shop/deployments/1/output";
        assert_eq!(
            resolve(first, "/logs/1?sig=x"),
            "https://api.example/logs/1?sig=x"
        );
        assert_eq!(
            resolve(first, "https://logs.example/1"),
            "https://logs.example/1"
        );
        assert_eq!(host_of(first), host_of("https://API.example/other"));
        assert_ne!(host_of(first), host_of("https://logs.example/1"));
        assert_ne!(host_of(first), host_of("http://api.example/1"));
        assert_ne!(host_of(first), host_of("https://api.example:8443/1"));
    }

    #[test]
    fn a_request_carries_one_accept_header_and_a_json_type_with_a_body() {
        let token = Secret::new("tk-us-x");
        let log = Call::get("https://api.example/output".into(), Auth::Bearer(&token));
        let head = build_request(&log, "text/plain").expect("head");
        let headers = head.headers_ref().expect("headers");
        assert_eq!(headers.get_all("accept").iter().count(), 1);
        assert_eq!(headers["accept"], "text/plain");
        assert!(headers.get("content-type").is_none());
        let post = Call::write(
            Method::POST,
            "https://api.example/token".into(),
            Auth::None,
            Some(serde_json::json!({})),
        );
        let head = build_request(&post, "application/json").expect("head");
        let headers = head.headers_ref().expect("headers");
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(headers.get_all("accept").iter().count(), 1);
    }

    #[test]
    fn the_answers_that_may_pass_are_asked_again() {
        assert!(matches!(judge_status(503, None), Verdict::Transient(_)));
        assert!(matches!(
            judge_status(429, Some(Duration::from_secs(3))),
            Verdict::RateLimited(Some(_))
        ));
        assert!(matches!(judge_status(404, None), Verdict::Done));
        assert!(matches!(judge_status(200, None), Verdict::Done));
    }
}
