//! What the sandbox keeps for each database (an addon seen through the
//! database API): its contents, backups, operations and the faults queued
//! for it; and how a handler finds a database, its addon and its app from
//! the database id (which is the addon id).

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Value, json};

use crate::api_error::ApiError;
use crate::config::BackupSize;
use crate::database::backend::Backend;
use crate::database::content::Content;
use crate::database::dump::Dump;
use crate::state::{Addon, App, World};
use crate::time::{Timestamp, format, now};

/// One database's state. Created the first time the database is used.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct DatabaseRecord {
    #[serde(default)]
    pub content: Content,
    /// Oldest first; the API lists them newest first.
    #[serde(default)]
    pub backups: Vec<Backup>,
    /// Oldest first.
    #[serde(default)]
    pub operations: Vec<DbOperation>,
    /// The next backup created ends in `error`.
    #[serde(default)]
    pub fail_next_backup: bool,
    /// The next restore operation ends in `error`.
    #[serde(default)]
    pub fail_next_restore: bool,
}

impl DatabaseRecord {
    /// The operation still in progress, if any: it makes the database show
    /// as restoring and refuse another restore.
    pub fn current_operation(&self) -> Option<&DbOperation> {
        self.operations.iter().rev().find(|o| o.in_progress())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Backup {
    pub id: String,
    pub database_id: String,
    /// `YYYYmmddHHMMSS_<resource_id>`, as the API names them.
    pub name: String,
    pub created_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    /// scheduled | running | done | error
    pub status: String,
    /// periodic | manual
    pub method: String,
    /// Byte size of the archive once done; 0 when the backup failed; unknown
    /// (null) until it has started.
    pub size: Option<u64>,
    /// The dump taken when the backup started.
    pub dump: Option<Dump>,
    /// Decided at creation (from `fail_next_backup`): ends in `error`.
    #[serde(default)]
    pub will_fail: bool,
}

impl Backup {
    /// The backup as the API shows it; `size` as the variant in use says.
    pub fn json(&self, size_form: BackupSize) -> Value {
        let size = match (self.status.as_str(), self.size) {
            ("scheduled", _) => Value::Null,
            (_, Some(size)) if size > 0 && size_form == BackupSize::Differs => {
                // The dump's size before compression: another figure than
                // the archive's bytes, never equal to them.
                let dump = self.dump.as_ref().map_or(0, |d| d.bytes().len() as u64);
                json!(if dump == size || dump == 0 {
                    size * 2 + 1
                } else {
                    dump
                })
            }
            (_, size) => json!(size.unwrap_or(0)),
        };
        json!({
            "id": self.id,
            "created_at": format(&self.created_at),
            "started_at": self.started_at.as_ref().map(format),
            "name": self.name,
            "size": size,
            "status": self.status,
            "database_id": self.database_id,
            "method": self.method,
        })
    }
}

/// An operation on a database (today: a point-in-time restore).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DbOperation {
    pub id: String,
    /// `pitr_restore`
    pub kind: String,
    /// pending | running | finished | error
    pub status: String,
    pub created_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    pub error: Option<String>,
    pub restore_time: Timestamp,
    /// Decided at creation (from `fail_next_restore`): ends in `error`.
    #[serde(default)]
    pub will_fail: bool,
}

impl DbOperation {
    pub fn in_progress(&self) -> bool {
        matches!(self.status.as_str(), "pending" | "running")
    }

    pub fn json(&self, database_id: &str) -> Value {
        json!({
            "id": self.id,
            "type": self.kind,
            "status": self.status,
            "database_id": database_id,
            "created_at": format(&self.created_at),
            "finished_at": self.finished_at.as_ref().map(format),
            "error": self.error,
        })
    }
}

/// A database found by id, with the app that owns it, and the real
/// PostgreSQL its contents may live in.
pub struct Located<'w> {
    pub app: &'w mut App,
    pub addon: Addon,
    pub record: &'w mut DatabaseRecord,
    pub backend: &'w Backend,
}

/// Finds the database `id` (an addon id) in the world; 404 `database` when
/// no app has that addon.
pub fn locate<'w>(world: &'w mut World, id: &str) -> Result<Located<'w>, ApiError> {
    let World { apps, database, .. } = world;
    let (app, addon) = apps
        .values_mut()
        .find_map(|app| {
            let addon = app.addons.iter().find(|a| a.id == id)?.clone();
            Some((app, addon))
        })
        .ok_or(ApiError::NotFound("database"))?;
    let backend = &database.backend;
    let record = database
        .databases
        .entry(id.to_string())
        .or_insert_with(|| DatabaseRecord {
            content: Content::for_addon(&addon, backend),
            ..DatabaseRecord::default()
        });
    Ok(Located {
        app,
        addon,
        record,
        backend,
    })
}

/// Reads saved databases. A backup or restore that was in progress when the
/// sandbox stopped cannot resume (its background task is gone): it ends in
/// `error`, as the platform's would when a worker dies, so that nothing
/// waits forever and the database does not stay "restoring".
pub fn load_interrupted<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, DatabaseRecord>, D::Error> {
    let mut databases = BTreeMap::<String, DatabaseRecord>::deserialize(deserializer)?;
    let stopped = now();
    for record in databases.values_mut() {
        for backup in &mut record.backups {
            if matches!(backup.status.as_str(), "scheduled" | "running") {
                backup.status = "error".to_string();
                backup.size = Some(0);
                backup.dump = None;
                backup.finished_at = Some(stopped);
            }
        }
        for operation in &mut record.operations {
            if operation.in_progress() {
                operation.status = "error".to_string();
                operation.error =
                    Some("the sandbox stopped before the operation finished".to_string());
                operation.finished_at = Some(stopped);
            }
        }
    }
    Ok(databases)
}
