//! Restart and operations: `POST /v1/apps/{app}/restart` answers 202 with
//! the operation's URL in `Location:`, and the operation then moves
//! `pending -> running -> done` on its own while the app shows `restarting`;
//! `GET /v1/apps/{app}/operations/{id}` lets clients follow it.

use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api_error::ApiError;
use crate::auth::Caller;
use crate::platform::{body, persist};
use crate::state::{AppState, Operation};
use crate::time::{format, new_id, now};

/// The container types a sandbox app runs: it has no Procfile formation,
/// so "all" means its web containers.
const ALL_CONTAINERS: &[&str] = &["web"];

/// A restart must take long enough for clients to see it in progress, but
/// never so long that a test waits: a quarter of a deploy, within bounds.
fn restart_duration(deploy: Duration) -> Duration {
    (deploy / 4).clamp(Duration::from_millis(20), Duration::from_secs(5))
}

#[derive(Debug, Default, Deserialize)]
struct RestartBody {
    #[serde(default)]
    scope: Option<Vec<String>>,
}

/// `POST /v1/apps/{app}/restart` `{"scope":["web"]}` (empty or missing:
/// every container). An app that never deployed successfully has nothing to
/// restart: 422 `{"errors":{"app":[...]}}`.
pub async fn restart(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let request: RestartBody = body::parse_optional(&bytes)?.unwrap_or_default();
    let mut scope = request.scope.unwrap_or_default();
    if scope.is_empty() {
        scope = ALL_CONTAINERS.iter().map(|s| s.to_string()).collect();
    }
    let id = new_id();
    {
        let mut world = state.world();
        let app = world.apps.get_mut(&name).ok_or(ApiError::NotFound("app"))?;
        if scope.iter().any(|s| s.trim().is_empty()) {
            return Err(ApiError::unprocessable(
                "scope",
                "must list container types, such as \"web\"",
            ));
        }
        if !app.deployments.iter().any(|d| d.status == "success") {
            return Err(ApiError::unprocessable(
                "app",
                "has no successful deployment: there is nothing to restart",
            ));
        }
        app.operations.push(Operation {
            id: id.clone(),
            created_at: now(),
            finished_at: None,
            status: "pending".to_string(),
            kind: "restart".to_string(),
            error: None,
        });
        app.status = "restarting".to_string();
        app.push_event(&caller.user, "restart", json!({ "scope": scope }));
    }
    let duration = restart_duration(state.config.deploy_duration);
    tokio::spawn(run_restart(
        state.clone(),
        name.clone(),
        id.clone(),
        duration,
    ));
    let location = format!("{}/v1/apps/{name}/operations/{id}", state.base_url);
    Ok((StatusCode::ACCEPTED, [(LOCATION, location)]).into_response())
}

/// Moves a restart through its statuses, then saves the world so that a
/// finished operation survives a restart of the sandbox.
async fn run_restart(state: AppState, app: String, id: String, duration: Duration) {
    tokio::time::sleep(duration / 3).await;
    set_status(&state, &app, &id, "running");
    tokio::time::sleep(duration - duration / 3).await;
    set_status(&state, &app, &id, "done");
    // A release that crashes at boot crashes again once restarted.
    crate::deploy::app_url::record_crash(&state, &app, now()).await;
    if let Err(e) = persist::save(&state).await {
        crate::say!("rewind-sandbox: {e}");
    }
}

fn set_status(state: &AppState, app_name: &str, id: &str, status: &str) {
    let mut world = state.world();
    // The app may have been replaced through persistence tooling meanwhile.
    let Some(app) = world.apps.get_mut(app_name) else {
        return;
    };
    let Some(op) = app.operations.iter_mut().find(|o| o.id == id) else {
        return;
    };
    op.status = status.to_string();
    if status == "done" {
        op.finished_at = Some(now());
        // Another restart may still be going on: the app stays
        // `restarting` until the last one is done.
        let busy = app
            .operations
            .iter()
            .any(|o| o.kind == "restart" && in_progress(&o.status));
        if !busy {
            app.status = "running".to_string();
        }
    }
}

/// Whether an operation status means it has not finished yet.
pub fn in_progress(status: &str) -> bool {
    matches!(status, "pending" | "running")
}

/// `GET /v1/apps/{app}/operations/{id}`.
pub async fn show(
    State(state): State<AppState>,
    _caller: Caller,
    Path((name, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let world = state.world();
    let app = world.apps.get(&name).ok_or(ApiError::NotFound("app"))?;
    let op = app
        .operations
        .iter()
        .find(|o| o.id == id)
        .ok_or(ApiError::NotFound("operation"))?;
    Ok(Json(json!({ "operation": operation_json(op) })))
}

fn operation_json(op: &Operation) -> Value {
    json!({
        "id": op.id,
        "status": op.status,
        "type": op.kind,
        "error": op.error,
        "created_at": format(&op.created_at),
        "finished_at": op.finished_at.as_ref().map(format),
    })
}
