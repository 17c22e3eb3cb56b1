//! A request budget shared by everything in the process, and, when given a
//! directory, by every rewind process that uses it (the journal's): six
//! `rewind status` runs and a rollback within the same minute draw on one
//! budget instead of each discovering Scalingo's limit of 60 requests per
//! minute by earning 429s. Requests wait for a slot instead.
//!
//! The shared state is a small file of recent request times (Unix
//! milliseconds, one a line), read and rewritten under an exclusive lock
//! (`flock`) for each request. When the file cannot be used (a read-only
//! directory), the budget falls back to this process alone: it is a
//! courtesy to the rate limit, never a reason to fail a rollback.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The file, in the directory given to [`RequestBudget::persistent`].
pub const BUDGET_FILE: &str = "scalingo-requests";

/// How much earlier than asked [`RequestBudget::spent_for`] ends.
const SLACK_MS: u64 = 20;

/// A sliding-window limit: at most `capacity` requests in any `window`.
#[derive(Debug)]
pub struct RequestBudget {
    capacity: usize,
    window: Duration,
    /// Send times (Unix ms) when no file is shared, or when it fails.
    sent: Mutex<VecDeque<u64>>,
    file: Option<PathBuf>,
}

impl RequestBudget {
    /// Scalingo documents 60 requests per minute per user; rewind keeps a
    /// small margin for the dashboard or CLI the user may have open.
    pub const SCALINGO_PER_MINUTE: usize = 55;

    /// A budget for this process only.
    pub fn new(capacity: usize, window: Duration) -> Arc<Self> {
        Arc::new(RequestBudget {
            capacity: capacity.max(1),
            window,
            sent: Mutex::new(VecDeque::new()),
            file: None,
        })
    }

    /// A budget shared with every process using `dir` (rewind passes the
    /// journal directory), kept in [`BUDGET_FILE`] there.
    pub fn persistent(capacity: usize, window: Duration, dir: &Path) -> Arc<Self> {
        Arc::new(RequestBudget {
            capacity: capacity.max(1),
            window,
            sent: Mutex::new(VecDeque::new()),
            file: Some(dir.join(BUDGET_FILE)),
        })
    }

    /// Scalingo's budget shared through `dir`, one per directory in this
    /// process (every client of the process then shares it too).
    pub fn scalingo_in(dir: &Path) -> Arc<Self> {
        static SHARED: OnceLock<Mutex<Vec<Arc<RequestBudget>>>> = OnceLock::new();
        let all = SHARED.get_or_init(Default::default);
        let mut all = all.lock().unwrap_or_else(|e| e.into_inner());
        let file = dir.join(BUDGET_FILE);
        if let Some(found) = all.iter().find(|b| b.file.as_deref() == Some(&file)) {
            return found.clone();
        }
        let budget = Self::persistent(Self::SCALINGO_PER_MINUTE, Duration::from_secs(60), dir);
        all.push(budget.clone());
        budget
    }

    /// The one in-process budget every Scalingo client shares when no
    /// directory is given.
    pub fn shared() -> Arc<Self> {
        static SHARED: OnceLock<Arc<RequestBudget>> = OnceLock::new();
        SHARED
            .get_or_init(|| RequestBudget::new(Self::SCALINGO_PER_MINUTE, Duration::from_secs(60)))
            .clone()
    }

    /// Waits until a request may be sent, then counts it. Not stopped by
    /// Ctrl-C: the Scalingo client waits with [`RequestBudget::try_acquire`]
    /// instead, interruptibly and in view.
    pub fn acquire(&self) {
        while let Some(wait) = self.try_acquire() {
            std::thread::sleep(wait);
        }
    }

    /// Counts a request now if the budget allows it; otherwise says how
    /// long to wait before asking again (the caller waits, interruptibly).
    pub fn try_acquire(&self) -> Option<Duration> {
        self.try_acquire_at(now_ms())
    }

    /// How long until the oldest request counted leaves the window: when
    /// Scalingo answers 429 without `Retry-After`, the rest of its window.
    /// `None` when nothing is counted.
    pub fn rest_of_window(&self) -> Option<Duration> {
        let now = now_ms();
        let oldest = self.with_times(now, |times| times.front().copied())?;
        Some(
            self.window
                .saturating_sub(Duration::from_millis(now.saturating_sub(oldest))),
        )
    }

    /// Counts the budget as spent for `wait` (at most a window): Scalingo
    /// answered 429, so every thread and every rewind process sharing the
    /// budget waits too, instead of earning 429s of its own.
    pub fn spent_for(&self, wait: Duration) {
        let now = now_ms();
        let window = self.window.as_millis() as u64;
        // Ends a little before the caller's own wait, so that clock
        // rounding never makes the process that waited wait again.
        let until = now
            + (wait.as_millis() as u64)
                .min(window)
                .saturating_sub(SLACK_MS);
        // A request counted at `mark` leaves the window at `until`.
        let mark = until.saturating_sub(window);
        let capacity = self.capacity;
        self.with_times(now, |times| {
            let staying = times.iter().filter(|&&t| t >= mark).count();
            for _ in staying..capacity {
                times.push_back(mark);
            }
            times.make_contiguous().sort_unstable();
        });
    }

    /// Requests counted in the current window (by every process sharing
    /// the file).
    pub fn in_window(&self) -> usize {
        self.with_times(now_ms(), |times| times.len())
    }

    fn try_acquire_at(&self, now: u64) -> Option<Duration> {
        let capacity = self.capacity;
        let window = self.window;
        self.with_times(now, |times| {
            if times.len() < capacity {
                times.push_back(now);
                return None;
            }
            let oldest = *times.front()?;
            let age = Duration::from_millis(now.saturating_sub(oldest));
            Some(window.saturating_sub(age) + Duration::from_millis(1))
        })
    }

    /// Runs `f` on the send times of the window (older ones dropped),
    /// keeping what it changes: in the shared file when there is one and
    /// it works, else in memory.
    fn with_times<T>(&self, now: u64, f: impl FnOnce(&mut VecDeque<u64>) -> T) -> T {
        // Threads of this process take the mutex first, so the file lock
        // is only ever contended between processes.
        let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        let since = now.saturating_sub(self.window.as_millis() as u64);
        if let Some(path) = &self.file
            && let Ok((mut file, mut times)) = open_locked(path, since)
        {
            let out = f(&mut times);
            // A failed write loses a few counts: the limit itself still
            // answers 429, which is waited out.
            let _ = write_times(&mut file, &times);
            return out;
        }
        sent.retain(|&t| t > since);
        f(&mut sent)
    }
}

/// Opens (creating it and its directory) and locks the shared file, and
/// reads the times after `since`, oldest first. Lines that are not times
/// (a torn write, a hand edit) are skipped. The lock is released when the
/// file is closed.
fn open_locked(path: &Path, since: u64) -> std::io::Result<(File, VecDeque<u64>)> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    file.lock()?;
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    let mut times: Vec<u64> = text
        .lines()
        .filter_map(|l| l.trim().parse::<u64>().ok())
        .filter(|&t| t > since)
        .collect();
    times.sort_unstable();
    Ok((file, times.into()))
}

fn write_times(file: &mut File, times: &VecDeque<u64>) -> std::io::Result<()> {
    let mut text = String::from(
        "# rewind: Scalingo requests sent by rewind in the last minute (Unix ms), shared by every rewind process\n",
    );
    for t in times {
        text.push_str(&t.to_string());
        text.push('\n');
    }
    file.seek(SeekFrom::Start(0))?;
    file.set_len(0)?;
    file.write_all(text.as_bytes())
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_capacity_then_asks_to_wait_until_the_oldest_leaves_the_window() {
        let budget = RequestBudget::new(3, Duration::from_secs(60));
        let t0 = now_ms();
        assert!(budget.try_acquire_at(t0).is_none());
        assert!(budget.try_acquire_at(t0 + 1_000).is_none());
        assert!(budget.try_acquire_at(t0 + 2_000).is_none());
        let wait = budget.try_acquire_at(t0 + 10_000).expect("full");
        assert!(
            wait > Duration::from_secs(49) && wait <= Duration::from_secs(51),
            "{wait:?}"
        );
        assert!(budget.try_acquire_at(t0 + 60_000).is_none());
    }

    #[test]
    fn is_shared_across_threads() {
        let budget = RequestBudget::new(1000, Duration::from_secs(60));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let b = budget.clone();
                std::thread::spawn(move || (0..25).for_each(|_| assert!(b.try_acquire().is_none())))
            })
            .collect();
        handles.into_iter().for_each(|h| h.join().expect("thread"));
        assert_eq!(budget.in_window(), 100);
    }

    #[test]
    fn threads_of_several_apps_never_get_more_than_the_capacity_between_them() {
        // A rollback of several apps: one thread per app, each with its own
        // client, all clients on the one budget of the journal's directory
        // (`scalingo_in`), racing for slots.
        let dir = tempfile::tempdir().expect("temp dir");
        let granted = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..5 {
                s.spawn(|| {
                    let budget = RequestBudget::persistent(12, Duration::from_secs(60), dir.path());
                    for _ in 0..10 {
                        if budget.try_acquire().is_none() {
                            granted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        assert_eq!(granted.into_inner(), 12);
        let shared = RequestBudget::scalingo_in(dir.path());
        assert!(std::sync::Arc::ptr_eq(
            &shared,
            &RequestBudget::scalingo_in(dir.path())
        ));
    }

    #[test]
    fn two_budgets_on_one_directory_share_the_count() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = RequestBudget::persistent(5, Duration::from_secs(60), dir.path());
        let second = RequestBudget::persistent(5, Duration::from_secs(60), dir.path());
        for _ in 0..3 {
            assert!(first.try_acquire().is_none());
        }
        assert_eq!(second.in_window(), 3);
        assert!(second.try_acquire().is_none());
        assert!(second.try_acquire().is_none());
        let wait = first.try_acquire().expect("the shared budget is spent");
        assert!(wait > Duration::from_secs(50), "{wait:?}");
        assert!(second.rest_of_window().is_some());
        // Garbage in the file is skipped, not fatal.
        let path = dir.path().join(BUDGET_FILE);
        let mut text = std::fs::read_to_string(&path).expect("file");
        text.push_str("not a time\n");
        std::fs::write(&path, text).expect("write");
        assert_eq!(first.in_window(), 5);
    }

    #[test]
    fn a_429_seen_by_one_process_makes_the_others_wait() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = RequestBudget::persistent(5, Duration::from_secs(60), dir.path());
        let second = RequestBudget::persistent(5, Duration::from_secs(60), dir.path());
        assert!(first.try_acquire().is_none());
        first.spent_for(Duration::from_secs(20));
        let wait = second.try_acquire().expect("spent");
        assert!(
            wait > Duration::from_secs(18) && wait <= Duration::from_secs(21),
            "{wait:?}"
        );
        // Never more than a window.
        let memory = RequestBudget::new(3, Duration::from_secs(1));
        memory.spent_for(Duration::from_secs(600));
        assert!(memory.try_acquire().expect("spent") <= Duration::from_millis(1001));
    }

    #[test]
    fn an_unusable_directory_falls_back_to_this_process() {
        let dir = tempfile::tempdir().expect("temp dir");
        let blocker = dir.path().join("a-file");
        std::fs::write(&blocker, "").expect("write");
        let budget = RequestBudget::persistent(2, Duration::from_secs(60), &blocker.join("sub"));
        assert!(budget.try_acquire().is_none());
        assert!(budget.try_acquire().is_none());
        assert!(budget.try_acquire().is_some());
    }
}
