//! Backup archives: `GET /api/databases/{id}/backups/{backup_id}/archive`
//! answers a download URL carrying a one-time token, and a plain GET of that
//! URL (no `Authorization`, as the real download host) serves a `.tar.gz`
//! holding one dump file, `<backup name>.<ext>` (with a real PostgreSQL, a
//! `pg_dump --format=custom` archive, as Scalingo's `.pgsql` files are).
//!
//! The archive is built from the dump kept with the backup, with fixed
//! metadata (mode, owner, mtime = the backup's creation time, gzip header
//! without a time), so the same backup always gives the same bytes and its
//! `size` in the API is the size a client downloads.

use std::collections::HashMap;
use std::io::Write;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use flate2::Compression;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::api_error::ApiError;
use crate::database::engine::Engine;
use crate::database::error::DbError;
use crate::database::record::{Backup, locate};
use crate::database::tokens::AddonBearer;
use crate::state::AppState;
use crate::time::{Timestamp, new_id, now};

/// How long a download URL stays usable (it is also used up by one
/// download).
const DOWNLOAD_LIFETIME: chrono::Duration = chrono::Duration::minutes(10);

/// What a download token opens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DownloadGrant {
    pub database_id: String,
    pub backup_id: String,
    pub expires_at: Timestamp,
}

/// `GET /api/databases/{id}/backups/{backup_id}/archive`.
pub async fn link(
    State(state): State<AppState>,
    bearer: AddonBearer,
    Path((id, backup_id)): Path<(String, String)>,
) -> Result<Json<Value>, DbError> {
    let mut world = state.world();
    let db = locate(&mut world, &id)?;
    bearer.allow(&id)?;
    let backup = db
        .record
        .backups
        .iter()
        .find(|b| b.id == backup_id)
        .ok_or(ApiError::NotFound("backup"))?;
    if backup.status != "done" {
        return Err(ApiError::Conflict(format!(
            "backup {backup_id} is {}: only a done backup has an archive to download",
            backup.status
        ))
        .into());
    }
    let token = format!("{}{}", new_id(), new_id());
    let downloads = &mut world.database.downloads;
    let at = now();
    downloads.retain(|_, g| g.expires_at > at);
    downloads.insert(
        token.clone(),
        DownloadGrant {
            database_id: id.clone(),
            backup_id: backup_id.clone(),
            expires_at: at + DOWNLOAD_LIFETIME,
        },
    );
    let url = format!(
        "{}/api/databases/{id}/backups/{backup_id}/download?token={token}",
        state.base_url
    );
    Ok(Json(json!({ "download_url": url })))
}

/// `GET /api/databases/{id}/backups/{backup_id}/download?token=...`.
pub async fn download(
    State(state): State<AppState>,
    Path((id, backup_id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, DbError> {
    let refused = || {
        DbError::Forbidden("this download link is invalid, expired or already used: ask the archive endpoint for a new one".into())
    };
    let token = query.get("token").ok_or_else(refused)?;
    let mut world = state.world();
    let grant = world.database.downloads.get(token).ok_or_else(refused)?;
    if grant.expires_at <= now() || grant.database_id != id || grant.backup_id != backup_id {
        return Err(refused());
    }
    world.database.downloads.remove(token);
    let db = locate(&mut world, &id)?;
    let engine = Engine::of_provider(&db.addon.provider);
    let backup = db
        .record
        .backups
        .iter()
        .find(|b| b.id == backup_id)
        .ok_or(ApiError::NotFound("backup"))?;
    let bytes = backup_archive(backup, &engine).map_err(|e| {
        ApiError::Conflict(format!(
            "cannot build the archive of backup {backup_id}: {e}"
        ))
    })?;
    let file_name = format!("{}.tar.gz", backup.name);
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/gzip".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        Body::from(bytes),
    )
        .into_response())
}

/// The `.tar.gz` of a backup: one file, `<name>.<ext>`, holding its dump.
pub fn backup_archive(backup: &Backup, engine: &Engine) -> std::io::Result<Vec<u8>> {
    let dump = backup.dump.as_ref().ok_or_else(|| {
        std::io::Error::other(format!(
            "backup {} has no dump (status {})",
            backup.id, backup.status
        ))
    })?;
    let file_name = format!("{}.{}", backup.name, engine.dump_extension());
    let mtime = u64::try_from(backup.created_at.timestamp()).unwrap_or(0);
    tar_gz(&file_name, dump.bytes(), mtime)
}

fn tar_gz(file_name: &str, contents: &[u8], mtime: u64) -> std::io::Result<Vec<u8>> {
    let mut tar = tar::Builder::new(Vec::new());
    let mut head = tar::Header::new_gnu();
    head.set_size(contents.len() as u64);
    head.set_mode(0o644);
    head.set_uid(0);
    head.set_gid(0);
    head.set_mtime(mtime);
    head.set_entry_type(tar::EntryType::Regular);
    tar.append_data(&mut head, file_name, contents)?;
    let tar_bytes = tar.into_inner()?;
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(&tar_bytes)?;
    gz.finish()
}

#[cfg(test)]
mod tests {
    use super::tar_gz;

    #[test]
    fn same_contents_same_bytes() {
        let a = tar_gz("x.pgsql", b"hello\n", 1_784_000_000).unwrap();
        let b = tar_gz("x.pgsql", b"hello\n", 1_784_000_000).unwrap();
        assert_eq!(a, b);
        assert_eq!(&a[..2], &[0x1f, 0x8b]);
    }
}
