//! Backups: list (newest first), create a manual one, read one by either
//! path clients use; the background progression `scheduled -> running ->
//! done|error` (the dump is taken when it starts running) with the app's
//! `database_backup_succeeded`/`database_backup_failed` events; and the admin
//! routes that make the next backup fail or seed periodic backups in the
//! past.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::DateTime;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api_error::ApiError;
use crate::database::archive::backup_archive;
use crate::database::body;
use crate::database::content::Store;
use crate::database::dump::Dump;
use crate::database::engine::Engine;
use crate::database::error::DbError;
use crate::database::real::{RealDb, blocking};
use crate::database::record::{Backup, Located, locate};
use crate::database::tokens::AddonBearer;
use crate::state::{AppState, World};
use crate::time::{Timestamp, format, new_id, now};

/// The user the platform's own events are attributed to.
const PLATFORM_USER: &str = "scalingo-platform";

/// `GET /api/databases/{id}/backups`.
pub async fn list(
    State(state): State<AppState>,
    bearer: AddonBearer,
    Path(id): Path<String>,
) -> Result<Json<Value>, DbError> {
    let form = state.variants().backup_size;
    let mut world = state.world();
    let db = locate(&mut world, &id)?;
    bearer.allow(&id)?;
    let backups: Vec<Value> = db
        .record
        .backups
        .iter()
        .rev()
        .map(|b| b.json(form))
        .collect();
    Ok(Json(json!({ "database_backups": backups })))
}

/// `POST /api/databases/{id}/backups`: 201 with the scheduled backup.
pub async fn create(
    State(state): State<AppState>,
    bearer: AddonBearer,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>), DbError> {
    let (backup_id, body) = {
        let mut world = state.world();
        let db = locate(&mut world, &id)?;
        bearer.allow(&id)?;
        let created_at = now();
        let backup = Backup {
            id: new_id(),
            database_id: id.clone(),
            name: backup_name(&created_at, &db.addon.resource_id),
            created_at,
            started_at: None,
            finished_at: None,
            status: "scheduled".to_string(),
            method: "manual".to_string(),
            size: None,
            dump: None,
            will_fail: std::mem::take(&mut db.record.fail_next_backup),
        };
        let body = backup.json(state.variants().backup_size);
        let backup_id = backup.id.clone();
        insert_in_order(&mut db.record.backups, backup);
        (backup_id, body)
    };
    spawn_progress(state, id, backup_id);
    Ok((
        StatusCode::CREATED,
        Json(json!({ "database_backup": body })),
    ))
}

/// `GET /api/databases/{id}/backups/{backup_id}`.
pub async fn show(
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
    Ok(Json(
        json!({ "database_backup": backup.json(state.variants().backup_size) }),
    ))
}

/// `GET /api/backups/{backup_id}`: the same backup found by its id alone;
/// the token must still be the owning database's.
pub async fn show_by_id(
    State(state): State<AppState>,
    bearer: AddonBearer,
    Path(backup_id): Path<String>,
) -> Result<Json<Value>, DbError> {
    let world = state.world();
    let backup = world
        .database
        .databases
        .values()
        .flat_map(|record| record.backups.iter())
        .find(|b| b.id == backup_id)
        .ok_or(ApiError::NotFound("backup"))?;
    bearer.allow(&backup.database_id)?;
    Ok(Json(
        json!({ "database_backup": backup.json(state.variants().backup_size) }),
    ))
}

/// `YYYYmmddHHMMSS_<resource_id>`, from the creation time in UTC.
fn backup_name(created_at: &Timestamp, resource_id: &str) -> String {
    format!("{}_{resource_id}", created_at.format("%Y%m%d%H%M%S"))
}

/// Keeps backups oldest first even when history is seeded afterwards.
fn insert_in_order(backups: &mut Vec<Backup>, backup: Backup) {
    let at = backups.partition_point(|b| b.created_at <= backup.created_at);
    backups.insert(at, backup);
}

/// Runs a backup: a quarter of `deploy_duration` scheduled, a quarter
/// running (plus the time `pg_dump` takes on a real database), then done
/// (or error).
fn spawn_progress(state: AppState, database_id: String, backup_id: String) {
    let step = state.config.deploy_duration / 4;
    tokio::spawn(async move {
        tokio::time::sleep(step).await;
        let real = start(&mut state.world(), &database_id, &backup_id);
        if let Some((real, at)) = real {
            let dump = blocking(move || real.dump(at)).await;
            keep_dump(&mut state.world(), &database_id, &backup_id, dump);
        }
        super::save(&state).await;
        tokio::time::sleep(step).await;
        finish(&mut state.world(), &database_id, &backup_id);
        super::save(&state).await;
    });
}

/// `scheduled -> running`: the dump is taken now, as pg_dump would; for a
/// real database, by the caller once the lock is released (the database to
/// dump and the moment are returned).
fn start(world: &mut World, database_id: &str, backup_id: &str) -> Option<(RealDb, Timestamp)> {
    // The database may have gone (state replaced by the admin surface): then
    // there is nothing left to run.
    let db = locate(world, database_id).ok()?;
    let engine = Engine::of_provider(&db.addon.provider);
    let at = now();
    let backup = db
        .record
        .backups
        .iter_mut()
        .find(|b| b.id == backup_id && b.status == "scheduled")?;
    backup.status = "running".to_string();
    backup.started_at = Some(at);
    backup.size = Some(0);
    match db.record.content.open(db.backend) {
        Store::Simulated(simulated) => {
            let dump = simulated.dump(&db.addon.resource_id, engine.type_name(), at);
            if let Some(backup) = db.record.backups.iter_mut().find(|b| b.id == backup_id) {
                backup.dump = Some(Dump::new(dump));
            }
            None
        }
        Store::Real(real) => Some((real, at)),
    }
}

/// Keeps the dump of a real database with its running backup. A dump that
/// failed leaves none, so the backup ends in `error`; the reason goes to
/// stderr, as the API has no field for it.
fn keep_dump(
    world: &mut World,
    database_id: &str,
    backup_id: &str,
    dump: Result<Vec<u8>, DbError>,
) {
    let dump = match dump {
        Ok(bytes) => bytes,
        Err(e) => {
            crate::say!(
                "rewind-sandbox: backup {backup_id} of database {database_id} failed: {e:?}"
            );
            return;
        }
    };
    let Ok(db) = locate(world, database_id) else {
        return;
    };
    if let Some(backup) = db
        .record
        .backups
        .iter_mut()
        .find(|b| b.id == backup_id && b.status == "running")
    {
        backup.dump = Some(Dump::new(dump));
    }
}

/// `running -> done|error`, and the event on the owning app.
fn finish(world: &mut World, database_id: &str, backup_id: &str) {
    let Ok(db) = locate(world, database_id) else {
        return;
    };
    let Located {
        app, addon, record, ..
    } = db;
    let engine = Engine::of_provider(&addon.provider);
    let Some(backup) = record
        .backups
        .iter_mut()
        .find(|b| b.id == backup_id && b.status == "running")
    else {
        return;
    };
    let ended_at = now();
    let outcome = if backup.will_fail {
        Err("the sandbox was told to fail this backup".to_string())
    } else {
        backup_archive(backup, &engine)
            .map(|bytes| bytes.len() as u64)
            .map_err(|e| e.to_string())
    };
    match outcome {
        Ok(size) => {
            backup.status = "done".to_string();
            backup.size = Some(size);
        }
        Err(_) => {
            backup.status = "error".to_string();
            backup.size = Some(0);
            backup.dump = None;
        }
    }
    backup.finished_at = Some(ended_at);
    let kind = if backup.status == "done" {
        "database_backup_succeeded"
    } else {
        "database_backup_failed"
    };
    let type_data = json!({
        "addon_name": engine.display_name(),
        "resource_id": addon.resource_id,
        "addon_uuid": addon_uuid(&addon.id),
        "backup_id": backup.id,
        "backup_status": backup.status,
        "started_at": backup.started_at.as_ref().map(format),
        "ended_at": format(&ended_at),
    });
    app.push_event(PLATFORM_USER, kind, type_data);
}

/// Events name the addon by a UUID (`ad-...`); the sandbox's addon ids are
/// 24 hex digits, padded here into that shape so it stays stable.
fn addon_uuid(addon_id: &str) -> String {
    let hex = format!("{addon_id:0<32}");
    if hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        format!(
            "ad-{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        )
    } else {
        format!("ad-{addon_id}")
    }
}

/// `POST /_sandbox/databases/{id}/backups/fail-next`.
pub async fn fail_next(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let mut world = state.world();
    let db = locate(&mut world, &id)?;
    db.record.fail_next_backup = true;
    Ok(Json(json!({ "fail_next_backup": true })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryRequest {
    backups: Vec<PastBackup>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PastBackup {
    created_at: String,
    #[serde(default = "default_done")]
    status: String,
    #[serde(default = "default_periodic")]
    method: String,
}

fn default_done() -> String {
    "done".to_string()
}

fn default_periodic() -> String {
    "periodic".to_string()
}

/// `POST /_sandbox/databases/{id}/backups/history`
/// `{"backups":[{"created_at","status","method"}]}`: backups that finished
/// in the past (`done` ones hold the rows written before their time).
pub async fn seed_history(
    State(state): State<AppState>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<Value>), DbError> {
    let request: HistoryRequest = body::parse(&bytes)?;
    let mut errors = Vec::new();
    let mut past = Vec::new();
    let at = now();
    for (i, seed) in request.backups.iter().enumerate() {
        let field = |name: &str| format!("backups[{i}].{name}");
        match DateTime::parse_from_rfc3339(&seed.created_at) {
            Ok(t) if t.to_utc() <= at => past.push(t.to_utc()),
            Ok(_) => errors.push((field("created_at"), "must be in the past".to_string())),
            Err(e) => errors.push((
                field("created_at"),
                format!("is not an ISO-8601 date-time: {e}"),
            )),
        }
        if !matches!(seed.status.as_str(), "done" | "error") {
            errors.push((field("status"), "must be done or error".to_string()));
        }
        if !matches!(seed.method.as_str(), "periodic" | "manual") {
            errors.push((field("method"), "must be periodic or manual".to_string()));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Unprocessable(errors).into());
    }
    // A real database is dumped outside the lock, as it was at each
    // moment (see `RealDb::dump`).
    let real = {
        let mut world = state.world();
        let db = locate(&mut world, &id)?;
        match db.record.content.open(db.backend) {
            Store::Real(real) => Some(real),
            Store::Simulated(_) => None,
        }
    };
    let mut real_dumps: Vec<Option<Vec<u8>>> = vec![None; past.len()];
    if let Some(real) = real {
        let moments: Vec<Option<Timestamp>> = request
            .backups
            .iter()
            .zip(&past)
            .map(|(seed, at)| (seed.status == "done").then_some(*at))
            .collect();
        real_dumps = blocking(move || {
            moments
                .into_iter()
                .map(|at| at.map(|at| real.dump(at)).transpose())
                .collect::<Result<Vec<_>, String>>()
        })
        .await?;
    }
    let mut world = state.world();
    let db = locate(&mut world, &id)?;
    let engine = Engine::of_provider(&db.addon.provider);
    let mut created = Vec::new();
    for ((seed, created_at), real_dump) in request.backups.iter().zip(past).zip(real_dumps) {
        let mut backup = Backup {
            id: new_id(),
            database_id: id.clone(),
            name: backup_name(&created_at, &db.addon.resource_id),
            created_at,
            started_at: Some(created_at),
            finished_at: Some(created_at),
            status: seed.status.clone(),
            method: seed.method.clone(),
            size: Some(0),
            dump: None,
            will_fail: false,
        };
        if backup.status == "done" {
            let dump = match (real_dump, db.record.content.open(db.backend)) {
                (Some(dump), _) => dump,
                (None, Store::Simulated(simulated)) => {
                    simulated.dump(&db.addon.resource_id, engine.type_name(), created_at)
                }
                (None, Store::Real(_)) => {
                    return Err(DbError::Server(format!(
                        "database {id} became a real PostgreSQL database while its history was seeded"
                    )));
                }
            };
            backup.dump = Some(Dump::new(dump));
            let size = backup_archive(&backup, &engine)
                .map_err(|e| ApiError::Conflict(format!("cannot build the archive: {e}")))?
                .len();
            backup.size = Some(size as u64);
        }
        created.push(backup.json(state.variants().backup_size));
        insert_in_order(&mut db.record.backups, backup);
    }
    Ok((
        StatusCode::CREATED,
        Json(json!({ "database_backups": created })),
    ))
}

#[cfg(test)]
mod tests {
    use super::{addon_uuid, backup_name};
    use chrono::{TimeZone, Utc};

    #[test]
    fn names_and_uuids_have_the_api_shape() {
        let t = Utc.with_ymd_and_hms(2026, 7, 18, 23, 0, 0).unwrap();
        assert_eq!(backup_name(&t, "app-1234"), "20260718230000_app-1234");
        assert_eq!(
            addon_uuid("5415beca646173000b015000"),
            "ad-5415beca-6461-7300-0b01-500000000000"
        );
    }
}
