//! Shows the waits the Scalingo client makes on its own: a retry after a
//! failed read, Scalingo's rate limit, rewind's request budget. On a
//! terminal, a countdown on one line rewritten each second; elsewhere (a
//! log, CI), one line per wait. Writes to stderr never panic: a closed
//! stderr must not stop a rollback half-way.

use std::time::Duration;

use rewind_core::platform::{Service, Wait, WaitKind, WaitObserver};

pub struct WaitDisplay {
    terminal: bool,
}

impl WaitDisplay {
    pub fn stderr() -> Self {
        WaitDisplay {
            terminal: crate::output::stderr_is_terminal(),
        }
    }
}

/// Budget and rate-limit waits shorter than this pass unannounced: a
/// pause nobody notices needs no line.
const NOTICEABLE: Duration = Duration::from_secs(1);

impl WaitObserver for WaitDisplay {
    fn wait_started(&self, wait: &Wait) {
        if !shown(wait) {
            return;
        }
        if self.terminal {
            crate::output::progress(&countdown(wait, wait.length));
        } else {
            crate::output::message(
                &format!("{}: waiting {}", describe(wait), seconds(wait.length)),
                true,
            );
        }
    }

    fn wait_tick(&self, wait: &Wait, left: Duration) {
        if self.terminal && shown(wait) {
            crate::output::progress(&countdown(wait, left));
        }
    }

    fn wait_ended(&self, wait: &Wait) {
        if self.terminal && shown(wait) {
            crate::output::progress("");
        }
    }
}

fn shown(wait: &Wait) -> bool {
    matches!(wait.kind, WaitKind::Retry { .. }) || wait.length >= NOTICEABLE
}

fn countdown(wait: &Wait, left: Duration) -> String {
    format!(
        "{}: {} left (Ctrl-C to stop)",
        describe(wait),
        seconds(left)
    )
}

/// What the wait is for, in words. Paths are rewind's own (ids are
/// percent-encoded), causes are rewind's words or the HTTP status.
fn describe(wait: &Wait) -> String {
    match &wait.kind {
        WaitKind::Retry { attempt, of, cause } => format!(
            "note: {} failed ({cause}); asking again (attempt {} of {of})",
            wait.path,
            attempt + 1
        ),
        WaitKind::RateLimited => match &wait.service {
            Service::Platform(p) => format!(
                "note: {} answered `too many requests` for {}; waiting it out",
                p.rate_limit_note, wait.path
            ),
            Service::Sandbox { .. } => format!(
                "note: the sandbox's rate limit answered `too many requests` for {}; waiting it out",
                wait.path
            ),
        },
        WaitKind::Budget => "note: rewind's request budget for this minute is spent (shared by every rewind run of this repository); waiting for it".to_string(),
    }
}

fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs_f64().ceil() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_described_with_their_length() {
        let wait = Wait {
            kind: WaitKind::RateLimited,
            service: Service::Platform(&rewind_core::platform::scalingo::INFO),
            path: "/v1/apps/shop".into(),
            length: Duration::from_millis(41_200),
        };
        assert!(shown(&wait));
        assert_eq!(
            countdown(&wait, wait.length),
            "note: Scalingo's rate limit (60 requests a minute) answered `too many requests` for /v1/apps/shop; waiting it out: 42 s left (Ctrl-C to stop)"
        );
        let short = Wait {
            kind: WaitKind::Budget,
            service: Service::Platform(&rewind_core::platform::scalingo::INFO),
            path: "/v1/apps/shop".into(),
            length: Duration::from_millis(20),
        };
        assert!(!shown(&short));
    }
}
