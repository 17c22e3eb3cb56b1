//! A request budget shared by everything in the process, so that rewind
//! stays under Scalingo's limit of 60 requests per minute even when several
//! operations run at once (a deploy being followed while the database is
//! polled, say). Requests wait for a slot instead of earning a 429.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// A sliding-window limit: at most `capacity` requests in any `window`.
#[derive(Debug)]
pub struct RequestBudget {
    capacity: usize,
    window: Duration,
    sent: Mutex<VecDeque<Instant>>,
}

impl RequestBudget {
    /// Scalingo documents 60 requests per minute per user; rewind keeps a
    /// small margin for the dashboard or CLI the user may have open.
    pub const SCALINGO_PER_MINUTE: usize = 55;

    pub fn new(capacity: usize, window: Duration) -> Arc<Self> {
        Arc::new(RequestBudget {
            capacity: capacity.max(1),
            window,
            sent: Mutex::new(VecDeque::new()),
        })
    }

    /// The one budget every Scalingo client of the process shares.
    pub fn shared() -> Arc<Self> {
        static SHARED: OnceLock<Arc<RequestBudget>> = OnceLock::new();
        SHARED
            .get_or_init(|| RequestBudget::new(Self::SCALINGO_PER_MINUTE, Duration::from_secs(60)))
            .clone()
    }

    /// Waits until a request may be sent, then counts it.
    pub fn acquire(&self) {
        loop {
            match self.try_acquire(Instant::now()) {
                None => return,
                Some(wait) => std::thread::sleep(wait),
            }
        }
    }

    /// Counts a request sent at `now` if the budget allows it; otherwise
    /// returns how long to wait before trying again.
    fn try_acquire(&self, now: Instant) -> Option<Duration> {
        let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        while let Some(&oldest) = sent.front() {
            if now.duration_since(oldest) >= self.window {
                sent.pop_front();
            } else {
                break;
            }
        }
        if sent.len() < self.capacity {
            sent.push_back(now);
            return None;
        }
        let oldest = *sent.front()?;
        Some(self.window.saturating_sub(now.duration_since(oldest)) + Duration::from_millis(1))
    }

    /// Requests counted in the current window.
    pub fn in_window(&self) -> usize {
        let now = Instant::now();
        let sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        sent.iter()
            .filter(|t| now.duration_since(**t) < self.window)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_capacity_then_asks_to_wait_until_the_oldest_leaves_the_window() {
        let budget = RequestBudget::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(budget.try_acquire(t0).is_none());
        assert!(budget.try_acquire(t0 + Duration::from_secs(1)).is_none());
        assert!(budget.try_acquire(t0 + Duration::from_secs(2)).is_none());
        let wait = budget
            .try_acquire(t0 + Duration::from_secs(10))
            .expect("full");
        assert!(
            wait > Duration::from_secs(49) && wait <= Duration::from_secs(51),
            "{wait:?}"
        );
        assert!(budget.try_acquire(t0 + Duration::from_secs(60)).is_none());
    }

    #[test]
    fn is_shared_across_threads() {
        let budget = RequestBudget::new(1000, Duration::from_secs(60));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let b = budget.clone();
                std::thread::spawn(move || (0..25).for_each(|_| b.acquire()))
            })
            .collect();
        handles.into_iter().for_each(|h| h.join().expect("thread"));
        assert_eq!(budget.in_window(), 100);
    }
}
