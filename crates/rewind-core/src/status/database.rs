//! The database part of a status: which addon, its state, its latest
//! backups and the point-in-time window, when the app has one.

use serde::Serialize;

use crate::config::AppConfig;
use crate::db::{DbError, database_addon};
use crate::platform::{Addon, Backup, Database, Platform, PlatformError, RecoveryWindow};

#[derive(Debug, Clone, Serialize)]
pub struct DatabaseStatus {
    pub addon: Addon,
    /// `None` when it could not be read: `database_error` says why.
    pub database: Option<Database>,
    pub database_error: Option<String>,
    /// Newest first, at most five. Empty when there are none, or when
    /// they could not be read: `backups_error` says which.
    pub backups: Vec<Backup>,
    pub backups_error: Option<String>,
    /// Only PostgreSQL databases have one; `None` also when it could not
    /// be read (`recovery_window_error` says why).
    pub recovery_window: Option<RecoveryWindow>,
    pub recovery_window_error: Option<String>,
    pub notes: Vec<String>,
}

/// The database status, or `None` when the app has no database addon.
/// The addon is the one `rewind db` would pick (`db::database_addon`).
pub fn database_status(
    platform: &dyn Platform,
    config: &AppConfig,
) -> Result<Option<DatabaseStatus>, DbError> {
    let wanted = config.database.as_ref().map(|d| d.addon.as_str());
    let addon = match database_addon(platform, &config.name, wanted) {
        Ok(addon) => addon,
        Err(DbError::NoDatabaseAddon { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut notes = Vec::new();
    let (database, database_error) = split(platform.database(&config.name, &addon.id));
    let (backups, backups_error) = split(platform.backups(&config.name, &addon.id));
    let mut backups = backups.unwrap_or_default();
    backups.truncate(5);
    let (recovery_window, recovery_window_error) = if addon.is_postgresql() {
        match platform.recovery_window(&config.name, &addon.id) {
            // An answer, not a failed read: there is no window yet.
            Err(e @ PlatformError::NoRecoveryWindow { .. }) => {
                notes.push(e.to_string());
                (None, None)
            }
            read => split(read),
        }
    } else {
        notes.push("point-in-time recovery is only available for PostgreSQL".to_string());
        (None, None)
    };
    Ok(Some(DatabaseStatus {
        addon,
        database,
        database_error,
        backups,
        backups_error,
        recovery_window,
        recovery_window_error,
        notes,
    }))
}

/// A read's value, or why it failed.
fn split<T>(read: Result<T, PlatformError>) -> (Option<T>, Option<String>) {
    match read {
        Ok(value) => (Some(value), None),
        Err(e) => (None, Some(e.to_string())),
    }
}
