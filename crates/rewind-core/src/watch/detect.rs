//! The thresholds of `[apps.watch]` applied to what each round of the watch
//! saw: when does a release count as bad. Pure: the caller reads the
//! platform and the health URL and hands the results in, in order.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::baseline::Traffic;
use crate::config::WatchConfig;
use crate::platform::Event;

/// Event types that say containers went down (Scalingo's `crash` and
/// `repeated_crash`, and the older `app_crashed`).
pub const CRASH_EVENTS: [&str; 3] = ["crash", "repeated_crash", "app_crashed"];

/// App statuses that say the app is down as a whole.
pub const DOWN_STATUSES: [&str; 1] = ["crashed"];

/// What crossed a threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "signal", rename_all = "snake_case")]
pub enum Signal {
    /// The health check failed this many times in a row.
    HealthFailing { failures: u32, last_error: String },
    /// The share of 5XX answers stayed above the threshold for
    /// `sustained_seconds`.
    ErrorRate {
        /// The newest minute's share, requests and 5XX answers.
        ratio: f64,
        requests: f64,
        errors: f64,
        /// The baseline's share and the threshold it made.
        baseline: f64,
        threshold: f64,
        sustained_seconds: u64,
    },
    /// The platform recorded a crash after the deploy.
    Crash {
        kind: String,
        at: Option<DateTime<Utc>>,
    },
    /// The app as a whole is down.
    AppDown { status: String },
}

impl Signal {
    /// A short name, for the journal and the message.
    pub fn name(&self) -> &'static str {
        match self {
            Signal::HealthFailing { .. } => "health",
            Signal::ErrorRate { .. } => "5xx",
            Signal::Crash { .. } => "crash",
            Signal::AppDown { .. } => "app-status",
        }
    }

    /// The signal in one sentence.
    pub fn describe(&self) -> String {
        match self {
            Signal::HealthFailing {
                failures,
                last_error,
            } => format!("the health check failed {failures} times in a row ({last_error})"),
            Signal::ErrorRate {
                ratio,
                requests,
                errors,
                baseline,
                threshold,
                sustained_seconds,
            } => format!(
                "{} of requests answered 5XX ({errors} of {requests} in the newest minute) for {sustained_seconds}s, above the threshold of {} (baseline {})",
                percent(*ratio),
                percent(*threshold),
                percent(*baseline),
            ),
            Signal::Crash { kind, at } => match at {
                Some(t) => format!(
                    "the platform recorded a `{kind}` event at {}",
                    t.format("%H:%M:%S UTC")
                ),
                None => format!("the platform recorded a `{kind}` event"),
            },
            Signal::AppDown { status } => format!("the app's status is `{status}`"),
        }
    }
}

fn percent(ratio: f64) -> String {
    format!("{:.1}%", ratio * 100.0)
}

/// The thresholds and what they remember between rounds.
#[derive(Debug, Clone)]
pub struct Detector {
    config: WatchConfig,
    baseline: f64,
    health_failures: u32,
    /// How long the 5XX share has been above the threshold, in time
    /// watched (the sum of the rounds' spacing), when it is.
    errors_above: Option<Duration>,
}

impl Detector {
    pub fn new(config: WatchConfig, baseline: &Traffic) -> Self {
        Detector {
            config,
            baseline: baseline.ratio(),
            health_failures: 0,
            errors_above: None,
        }
    }

    /// The share of 5XX answers that counts as bad: `error_factor` times
    /// the baseline's, and never below `error_floor_percent`.
    pub fn threshold(&self) -> f64 {
        let floor = f64::from(self.config.error_floor_percent) / 100.0;
        (self.baseline * f64::from(self.config.error_factor))
            .max(floor)
            .min(1.0)
    }

    /// One health check's result.
    pub fn health(&mut self, ok: bool, error: Option<&str>) -> Option<Signal> {
        if ok {
            self.health_failures = 0;
            return None;
        }
        self.health_failures += 1;
        (self.health_failures >= self.config.health_failures).then(|| Signal::HealthFailing {
            failures: self.health_failures,
            last_error: error.unwrap_or("no answer").to_string(),
        })
    }

    /// The newest minute's traffic, `elapsed` after the previous round.
    /// A minute too quiet to judge neither fires nor resets the count.
    pub fn traffic(&mut self, newest: Option<&Traffic>, elapsed: Duration) -> Option<Signal> {
        let t = newest?;
        if t.requests < f64::from(self.config.error_min_requests) {
            return None;
        }
        let threshold = self.threshold();
        if t.ratio() <= threshold {
            self.errors_above = None;
            return None;
        }
        let above = match self.errors_above {
            None => Duration::ZERO,
            Some(d) => d + elapsed,
        };
        self.errors_above = Some(above);
        (above >= self.config.error_sustained).then(|| Signal::ErrorRate {
            ratio: t.ratio(),
            requests: t.requests,
            errors: t.errors,
            baseline: self.baseline,
            threshold,
            sustained_seconds: above.as_secs(),
        })
    }

    /// The app's events: the first crash recorded at or after `since`.
    pub fn events(&self, events: &[Event], since: DateTime<Utc>) -> Option<Signal> {
        if !self.config.crash_events {
            return None;
        }
        events
            .iter()
            .filter(|e| CRASH_EVENTS.contains(&e.kind.as_str()))
            .filter(|e| e.created_at.is_some_and(|t| t >= since))
            .min_by_key(|e| e.created_at)
            .map(|e| Signal::Crash {
                kind: e.kind.clone(),
                at: e.created_at,
            })
    }

    /// The app's status.
    pub fn status(&self, status: &str) -> Option<Signal> {
        DOWN_STATUSES.contains(&status).then(|| Signal::AppDown {
            status: status.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detector(baseline_ratio: f64) -> Detector {
        let baseline = Traffic {
            minutes: 30,
            requests: 1000.0,
            errors: 1000.0 * baseline_ratio,
        };
        Detector::new(WatchConfig::default(), &baseline)
    }

    fn minute(requests: f64, errors: f64) -> Traffic {
        Traffic {
            minutes: 1,
            requests,
            errors,
        }
    }

    #[test]
    fn the_threshold_is_the_baseline_times_the_factor_but_never_below_the_floor() {
        assert!((detector(0.0).threshold() - 0.05).abs() < 1e-9);
        assert!((detector(0.04).threshold() - 0.12).abs() < 1e-9);
        assert_eq!(detector(0.5).threshold(), 1.0);
    }

    #[test]
    fn health_fires_only_after_enough_failures_in_a_row() {
        let mut d = detector(0.0);
        assert!(d.health(false, Some("503")).is_none());
        assert!(d.health(false, Some("503")).is_none());
        assert!(d.health(true, None).is_none());
        assert!(d.health(false, Some("503")).is_none());
        assert!(d.health(false, Some("503")).is_none());
        let fired = d.health(false, Some("answered HTTP 503")).expect("fires");
        assert_eq!(fired.name(), "health");
        assert!(fired.describe().contains("3 times in a row"));
    }

    #[test]
    fn errors_fire_once_sustained_and_a_good_minute_starts_over() {
        let mut d = detector(0.01);
        let step = Duration::from_secs(60);
        assert!(d.traffic(Some(&minute(100.0, 50.0)), step).is_none());
        assert!(d.traffic(Some(&minute(100.0, 50.0)), step).is_none());
        assert!(d.traffic(Some(&minute(100.0, 1.0)), step).is_none());
        // Too quiet to judge: neither fires nor resets.
        assert!(d.traffic(Some(&minute(100.0, 50.0)), step).is_none());
        assert!(d.traffic(Some(&minute(3.0, 3.0)), step).is_none());
        assert!(d.traffic(Some(&minute(100.0, 50.0)), step).is_none());
        let fired = d.traffic(Some(&minute(100.0, 50.0)), step).expect("fires");
        assert_eq!(fired.name(), "5xx");
    }

    #[test]
    fn only_crashes_after_the_deploy_count_and_only_a_crashed_app_is_down() {
        let d = detector(0.0);
        let t = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .expect("time")
                .with_timezone(&Utc)
        };
        let event = |kind: &str, at: &str| Event {
            id: at.into(),
            created_at: Some(t(at)),
            kind: kind.into(),
            user: None,
            type_data: serde_json::Value::Null,
        };
        let events = [
            event("crash", "2026-12-01T09:00:00Z"),
            event("deployment", "2026-12-01T10:01:00Z"),
        ];
        let since = t("2026-12-01T10:00:00Z");
        assert!(d.events(&events, since).is_none());
        let later = [event("repeated_crash", "2026-12-01T10:02:00Z")];
        assert_eq!(d.events(&later, since).expect("crash").name(), "crash");
        assert!(d.status("running").is_none());
        assert!(d.status("restarting").is_none());
        assert!(d.status("crashed").is_some());
    }
}
