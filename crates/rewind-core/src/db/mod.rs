//! The database side of a rollback, as the runbook's "roll back the
//! database" page says it: make a manual backup and download it (you never
//! know), then restore to a precise time (PostgreSQL point-in-time
//! recovery), or restore a dump with `pg_restore`.
//!
//! - [`database_addon`]: which addon is the app's database;
//! - [`db_status`]: the addon, its backups and its recovery window;
//! - [`backup_and_download`]: a manual backup (the safety backup) followed
//!   to `done`, downloaded, its size checked and its SHA-256 computed;
//! - [`plan_pitr`] / [`pitr_restore`]: a point-in-time restore checked
//!   against the window, then run and followed;
//! - [`made_restore`] / [`check_not_restored`]: the restore already made
//!   for a bad release (from the journal's restore records), so that none
//!   is made twice by a retry;
//! - [`restore_archive`]: a backup archive restored with `pg_restore` into
//!   a database URL (the password kept out of argv).
//!
//! Nothing here prints or asks: callers show the events, confirm, and
//! journal each step.

mod addon;
mod archive;
mod backup;
mod download;
mod error;
mod ledger;
mod pg_restore;
mod pg_url;
mod pitr;
mod poll;
mod status;
mod when;
mod words;

pub use addon::database_addon;
pub use archive::{DumpFormat, dump_format, extract_dump};
pub use backup::{BackupEvent, DownloadedBackup, backup_and_download, download_backup};
pub use download::{
    Archive, archive_file_name, download, download_with, partial_path, sha256_file,
};
pub use error::{DbError, DbErrorKind};
pub use ledger::{
    EarlierRestore, RestoreRecord, check_not_restored, made_restore, not_made_by,
    operation_started, restore_of, safety_backup_taken, unused_safety_backup,
};
pub use pg_restore::{DumpRestored, find_program, restore_archive};
pub use pg_url::DatabaseUrl;
pub use pitr::{PitrPlan, Target, pitr_restore, plan_pitr, restore_instant, running_deployment};
pub use poll::{Poll, follow_backup, follow_operation};
pub use status::{DbStatus, db_status};
pub use when::parse_time;
pub use words::about;
