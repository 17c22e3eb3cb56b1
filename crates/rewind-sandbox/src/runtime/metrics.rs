//! `GET /v1/apps/{app}/stats/{metric}`: time series, one point per minute.
//! The sandbox serves the `router` metric (what `rewind watch` reads): the
//! requests the app's own URL (`/_apps/{app}/...`) received in each minute,
//! all of them or only those answered with a status class (`status_code`
//! = `1XX` ... `5XX`, or `all`). The resource metrics (`cpu`, `memory`,
//! `swap`) would be invented history, so they answer 501 with their path.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::Uri;
use chrono::{DurationRound, TimeDelta};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api_error::ApiError;
use crate::auth::Caller;
use crate::state::AppState;
use crate::time::{Timestamp, now};

/// The longest window served, in hours (a week of minutes).
const MAX_SINCE_HOURS: i64 = 168;

#[derive(Debug, Deserialize)]
pub struct Params {
    /// Hours to look back; 1 when absent.
    since: Option<String>,
    /// `1XX`..`5XX` or `all` (the default).
    status_code: Option<String>,
    /// `true`: only the last point.
    last: Option<String>,
}

/// `GET /v1/apps/{app}/stats/{metric}`.
pub async fn query(
    state: State<AppState>,
    caller: Caller,
    Path((app, metric)): Path<(String, String)>,
    uri: Uri,
    params: Query<Params>,
) -> Result<Json<Value>, ApiError> {
    serve(state, caller, app, metric, uri, params).await
}

/// `GET /v1/apps/{app}/stats/{metric}/{container_type}`: the router metric
/// ignores the container, as documented.
pub async fn query_container_type(
    state: State<AppState>,
    caller: Caller,
    Path((app, metric, _type)): Path<(String, String, String)>,
    uri: Uri,
    params: Query<Params>,
) -> Result<Json<Value>, ApiError> {
    serve(state, caller, app, metric, uri, params).await
}

/// `GET /v1/apps/{app}/stats/{metric}/{container_type}/{index}`.
pub async fn query_container(
    state: State<AppState>,
    caller: Caller,
    Path((app, metric, _type, _index)): Path<(String, String, String, String)>,
    uri: Uri,
    params: Query<Params>,
) -> Result<Json<Value>, ApiError> {
    serve(state, caller, app, metric, uri, params).await
}

async fn serve(
    State(state): State<AppState>,
    _caller: Caller,
    app: String,
    metric: String,
    uri: Uri,
    Query(params): Query<Params>,
) -> Result<Json<Value>, ApiError> {
    if !state.world().apps.contains_key(&app) {
        return Err(ApiError::NotFound("app"));
    }
    if metric != "router" {
        return Err(ApiError::NotImplemented(format!("GET {}", uri.path())));
    }
    let hours = match params.since.as_deref() {
        None | Some("") => 1,
        Some(text) => match text.parse::<i64>() {
            Ok(h) if (1..=MAX_SINCE_HOURS).contains(&h) => h,
            _ => {
                return Err(ApiError::BadRequest(format!(
                    "since must be a number of hours from 1 to {MAX_SINCE_HOURS}, not `{text}`"
                )));
            }
        },
    };
    let class = match params.status_code.as_deref() {
        None | Some("") | Some("all") => None,
        Some(code @ ("1XX" | "2XX" | "3XX" | "4XX" | "5XX")) => {
            Some(u16::from(code.as_bytes()[0] - b'0'))
        }
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "status_code must be one of 1XX, 2XX, 3XX, 4XX, 5XX or all, not `{other}`"
            )));
        }
    };
    let last = matches!(params.last.as_deref(), Some("true" | "1"));
    let end = minute_of(now());
    let start = end - TimeDelta::hours(hours) + TimeDelta::minutes(1);
    let counts = count_per_minute(&state, &app, class, start);
    let mut points = Vec::new();
    let mut minute = start;
    while minute <= end {
        let value = counts.get(&minute).copied().unwrap_or(0);
        points.push(json!({
            "time": minute.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "value": value as f64,
        }));
        minute += TimeDelta::minutes(1);
    }
    if last {
        points = points.split_off(points.len().saturating_sub(1));
    }
    Ok(Json(Value::Array(points)))
}

/// Requests to the app's URL per minute since `start`, only those answered
/// with `class`xx when given.
fn count_per_minute(
    state: &AppState,
    app: &str,
    class: Option<u16>,
    start: Timestamp,
) -> HashMap<Timestamp, u64> {
    let root = format!("/_apps/{app}");
    let below = format!("/_apps/{app}/");
    let mut counts = HashMap::new();
    for request in state.world().requests.iter() {
        let path = request.path.split('?').next().unwrap_or_default();
        if path != root && !path.starts_with(&below) {
            continue;
        }
        if class.is_some_and(|c| request.status / 100 != c) {
            continue;
        }
        let minute = minute_of(request.at);
        if minute >= start {
            *counts.entry(minute).or_insert(0) += 1;
        }
    }
    counts
}

fn minute_of(t: Timestamp) -> Timestamp {
    t.duration_trunc(TimeDelta::minutes(1)).unwrap_or(t)
}
