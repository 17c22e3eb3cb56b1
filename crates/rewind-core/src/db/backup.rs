//! A manual backup, followed to `done` and downloaded: what `rewind db
//! backup` does, and the safety backup every restore takes first ("you
//! never know").

use std::path::Path;

use serde::Serialize;

use crate::platform::{Backup, Platform};

use super::DbError;
use super::download::{Archive, archive_file_name, download};
use super::poll::{Poll, follow_backup};

/// What happens while a backup runs, for the caller to show or journal.
#[derive(Debug)]
pub enum BackupEvent<'a> {
    /// Scalingo accepted the request.
    Created(&'a Backup),
    /// The backup's status changed.
    Status(&'a Backup),
    /// The backup is done; the download starts.
    Downloading(&'a Backup),
}

/// A finished backup and its archive on disk.
#[derive(Debug, Clone, Serialize)]
pub struct DownloadedBackup {
    pub backup: Backup,
    pub archive: Archive,
}

/// Starts a manual backup of `addon_id`, follows it to `done`, and
/// downloads its archive into `dir`.
pub fn backup_and_download(
    platform: &dyn Platform,
    app: &str,
    addon_id: &str,
    dir: &Path,
    poll: &Poll,
    on_event: &mut dyn FnMut(BackupEvent<'_>),
) -> Result<DownloadedBackup, DbError> {
    let created = platform.create_backup(app, addon_id)?;
    on_event(BackupEvent::Created(&created));
    let done = follow_backup(platform, app, addon_id, &created.id, poll, &mut |b| {
        on_event(BackupEvent::Status(b))
    })?;
    on_event(BackupEvent::Downloading(&done));
    let archive = download_backup(platform, app, addon_id, &done, dir, poll)?;
    Ok(DownloadedBackup {
        backup: done,
        archive,
    })
}

/// Downloads a finished backup's archive into `dir`, named after the
/// backup; its size is checked against the API's. A failed attempt asks
/// for a fresh download URL (they are single-use) and tries again.
pub fn download_backup(
    platform: &dyn Platform,
    app: &str,
    addon_id: &str,
    backup: &Backup,
    dir: &Path,
    poll: &Poll,
) -> Result<Archive, DbError> {
    let dest = dir.join(archive_file_name(backup.name.as_deref(), &backup.id));
    let mut next_url = || Ok(platform.backup_download_url(app, addon_id, &backup.id)?);
    download(&mut next_url, &dest, backup.size, &poll.interrupt)
}
