//! Reading deployments: the paginated list (newest first), one deployment,
//! and its build log as plain text at `links.output`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::api_error::ApiError;
use crate::auth::Caller;
use crate::deploy::json::deployment_json;
use crate::platform::pagination::Page;
use crate::state::AppState;

/// `GET /v1/apps/{app}/deployments?page=&per_page=`.
pub async fn list(
    State(state): State<AppState>,
    _caller: Caller,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let page = Page::from_query(&query)?;
    let world = state.world();
    let app = world.apps.get(&name).ok_or(ApiError::NotFound("app"))?;
    // Kept oldest first in the world; the API lists newest first.
    let newest_first: Vec<_> = app.deployments.iter().rev().collect();
    let deployments: Vec<Value> = page
        .slice(&newest_first)
        .iter()
        .map(|d| deployment_json(&state.base_url, app, d))
        .collect();
    Ok(Json(json!({
        "deployments": deployments,
        "meta": page.meta(newest_first.len()),
    })))
}

/// `GET /v1/apps/{app}/deployments/{id}`.
pub async fn show(
    State(state): State<AppState>,
    _caller: Caller,
    Path((name, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let world = state.world();
    let app = world.apps.get(&name).ok_or(ApiError::NotFound("app"))?;
    let deployment = app
        .deployments
        .iter()
        .find(|d| d.id == id)
        .ok_or(ApiError::NotFound("deployment"))?;
    Ok(Json(json!({
        "deployment": deployment_json(&state.base_url, app, deployment),
    })))
}

/// `GET /v1/apps/{app}/deployments/{id}/output`: the build log so far.
pub async fn output(
    State(state): State<AppState>,
    _caller: Caller,
    Path((name, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let world = state.world();
    let app = world.apps.get(&name).ok_or(ApiError::NotFound("app"))?;
    let deployment = app
        .deployments
        .iter()
        .find(|d| d.id == id)
        .ok_or(ApiError::NotFound("deployment"))?;
    Ok((
        [(CONTENT_TYPE, "text/plain; charset=utf-8")],
        deployment.log.clone(),
    )
        .into_response())
}
