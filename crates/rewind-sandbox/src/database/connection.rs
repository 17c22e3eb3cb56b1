//! `GET /_sandbox/databases/{id}/connection`: how to reach a database
//! backed by the sandbox's real PostgreSQL, for tests and `rewind drill`
//! (`{"url": "postgres://user:password@127.0.0.1:PORT/name", ...}`). The
//! database is created first, so the URL works as soon as it is answered.
//! A simulated database has no server to reach: 409.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use crate::api_error::ApiError;
use crate::database::content::Store;
use crate::database::error::DbError;
use crate::database::real::blocking;
use crate::database::record::locate;
use crate::state::AppState;

/// `GET /_sandbox/databases/{id}/connection`.
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, DbError> {
    let (real, database) = {
        let mut world = state.world();
        let db = locate(&mut world, &id)?;
        let database = db.addon.resource_id.clone();
        match db.record.content.open(db.backend) {
            Store::Real(real) => (real, database),
            Store::Simulated(_) => {
                return Err(ApiError::Conflict(format!(
                    "database {id} is simulated (postgres = \"off\", no PostgreSQL server binaries, or not a PostgreSQL addon): it has no connection URL"
                ))
                .into());
            }
        }
    };
    let url = blocking({
        let real = real.clone();
        move || real.url()
    })
    .await?;
    let port = real.port().unwrap_or(0);
    Ok(Json(json!({
        "database_id": id,
        "url": url,
        "host": "127.0.0.1",
        "port": port,
        "user": crate::pg::USER,
        "database": database,
    })))
}
