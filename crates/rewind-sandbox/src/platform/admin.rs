//! The sandbox-only admin surface under `/_sandbox/`: no authentication
//! (the sandbox listens on loopback only) and never rate-limited. Tests and
//! rehearsals use it to add apps, read what the sandbox received, inject
//! faults, tune the rate limit, move the clock and look at an app's whole
//! state.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api_error::ApiError;
use crate::apps::app_json;
use crate::config::AppSeed;
use crate::platform::events::event_json;
use crate::platform::faults::RuleRequest;
use crate::platform::{body, seed};
use crate::state::AppState;
use crate::time::format;

/// Keep about this many received requests; older ones are dropped in
/// chunks so that trimming stays cheap.
const REQUESTS_KEPT: usize = 10_000;
const REQUESTS_TRIM_CHUNK: usize = 500;

/// `POST /_sandbox/apps`, body shaped like a seed's `[[apps]]` entry.
pub async fn add_app(
    State(state): State<AppState>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let seed: AppSeed = body::parse(&bytes, r#"{"name":..,"repo":..,"scm":..,"addons":[..]}"#)?;
    seed::check_app_seed(&seed).map_err(|(field, m)| ApiError::unprocessable(&field, &m))?;
    let shown = {
        let mut world = state.world();
        if world.apps.contains_key(&seed.name) {
            return Err(ApiError::Conflict(format!(
                "an app named `{}` already exists",
                seed.name
            )));
        }
        let app = seed::app_from_seed(&seed);
        let shown = app_json(&state, &app);
        world.apps.insert(seed.name.clone(), app);
        shown
    };
    // Its git remote exists when the answer arrives, as a seeded app's
    // does when the sandbox starts (the watcher would make it only at its
    // next look).
    let root = state.git_root.clone();
    let name = seed.name.clone();
    let made = tokio::task::spawn_blocking(move || crate::deploy::ensure_remote(&root, &name))
        .await
        .map_err(|e| ApiError::BadRequest(format!("cannot create the app's git remote: {e}")))?;
    if let Err(message) = made {
        crate::say!("rewind-sandbox: {message}");
    }
    Ok((StatusCode::CREATED, Json(json!({ "app": shown }))))
}

/// `GET /_sandbox/apps/{app}/state`: everything the sandbox holds about
/// the app, in its internal form.
pub async fn app_state(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let world = state.world();
    let app = world.apps.get(&name).ok_or(ApiError::NotFound("app"))?;
    let value = serde_json::to_value(app)
        .map_err(|e| ApiError::BadRequest(format!("cannot show the app's state: {e}")))?;
    Ok(Json(value))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventRequest {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    type_data: Value,
    #[serde(default)]
    user: Option<String>,
}

/// `POST /_sandbox/apps/{app}/events` `{"type","type_data","user"}`: adds
/// an event to the app's timeline, for tests of event readers.
pub async fn add_event(
    State(state): State<AppState>,
    Path(name): Path<String>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let request: EventRequest = body::parse(&bytes, r#"{"type":..,"type_data":{..}}"#)?;
    if request.kind.trim().is_empty() {
        return Err(ApiError::unprocessable("type", "can't be blank"));
    }
    let default_user = state
        .config
        .tokens
        .first()
        .map(|t| t.user.clone())
        .unwrap_or_else(|| "sandbox-user".to_string());
    let mut world = state.world();
    let app = world.apps.get_mut(&name).ok_or(ApiError::NotFound("app"))?;
    let user = request.user.unwrap_or(default_user);
    app.push_event(&user, &request.kind, request.type_data);
    let event = app.events.last().expect("just pushed");
    Ok((
        StatusCode::CREATED,
        Json(json!({ "event": event_json(app, event) })),
    ))
}

/// `GET /_sandbox/requests?since=<index>`: what the sandbox received,
/// oldest first. Indexes keep counting across trims and clears, so a test
/// can remember `next_index` and later read only what came after.
pub async fn requests(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let since = match query.get("since") {
        Some(text) => text.parse::<usize>().map_err(|_| {
            ApiError::BadRequest(format!("since must be a request index, got `{text}`"))
        })?,
        None => 0,
    };
    let world = state.world();
    let first_index = world.platform.requests_dropped;
    let skip = since.saturating_sub(first_index);
    let list: Vec<Value> = world
        .requests
        .iter()
        .enumerate()
        .skip(skip)
        .map(|(i, r)| {
            json!({
                "index": first_index + i,
                "at": format(&r.at),
                "method": r.method,
                "path": r.path,
                "status": r.status,
                "response_bytes": r.response_bytes,
                "body": r.body,
                "headers": r.headers,
            })
        })
        .collect();
    Ok(Json(json!({
        "requests": list,
        "next_index": first_index + world.requests.len(),
    })))
}

/// `DELETE /_sandbox/requests`.
pub async fn clear_requests(State(state): State<AppState>) -> StatusCode {
    let mut world = state.world();
    world.platform.requests_dropped += world.requests.len();
    world.requests.clear();
    StatusCode::NO_CONTENT
}

/// Drops the oldest received requests once there are too many.
pub fn trim_requests(state: &AppState) {
    let mut world = state.world();
    if world.requests.len() >= REQUESTS_KEPT + REQUESTS_TRIM_CHUNK {
        let excess = world.requests.len() - REQUESTS_KEPT;
        world.requests.drain(..excess);
        world.platform.requests_dropped += excess;
    }
}

/// `GET /_sandbox/faults`: the rules, with the calls each has left.
pub async fn list_faults(State(state): State<AppState>) -> Json<Value> {
    let world = state.world();
    let faults: Vec<Value> = world
        .platform
        .faults
        .rules()
        .iter()
        .map(|r| r.to_json())
        .collect();
    Json(json!({ "faults": faults }))
}

/// `POST /_sandbox/faults`: adds a rule (see `faults::RuleRequest`).
pub async fn add_fault(
    State(state): State<AppState>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let request: RuleRequest = body::parse(&bytes, r#"{"path":..,"status":500,"times":1}"#)?;
    let mut world = state.world();
    let rule = world.platform.faults.add(request)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "fault": rule.to_json() })),
    ))
}

/// `DELETE /_sandbox/faults`: removes every rule.
pub async fn clear_faults(State(state): State<AppState>) -> StatusCode {
    state.world().platform.faults.clear();
    StatusCode::NO_CONTENT
}

/// `DELETE /_sandbox/faults/{id}`: removes one rule.
pub async fn remove_fault(
    State(state): State<AppState>,
    Path(id): Path<u64>,
) -> Result<StatusCode, ApiError> {
    if state.world().platform.faults.remove(id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("fault"))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitRequest {
    per_minute: u32,
}

/// `GET /_sandbox/rate_limit`.
pub async fn rate_limit(State(state): State<AppState>) -> Json<Value> {
    let limit = state
        .world()
        .platform
        .rate_limit
        .limit(state.config.rate_limit_per_minute);
    Json(json!({ "rate_limit": { "per_minute": limit } }))
}

/// `PUT /_sandbox/rate_limit` `{"per_minute": N}` (0 turns it off).
pub async fn set_rate_limit(
    State(state): State<AppState>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let request: RateLimitRequest = body::parse(&bytes, r#"{"per_minute":60}"#)?;
    state.world().platform.rate_limit.limit_override = Some(request.per_minute);
    Ok(Json(
        json!({ "rate_limit": { "per_minute": request.per_minute } }),
    ))
}

/// `POST /_sandbox/rate_limit/reset`: every token gets a full budget again.
pub async fn reset_rate_limit(State(state): State<AppState>) -> StatusCode {
    state.world().platform.rate_limit.reset();
    StatusCode::NO_CONTENT
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockRequest {
    advance_ms: u32,
}

/// `GET /_sandbox/clock`: `{"clock": {"now": .., "ahead_ms": N}}`, the
/// sandbox's time and how far ahead of the system's it is.
pub async fn clock(State(state): State<AppState>) -> Json<Value> {
    Json(clock_json(&state))
}

/// `POST /_sandbox/clock` `{"advance_ms": N}`: moves the sandbox's clock
/// forward (never back); answers as `GET`. Everything the sandbox dates or
/// lets expire follows: bearers and addon tokens, download links, new
/// events, deployments and operations, simulated database writes, backups
/// and the recovery window. 409 when an app's database is real
/// PostgreSQL, which keeps the system's time.
pub async fn advance_clock(
    State(state): State<AppState>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let request: ClockRequest = body::parse(&bytes, r#"{"advance_ms":1000}"#)?;
    if crate::database::runs_real_postgres(&state.world()) {
        return Err(ApiError::Conflict(
            "this sandbox's databases are real PostgreSQL, which keeps the system's time: \
             its clock cannot be moved (start it with postgres = \"off\" to move it)"
                .to_string(),
        ));
    }
    state.clock.advance(request.advance_ms);
    Ok(Json(clock_json(&state)))
}

fn clock_json(state: &AppState) -> Value {
    json!({
        "clock": {
            "now": format(&state.clock.now()),
            "ahead_ms": state.clock.ahead_ms(),
        }
    })
}

/// `GET /_sandbox/variants`: the answer forms in use.
pub async fn variants(State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "variants": state.variants() }))
}

/// `PUT /_sandbox/variants` with some of the seed's `[sandbox.variants]`
/// keys as JSON: those change, the others stay. 422 naming the key for an
/// unknown key or a value out of range; nothing changes then.
pub async fn set_variants(
    State(state): State<AppState>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let changes: serde_json::Map<String, Value> =
        body::parse(&bytes, r#"{"backup_size":"differs", ...}"#)?;
    let mut merged = serde_json::to_value(state.variants())
        .map_err(|e| ApiError::BadRequest(format!("cannot show the variants: {e}")))?;
    for (key, value) in changes {
        merged[key] = value;
    }
    let variants: crate::config::Variants = serde_json::from_value(merged)
        .map_err(|e| ApiError::unprocessable("variants", &e.to_string()))?;
    variants
        .check()
        .map_err(|m| ApiError::unprocessable("variants", &m))?;
    state.set_variants(variants);
    Ok(Json(json!({ "variants": variants })))
}
