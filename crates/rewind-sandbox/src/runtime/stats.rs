//! `GET /v1/apps/{app}/stats`: live CPU and memory per container. The
//! figures are fixed, not sampled from this machine (the sandbox runs no
//! real container), but they follow the container's state: a running web
//! container works a little and holds some memory, a crashed one uses no
//! CPU and holds nothing.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::containers::{Container, MEMORY_LIMIT, SWAP_LIMIT, containers_of};
use crate::api_error::ApiError;
use crate::auth::Caller;
use crate::state::AppState;

/// Memory a healthy web container holds (128 MiB), and its peak.
const RUNNING_MEMORY: i64 = 134_217_728;
const PEAK_MEMORY: i64 = 150_994_944;
/// CPU percentage of a healthy, lightly loaded web container.
const RUNNING_CPU: i64 = 2;

/// `GET /v1/apps/{app}/stats`.
pub async fn show(
    State(state): State<AppState>,
    _caller: Caller,
    Path(app): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let containers = containers_of(&state, &app)
        .await
        .ok_or(ApiError::NotFound("app"))?;
    let stats: Vec<Value> = containers.iter().map(stat_json).collect();
    Ok(Json(json!({ "stats": stats })))
}

fn stat_json(container: &Container) -> Value {
    let (cpu, memory) = match container.state {
        "running" => (RUNNING_CPU, RUNNING_MEMORY),
        _ => (0, 0),
    };
    json!({
        "id": container.label(),
        "cpu_usage": cpu,
        "memory_usage": memory,
        "memory_limit": MEMORY_LIMIT,
        "highest_memory_usage": PEAK_MEMORY.max(memory),
        "swap_usage": 0,
        "swap_limit": SWAP_LIMIT,
        "highest_swap_usage": 0,
    })
}
