//! Ctrl-C, seen by the core: the binary sets the flag from its signal
//! handler, and long operations check it at step boundaries (and while
//! waiting) so they stop cleanly, journal the interruption and say how to
//! resume, instead of dying in the middle of a step.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// A shared "stop as soon as it is safe" flag.
#[derive(Debug, Clone, Default)]
pub struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks every holder to stop at the next safe point.
    pub fn raise(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_raised(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// Sleeps up to `d`, waking early when interrupted. Returns whether an
    /// interruption was raised.
    pub fn sleep(&self, d: Duration) -> bool {
        let step = Duration::from_millis(50);
        let mut left = d;
        while !left.is_zero() {
            if self.is_raised() {
                return true;
            }
            let now = left.min(step);
            std::thread::sleep(now);
            left -= now;
        }
        self.is_raised()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleeping_wakes_up_on_interrupt() {
        let i = Interrupt::new();
        let other = i.clone();
        let t = std::thread::spawn(move || other.sleep(Duration::from_secs(30)));
        std::thread::sleep(Duration::from_millis(100));
        i.raise();
        assert!(t.join().expect("thread"));
    }
}
