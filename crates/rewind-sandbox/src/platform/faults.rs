//! Fault injection, driven through `/_sandbox/faults`: rules that match a
//! method (optional) and a path (exact, or with `*` standing for one
//! segment) and either slow every matching call down, or make the next N
//! matching calls answer an error status, drop the connection, answer a
//! body that is not JSON, a JSON body of the test's choosing (wrong types,
//! a field missing, another date format, a `next_page` that loops), or a
//! body of 50 MB. Clients are tested against the failures a real network
//! and a real platform produce.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody, to_bytes};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api_error::ApiError;

/// Longest latency a rule may add: beyond this a test is hanging, not
/// testing a slow network.
const MAX_LATENCY_MS: u64 = 60_000;

/// The largest handler body the malformed-body fault reads back.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// The size of the huge-body fault's answer: far more than any API answer.
pub const HUGE_BODY_BYTES: usize = 50 * 1024 * 1024;

/// What a rule does to the calls it matches.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Every matching call waits this long first.
    Latency(Duration),
    /// The call answers this status with the API's body for it, and a
    /// `Retry-After` of so many seconds when the rule asks for one.
    Status(u16, Option<u32>),
    /// The connection is closed without a complete response.
    DropConnection,
    /// The call is handled, then answers 200 with a body that is not JSON.
    MalformedBody,
    /// The call is handled, then answers 200 with this JSON body instead
    /// of its own.
    Body(Value),
    /// The call is handled, then answers 200 with a JSON body of
    /// [`HUGE_BODY_BYTES`].
    HugeBody,
}

/// One fault rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: u64,
    /// Upper-case method; `None` matches every method.
    pub method: Option<String>,
    pub pattern: String,
    pub effect: Effect,
    /// Calls still to be affected; `None` for latency, which applies to
    /// every call.
    pub remaining: Option<u32>,
    pub times: Option<u32>,
}

/// The rules in force; runtime only (never persisted).
#[derive(Debug, Default)]
pub struct Faults {
    rules: Vec<Rule>,
    next_id: u64,
}

/// `POST /_sandbox/faults` body: a method and a path, and exactly one of
/// `latency_ms`, `status`, `drop_connection`, `malformed_body`, `body`,
/// `huge_body`; `times`
/// (default 1) for the counted effects.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleRequest {
    #[serde(default)]
    pub method: Option<String>,
    pub path: String,
    #[serde(default)]
    pub latency_ms: Option<u64>,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub drop_connection: bool,
    #[serde(default)]
    pub malformed_body: bool,
    /// The JSON body answered instead of the handler's.
    #[serde(default)]
    pub body: Option<Value>,
    #[serde(default)]
    pub huge_body: bool,
    #[serde(default)]
    pub times: Option<u32>,
    /// With `status`: a `Retry-After` header of so many seconds. Scalingo's
    /// documentation does not say it sends one; this lets a test see how a
    /// client honours it when a proxy does.
    #[serde(default)]
    pub retry_after: Option<u32>,
}

/// What the guard must do with one call.
#[derive(Debug, Default)]
pub struct Decision {
    pub latency: Duration,
    /// The counted effect that fired, if any.
    pub effect: Option<Effect>,
}

impl Faults {
    /// Checks and adds a rule; the error says what is wrong with it.
    pub fn add(&mut self, request: RuleRequest) -> Result<&Rule, ApiError> {
        if !request.path.starts_with('/') {
            return Err(ApiError::unprocessable("path", "must start with `/`"));
        }
        let method = match request.method {
            Some(m) => Some(
                Method::from_bytes(m.trim().to_ascii_uppercase().as_bytes())
                    .map_err(|_| ApiError::unprocessable("method", "is not an HTTP method"))?
                    .to_string(),
            ),
            None => None,
        };
        let mut effects = Vec::new();
        if let Some(ms) = request.latency_ms {
            if ms > MAX_LATENCY_MS {
                return Err(ApiError::unprocessable(
                    "latency_ms",
                    &format!("must be at most {MAX_LATENCY_MS}"),
                ));
            }
            effects.push(Effect::Latency(Duration::from_millis(ms)));
        }
        if let Some(status) = request.status {
            if !(400..=599).contains(&status) {
                return Err(ApiError::unprocessable(
                    "status",
                    "must be an error status (400 to 599)",
                ));
            }
            effects.push(Effect::Status(status, request.retry_after));
        }
        if request.drop_connection {
            effects.push(Effect::DropConnection);
        }
        if request.malformed_body {
            effects.push(Effect::MalformedBody);
        }
        if let Some(body) = request.body {
            effects.push(Effect::Body(body));
        }
        if request.huge_body {
            effects.push(Effect::HugeBody);
        }
        if effects.len() != 1 {
            return Err(ApiError::unprocessable(
                "effect",
                "give exactly one of latency_ms, status, drop_connection, malformed_body, body, huge_body",
            ));
        }
        let effect = effects.remove(0);
        let times = match effect {
            Effect::Latency(_) => {
                if request.times.is_some() {
                    return Err(ApiError::unprocessable(
                        "times",
                        "latency applies to every call; `times` is for the other effects",
                    ));
                }
                None
            }
            _ => match request.times.unwrap_or(1) {
                0 => return Err(ApiError::unprocessable("times", "must be at least 1")),
                n => Some(n),
            },
        };
        self.next_id += 1;
        self.rules.push(Rule {
            id: self.next_id,
            method,
            pattern: request.path,
            effect,
            remaining: times,
            times,
        });
        Ok(self.rules.last().expect("just pushed"))
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn clear(&mut self) {
        self.rules.clear();
    }

    /// Removes one rule; false when there is no such rule.
    pub fn remove(&mut self, id: u64) -> bool {
        let before = self.rules.len();
        self.rules.retain(|r| r.id != id);
        self.rules.len() != before
    }

    /// Applies the rules to one call: every matching latency adds up, and
    /// the first matching counted rule with calls left fires and counts
    /// down.
    pub fn decide(&mut self, method: &Method, path: &str) -> Decision {
        let mut decision = Decision::default();
        for rule in &mut self.rules {
            if !rule.matches(method, path) {
                continue;
            }
            match (&rule.effect, rule.remaining.as_mut()) {
                (Effect::Latency(d), _) => decision.latency += *d,
                (effect, Some(left)) if *left > 0 && decision.effect.is_none() => {
                    *left -= 1;
                    decision.effect = Some(effect.clone());
                }
                _ => {}
            }
        }
        decision
    }
}

impl Rule {
    fn matches(&self, method: &Method, path: &str) -> bool {
        if self.method.as_deref().is_some_and(|m| m != method.as_str()) {
            return false;
        }
        path_matches(&self.pattern, path)
    }

    pub fn to_json(&self) -> Value {
        let (effect, detail) = match &self.effect {
            Effect::Latency(d) => ("latency", json!({ "latency_ms": d.as_millis() as u64 })),
            &Effect::Status(s, retry_after) => {
                ("status", json!({ "status": s, "retry_after": retry_after }))
            }
            Effect::DropConnection => ("drop_connection", json!({})),
            Effect::MalformedBody => ("malformed_body", json!({})),
            Effect::Body(body) => ("body", json!({ "body": body })),
            Effect::HugeBody => ("huge_body", json!({ "bytes": HUGE_BODY_BYTES })),
        };
        let mut value = json!({
            "id": self.id,
            "method": self.method,
            "path": self.pattern,
            "effect": effect,
            "times": self.times,
            "remaining": self.remaining,
        });
        if let (Some(obj), Value::Object(extra)) = (value.as_object_mut(), detail) {
            obj.extend(extra);
        }
        value
    }
}

/// `*` matches exactly one non-empty segment; everything else literally.
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern.trim_end_matches('/').split('/').collect();
    let path: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    pattern.len() == path.len()
        && pattern
            .iter()
            .zip(&path)
            .all(|(p, s)| (*p == "*" && !s.is_empty()) || p == s)
}

/// The answer of an injected error status, with the body the real API (or
/// the proxy in front of it) gives for that status.
pub fn status_response(status: u16, retry_after: Option<u32>) -> Response {
    let mut response = bare_status_response(status);
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

fn bare_status_response(status: u16) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let reason = code.canonical_reason().unwrap_or("Error");
    let message = format!("injected fault: {status} {reason}");
    match status {
        429 => ApiError::RateLimited.into_response(),
        400 | 403 => (code, axum::Json(json!({ "error": message, "code": "injected_fault" })))
            .into_response(),
        402 => (
            code,
            axum::Json(json!({ "error": message, "url": "https://example.invalid/billing", "name": "payment-required" })),
        )
            .into_response(),
        404 => (code, axum::Json(json!({ "error": "not found" }))).into_response(),
        422 => (code, axum::Json(json!({ "errors": { "base": [message] } }))).into_response(),
        // The gateway answers these, not the API: HTML, as a proxy does.
        502..=504 => (
            code,
            [(CONTENT_TYPE, HeaderValue::from_static("text/html"))],
            format!("<html><body><h1>{status} {reason}</h1>{message}</body></html>\n"),
        )
            .into_response(),
        _ => (code, axum::Json(json!({ "error": message }))).into_response(),
    }
}

/// A response whose body fails on its first read: hyper then aborts the
/// connection before the head is flushed, so the client sees no response
/// at all. The status never leaves the sandbox; it is there for the
/// request record, as nginx's 444 "closed without response".
pub fn dropped_connection() -> Response {
    let mut response = Response::new(Body::new(FailingBody));
    *response.status_mut() = StatusCode::from_u16(444).unwrap_or(StatusCode::BAD_GATEWAY);
    response
}

struct FailingBody;

impl HttpBody for FailingBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "injected fault: connection dropped",
        ))))
    }
}

/// Replaces a handled call's answer with 200 and a body that no JSON
/// parser accepts: the first half of the real body, then garbage, as when
/// a proxy truncates a response.
pub async fn malformed(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, MAX_BODY).await.unwrap_or_default();
    let mut text = bytes[..bytes.len() / 2].to_vec();
    text.extend_from_slice(b"<<truncated by rewind-sandbox fault");
    parts.status = StatusCode::OK;
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    parts.headers.remove(axum::http::header::LOCATION);
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Response::from_parts(parts, Body::from(text))
}

/// Replaces a handled call's answer with 200 and `body`, as a platform
/// whose answers changed shape would send.
pub fn replaced(response: Response, body: &Value) -> Response {
    let (mut parts, _) = response.into_parts();
    parts.status = StatusCode::OK;
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    parts.headers.remove(axum::http::header::LOCATION);
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Response::from_parts(parts, Body::from(body.to_string()))
}

/// Replaces a handled call's answer with 200 and a well-formed JSON
/// object of [`HUGE_BODY_BYTES`]: a client must refuse to read that much.
pub fn huge(response: Response) -> Response {
    const HEAD: &str = "{\"padding\":\"";
    const TAIL: &str = "\"}";
    let mut text = String::with_capacity(HUGE_BODY_BYTES);
    text.push_str(HEAD);
    text.extend(std::iter::repeat_n(
        'x',
        HUGE_BODY_BYTES - HEAD.len() - TAIL.len(),
    ));
    text.push_str(TAIL);
    replaced(response, &Value::Null).map(|_| Body::from(text))
}
