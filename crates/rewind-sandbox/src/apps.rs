//! `GET /v1/apps/{app}`: the app as the API shows it, with its status, git
//! URL, last deployment and the link to the live deployment stream.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use crate::api_error::ApiError;
use crate::auth::{Caller, REGION};
use crate::state::{App, AppState, Shared};
use crate::time::format;

/// `GET /v1/apps/{app}`.
pub async fn show(
    State(state): State<AppState>,
    _caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let world = state.world();
    let app = world.apps.get(&name).ok_or(ApiError::NotFound("app"))?;
    Ok(Json(json!({ "app": app_json(&state, app) })))
}

/// The WebSocket URL of an app's deployment stream.
pub fn stream_url(base_url: &str, app: &str) -> String {
    let ws = base_url.replacen("http://", "ws://", 1);
    format!("{ws}/_stream/apps/{app}")
}

/// The JSON form of an app, shaped like the documentation's example.
pub fn app_json(state: &Shared, app: &App) -> Value {
    let base_url = state.base_url.as_str();
    let last = app.deployments.last();
    let last_success = app.deployments.iter().rev().find(|d| d.status == "success");
    json!({
        "id": app.id,
        "name": app.name,
        "status": app.status,
        "region": REGION,
        "created_at": format(&app.created_at),
        "updated_at": format(&app.created_at),
        "git_url": crate::deploy::git_url(&state.git_root, &app.name),
        "url": format!("{base_url}/_apps/{}/", app.name),
        "last_deployed_at": last_success.and_then(|d| d.finished_at.as_ref()).map(format),
        "last_deployed_by": last_success.map(|d| d.pusher.clone()),
        "last_deployment_id": last.map(|d| d.id.clone()),
        "links": { "deployments_stream": stream_url(base_url, &app.name) },
        // Every app belongs to the seed's first user, the one
        // `GET /v1/users/self` names for the first token.
        "owner": crate::runtime::owner_json(&state.config.tokens),
    })
}
