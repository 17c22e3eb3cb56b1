//! Following something Scalingo runs (a backup, a restore) to its end:
//! polls that start quick and slow down (a small database's backup takes
//! seconds, a big one many minutes), a deadline, and Ctrl-C honoured
//! between polls. Every poll goes through the client's request budget.

use std::time::{Duration, Instant};

use crate::interrupt::Interrupt;
use crate::platform::{Backup, DatabaseOperation, Platform};

use super::DbError;

/// How to wait.
#[derive(Debug, Clone)]
pub struct Poll {
    /// The first pause; each next one is half as long again.
    pub first: Duration,
    /// The longest pause.
    pub max: Duration,
    /// Give up after this long.
    pub deadline: Duration,
    pub interrupt: Interrupt,
}

impl Poll {
    /// Backups of big databases take a while; restores longer.
    pub const BACKUP_DEADLINE: Duration = Duration::from_secs(60 * 60);
    pub const RESTORE_DEADLINE: Duration = Duration::from_secs(3 * 60 * 60);

    pub fn new(deadline: Duration, interrupt: Interrupt) -> Self {
        Poll {
            first: Duration::from_millis(200),
            max: Duration::from_secs(10),
            deadline,
            interrupt,
        }
    }

    /// Calls `check` until it returns a value, pausing between calls.
    pub fn until<T>(
        &self,
        what: &str,
        mut check: impl FnMut() -> Result<Option<T>, DbError>,
    ) -> Result<T, DbError> {
        let started = Instant::now();
        let mut pause = self.first;
        loop {
            if self.interrupt.is_raised() {
                return Err(DbError::Interrupted {
                    what: format!("waiting for the {what}"),
                });
            }
            if let Some(done) = check()? {
                return Ok(done);
            }
            if started.elapsed() >= self.deadline {
                return Err(DbError::TimedOut {
                    what: what.to_string(),
                    waited: started.elapsed(),
                });
            }
            let left = self.deadline.saturating_sub(started.elapsed());
            if self.interrupt.sleep(pause.min(left)) {
                return Err(DbError::Interrupted {
                    what: format!("waiting for the {what}"),
                });
            }
            pause = (pause * 3 / 2).min(self.max);
        }
    }
}

/// Follows a backup until `done`; `on_status` sees each status change.
pub fn follow_backup(
    platform: &dyn Platform,
    app: &str,
    addon_id: &str,
    backup_id: &str,
    poll: &Poll,
    on_status: &mut dyn FnMut(&Backup),
) -> Result<Backup, DbError> {
    let mut last = String::new();
    poll.until("backup", || {
        let backup = platform.backup(app, addon_id, backup_id)?;
        if backup.status != last {
            last = backup.status.clone();
            on_status(&backup);
        }
        if backup.is_done() {
            Ok(Some(backup))
        } else if backup.is_failed() {
            Err(DbError::BackupFailed {
                backup_id: backup.id,
                status: backup.status,
            })
        } else {
            Ok(None)
        }
    })
}

/// Follows a database operation until it finishes well.
pub fn follow_operation(
    platform: &dyn Platform,
    app: &str,
    addon_id: &str,
    operation_id: &str,
    poll: &Poll,
    on_status: &mut dyn FnMut(&DatabaseOperation),
) -> Result<DatabaseOperation, DbError> {
    let mut last = String::new();
    poll.until("point-in-time restore", || {
        let op = platform.database_operation(app, addon_id, operation_id)?;
        if op.status != last {
            last = op.status.clone();
            on_status(&op);
        }
        if !op.is_finished() {
            Ok(None)
        } else if op.is_success() {
            Ok(Some(op))
        } else {
            Err(DbError::RestoreFailed {
                operation_id: op.id,
                status: op.status,
                detail: op.error,
            })
        }
    })
}
