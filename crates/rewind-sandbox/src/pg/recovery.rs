//! Point-in-time recovery of the whole cluster, as PostgreSQL does it: a
//! base backup (`pg_basebackup`) taken at start and after each restore,
//! WAL archived by the server, and a restore that puts the base backup back
//! and replays the archived WAL up to the target time
//! (`recovery_target_time`, then `promote`). Every write committed after
//! the target is lost, in every database of the cluster.

use std::time::{Duration, Instant};

use crate::pg::cluster::{Cluster, Life, RECOVERY_FILE, quoted_path, write_private};
use crate::time::{Timestamp, format, now};

/// How long recovery may take before the restore is given up.
const RECOVERY_DEADLINE: Duration = Duration::from_secs(60);
/// How long the archiver may take to archive the segment just switched.
const ARCHIVE_DEADLINE: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(25);

/// The API writes times to the millisecond: the earliest recoverable
/// moment is rounded up, so that a client passing back the time it was
/// shown is never before the base backup.
fn next_millisecond(t: Timestamp) -> Timestamp {
    let below = i64::from(t.timestamp_subsec_nanos() % 1_000_000);
    if below == 0 {
        t
    } else {
        t + chrono::Duration::nanoseconds(1_000_000 - below)
    }
}

impl Cluster {
    /// The earliest moment the cluster can be recovered to: the end of its
    /// latest base backup.
    pub fn earliest_recoverable(&self) -> Timestamp {
        self.lock().base_backup_at
    }

    /// Takes a base backup into `base/`, replacing the previous one once
    /// the new one is complete.
    pub(super) fn take_base_backup(&self, life: &mut Life) -> Result<(), String> {
        let fresh = self.path("base.new");
        if fresh.exists() {
            std::fs::remove_dir_all(&fresh)
                .map_err(|e| format!("cannot remove {}: {e}", fresh.display()))?;
        }
        let mut backup = self.runner.command(&self.bins.pg_basebackup);
        backup
            .args(["--host", "127.0.0.1", "--port", &self.port().to_string()])
            .args(["--username", super::cluster::USER, "--no-password"])
            .arg("--pgdata")
            .arg(&fresh)
            .args([
                "--wal-method",
                "stream",
                "--checkpoint",
                "fast",
                "--no-sync",
            ]);
        self.runner
            .run(backup, "take a base backup of the PostgreSQL cluster")?;
        let base = self.path("base");
        if base.exists() {
            std::fs::remove_dir_all(&base)
                .map_err(|e| format!("cannot remove the old base backup: {e}"))?;
        }
        std::fs::rename(&fresh, &base)
            .map_err(|e| format!("cannot keep the new base backup: {e}"))?;
        life.base_backup_at = next_millisecond(now());
        Ok(())
    }

    /// Recovers the cluster to `target`: the server is stopped, its data
    /// directory replaced by the base backup, and the archived WAL replayed
    /// up to `target`. When recovery fails, the data directory from before
    /// the restore is put back, so the databases are left unchanged.
    pub fn restore_to(&self, target: Timestamp) -> Result<(), String> {
        let mut life = self.lock();
        if target < life.base_backup_at {
            return Err(format!(
                "{} is before the earliest recoverable moment, {}",
                format(&target),
                format(&life.base_backup_at)
            ));
        }
        if !life.running {
            return Err("the PostgreSQL server is not running".to_string());
        }
        self.archive_everything(&mut life)?;
        self.stop_server(&mut life)?;
        let data = self.path("data");
        let before = self.path("data.before-restore");
        if before.exists() {
            std::fs::remove_dir_all(&before)
                .map_err(|e| format!("cannot remove {}: {e}", before.display()))?;
        }
        std::fs::rename(&data, &before)
            .map_err(|e| format!("cannot move the data directory aside: {e}"))?;
        match self.recover(&mut life, Some(target)) {
            Ok(()) => {
                let _ = std::fs::remove_file(data.join(RECOVERY_FILE));
                let _ = std::fs::remove_dir_all(&before);
                life.databases.clear();
                // The old timeline cannot be replayed onto the new one: the
                // recovery window starts again at a fresh base backup.
                self.take_base_backup(&mut life)
            }
            Err(failure) => {
                let put_back = self.put_back(&mut life);
                match put_back {
                    Ok(()) => Err(format!(
                        "{failure}\nthe databases were put back as they were before the restore"
                    )),
                    Err(e) => Err(format!(
                        "{failure}\nand the data from before the restore could not be put back: {e}"
                    )),
                }
            }
        }
    }

    /// Makes sure every committed write is in the archive: a commit made
    /// now (so that recovery meets a commit later than any target already
    /// accepted, and stops there instead of running out of WAL), then a
    /// WAL switch, then a wait until the archiver has copied that segment.
    pub(super) fn archive_everything(&self, life: &mut Life) -> Result<(), String> {
        self.query(life, "postgres", "select txid_current();")?;
        let segment = self.query(life, "postgres", "select pg_walfile_name(pg_switch_wal());")?;
        let segment = segment.trim();
        let archived = self.path("archive").join(segment);
        let deadline = Instant::now() + ARCHIVE_DEADLINE;
        while !archived.exists() {
            if Instant::now() > deadline {
                return Err(format!(
                    "the WAL segment {segment} was not archived within {} s; server log:\n{}",
                    ARCHIVE_DEADLINE.as_secs(),
                    self.log_tail()
                ));
            }
            std::thread::sleep(POLL);
        }
        Ok(())
    }

    pub(super) fn recover(&self, life: &mut Life, target: Option<Timestamp>) -> Result<(), String> {
        let data = self.path("data");
        let mut copy = self.runner.command(std::path::Path::new("cp"));
        copy.arg("-a").arg(self.path("base")).arg(&data);
        self.runner
            .run(copy, "copy the base backup into the data directory")?;
        let archive = quoted_path(&self.path("archive"))?;
        // Without a target, every archived write is replayed and the
        // server then leaves recovery by itself (starting from a kept
        // snapshot).
        let settings = match target {
            Some(target) => format!(
                "restore_command = 'cp {archive}/%f %p'\n\
                 recovery_target_time = '{}'\n\
                 recovery_target_action = 'promote'\n",
                target.format("%Y-%m-%d %H:%M:%S%.6f+00")
            ),
            None => format!("restore_command = 'cp {archive}/%f %p'\n"),
        };
        for (name, text) in [(RECOVERY_FILE, settings.as_str()), ("recovery.signal", "")] {
            let path = data.join(name);
            write_private(&path, text.as_bytes())?;
            self.runner.give(&path)?;
        }
        self.start_server(life)?;
        let deadline = Instant::now() + RECOVERY_DEADLINE;
        loop {
            match self.query(life, "postgres", "select pg_is_in_recovery();") {
                Ok(answer) if answer.trim() == "f" => return Ok(()),
                Ok(_) => {}
                Err(e) if Instant::now() > deadline => {
                    return Err(format!("recovery did not finish: {e}"));
                }
                // The server removes its pid file when it gives up.
                Err(e) if !data.join("postmaster.pid").exists() => {
                    life.running = false;
                    return Err(format!(
                        "recovery failed: {e}\nserver log:\n{}",
                        self.log_tail()
                    ));
                }
                Err(_) => {}
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "recovery did not finish within {} s; server log:\n{}",
                    RECOVERY_DEADLINE.as_secs(),
                    self.log_tail()
                ));
            }
            std::thread::sleep(POLL);
        }
    }

    fn put_back(&self, life: &mut Life) -> Result<(), String> {
        // The server may be up (recovery too slow) or down (it failed).
        let _ = self.stop_server(life);
        life.running = false;
        let data = self.path("data");
        if data.exists() {
            std::fs::remove_dir_all(&data)
                .map_err(|e| format!("cannot remove the failed data directory: {e}"))?;
        }
        std::fs::rename(self.path("data.before-restore"), &data)
            .map_err(|e| format!("cannot move the data directory back: {e}"))?;
        self.start_server(life)
    }
}

#[cfg(test)]
mod tests {
    use super::next_millisecond;
    use chrono::{TimeZone, Utc};

    #[test]
    fn the_earliest_moment_is_rounded_up_to_the_millisecond() {
        let t = Utc.timestamp_opt(1_784_000_000, 123_456_789).unwrap();
        assert_eq!(next_millisecond(t).timestamp_subsec_nanos(), 124_000_000);
        let exact = Utc.timestamp_opt(1_784_000_000, 5_000_000).unwrap();
        assert_eq!(next_millisecond(exact), exact);
    }
}
