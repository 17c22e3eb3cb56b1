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
        /// The last judged window's share, requests and 5XX answers.
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
                "{} of requests answered 5XX ({errors} of {requests} since the previous check) for {sustained_seconds}s, above the threshold of {} (baseline {})",
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
    /// Traffic not judged yet (too few requests so far), and the time it
    /// covers.
    pending: Traffic,
    pending_for: Duration,
    /// How long, and over how many judged windows in a row, the 5XX share
    /// has been above the threshold, when it is.
    errors_above: Option<(Duration, u32)>,
}

impl Detector {
    pub fn new(config: WatchConfig, baseline: &Traffic) -> Self {
        Detector {
            config,
            baseline: baseline.ratio(),
            health_failures: 0,
            pending: Traffic::default(),
            pending_for: Duration::ZERO,
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

    /// The traffic of one window (what the router served between two
    /// reads of its metrics, `elapsed` apart: [`super::baseline::Windows`]).
    /// Windows with fewer than `error_min_requests` requests are added to
    /// the next one, which is then judged over their time together: too
    /// quiet to judge neither fires nor resets. The share fires once it
    /// has stayed above the threshold for `error_sustained` of watched time
    /// and, when that is above zero, over two judged windows at least: a
    /// burst of errors shorter than a round's spacing cannot fire alone.
    pub fn traffic(&mut self, window: Option<&Traffic>, elapsed: Duration) -> Option<Signal> {
        let t = window?;
        self.pending.minutes = self.pending.minutes.max(t.minutes);
        self.pending.requests += t.requests;
        self.pending.errors += t.errors;
        self.pending_for += elapsed;
        if self.pending.requests < f64::from(self.config.error_min_requests) {
            return None;
        }
        let judged = std::mem::take(&mut self.pending);
        let covered = std::mem::take(&mut self.pending_for);
        let threshold = self.threshold();
        if judged.ratio() <= threshold {
            self.errors_above = None;
            return None;
        }
        let (above, windows) = match self.errors_above {
            None => (covered, 1),
            Some((d, n)) => (d + covered, n + 1),
        };
        self.errors_above = Some((above, windows));
        let sustained = self.config.error_sustained;
        let fired = above >= sustained && (sustained.is_zero() || windows >= 2);
        fired.then(|| Signal::ErrorRate {
            ratio: judged.ratio(),
            requests: judged.requests,
            errors: judged.errors,
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
    fn errors_fire_once_sustained_over_two_windows_and_a_good_window_starts_over() {
        let mut d = detector(0.01);
        let step = Duration::from_secs(15);
        // Default: 45 s above the threshold.
        assert!(d.traffic(Some(&minute(20.0, 10.0)), step).is_none());
        assert!(d.traffic(Some(&minute(20.0, 10.0)), step).is_none());
        assert!(d.traffic(Some(&minute(20.0, 0.0)), step).is_none());
        assert!(d.traffic(Some(&minute(20.0, 10.0)), step).is_none());
        // Too quiet to judge: neither fires nor resets; its time counts
        // with the next window's.
        assert!(d.traffic(Some(&minute(3.0, 3.0)), step).is_none());
        let fired = d.traffic(Some(&minute(20.0, 10.0)), step).expect("fires");
        assert_eq!(fired.name(), "5xx");
        assert!(matches!(
            fired,
            Signal::ErrorRate {
                sustained_seconds: 45,
                requests: 23.0,
                errors: 13.0,
                ..
            }
        ));
    }

    #[test]
    fn one_long_quiet_window_needs_a_second_one_and_zero_fires_at_once() {
        let mut d = detector(0.0);
        // A minute of little traffic all in one judged window: a long
        // time, but one window is one burst as far as anyone can tell.
        assert!(
            d.traffic(Some(&minute(12.0, 6.0)), Duration::from_secs(60))
                .is_none()
        );
        assert!(
            d.traffic(Some(&minute(12.0, 6.0)), Duration::from_secs(15))
                .is_some()
        );
        let config = WatchConfig {
            error_sustained: Duration::ZERO,
            ..WatchConfig::default()
        };
        let mut d = Detector::new(config, &Traffic::default());
        assert!(
            d.traffic(Some(&minute(10.0, 1.0)), Duration::ZERO)
                .is_some()
        );
    }

    /// The router of a Scalingo app at the default pace: `rate` requests a
    /// second, `bad(t)` the share answered 5XX at second `t` after the
    /// deploy's end, counted per minute (the deploy ends `offset` seconds
    /// into a minute); the watch reads the minutes `lag` seconds after the
    /// end (the baseline), then every `poll` seconds. When it fires, in
    /// seconds after the deploy's end.
    fn detection(
        rate: f64,
        bad: &dyn Fn(u32) -> bool,
        offset: u32,
        lag: u32,
        poll: u32,
        until: u32,
    ) -> Option<u32> {
        use super::super::baseline::Windows;
        use crate::platform::MetricPoint;
        use chrono::TimeDelta;

        let start = DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let end = start + TimeDelta::seconds(i64::from(offset));
        // The minutes' counts as read at second `t` after the end.
        let read = |t: u32| {
            let mut all: Vec<MetricPoint> = Vec::new();
            let mut errors: Vec<MetricPoint> = Vec::new();
            for s in 0..(offset + t) {
                let minute = start + TimeDelta::minutes(i64::from(s / 60));
                let failing = s >= offset && bad(s - offset);
                for list in [&mut all, &mut errors] {
                    if list.last().is_none_or(|p| p.time != minute) {
                        list.push(MetricPoint {
                            time: minute,
                            value: 0.0,
                        });
                    }
                }
                all.last_mut().expect("point").value += rate;
                if failing {
                    errors.last_mut().expect("point").value += rate;
                }
            }
            (all, errors)
        };
        let (all, errors) = read(lag);
        let mut windows = Windows::new(&all, &errors, end);
        let mut d = Detector::new(WatchConfig::default(), &Traffic::default());
        let mut previous = lag;
        let mut t = lag;
        while t <= until {
            let (all, errors) = read(t);
            let window = windows.next(&all, &errors);
            let elapsed = Duration::from_secs(u64::from(t - previous));
            if d.traffic(Some(&window), elapsed).is_some() {
                return Some(t);
            }
            previous = t;
            t += poll;
        }
        None
    }

    #[test]
    fn at_the_default_pace_a_5xx_rise_fires_within_60s_and_a_short_burst_never() {
        let poll = super::super::run::DEFAULT_POLL.as_secs() as u32;
        let always = |_| true;
        // One request a second, the deploy ending anywhere in its minute,
        // rewind seeing the end up to 5 s late (polling the deployment).
        for offset in [0, 1, 20, 45, 59] {
            for lag in [0, 2, 5] {
                let fired = detection(1.0, &always, offset, lag, poll, 600)
                    .unwrap_or_else(|| panic!("offset {offset}, lag {lag}: never fired"));
                assert!(fired <= 60, "offset {offset}, lag {lag}: {fired}s");
            }
        }
        // A quieter app (one request every 2 s, 7.5 a window): the windows
        // add up until 10 requests, and it still fires, later.
        let quiet = detection(0.5, &always, 30, 0, poll, 600).expect("fires");
        assert!((60..=90).contains(&quiet), "{quiet}s");
        // A burst of 5XX of 15 s, anywhere: never fires alone.
        for from in [0, 5, 14, 29, 40] {
            let burst = move |t: u32| (from..from + 15).contains(&t);
            for offset in [0, 30, 59] {
                assert_eq!(
                    detection(2.0, &burst, offset, 1, poll, 300),
                    None,
                    "burst at {from}s, offset {offset}"
                );
            }
        }
        // Healthy: never.
        assert_eq!(detection(5.0, &|_| false, 10, 1, poll, 900), None);
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
