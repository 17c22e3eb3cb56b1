//! The watch itself: the newest deployment followed to its end, the
//! baseline learnt from the router metrics before it, then rounds of
//! checks until a threshold is crossed or the time is up. Every API read
//! goes through the platform client and so through its shared request
//! budget; the spacing of the rounds keeps the watch within its share.

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};

use super::baseline::{Traffic, Windows, baseline};
use super::detect::{Detector, Signal};
use crate::config::WatchConfig;
use crate::follow::{FollowError, FollowEvent, FollowOptions, follow};
use crate::health;
use crate::interrupt::Interrupt;
use crate::platform::{Deployment, Platform, PlatformError};

/// Scalingo's API requests each round costs: the app (its status), its
/// events, and the router metrics twice (all requests, 5XX only); a
/// round less than half a pause after the previous read of the metrics
/// (the first, right after the baseline's; the last, when `--for` ends
/// early in a pause) skips them. The health check goes to the app's own URL, not to the API.
pub const REQUESTS_PER_ROUND: u32 = 4;

/// The pause between rounds: 4 requests every 15 s is 16 requests a
/// minute, under a third of Scalingo's 60 (20), so a person can still use
/// rewind beside a watch.
pub const DEFAULT_POLL: Duration = Duration::from_secs(15);

/// Events read each round: a release that crashes more than this within
/// one round is already crashing.
const EVENTS_PER_ROUND: u32 = 20;

/// Failed reads in a row that are only notes; one more ends the watch.
const TOLERATED_READ_FAILURES: u32 = 3;

/// The longest look back Scalingo serves for metrics, in hours.
const MAX_SINCE_HOURS: i64 = 168;

/// How to watch.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// How long to watch after the deploy's end.
    pub duration: Duration,
    /// The pause between two rounds of checks.
    pub poll: Duration,
    pub follow: FollowOptions,
}

/// What to watch.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    pub app: &'a str,
    /// The health URL (`[apps.health_check]`), or `None` for the app's URL
    /// as the platform gives it.
    pub health_url: Option<&'a str>,
    pub expect_status: u16,
    pub config: &'a WatchConfig,
}

/// What the caller is told while watching.
#[derive(Debug, Clone)]
pub enum WatchEvent {
    /// This deployment is the newest: it is followed to its end.
    Following {
        deployment_id: String,
    },
    Follow(FollowEvent),
    /// What the router served before the deploy's end.
    Baseline(Traffic),
    /// The rounds begin.
    Watching {
        until: DateTime<Utc>,
        health_url: String,
        threshold: f64,
    },
    /// Something the person watching should know (a failed read...).
    Note(String),
}

/// What was watched. Not serialised whole: the health URL may carry a
/// token in its query.
#[derive(Debug, Clone)]
pub struct Watched {
    pub deployment: Deployment,
    /// When the deployment ended (its `finished_at`, or when rewind saw it
    /// end when the platform does not say).
    pub ended_at: DateTime<Utc>,
    pub baseline: Traffic,
    /// Rounds of checks made.
    pub rounds: u32,
    pub health_url: String,
}

/// How the watch ended.
#[derive(Debug, Clone)]
pub enum WatchOutcome {
    /// Nothing crossed a threshold for the whole time.
    Quiet(Watched),
    /// A threshold was crossed at `at`.
    Fired {
        watched: Watched,
        signal: Signal,
        at: DateTime<Utc>,
    },
}

/// Why the watch could not watch.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("{app} has no deployment to watch")]
    NoDeployment { app: String },
    #[error(
        "deployment {} ended `{}`: the previous release still runs, and there is no new release to watch",
        .deployment.id, .deployment.status
    )]
    DeployFailed { deployment: Box<Deployment> },
    #[error("the platform gives no URL for {app}, and rewind.toml has no [apps.health_check] url")]
    NoHealthUrl { app: String },
    #[error(transparent)]
    Follow(FollowError),
    #[error("cannot watch: {0}")]
    Platform(PlatformError),
    #[error("interrupted while {phase}")]
    Interrupted { phase: &'static str },
}

impl WatchError {
    /// What the user should do next.
    pub fn hints(&self) -> Vec<String> {
        match self {
            WatchError::NoDeployment { .. } => {
                vec!["deploy a release first; `rewind watch` follows the newest deployment".into()]
            }
            WatchError::DeployFailed { .. } => vec![
                "read the deployment's build log on the dashboard, fix the release and deploy again".into(),
            ],
            WatchError::NoHealthUrl { .. } => vec![
                "add [apps.health_check] with url = \"https://...\" to rewind.toml".into(),
            ],
            WatchError::Follow(e) => e.hints(),
            WatchError::Platform(e) => e.hints(),
            WatchError::Interrupted { .. } => vec![
                "run `rewind watch` again to watch the release; nothing was changed".into(),
            ],
        }
    }
}

fn platform_error(e: PlatformError, phase: &'static str) -> WatchError {
    match e {
        PlatformError::Interrupted { .. } => WatchError::Interrupted { phase },
        other => WatchError::Platform(other),
    }
}

/// Follows the newest deployment of `target.app` to its end, learns the
/// baseline, and watches for `opts.duration`.
pub fn watch(
    platform: &dyn Platform,
    target: &Target<'_>,
    opts: &WatchOptions,
    interrupt: &Interrupt,
    on_event: &mut dyn FnMut(WatchEvent),
) -> Result<WatchOutcome, WatchError> {
    let app = target.app;
    let following = "following the deployment";
    let newest = platform
        .deployments(app, 1, 1)
        .map_err(|e| platform_error(e, following))?
        .items
        .into_iter()
        .next()
        .ok_or_else(|| WatchError::NoDeployment {
            app: app.to_string(),
        })?;
    on_event(WatchEvent::Following {
        deployment_id: newest.id.clone(),
    });
    let followed = follow(
        platform,
        app,
        &newest.id,
        &opts.follow,
        interrupt,
        &mut |e| on_event(WatchEvent::Follow(e)),
    )
    .map_err(|e| match e {
        FollowError::Interrupted { .. } => WatchError::Interrupted { phase: following },
        other => WatchError::Follow(other),
    })?;
    let deployment = followed.deployment;
    if deployment.status.is_failure() {
        return Err(WatchError::DeployFailed {
            deployment: Box::new(deployment),
        });
    }
    let ended_at = deployment.finished_at.unwrap_or_else(Utc::now);

    let learning = "learning the baseline";
    let health_url = match target.health_url {
        Some(url) => url.to_string(),
        None => platform
            .app(app)
            .map_err(|e| platform_error(e, learning))?
            .url
            .ok_or_else(|| WatchError::NoHealthUrl {
                app: app.to_string(),
            })?,
    };
    let look_back = Utc::now() - ended_at
        + TimeDelta::from_std(target.config.baseline).unwrap_or(TimeDelta::minutes(30));
    let hours = (look_back.num_minutes() / 60 + 1).clamp(1, MAX_SINCE_HOURS) as u32;
    let all = platform
        .router_metrics(app, hours, None)
        .map_err(|e| platform_error(e, learning))?;
    let errors = platform
        .router_metrics(app, hours, Some("5XX"))
        .map_err(|e| platform_error(e, learning))?;
    let learnt = baseline(&all, &errors, ended_at, target.config.baseline);
    on_event(WatchEvent::Baseline(learnt));
    let mut windows = Windows::new(&all, &errors, ended_at);
    let mut metrics_read = Instant::now();

    let mut detector = Detector::new(target.config.clone(), &learnt);
    let started = Instant::now();
    on_event(WatchEvent::Watching {
        until: Utc::now() + TimeDelta::from_std(opts.duration).unwrap_or_default(),
        health_url: health_url.clone(),
        threshold: detector.threshold(),
    });
    let mut watched = Watched {
        deployment,
        ended_at,
        baseline: learnt,
        rounds: 0,
        health_url,
    };
    let mut reads = Reads { failures: 0 };
    loop {
        if interrupt.is_raised() {
            return Err(WatchError::Interrupted { phase: "watching" });
        }
        watched.rounds += 1;
        let mut metrics = Metrics {
            windows: &mut windows,
            read_at: &mut metrics_read,
            min_gap: opts.poll / 2,
        };
        if let Some(signal) = round(
            platform,
            target,
            &watched,
            &mut detector,
            &mut reads,
            &mut metrics,
            interrupt,
            on_event,
        )? {
            return Ok(WatchOutcome::Fired {
                watched,
                signal,
                at: Utc::now(),
            });
        }
        let waited = started.elapsed();
        if waited >= opts.duration {
            return Ok(WatchOutcome::Quiet(watched));
        }
        if interrupt.sleep(opts.poll.min(opts.duration - waited)) {
            return Err(WatchError::Interrupted { phase: "watching" });
        }
    }
}

/// Failed reads in a row while watching: the client has retried already;
/// a few more are notes, because a watch that stops on one failed read
/// would leave the release unwatched.
struct Reads {
    failures: u32,
}

impl Reads {
    fn read<T>(
        &mut self,
        what: &str,
        result: Result<T, PlatformError>,
        on_event: &mut dyn FnMut(WatchEvent),
    ) -> Result<Option<T>, WatchError> {
        match result {
            Ok(v) => {
                self.failures = 0;
                Ok(Some(v))
            }
            Err(PlatformError::Interrupted { .. }) => {
                Err(WatchError::Interrupted { phase: "watching" })
            }
            Err(e)
                if (e.is_uncertain() || matches!(e, PlatformError::RateLimited { .. }))
                    && self.failures < TOLERATED_READ_FAILURES =>
            {
                self.failures += 1;
                on_event(WatchEvent::Note(format!(
                    "could not read {what} ({e}); trying again next round"
                )));
                Ok(None)
            }
            Err(e) => Err(WatchError::Platform(e)),
        }
    }
}

/// The router metrics between rounds: the minutes' counts last read, and
/// when.
struct Metrics<'m> {
    windows: &'m mut Windows,
    read_at: &'m mut Instant,
    /// Rounds closer than this to the previous read skip the metrics (the
    /// first round, right after the baseline's read, would read an empty
    /// window and spend two requests of the first minute for nothing).
    min_gap: Duration,
}

/// One round: the health check, the app's status, its events, the router
/// metrics. The first threshold crossed is the signal.
#[allow(clippy::too_many_arguments)]
fn round(
    platform: &dyn Platform,
    target: &Target<'_>,
    watched: &Watched,
    detector: &mut Detector,
    reads: &mut Reads,
    metrics: &mut Metrics<'_>,
    interrupt: &Interrupt,
    on_event: &mut dyn FnMut(WatchEvent),
) -> Result<Option<Signal>, WatchError> {
    let app = target.app;
    let check = health::check(
        &watched.health_url,
        target.expect_status,
        1,
        Duration::ZERO,
        interrupt,
    );
    if interrupt.is_raised() {
        return Err(WatchError::Interrupted { phase: "watching" });
    }
    if let Some(signal) = detector.health(check.ok, check.last_error.as_deref()) {
        return Ok(Some(signal));
    }
    if let Some(found) = reads.read("the app", platform.app(app), on_event)?
        && let Some(signal) = detector.status(&found.status)
    {
        return Ok(Some(signal));
    }
    if let Some(page) = reads.read(
        "the app's events",
        platform.events(app, 1, EVENTS_PER_ROUND),
        on_event,
    )? && let Some(signal) = detector.events(&page.items, watched.ended_at)
    {
        return Ok(Some(signal));
    }
    if metrics.read_at.elapsed() < metrics.min_gap {
        return Ok(None);
    }
    let all = reads.read(
        "the router metrics",
        platform.router_metrics(app, 1, None),
        on_event,
    )?;
    let errors = reads.read(
        "the router metrics",
        platform.router_metrics(app, 1, Some("5XX")),
        on_event,
    )?;
    if let (Some(all), Some(errors)) = (all, errors) {
        // The window runs from the previous read to this one: the time
        // the detector counts is the time the traffic covers.
        let now = Instant::now();
        let elapsed = now.duration_since(*metrics.read_at);
        *metrics.read_at = now;
        let window = metrics.windows.next(&all, &errors);
        return Ok(detector.traffic(Some(&window), elapsed));
    }
    Ok(None)
}

/// The pause between two rounds of one app when `apps` apps are watched
/// together: `poll` times the number of apps, so that the whole watch
/// spends what one app's would, within a third of Scalingo's limit
/// whatever the number of apps.
pub fn pace_for(poll: Duration, apps: usize) -> Duration {
    poll.saturating_mul(u32::try_from(apps.max(1)).unwrap_or(u32::MAX))
}

/// The API requests a minute of `apps` apps watched together, each round
/// `poll` apart (the rounds only: following and the baseline are once).
pub fn requests_per_minute(poll: Duration, apps: usize) -> f64 {
    if poll.is_zero() {
        return f64::INFINITY;
    }
    apps as f64 * f64::from(REQUESTS_PER_ROUND) * 60.0 / poll.as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_pace_stays_within_a_third_of_scalingos_limit() {
        let per_minute = f64::from(REQUESTS_PER_ROUND) * 60.0 / DEFAULT_POLL.as_secs_f64();
        assert_eq!(per_minute, 16.0);
        assert!(per_minute <= 60.0 / 3.0);
    }

    #[test]
    fn several_apps_slow_each_one_down_and_stay_within_a_third_in_all() {
        for apps in 1..=50 {
            let poll = pace_for(DEFAULT_POLL, apps);
            assert_eq!(poll, DEFAULT_POLL * apps as u32);
            let per_minute = requests_per_minute(poll, apps);
            assert!(
                (per_minute - 16.0).abs() < 1e-9,
                "{apps} apps: {per_minute}"
            );
            assert!(per_minute <= 60.0 / 3.0);
        }
        assert_eq!(pace_for(DEFAULT_POLL, 0), DEFAULT_POLL);
        assert_eq!(
            pace_for(Duration::from_secs(15), 3),
            Duration::from_secs(45)
        );
        assert_eq!(requests_per_minute(Duration::from_secs(45), 3), 16.0);
    }
}
