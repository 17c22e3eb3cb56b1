//! Point-in-time recovery (PostgreSQL only): the recovery window, the
//! restore (an operation `pending -> running -> finished|error` during which
//! the database shows as restoring; when it finishes, every write made after
//! the restore time is gone), reading operations, and the admin route that
//! makes the next restore fail.
//!
//! With a real PostgreSQL the restore is PostgreSQL's own recovery of the
//! whole cluster (see `pg::recovery`), and the window starts at the
//! cluster's latest base backup.
//!
//! With the `recovery_window = "no_times"` variant the window comes
//! without its times (a database with no point-in-time base backup yet)
//! and a restore is refused (422).
//!
//! The restore answers 201 with `{"operation_id"}` (documentation) or
//! `{"operation":{...}}` (what clients parse), as the variants in use say.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::DateTime;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api_error::ApiError;
use crate::config::{PitrRestoreBody, RecoveryWindowForm};
use crate::database::body;
use crate::database::content::Store;
use crate::database::engine::Engine;
use crate::database::error::DbError;
use crate::database::real::{RealDb, blocking};
use crate::database::record::{DbOperation, Located, locate};
use crate::database::tokens::AddonBearer;
use crate::state::{AppState, World};
use crate::time::{Timestamp, format, new_id, now};

/// `GET /api/databases/{id}/pitr/recovery_window`.
pub async fn recovery_window(
    State(state): State<AppState>,
    bearer: AddonBearer,
    Path(id): Path<String>,
) -> Result<Json<Value>, DbError> {
    let real_earliest = real_earliest(&state, &bearer, &id).await?;
    let mut world = state.world();
    let db = locate(&mut world, &id)?;
    bearer.allow(&id)?;
    refuse_without_pitr(&db)?;
    if state.variants().recovery_window == RecoveryWindowForm::NoTimes {
        // Both times left out, as Go's client's `omitempty` fields are for
        // a database with no point-in-time base backup yet.
        return Ok(Json(json!({ "recovery_window": {} })));
    }
    let (earliest, latest) = window(&db, real_earliest);
    Ok(Json(json!({
        "recovery_window": {
            "earliest_recoverable_at": format(&earliest),
            "latest_recoverable_at": format(&latest),
        }
    })))
}

/// The earliest recoverable moment of a real database (starting its
/// cluster if needed), found before the handler takes the world lock; none
/// for a simulated one.
async fn real_earliest(
    state: &AppState,
    bearer: &AddonBearer,
    id: &str,
) -> Result<Option<Timestamp>, DbError> {
    let real = {
        let mut world = state.world();
        let db = locate(&mut world, id)?;
        bearer.allow(id)?;
        refuse_without_pitr(&db)?;
        match db.record.content.open(db.backend) {
            Store::Real(real) => real,
            Store::Simulated(_) => return Ok(None),
        }
    };
    blocking(move || real.earliest_recoverable())
        .await
        .map(Some)
}

/// From the database's creation (or its oldest kept backup, when seeded
/// history goes further back) to now; for a real database, from the
/// cluster's latest base backup to now.
fn window(db: &Located<'_>, real_earliest: Option<Timestamp>) -> (Timestamp, Timestamp) {
    if let Some(earliest) = real_earliest {
        return (earliest, now());
    }
    let oldest_backup = db
        .record
        .backups
        .iter()
        .filter(|b| b.status == "done")
        .map(|b| b.created_at)
        .min();
    let created = db.addon.provisioned_at;
    let earliest = oldest_backup.map_or(created, |b| b.min(created));
    (earliest, now())
}

fn refuse_without_pitr(db: &Located<'_>) -> Result<(), ApiError> {
    let engine = Engine::of_provider(&db.addon.provider);
    if engine.supports_pitr() && !plan_without_pitr(&db.addon.plan) {
        Ok(())
    } else if engine.supports_pitr() {
        Err(ApiError::BadRequest(format!(
            "point-in-time recovery is not available on the plan {}",
            db.addon.plan
        )))
    } else {
        Err(ApiError::BadRequest(format!(
            "point-in-time recovery is not available for {} databases (PostgreSQL only)",
            engine.display_name()
        )))
    }
}

/// Scalingo's free `sandbox` plans (`postgresql-sandbox`) keep no
/// write-ahead log: no point-in-time recovery on them.
fn plan_without_pitr(plan: &str) -> bool {
    plan == "sandbox" || plan.ends_with("-sandbox")
}

#[derive(Deserialize)]
struct RestoreRequest {
    restore_time: Option<String>,
}

/// `POST /api/databases/{id}/pitr/restore` `{"restore_time": "..."}`.
pub async fn restore(
    State(state): State<AppState>,
    bearer: AddonBearer,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<Value>), DbError> {
    let real_earliest = real_earliest(&state, &bearer, &id).await?;
    let (operation_id, operation) = {
        let mut world = state.world();
        let db = locate(&mut world, &id)?;
        bearer.allow(&id)?;
        refuse_without_pitr(&db)?;
        let request: RestoreRequest = body::parse(&bytes)?;
        let text = request
            .restore_time
            .ok_or_else(|| ApiError::unprocessable("restore_time", "can't be blank"))?;
        let restore_time = DateTime::parse_from_rfc3339(&text)
            .map_err(|_| {
                ApiError::unprocessable(
                    "restore_time",
                    "is not an ISO-8601 date-time with an offset (e.g. 2026-07-18T23:00:00Z)",
                )
            })?
            .to_utc();
        if state.variants().recovery_window == RecoveryWindowForm::NoTimes {
            return Err(ApiError::unprocessable(
                "restore_time",
                "cannot be reached: the database has no point-in-time base backup yet",
            )
            .into());
        }
        let (earliest, latest) = window(&db, real_earliest);
        if restore_time < earliest || restore_time > latest {
            return Err(ApiError::unprocessable(
                "restore_time",
                &format!(
                    "must be within the recovery window, from {} to {}",
                    format(&earliest),
                    format(&latest)
                ),
            )
            .into());
        }
        if let Some(current) = db.record.current_operation() {
            return Err(ApiError::Conflict(format!(
                "operation {} ({}) is still in progress on this database",
                current.id, current.kind
            ))
            .into());
        }
        let operation = DbOperation {
            id: new_id(),
            kind: "pitr_restore".to_string(),
            status: "pending".to_string(),
            created_at: now(),
            finished_at: None,
            error: None,
            restore_time,
            will_fail: std::mem::take(&mut db.record.fail_next_restore),
        };
        let json = operation.json(&id);
        let operation_id = operation.id.clone();
        db.record.operations.push(operation);
        (operation_id, json)
    };
    spawn_progress(state.clone(), id, operation_id.clone());
    let body = match state.variants().pitr_restore_body {
        PitrRestoreBody::OperationId => json!({ "operation_id": operation_id }),
        PitrRestoreBody::Operation => json!({ "operation": operation }),
    };
    Ok((StatusCode::CREATED, Json(body)))
}

/// A quarter of `deploy_duration` pending, a quarter running (plus the
/// recovery itself on a real database), then the outcome.
fn spawn_progress(state: AppState, database_id: String, operation_id: String) {
    let step = state.config.deploy_duration / 4;
    tokio::spawn(async move {
        tokio::time::sleep(step).await;
        advance(&mut state.world(), &database_id, &operation_id);
        super::save(&state).await;
        tokio::time::sleep(step).await;
        let real = advance(&mut state.world(), &database_id, &operation_id);
        if let Some((real, restore_time)) = real {
            let outcome = blocking(move || real.rewind_to(restore_time)).await;
            conclude(&mut state.world(), &database_id, &operation_id, outcome);
        }
        super::save(&state).await;
    });
}

/// Moves an operation one step: `pending -> running`, then `running ->
/// finished` (rewinding the contents) or `error` (leaving them untouched).
/// A real database is rewound by the caller, outside the lock: it gets the
/// database and the restore time, and the operation stays running.
fn advance(
    world: &mut World,
    database_id: &str,
    operation_id: &str,
) -> Option<(RealDb, Timestamp)> {
    // The database may have gone (state replaced by the admin surface).
    let db = locate(world, database_id).ok()?;
    let record = db.record;
    let operation = record
        .operations
        .iter_mut()
        .find(|o| o.id == operation_id)?;
    match operation.status.as_str() {
        "pending" => operation.status = "running".to_string(),
        "running" if operation.will_fail => {
            operation.status = "error".to_string();
            operation.error =
                Some("the sandbox was told to fail this restore; the data is unchanged".into());
            operation.finished_at = Some(now());
        }
        "running" => {
            let restore_time = operation.restore_time;
            match record.content.open(db.backend) {
                Store::Simulated(simulated) => {
                    operation.status = "finished".to_string();
                    operation.finished_at = Some(now());
                    simulated.rewind_to(restore_time);
                }
                Store::Real(real) => return Some((real, restore_time)),
            }
        }
        _ => {}
    }
    None
}

/// Ends a real restore with PostgreSQL's outcome.
fn conclude(
    world: &mut World,
    database_id: &str,
    operation_id: &str,
    outcome: Result<(), DbError>,
) {
    let Ok(db) = locate(world, database_id) else {
        return;
    };
    let Some(operation) = db
        .record
        .operations
        .iter_mut()
        .find(|o| o.id == operation_id)
    else {
        return;
    };
    match outcome {
        Ok(()) => operation.status = "finished".to_string(),
        Err(e) => {
            operation.status = "error".to_string();
            operation.error = Some(match e {
                DbError::Server(message) => message,
                other => format!("{other:?}"),
            });
        }
    }
    operation.finished_at = Some(now());
}

/// `GET /api/databases/{id}/operations/{op_id}`.
pub async fn operation(
    State(state): State<AppState>,
    bearer: AddonBearer,
    Path((id, operation_id)): Path<(String, String)>,
) -> Result<Json<Value>, DbError> {
    let mut world = state.world();
    let db = locate(&mut world, &id)?;
    bearer.allow(&id)?;
    let operation = db
        .record
        .operations
        .iter()
        .find(|o| o.id == operation_id)
        .ok_or(ApiError::NotFound("operation"))?;
    Ok(Json(json!({ "operation": operation.json(&id) })))
}

/// `POST /_sandbox/databases/{id}/pitr/fail-next`.
pub async fn fail_next(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let mut world = state.world();
    let db = locate(&mut world, &id)?;
    db.record.fail_next_restore = true;
    Ok(Json(json!({ "fail_next_restore": true })))
}
