//! One change to an app at a time on this machine: a lock file per app in
//! the journal directory (`locks/<app>.lock`), held with an exclusive
//! `flock` from the moment a person confirms a rollback, a guide action or
//! a database restore until the operation ends. The operating system
//! releases the lock when the process ends, however it ends (`kill -9`
//! included), so a lock is never left behind by a dead rewind; the file
//! keeps the last holder's description for the next one to read.
//!
//! Locks are re-entrant within one process: a guide action that runs a
//! rollback takes the app's lock once, and the rollback inside it finds it
//! held by its own process.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::store::Journal;

/// Who holds a lock, as the next person is told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub user: String,
    pub command: String,
    #[serde(default)]
    pub host: String,
    #[serde(default)]
    pub pid: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
    pub since: DateTime<Utc>,
}

impl Holder {
    /// This process, acting for `user` with `command`.
    pub fn me(user: &str, command: &str) -> Holder {
        Holder {
            user: user.to_string(),
            command: command.to_string(),
            host: host_name(),
            pid: std::process::id(),
            incident: None,
            since: Utc::now(),
        }
    }

    /// "alice (rewind rollback, pid 4242 on laptop, since 02:03:04 UTC,
    /// incident 20261202-020304-ab12)".
    pub fn describe(&self) -> String {
        let mut text = format!(
            "{} (rewind {}, pid {} on {}, since {}",
            self.user,
            self.command,
            self.pid,
            if self.host.is_empty() {
                "this machine"
            } else {
                &self.host
            },
            self.since.format("%H:%M:%S UTC")
        );
        if let Some(id) = &self.incident {
            text.push_str(&format!(", incident {id}"));
        }
        text.push(')');
        text
    }
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

/// Why an app's lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{app} is being changed by {holder} on this machine", holder = holder.as_deref().map_or_else(|| "another rewind".to_string(), Holder::describe))]
    Held {
        app: String,
        /// `None` when the holder had not written its name yet.
        holder: Option<Box<Holder>>,
    },
    /// A teammate holds the app's lock on the team's git remote.
    #[error("{app} is being changed by {holder} (the team lock {refname} on {remote}){stale}", holder = holder.as_deref().map_or_else(|| "a teammate".to_string(), Holder::describe), stale = stale.as_deref().map(|s| format!("; {s}")).unwrap_or_default())]
    HeldByTeammate {
        app: String,
        remote: String,
        refname: String,
        holder: Option<Box<Holder>>,
        /// Why the lock may be stale, when it looks so.
        stale: Option<String>,
    },
    #[error("cannot lock {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl LockError {
    pub fn hints(&self) -> Vec<String> {
        match self {
            LockError::Held { holder, .. } => {
                let mut hints = Vec::new();
                if let Some(id) = holder.as_ref().and_then(|h| h.incident.as_deref()) {
                    hints.push(format!(
                        "follow what it does with `rewind journal show {id}`"
                    ));
                }
                hints.push(
                    "wait for it to end and run the command again: the lock goes with the process that holds it, even if it is killed".into(),
                );
                hints
            }
            LockError::HeldByTeammate { app, holder, .. } => {
                let mut hints = Vec::new();
                if let Some(holder) = holder {
                    hints.push(format!("ask {} where they are", holder.user));
                    if let Some(id) = holder.incident.as_deref() {
                        hints.push(format!(
                            "follow what it does with `rewind journal show {id}`"
                        ));
                    }
                }
                hints.push("wait for it to end and run the command again".into());
                hints.push(format!(
                    "if their rewind is gone (laptop closed, process killed), take the lock away with `rewind unlock {app}`"
                ));
                hints
            }
            LockError::Io { .. } => vec![
                "check that the journal directory is writable, or set REWIND_JOURNAL_DIR".into(),
            ],
        }
    }
}

/// The locks this process holds: the open file (whose `flock` is the
/// lock) and how many guards share it.
fn held() -> MutexGuard<'static, BTreeMap<PathBuf, (File, usize)>> {
    static HELD: Mutex<BTreeMap<PathBuf, (File, usize)>> = Mutex::new(BTreeMap::new());
    HELD.lock().unwrap_or_else(|p| p.into_inner())
}

/// The lock on one app, held until dropped.
#[derive(Debug)]
pub struct AppLock {
    path: PathBuf,
}

impl AppLock {
    /// Takes `app`'s lock for `holder`, or says who holds it. Never waits:
    /// a second operation on the same app is refused, not queued.
    pub fn acquire(journal: &Journal, app: &str, holder: &Holder) -> Result<AppLock, LockError> {
        let path = lock_path(journal, app);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let mut held = held();
        if let Some((_, count)) = held.get_mut(&path) {
            *count += 1;
            return Ok(AppLock { path });
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(LockError::Held {
                    app: app.to_string(),
                    holder: read_holder(&mut file).map(Box::new),
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        write_holder(&mut file, holder).map_err(io)?;
        held.insert(path.clone(), (file, 1));
        Ok(AppLock { path })
    }

    /// Adds the incident the operation opened, for whoever is refused next.
    pub fn set_incident(&self, incident: &str) {
        let mut held = held();
        if let Some((file, _)) = held.get_mut(&self.path)
            && let Some(mut holder) = read_holder(file)
        {
            holder.incident = Some(incident.to_string());
            // Best effort: the lock itself is what matters.
            let _ = write_holder(file, &holder);
        }
    }
}

impl Drop for AppLock {
    fn drop(&mut self) {
        let mut held = held();
        let last = match held.get_mut(&self.path) {
            Some((_, count)) => {
                *count -= 1;
                *count == 0
            }
            None => false,
        };
        if last {
            // Closing the file releases the flock.
            held.remove(&self.path);
        }
    }
}

fn lock_path(journal: &Journal, app: &str) -> PathBuf {
    let safe: String = app
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    journal
        .path()
        .parent()
        .unwrap_or(Path::new("."))
        .join("locks")
        .join(format!("{safe}.lock"))
}

fn read_holder(file: &mut File) -> Option<Holder> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}

fn write_holder(file: &mut File, holder: &Holder) -> std::io::Result<()> {
    let text = serde_json::to_string(holder).map_err(std::io::Error::other)?;
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    file.write_all(text.as_bytes())?;
    file.sync_data()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_process_is_refused_and_told_who_holds_the_lock() {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::open(dir.path());
        let lock =
            AppLock::acquire(&journal, "shop", &Holder::me("alice", "rollback")).expect("first");
        lock.set_incident("20261202-020304-ab12");
        // Another process: a separate open file description on the same
        // file, which is what flock sees from another rewind.
        let mut other = OpenOptions::new()
            .read(true)
            .write(true)
            .open(lock_path(&journal, "shop"))
            .expect("open");
        assert!(matches!(other.try_lock(), Err(TryLockError::WouldBlock)));
        let holder = read_holder(&mut other).expect("holder");
        assert_eq!(holder.user, "alice");
        assert_eq!(holder.incident.as_deref(), Some("20261202-020304-ab12"));
        assert!(holder.describe().contains("incident 20261202-020304-ab12"));
        // The same process may take it again (a guide action running a
        // rollback), and it is released when the last guard goes.
        let inner = AppLock::acquire(&journal, "shop", &Holder::me("alice", "rollback"))
            .expect("re-entrant");
        drop(inner);
        assert!(matches!(other.try_lock(), Err(TryLockError::WouldBlock)));
        drop(lock);
        other.try_lock().expect("released");
    }

    #[test]
    fn odd_app_names_stay_inside_the_locks_folder() {
        let journal = Journal::open(Path::new("/j"));
        assert_eq!(
            lock_path(&journal, "../../etc"),
            PathBuf::from("/j/locks/______etc.lock")
        );
    }
}
