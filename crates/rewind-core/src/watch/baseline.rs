//! The router's per-minute counts turned into what the watch compares:
//! the baseline (the share of 5XX answers over the period before the
//! deploy) and the share in each window between two rounds since the
//! deploy's end.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
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

/// What the router served between two reads of its metrics. The
/// platform counts requests per minute, and the current minute's point
/// grows while the minute runs: the difference between two reads of the
/// minutes since the deploy's end is the traffic between the two reads, to
/// the round's spacing instead of the minute's. The first read is the
/// baseline's, right after the deploy's end, so the minute the deploy
/// ended in counts only its requests after that read (none of the
/// previous release's before it).
#[derive(Debug, Clone, Default)]
pub struct Windows {
    /// From this minute on (the one the deploy ended in).
    from: Option<DateTime<Utc>>,
    /// The counts last read for each minute: requests, 5XX answers.
    seen: std::collections::BTreeMap<DateTime<Utc>, (f64, f64)>,
}

impl Windows {
    /// Starts counting at the minute `since` falls in, from this read.
    pub fn new(all: &[MetricPoint], errors: &[MetricPoint], since: DateTime<Utc>) -> Windows {
        let from = since.duration_trunc(TimeDelta::minutes(1)).unwrap_or(since);
        let mut windows = Windows {
            from: Some(from),
            seen: Default::default(),
        };
        windows.next(all, errors);
        windows
    }

    /// The traffic since the previous read (a minute's count that went
    /// down, such as a point the platform revised, counts nothing).
    pub fn next(&mut self, all: &[MetricPoint], errors: &[MetricPoint]) -> Traffic {
        let Some(from) = self.from else {
            return Traffic::default();
        };
        let mut window = Traffic::default();
        for point in all.iter().filter(|p| p.time >= from) {
            let failed = errors
                .iter()
                .find(|p| p.time == point.time)
                .map_or(0.0, |p| p.value);
            let (was_requests, was_errors) =
                self.seen.get(&point.time).copied().unwrap_or_default();
            let requests = (point.value - was_requests).max(0.0);
            if requests > 0.0 || failed > was_errors {
                window.minutes += 1;
            }
            window.requests += requests;
            window.errors += (failed - was_errors).max(0.0).min(requests);
            self.seen.insert(
                point.time,
                (point.value.max(was_requests), failed.max(was_errors)),
            );
        }
        window
    }
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
    fn a_window_is_the_traffic_between_two_reads_of_the_growing_minutes() {
        // The deploy ended at 10:22:30; the baseline's read saw minute 22
        // at 40 requests, 2 of them 5XX (the previous release's).
        let end = at(22) + TimeDelta::seconds(30);
        let mut w = Windows::new(
            &points(&[(21, 100.0), (22, 40.0)]),
            &points(&[(21, 1.0), (22, 2.0)]),
            end,
        );
        // 15 s later: minute 22 grew by 20, all 5XX.
        let t = w.next(&points(&[(21, 100.0), (22, 60.0)]), &points(&[(22, 22.0)]));
        assert_eq!((t.minutes, t.requests, t.errors), (1, 20.0, 20.0));
        // Across the minute's end: minute 22 grew by 5 (none 5XX), minute
        // 23 holds 10 (5 of them 5XX).
        let t = w.next(
            &points(&[(22, 65.0), (23, 10.0)]),
            &points(&[(22, 22.0), (23, 5.0)]),
        );
        assert_eq!((t.minutes, t.requests, t.errors), (2, 15.0, 5.0));
        // Nothing new: an empty window; a point revised down counts nothing.
        let t = w.next(&points(&[(22, 60.0), (23, 10.0)]), &points(&[(23, 5.0)]));
        assert_eq!((t.requests, t.errors), (0.0, 0.0));
        assert_eq!(Windows::default().next(&[], &[]), Traffic::default());
    }
}
