//! The database part of a status: which addon, its state, its latest
//! backups and the point-in-time window, when the app has one.

use serde::Serialize;

use crate::config::AppConfig;
use crate::platform::{Addon, Backup, Database, Platform, PlatformError, RecoveryWindow};

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

/// The addon the configuration names (an addon id, or a provider such as
/// `scalingo-postgresql`), else the app's only database addon.
pub fn pick_addon<'a>(addons: &'a [Addon], config: &AppConfig) -> Option<&'a Addon> {
    if let Some(db) = &config.database {
        return addons
            .iter()
            .find(|a| a.id == db.addon || a.resource_id.as_deref() == Some(&db.addon))
            .or_else(|| addons.iter().find(|a| a.provider_id == db.addon));
    }
    let databases: Vec<&Addon> = addons
        .iter()
        .filter(|a| {
            [
                "postgresql",
                "mysql",
                "mongodb",
                "redis",
                "elasticsearch",
                "influxdb",
                "opensearch",
            ]
            .iter()
            .any(|kind| a.provider_id.contains(kind))
        })
        .collect();
    match databases.as_slice() {
        [only] => Some(only),
        _ => databases.into_iter().find(|a| a.is_postgresql()),
    }
}

/// The database status, or `None` when the app has no database addon.
pub fn database_status(
    platform: &dyn Platform,
    config: &AppConfig,
) -> Result<Option<DatabaseStatus>, PlatformError> {
    let addons = platform.addons(&config.name)?;
    let Some(addon) = pick_addon(&addons, config).cloned() else {
        return Ok(None);
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
