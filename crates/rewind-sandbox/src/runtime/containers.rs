//! `GET /v1/apps/{app}/ps`: the app's containers. The sandbox runs one
//! `web` container per app once a release is deployed; its state follows
//! the release's `.sandbox/health` (`crashed` while it answers anything but
//! success, as a crash-looping process would), and an app that is stopped
//! has none.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use crate::api_error::ApiError;
use crate::auth::Caller;
use crate::deploy::app_url::{Health, health};
use crate::state::AppState;
use crate::time::{Timestamp, format};

/// The one container size the sandbox runs: Scalingo's `M`.
pub const SIZE_NAME: &str = "M";
/// Memory of an `M` container, in bytes (512 MiB).
pub const MEMORY_LIMIT: i64 = 536_870_912;
/// Swap allowed to an `M` container, in bytes.
pub const SWAP_LIMIT: i64 = 1_610_612_736;

/// A container of the app, as the sandbox derives it.
#[derive(Debug, Clone)]
pub struct Container {
    pub id: String,
    pub app_id: String,
    /// `web`.
    pub kind: &'static str,
    pub index: u32,
    /// `running` or `crashed`.
    pub state: &'static str,
    pub created_at: Timestamp,
}

impl Container {
    /// `web-1`: the name the CLI shows and the stats route uses as `id`.
    pub fn label(&self) -> String {
        format!("{}-{}", self.kind, self.index)
    }
}

/// The containers of `app` now; `None` when there is no such app.
pub async fn containers_of(state: &AppState, app: &str) -> Option<Vec<Container>> {
    let health = health(state, app).await?;
    let world = state.world();
    let found = world.apps.get(app)?;
    let container_state = match &health {
        Health::NoRelease => return Some(Vec::new()),
        Health::Down { status } if status == "stopped" => return Some(Vec::new()),
        Health::Down { .. } => "crashed",
        other if other.failing() => "crashed",
        _ => "running",
    };
    let Some(release) = found
        .deployments
        .iter()
        .rev()
        .find(|d| d.status == "success")
    else {
        return Some(Vec::new());
    };
    Some(vec![Container {
        // The container lives as long as its release: one id per release.
        id: release.id.clone(),
        app_id: found.id.clone(),
        kind: "web",
        index: 1,
        state: container_state,
        created_at: release.finished_at.unwrap_or(release.created_at),
    }])
}

/// `GET /v1/apps/{app}/ps`.
pub async fn list(
    State(state): State<AppState>,
    _caller: Caller,
    Path(app): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let containers = containers_of(&state, &app)
        .await
        .ok_or(ApiError::NotFound("app"))?;
    let app_value = {
        let world = state.world();
        let found = world.apps.get(&app).ok_or(ApiError::NotFound("app"))?;
        crate::apps::app_json(&state, found)
    };
    let shown: Vec<Value> = containers
        .iter()
        .map(|c| container_json(c, &app_value))
        .collect();
    Ok(Json(json!({ "containers": shown })))
}

fn container_json(container: &Container, app: &Value) -> Value {
    json!({
        "id": container.id,
        "app_id": container.app_id,
        "type": container.kind,
        "type_index": container.index,
        "label": container.label(),
        "state": container.state,
        "created_at": format(&container.created_at),
        "deleted_at": null,
        // The command comes from the container type (the Procfile): the
        // documentation's example leaves it empty for `web`, as here.
        "command": "",
        "size": "",
        "app": app,
        "container_size": size_json(),
    })
}

/// The `M` size, shaped like the documentation's example.
fn size_json() -> Value {
    json!({
        "id": "sandbox-size-m",
        "sku": "sandbox-app-M",
        "name": SIZE_NAME,
        "human_name": SIZE_NAME,
        "human_cpu": "standard CPU priority",
        "memory": MEMORY_LIMIT,
        "swap": 0,
        "pids_limit": 0,
        "ordinal": 3,
        "hourly_price": 0,
        "thirtydays_price": 0,
        "pricings": {},
    })
}
