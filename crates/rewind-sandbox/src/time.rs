//! Timestamps as the API writes them: ISO-8601 with an offset and
//! milliseconds (`2026-07-18T23:00:00.000+00:00`), and the sandbox's
//! clock.
//!
//! The clock is the system's, moved forward by what
//! `POST /_sandbox/clock` asked: a test that needs time to pass (a bearer
//! to expire, a restore time strictly between two writes) moves it instead
//! of sleeping. Each sandbox has its own (tests run many side by side in
//! one process): every thread of its runtime, workers and blocking ones,
//! holds it in a thread-local, which `now()` reads, so that every
//! timestamp the sandbox makes and every expiry it checks follow the same
//! clock. Anywhere else (a sandbox's start, on its caller's thread, before
//! anyone could move it) `now()` is the system's time.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, SecondsFormat, Utc};

pub type Timestamp = DateTime<Utc>;

/// A sandbox's clock: how far ahead of the system's it is.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    ahead_ms: Arc<AtomicI64>,
}

thread_local! {
    static THREAD_CLOCK: RefCell<Option<Clock>> = const { RefCell::new(None) };
}

impl Clock {
    pub fn now(&self) -> Timestamp {
        Utc::now() + chrono::Duration::milliseconds(self.ahead_ms())
    }

    /// How far ahead of the system's clock it is, in milliseconds.
    pub fn ahead_ms(&self) -> i64 {
        self.ahead_ms.load(Ordering::SeqCst)
    }

    /// Moves it forward; it never goes back, as the system's does not
    /// for the API's clients.
    pub fn advance(&self, ms: u32) {
        self.ahead_ms.fetch_add(i64::from(ms), Ordering::SeqCst);
    }

    /// Makes it the clock `now()` reads on this thread.
    pub fn install(&self) {
        THREAD_CLOCK.with(|c| *c.borrow_mut() = Some(self.clone()));
    }
}

/// Now, by the clock of the sandbox this thread serves.
pub fn now() -> Timestamp {
    THREAD_CLOCK
        .with(|c| c.borrow().as_ref().map(Clock::now))
        .unwrap_or_else(Utc::now)
}

/// Formats a timestamp the way the API does.
pub fn format(t: &Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, false)
}

/// A fresh identifier shaped like the API's (24 hex digits, as Mongo ids).
pub fn new_id() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..24)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect()
}
