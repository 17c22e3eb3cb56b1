//! `GET /api/databases/{id}`: the database as the database API shows it,
//! with its type, version, backup settings and the operation in progress
//! (a database being restored shows `status: "restoring"`).

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use crate::database::content::Store;
use crate::database::engine::Engine;
use crate::database::error::DbError;
use crate::database::record::{Located, locate};
use crate::database::tokens::AddonBearer;
use crate::state::AppState;
use crate::time::format;

/// `GET /api/databases/{id}`.
pub async fn show(
    State(state): State<AppState>,
    bearer: AddonBearer,
    Path(id): Path<String>,
) -> Result<Json<Value>, DbError> {
    let mut world = state.world();
    let mut located = locate(&mut world, &id)?;
    bearer.allow(&id)?;
    Ok(Json(json!({ "database": database_json(&mut located) })))
}

/// A database shaped like the documentation's example. A simulated
/// database's hostname is under `.invalid` on purpose: it has no server, and
/// nothing must connect to a real one by mistake; a real one shows where its
/// server listens.
pub fn database_json(db: &mut Located<'_>) -> Value {
    let port = match db.record.content.open(db.backend) {
        Store::Real(real) => real.port(),
        Store::Simulated(_) => None,
    };
    let hostname = match port {
        Some(port) => format!("127.0.0.1:{port}"),
        None => {
            let engine = Engine::of_provider(&db.addon.provider);
            format!(
                "{}.{}.sandbox.invalid:{}",
                db.addon.resource_id,
                engine.type_name(),
                engine.default_port()
            )
        }
    };
    let addon = &db.addon;
    let engine = Engine::of_provider(&addon.provider);
    // A real database reports the server that really runs (`15.18` ->
    // `15.18.0-1`, the API's form); a simulated one a plausible version.
    let version = match (port, db.backend.server_version()) {
        (Some(_), Some(v)) if v.matches('.').count() == 1 => format!("{v}.0-1"),
        (Some(_), Some(v)) => format!("{v}-1"),
        _ => engine.readable_version().to_string(),
    };
    let current = db.record.current_operation();
    let status = match current {
        Some(_) => "restoring",
        None => addon.status.as_str(),
    };
    json!({
        "id": addon.id,
        "resource_id": addon.resource_id,
        "app_name": db.app.name,
        "created_at": format(&addon.provisioned_at),
        "encryption_at_rest": false,
        "features": [{ "name": "force-ssl", "status": "ACTIVATED" }],
        "maintenance_window": {
            "weekday_utc": 3,
            "starting_hour_utc": 21,
            "duration_in_hour": 8,
        },
        "plan": addon.plan,
        "status": status,
        "type_id": format!("type-{}", engine.type_name()),
        "type_name": engine.type_name(),
        "version_id": format!("version-{version}"),
        "instances": [],
        "next_version_id": null,
        "readable_version": version,
        "hostname": hostname,
        "current_operation_id": current.map(|o| o.id.clone()),
        "cluster": false,
        "periodic_backups_enabled": true,
        "periodic_backups_scheduled_at": [0],
    })
}
