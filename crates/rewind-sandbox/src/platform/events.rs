//! `GET /v1/apps/{app}/events`: the app's timeline, newest first and paged
//! like the deployments list. Every domain records events through
//! `App::push_event`; this file only shows them in the documented shape.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use serde_json::{Value, json};

use crate::api_error::ApiError;
use crate::auth::Caller;
use crate::platform::pagination::Page;
use crate::state::{App, AppState, Event};
use crate::time::format;

/// `GET /v1/apps/{app}/events?page=&per_page=`.
pub async fn list(
    State(state): State<AppState>,
    _caller: Caller,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let page = Page::from_query(&query)?;
    let world = state.world();
    let app = world.apps.get(&name).ok_or(ApiError::NotFound("app"))?;
    let newest_first: Vec<&Event> = app.events.iter().rev().collect();
    let events: Vec<Value> = page
        .slice(&newest_first)
        .iter()
        .map(|e| event_json(app, e))
        .collect();
    Ok(Json(json!({
        "events": events,
        "meta": page.meta(newest_first.len()),
    })))
}

/// One event as the documentation shows it.
pub fn event_json(app: &App, event: &Event) -> Value {
    json!({
        "id": event.id,
        "created_at": format(&event.created_at),
        "type": event.kind,
        "user": user_json(&event.user),
        "app_id": app.id,
        "app_name": app.name,
        "type_data": event.type_data,
    })
}

/// A user as events and deployments show it. The sandbox knows users only
/// by name, so the id and email are derived from it: stable across calls
/// and restarts, which is what clients rely on.
pub fn user_json(username: &str) -> Value {
    json!({
        "username": username,
        "email": format!("{username}@sandbox.localhost"),
        "id": format!("us-{username}"),
    })
}
