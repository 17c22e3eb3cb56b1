//! The following loop: stream frames when a stream is open, reads of the
//! deployment every poll interval when not, one more try at the stream
//! when it is lost, and a last read of the deployment to confirm how it
//! ended. Every read goes through the platform client, and so through its
//! shared request budget; the loop adds no rate logic of its own.

use std::io::BufReader;
use std::time::{Duration, Instant};

use super::error::human;
use super::watch::Watch;
use super::{DeployStream, FollowError, FollowEvent, FollowOptions, Followed};
use crate::interrupt::Interrupt;
use crate::platform::{Deployment, Platform, PlatformError};

/// Longest wait for one stream frame: Ctrl-C and the deadline are checked
/// this often while the stream is quiet.
const STREAM_WAIT: Duration = Duration::from_millis(250);

/// While streaming, the deployment is still read every this many poll
/// intervals: a stream can drop frames (a slow reader, a proxy), and a
/// lost final status must not leave rewind waiting until its timeout.
const STREAM_CHECK_EVERY: u32 = 6;

/// Failed reads of the deployment in a row that are only reported as
/// notes; one more ends the following with the error.
const TOLERATED_READ_FAILURES: u32 = 3;

/// Follows deployment `deployment_id` of `app` until it ends, reporting
/// its statuses, log lines and notes through `on_event`.
pub fn follow(
    platform: &dyn Platform,
    app: &str,
    deployment_id: &str,
    opts: &FollowOptions,
    interrupt: &Interrupt,
    on_event: &mut dyn FnMut(FollowEvent),
) -> Result<Followed, FollowError> {
    let started = Instant::now();
    let polling = format!("polling every {}", human(opts.poll_interval));
    let mut watch = Watch::new(deployment_id);
    let mut stream = if opts.use_stream {
        open_stream(platform, app, &polling, on_event)
    } else {
        None
    };
    let mut via_stream = stream.is_some();
    let mut reconnects_left = u32::from(opts.use_stream);
    // Log lines may have been missed while the stream was down.
    let mut stream_gap = false;
    let mut reads = Reads {
        platform,
        app,
        id: deployment_id,
        failures: 0,
        last: None,
    };
    // Frames sent before the stream opened are gone: learn where the
    // deploy stands now.
    reads.status(&mut watch, on_event)?;
    let mut last_read = Instant::now();

    loop {
        let remaining = time_left(started, opts.timeout, interrupt, &watch)?;
        if watch.finished() {
            if let Some(truth) = reads.deployment(on_event)?
                && !truth.status.in_progress()
            {
                watch.settle(truth.status.clone(), on_event);
                let whole_log_seen = stream.is_some() && !stream_gap && watch.saw_logs();
                return Ok(end(
                    platform,
                    truth,
                    watch,
                    whole_log_seen,
                    via_stream,
                    on_event,
                ));
            }
            // The stream ran ahead of the API (or the read failed): poll
            // until the API confirms.
            if interrupt.sleep(opts.poll_interval.min(remaining)) {
                return Err(FollowError::Interrupted { last: watch.last() });
            }
            continue;
        }
        match stream.as_mut() {
            Some(open) => match open.next_frame(STREAM_WAIT.min(remaining)) {
                Ok(Some(frame)) => watch.frame(frame, on_event),
                Ok(None) => {}
                Err(lost) => {
                    stream = None;
                    stream_gap = true;
                    if reconnects_left > 0 {
                        reconnects_left -= 1;
                        on_event(FollowEvent::Note(format!("{lost}: reconnecting")));
                        stream = open_stream(platform, app, &polling, on_event);
                        via_stream |= stream.is_some();
                    } else {
                        on_event(FollowEvent::Note(format!("{lost}: {polling}")));
                    }
                    // Whatever happened while the stream was down.
                    reads.status(&mut watch, on_event)?;
                    last_read = Instant::now();
                }
            },
            None => {
                if interrupt.sleep(opts.poll_interval.min(remaining)) {
                    return Err(FollowError::Interrupted { last: watch.last() });
                }
                if started.elapsed() >= opts.timeout {
                    continue;
                }
                reads.status(&mut watch, on_event)?;
                last_read = Instant::now();
            }
        }
        if stream.is_some() && last_read.elapsed() >= opts.poll_interval * STREAM_CHECK_EVERY {
            reads.status(&mut watch, on_event)?;
            last_read = Instant::now();
        }
    }
}

/// Reads of the followed deployment while waiting. The client has already
/// retried a failed read; a few more failures in a row are only notes,
/// because the deploy goes on regardless and giving up would leave the
/// person blind to it. Past that, the error is returned.
struct Reads<'a> {
    platform: &'a dyn Platform,
    app: &'a str,
    id: &'a str,
    failures: u32,
    /// The status last read, for an interruption's message.
    last: Option<crate::platform::DeploymentStatus>,
}

impl Reads<'_> {
    /// The deployment, or `None` after a tolerated failure.
    fn deployment(
        &mut self,
        on_event: &mut dyn FnMut(FollowEvent),
    ) -> Result<Option<Deployment>, FollowError> {
        match self.platform.deployment(self.app, self.id) {
            Ok(d) => {
                self.failures = 0;
                self.last = Some(d.status.clone());
                Ok(Some(d))
            }
            // Ctrl-C during the client's own wait (a retry, the rate
            // limit): the following was interrupted, not failed.
            Err(PlatformError::Interrupted { .. }) => Err(FollowError::Interrupted {
                last: self.last.clone(),
            }),
            Err(e) if is_transient(&e) && self.failures < TOLERATED_READ_FAILURES => {
                self.failures += 1;
                on_event(FollowEvent::Note(format!(
                    "could not read the deployment ({e}); trying again"
                )));
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Reads the deployment and records its status.
    fn status(
        &mut self,
        watch: &mut Watch<'_>,
        on_event: &mut dyn FnMut(FollowEvent),
    ) -> Result<(), FollowError> {
        if let Some(d) = self.deployment(on_event)? {
            watch.status(d.status, on_event);
        }
        Ok(())
    }
}

/// Failures that may pass by themselves.
fn is_transient(e: &PlatformError) -> bool {
    e.is_uncertain() || matches!(e, PlatformError::RateLimited { .. })
}

/// The time left before the deadline, or why following stops now.
fn time_left(
    started: Instant,
    timeout: Duration,
    interrupt: &Interrupt,
    watch: &Watch<'_>,
) -> Result<Duration, FollowError> {
    if interrupt.is_raised() {
        return Err(FollowError::Interrupted { last: watch.last() });
    }
    let waited = started.elapsed();
    if waited >= timeout {
        return Err(FollowError::TimedOut {
            last: watch.last(),
            waited,
        });
    }
    Ok(timeout - waited)
}

/// The live stream, or `None` (and a note saying so) when it cannot be had.
fn open_stream(
    platform: &dyn Platform,
    app: &str,
    polling: &str,
    on_event: &mut dyn FnMut(FollowEvent),
) -> Option<Box<dyn DeployStream>> {
    match platform.deployment_stream(app) {
        Ok(Some(stream)) => Some(stream),
        Ok(None) => {
            on_event(FollowEvent::Note(format!(
                "no live stream for this app: {polling}"
            )));
            None
        }
        Err(e) => {
            on_event(FollowEvent::Note(format!(
                "live stream unavailable ({e}): {polling}"
            )));
            None
        }
    }
}

/// The result, with the end of the build log of a failed deploy when the
/// stream did not show all of its end. A log that cannot be read is only a note: the
/// deploy's outcome is known, and that is what the caller needs.
fn end(
    platform: &dyn Platform,
    deployment: Deployment,
    mut watch: Watch<'_>,
    whole_log_seen: bool,
    via_stream: bool,
    on_event: &mut dyn FnMut(FollowEvent),
) -> Followed {
    if deployment.status.is_failure() && !whole_log_seen {
        match platform.build_log(&deployment) {
            Ok(Some(log)) => {
                if let Err(e) = watch.tail_from_log(BufReader::new(log)) {
                    on_event(FollowEvent::Note(format!(
                        "the build log could not be read to its end: {e}"
                    )));
                }
            }
            Ok(None) => on_event(FollowEvent::Note(
                "the platform has no build log for this deployment".into(),
            )),
            Err(e) => on_event(FollowEvent::Note(format!(
                "the build log could not be downloaded: {e}"
            ))),
        }
    }
    Followed {
        deployment,
        tail: watch.into_tail(),
        via_stream,
    }
}
