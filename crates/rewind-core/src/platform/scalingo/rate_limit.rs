//! How a `429 too many requests` is waited out: as long as the answer's
//! `Retry-After` says (seconds or an HTTP date), else until the oldest
//! request rewind counted leaves Scalingo's one-minute window; and never
//! more than [`RateLimitPolicy::max_wait`] in all for one request, after
//! which the read fails and says how long it waited.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// Bounds on waiting for Scalingo's rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitPolicy {
    /// Scalingo's window: 60 requests per minute per user.
    pub window: Duration,
    /// The most one request waits for 429s, all waits added up
    /// (`REWIND_RATE_LIMIT_WAIT`, in seconds; docs/configuration.md).
    pub max_wait: Duration,
}

impl Default for RateLimitPolicy {
    fn default() -> Self {
        RateLimitPolicy {
            window: Duration::from_secs(60),
            max_wait: Self::DEFAULT_MAX_WAIT,
        }
    }
}

impl RateLimitPolicy {
    /// Two windows: enough for a limit shared with another tool to clear,
    /// short enough that a person is not left waiting on a dead token.
    pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(120);

    /// The next wait after a 429, given what `Retry-After` said, how long
    /// until the budget's oldest request leaves the window (when it counted
    /// any), and what was already waited. `None`: give up.
    pub fn next_wait(
        &self,
        retry_after: Option<Duration>,
        rest_of_window: Option<Duration>,
        waited: Duration,
    ) -> Option<Duration> {
        let left = self.max_wait.checked_sub(waited).filter(|l| !l.is_zero())?;
        // Never hammer: at least a second (or the whole window, when it is
        // shorter, as in tests).
        let floor = Duration::from_secs(1).min(self.window);
        let wanted = match retry_after {
            Some(d) => d,
            None => rest_of_window.unwrap_or(self.window).min(self.window),
        };
        Some(wanted.max(floor).min(left))
    }
}

/// Reads a `Retry-After` header: delay-seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_in_seconds_or_as_a_date() {
        let now = DateTime::parse_from_rfc3339("2026-12-02T05:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 02 Dec 2026 05:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 02 Dec 2026 04:59:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn waits_follow_the_header_else_the_window_and_stop_at_the_bound() {
        let p = RateLimitPolicy::default();
        let s = Duration::from_secs;
        assert_eq!(p.next_wait(Some(s(5)), Some(s(40)), s(0)), Some(s(5)));
        assert_eq!(p.next_wait(None, Some(s(40)), s(0)), Some(s(40)));
        assert_eq!(p.next_wait(None, None, s(0)), Some(s(60)));
        // A zero Retry-After still waits a second.
        assert_eq!(p.next_wait(Some(s(0)), None, s(0)), Some(s(1)));
        // The bound: what is left of two minutes, then nothing.
        assert_eq!(p.next_wait(None, None, s(100)), Some(s(20)));
        assert_eq!(p.next_wait(Some(s(600)), None, s(0)), Some(s(120)));
        assert_eq!(p.next_wait(None, None, s(120)), None);
    }
}
