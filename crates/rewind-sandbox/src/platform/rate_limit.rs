//! The per-token rate limit of the API (`/v1/...`, `/api/...`): at most N
//! requests in any sliding minute per API token, then 429 `Retry later`,
//! as the real API answers. A bearer counts against the API token it was
//! exchanged for, so exchanging again does not buy a fresh budget. The
//! auth service's routes (token exchange, regions) are a separate service
//! on the real platform and do not count.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

use crate::state::World;

const WINDOW: Duration = Duration::from_secs(60);

/// Counters and the limit in force; runtime only (never persisted).
#[derive(Debug, Default)]
pub struct RateLimiter {
    /// Set by the admin route; `None` uses the configuration's value.
    pub limit_override: Option<u32>,
    /// When each key's recent requests arrived, oldest first.
    hits: HashMap<String, VecDeque<Instant>>,
}

impl RateLimiter {
    /// The limit in force: requests per minute, 0 meaning no limit.
    pub fn limit(&self, configured: u32) -> u32 {
        self.limit_override.unwrap_or(configured)
    }

    /// Counts a request for `key` and says whether it is within the limit.
    /// Refused requests are not counted, so a client that backs off gets
    /// through once the window moves on.
    pub fn admit(&mut self, key: &str, limit: u32, at: Instant) -> bool {
        if limit == 0 {
            return true;
        }
        let hits = self.hits.entry(key.to_string()).or_default();
        while hits
            .front()
            .is_some_and(|t| at.saturating_duration_since(*t) >= WINDOW)
        {
            hits.pop_front();
        }
        if hits.len() >= limit as usize {
            return false;
        }
        hits.push_back(at);
        true
    }

    /// Forgets every counter (admin reset).
    pub fn reset(&mut self) {
        self.hits.clear();
    }
}

/// Whether a path belongs to the rate-limited API. Git transport and the
/// live stream are not API calls.
pub fn applies_to(path: &str) -> bool {
    let auth_service = path == "/v1/tokens/exchange" || path == "/v1/regions";
    (path.starts_with("/v1/") || path.starts_with("/api/")) && !auth_service
}

/// Whose budget a request draws on: the API token behind a known bearer,
/// otherwise the credential as presented (addon tokens, unknown bearers),
/// or no credential at all.
pub fn key(world: &World, headers: &HeaderMap) -> String {
    let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return "anonymous".to_string();
    };
    if let Some(bearer) = value.strip_prefix("Bearer ") {
        let bearer = bearer.trim();
        return match world.bearers.get(bearer) {
            Some(found) => format!("token:{}", found.api_token),
            None => format!("credential:{bearer}"),
        };
    }
    format!("credential:{value}")
}
