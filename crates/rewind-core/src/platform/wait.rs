//! Waits the platform client makes on its own (a retry after a failed read,
//! Scalingo's rate limit, the request budget), told to whoever shows them
//! ([`WaitObserver`]) and cut short by Ctrl-C: a wait sleeps in short
//! slices and checks the [`Interrupt`] between them, so a person is never
//! left staring at a silent terminal for a minute they cannot stop.

use std::time::{Duration, Instant};

use crate::interrupt::Interrupt;

use super::{PlatformError, Service};

/// Why the client waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitKind {
    /// A read failed in a way that may pass (HTTP 5xx, connection lost,
    /// unreadable answer): it is sent again after this wait.
    Retry {
        /// The attempt that failed, from 1.
        attempt: u32,
        /// Attempts in all.
        of: u32,
        /// What went wrong, in a few words.
        cause: String,
    },
    /// The platform answered `429 too many requests`.
    RateLimited,
    /// rewind's own request budget (shared by every rewind process of this
    /// journal) is spent for the moment: waiting avoids a 429.
    Budget,
}

/// One wait, as the observer is told of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wait {
    pub kind: WaitKind,
    /// Who the request is for: Scalingo, or a sandbox.
    pub service: Service,
    /// The request's path (never a query string or a token).
    pub path: String,
    /// How long the wait lasts, when not interrupted.
    pub length: Duration,
}

/// Told of every wait the client makes. The binary shows a countdown on a
/// terminal and one line per wait elsewhere; tests record them.
pub trait WaitObserver: Send + Sync {
    /// A wait starts.
    fn wait_started(&self, wait: &Wait);
    /// About once a second during a wait: what is left of it.
    fn wait_tick(&self, wait: &Wait, left: Duration) {
        let _ = (wait, left);
    }
    /// The wait is over (finished or interrupted).
    fn wait_ended(&self, wait: &Wait) {
        let _ = wait;
    }
}

/// Nobody watches: the library default.
#[derive(Debug, Default, Clone, Copy)]
pub struct Unwatched;

impl WaitObserver for Unwatched {
    fn wait_started(&self, _wait: &Wait) {}
}

/// How often a wait checks for Ctrl-C.
const SLICE: Duration = Duration::from_millis(50);

/// Waits `wait.length`, telling `observer`, and stops early with
/// [`PlatformError::Interrupted`] when `interrupt` is raised.
pub(crate) fn pause(
    wait: &Wait,
    interrupt: &Interrupt,
    observer: &dyn WaitObserver,
) -> Result<(), PlatformError> {
    let interrupted = || PlatformError::Interrupted {
        what: match &wait.kind {
            WaitKind::Retry { .. } => format!("waiting to ask {} again", wait.path),
            WaitKind::RateLimited => format!("waiting out the rate limit for {}", wait.path),
            WaitKind::Budget => "waiting for the request budget".to_string(),
        },
    };
    if interrupt.is_raised() {
        return Err(interrupted());
    }
    observer.wait_started(wait);
    let why = match &wait.kind {
        WaitKind::Retry { attempt, of, cause } => {
            format!("retry after attempt {attempt} of {of}: {cause}")
        }
        WaitKind::RateLimited => "rate limited (429)".to_string(),
        WaitKind::Budget => "request budget spent".to_string(),
    };
    tracing::debug!(target: "http", path = %wait.path, ms = wait.length.as_millis() as u64, why = %why, "waiting");
    let start = Instant::now();
    let mut next_tick = Duration::from_secs(1);
    let result = loop {
        if interrupt.is_raised() {
            break Err(interrupted());
        }
        let gone = start.elapsed();
        if gone >= wait.length {
            break Ok(());
        }
        if gone >= next_tick {
            observer.wait_tick(wait, wait.length - gone);
            next_tick += Duration::from_secs(1);
        }
        std::thread::sleep(SLICE.min(wait.length - gone));
    };
    observer.wait_ended(wait);
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Seen(Mutex<Vec<String>>);

    impl WaitObserver for Seen {
        fn wait_started(&self, wait: &Wait) {
            self.0
                .lock()
                .unwrap()
                .push(format!("start {:?}", wait.kind));
        }
        fn wait_ended(&self, _wait: &Wait) {
            self.0.lock().unwrap().push("end".into());
        }
    }

    fn budget_wait(length: Duration) -> Wait {
        Wait {
            kind: WaitKind::Budget,
            service: Service::Platform(&crate::platform::scalingo::INFO),
            path: "/v1/apps/shop".into(),
            length,
        }
    }

    #[test]
    fn a_wait_is_told_and_ends() {
        let seen = Seen::default();
        pause(
            &budget_wait(Duration::from_millis(20)),
            &Interrupt::new(),
            &seen,
        )
        .expect("not interrupted");
        assert_eq!(*seen.0.lock().unwrap(), ["start Budget", "end"]);
    }

    #[test]
    fn ctrl_c_ends_a_long_wait_with_a_typed_error() {
        let interrupt = Interrupt::new();
        let other = interrupt.clone();
        let t = std::thread::spawn(move || {
            pause(&budget_wait(Duration::from_secs(600)), &other, &Unwatched)
        });
        std::thread::sleep(Duration::from_millis(100));
        interrupt.raise();
        let err = t.join().expect("thread").expect_err("interrupted");
        assert!(matches!(err, PlatformError::Interrupted { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "interrupted while waiting for the request budget"
        );
    }
}
