//! The router's per-minute counts turned into what the watch compares:
//! the baseline (the share of 5XX answers over the period before the
//! deploy) and the share in the newest minute since the deploy's end.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use crate::platform::MetricPoint;

/// Requests and 5XX answers over some minutes.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Traffic {
    /// Minutes with a point, counted or not.
    pub minutes: u32,
    pub requests: f64,
    pub errors: f64,
}

impl Traffic {
    /// The share of requests answered 5XX (0 without requests).
    pub fn ratio(&self) -> f64 {
        if self.requests > 0.0 {
            (self.errors / self.requests).min(1.0)
        } else {
            0.0
        }
    }
}

/// The traffic of the minutes that ended before `end` and started at or
/// after `end - window`: the previous release's last period when `end` is
/// the deploy's end.
pub fn baseline(
    all: &[MetricPoint],
    errors: &[MetricPoint],
    end: DateTime<Utc>,
    window: std::time::Duration,
) -> Traffic {
    let start = end - TimeDelta::from_std(window).unwrap_or(TimeDelta::minutes(30));
    let within = |p: &MetricPoint| p.time >= start && p.time + TimeDelta::minutes(1) <= end;
    Traffic {
        minutes: all.iter().filter(|p| within(p)).count() as u32,
        requests: all.iter().filter(|p| within(p)).map(|p| p.value).sum(),
        errors: errors.iter().filter(|p| within(p)).map(|p| p.value).sum(),
    }
}

/// The newest minute at or after the minute `since` falls in (the
/// deploy's end): what the release answers now. `None` before any point.
pub fn newest_minute(
    all: &[MetricPoint],
    errors: &[MetricPoint],
    since: DateTime<Utc>,
) -> Option<(DateTime<Utc>, Traffic)> {
    let floor = since - TimeDelta::minutes(1);
    let newest = all
        .iter()
        .filter(|p| p.time > floor)
        .max_by_key(|p| p.time)?;
    let failed = errors
        .iter()
        .find(|p| p.time == newest.time)
        .map_or(0.0, |p| p.value);
    Some((
        newest.time,
        Traffic {
            minutes: 1,
            requests: newest.value,
            errors: failed,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: u32) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("2026-12-01T10:{minute:02}:00Z"))
            .expect("time")
            .with_timezone(&Utc)
    }

    fn points(values: &[(u32, f64)]) -> Vec<MetricPoint> {
        values
            .iter()
            .map(|&(m, value)| MetricPoint { time: at(m), value })
            .collect()
    }

    #[test]
    fn the_baseline_takes_the_whole_minutes_before_the_deploy_within_the_window() {
        let all = points(&[(10, 100.0), (20, 100.0), (21, 100.0), (22, 50.0)]);
        let errors = points(&[(10, 90.0), (20, 2.0), (21, 2.0), (22, 50.0)]);
        // The deploy ended at 10:22:30: minute 22 is partly the new
        // release's, minute 10 is outside a 10-minute window.
        let end = at(22) + TimeDelta::seconds(30);
        let b = baseline(&all, &errors, end, std::time::Duration::from_secs(600));
        assert_eq!((b.minutes, b.requests, b.errors), (2, 200.0, 4.0));
        assert!((b.ratio() - 0.02).abs() < 1e-9);
    }

    #[test]
    fn the_newest_minute_since_the_deploy_is_the_one_judged() {
        let all = points(&[(20, 100.0), (22, 40.0), (23, 10.0)]);
        let errors = points(&[(22, 40.0), (23, 5.0)]);
        let end = at(22) + TimeDelta::seconds(30);
        let (minute, t) = newest_minute(&all, &errors, end).expect("a minute");
        assert_eq!((minute, t.requests, t.errors), (at(23), 10.0, 5.0));
        assert!(newest_minute(&all, &errors, at(24) + TimeDelta::seconds(1)).is_none());
        assert_eq!(Traffic::default().ratio(), 0.0);
    }
}
