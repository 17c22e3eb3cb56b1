//! What `rewind db status` shows: the addon, its database, its backups and
//! the point-in-time window (or why there is none).

use serde::Serialize;

use crate::platform::{Addon, Backup, Database, Platform, PlatformError, RecoveryWindow};

use super::DbError;

#[derive(Debug, Clone, Serialize)]
pub struct DbStatus {
    pub addon: Addon,
    pub database: Database,
    /// Newest first.
    pub backups: Vec<Backup>,
    pub recovery_window: Option<RecoveryWindow>,
    /// Why there is no window, when there is none.
    pub recovery_window_note: Option<String>,
}

pub fn db_status(platform: &dyn Platform, app: &str, addon: &Addon) -> Result<DbStatus, DbError> {
    let database = platform.database(app, &addon.id)?;
    let backups = platform.backups(app, &addon.id)?;
    let (recovery_window, recovery_window_note) = if addon.is_postgresql() {
        match platform.recovery_window(app, &addon.id) {
            Ok(window) => (Some(window), None),
            // An answer, not a failed read: there is no window yet.
            Err(e @ PlatformError::NoRecoveryWindow { .. }) => (None, Some(e.to_string())),
            Err(e) => return Err(e.into()),
        }
    } else {
        (
            None,
            Some(format!(
                "point-in-time restore is not available for {} (PostgreSQL only)",
                addon.provider_id
            )),
        )
    };
    Ok(DbStatus {
        addon: addon.clone(),
        database,
        backups,
        recovery_window,
        recovery_window_note,
    })
}
