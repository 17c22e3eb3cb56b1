//! The database part of a status: which addon, its state, its latest
//! backups and the point-in-time window, when the app has one.

use serde::Serialize;

use crate::config::AppConfig;
use crate::db::{DbError, database_addon};
use crate::platform::{Addon, Backup, Database, Platform, RecoveryWindow};

#[derive(Debug, Clone, Serialize)]
pub struct DatabaseStatus {
    pub addon: Addon,
    pub database: Option<Database>,
    /// Newest first, at most five.
    pub backups: Vec<Backup>,
    /// Only PostgreSQL databases have one.
    pub recovery_window: Option<RecoveryWindow>,
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
    let database = match platform.database(&config.name, &addon.id) {
        Ok(d) => Some(d),
        Err(e) => {
            notes.push(format!("database details unavailable: {e}"));
            None
        }
    };
    let backups = match platform.backups(&config.name, &addon.id) {
        Ok(mut b) => {
            b.truncate(5);
            b
        }
        Err(e) => {
            notes.push(format!("backups unavailable: {e}"));
            Vec::new()
        }
    };
    let recovery_window = if addon.is_postgresql() {
        match platform.recovery_window(&config.name, &addon.id) {
            Ok(w) => Some(w),
            Err(e) => {
                notes.push(format!("point-in-time window unavailable: {e}"));
                None
            }
        }
    } else {
        notes.push("point-in-time recovery is only available for PostgreSQL".to_string());
        None
    };
    Ok(Some(DatabaseStatus {
        addon,
        database,
        backups,
        recovery_window,
        notes,
    }))
}
