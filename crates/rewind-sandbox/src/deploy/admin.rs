//! The deployment side of the sandbox-only admin surface (`/_sandbox/`, no
//! authentication, loopback only): make the next deploy hang, end a
//! hanging deploy, insert a long finished history at once, make the
//! watcher look for pushes now, tune how often the live stream pings, cut
//! the open streams and refuse the next ones.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api_error::ApiError;
use crate::deploy::build_log::{self, Context};
use crate::deploy::bus::Cut;
use crate::deploy::engine::{self, last_success_ref};
use crate::deploy::git;
use crate::deploy::json::{TERMINAL, deployment_json};
use crate::deploy::source::{Outcome, Package, Source};
use crate::deploy::trigger::{blocking, check_ref, parse_body};
use crate::state::{AppState, Deployment};
use crate::time::{new_id, now};

/// `POST /_sandbox/apps/{app}/deployments/hang-next`: the app's next
/// deployment stops in `building` until `finish` ends it.
pub async fn hang_next(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let mut world = state.world();
    if !world.apps.contains_key(&name) {
        return Err(ApiError::NotFound("app"));
    }
    world.deploy.hang_next.insert(name);
    Ok(Json(json!({ "hang_next": true })))
}

/// `POST /_sandbox/apps/{app}/deployments/{id}/finish` `{"status":
/// "success"}` (any terminal status): ends a hanging deployment.
pub async fn finish(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, String)>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body = parse_body(&bytes, r#"{"status": "success"}"#)?;
    let status = terminal_status(body.get("status"), "status")?;
    let mut guard = state.world();
    let world = &mut *guard;
    let app = world.apps.get_mut(&name).ok_or(ApiError::NotFound("app"))?;
    let deployment = app
        .deployments
        .iter_mut()
        .find(|d| d.id == id)
        .ok_or(ApiError::NotFound("deployment"))?;
    if !deployment.hanging {
        return Err(ApiError::Conflict(format!(
            "deployment {id} is {} and not hanging: only a hanging deployment \
             (a `hang` outcome or hang-next) can be finished by hand",
            deployment.status
        )));
    }
    let line = format!("-----> Deployment ended through the sandbox's admin route: {status}");
    deployment.log.push_str(&line);
    deployment.log.push('\n');
    world.deploy.bus.log(&name, &id, &line);
    engine::finish(world, &name, &id, status, now());
    world.deploy.bus.status(&name, &id, status);
    let app = world.apps.get(&name).ok_or(ApiError::NotFound("app"))?;
    let deployment = app
        .deployments
        .iter()
        .find(|d| d.id == id)
        .ok_or(ApiError::NotFound("deployment"))?;
    Ok(Json(json!({
        "deployment": deployment_json(&state.base_url, app, deployment, true),
    })))
}

/// `POST /_sandbox/watcher/tick`: the watcher looks at every watched
/// branch now (the SCM link's, the app's remote's `master` and `main`) and
/// the answer comes once it has: `{"deployments_started": N}`, the
/// deployments that look started (a look of the ticker that ran just
/// before may have started one already).
pub async fn tick_watcher(State(state): State<AppState>) -> Json<Value> {
    let started = crate::deploy::watcher::tick(&state).await;
    Json(json!({ "deployments_started": started }))
}

/// `POST /_sandbox/stream/ping-interval` `{"ms": 200}`: how often live
/// streams opened from now on ping their client.
pub async fn ping_interval(
    State(state): State<AppState>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body = parse_body(&bytes, r#"{"ms": 200}"#)?;
    let ms = body
        .get("ms")
        .and_then(Value::as_u64)
        .filter(|ms| *ms >= 1)
        .ok_or_else(|| ApiError::unprocessable("ms", "must be a positive integer"))?;
    state.world().deploy.ping_interval_ms = Some(ms);
    Ok(Json(json!({ "ping_interval_ms": ms })))
}

/// `POST /_sandbox/stream/disconnect` `{"app": "shop", "close_frame":
/// false}` (both optional): cuts every open live stream at once, or only
/// the app's. By default the connection is dropped without a close frame,
/// as when a network path dies; with `"close_frame": true` the server says
/// goodbye first. Answers `{"closed": N}`, the number of streams cut.
pub async fn disconnect(
    State(state): State<AppState>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body = parse_body(&bytes, r#"{"app": "shop", "close_frame": true}"#)?;
    only_fields(&body, &["app", "close_frame"])?;
    let app = match body.get("app") {
        None | Some(Value::Null) => None,
        Some(Value::String(app)) => Some(app.as_str()),
        Some(_) => return Err(ApiError::unprocessable("app", "must be an app name")),
    };
    let how = match body.get("close_frame") {
        None | Some(Value::Null) | Some(Value::Bool(false)) => Cut::Drop,
        Some(Value::Bool(true)) => Cut::CloseFrame,
        Some(_) => {
            return Err(ApiError::unprocessable(
                "close_frame",
                "must be true or false",
            ));
        }
    };
    let world = state.world();
    if let Some(app) = app
        && !world.apps.contains_key(app)
    {
        return Err(ApiError::NotFound("app"));
    }
    let closed = world.deploy.bus.cut(app, how);
    Ok(Json(json!({ "closed": closed })))
}

/// `POST /_sandbox/stream/refuse` `{"times": 2}`: the next `times` live
/// stream connection attempts (of any app) are answered 503 instead of
/// being upgraded; `0` stops refusing.
pub async fn refuse(State(state): State<AppState>, bytes: Bytes) -> Result<Json<Value>, ApiError> {
    let body = parse_body(&bytes, r#"{"times": 1}"#)?;
    only_fields(&body, &["times"])?;
    let times = body
        .get("times")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| ApiError::unprocessable("times", "must be a non-negative integer"))?;
    state.world().deploy.bus.refuse_next(times);
    Ok(Json(json!({ "refuse_next": times })))
}

/// A misspelt option must not pass for the default.
fn only_fields(body: &Value, known: &[&str]) -> Result<(), ApiError> {
    let unknown: Vec<(String, String)> = body
        .as_object()
        .into_iter()
        .flat_map(|fields| fields.keys())
        .filter(|key| !known.contains(&key.as_str()))
        .map(|key| {
            let message = format!("is not a known field (known: {})", known.join(", "));
            (key.clone(), message)
        })
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Unprocessable(unknown))
    }
}

/// `POST /_sandbox/apps/{app}/deployments/history`: inserts deployments that
/// are already finished, so that clients can be tested over long
/// histories without waiting for them. Body:
///
/// ```json
/// {"deployments": [
///   {"git_ref": "v1.2.3",                         // required: a SHA or a label
///    "status": "success",                         // any terminal status; default success
///    "created_at": "2026-07-18T21:00:00.000Z",    // default: ten minutes apart, before now
///    "duration": 40,                              // seconds; default 40
///    "package": "shop", "version": "1.2.3",       // the build log's `> shop@1.2.3 prepare`
///    "pusher": "alice",                           // default: sandbox-user
///    "type": "deployment"}                        // or "archive"; default deployment
/// ]}
/// ```
///
/// Without `package`, a `git_ref` naming a commit of the app's repository
/// (for a `deployment`) is recorded as the commit's full SHA and its log
/// shows that commit's `package.json`. Answers 201 `{"deployments": [...]}`,
/// in the order given; listings show them by `created_at`, newest first.
pub async fn history(
    State(state): State<AppState>,
    Path(name): Path<String>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let example = r#"{"deployments": [{"git_ref": "...", "status": "success", "created_at": "...", "package": "name", "version": "1.2.3"}]}"#;
    let body: HistoryBody = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::BadRequest(format!("invalid body ({e}), expected {example}")))?;
    let repo = {
        let world = state.world();
        let app = world.apps.get(&name).ok_or(ApiError::NotFound("app"))?;
        app.repo.clone()
    };
    let entries = check_entries(body.deployments)?;
    let entries = with_commits(entries, repo, name.clone()).await?;
    // Inserted and finished one by one in time order, whatever order they
    // were given in, so that each one's previous release, the app's status
    // and "newest first" come out as if they had run live.
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by_key(|&i| entries[i].created_at);
    let mut ids = vec![String::new(); entries.len()];
    let mut guard = state.world();
    let world = &mut *guard;
    for i in order {
        let entry = &entries[i];
        let app = world.apps.get_mut(&name).ok_or(ApiError::NotFound("app"))?;
        let position = app
            .deployments
            .partition_point(|d| d.created_at <= entry.created_at);
        let id = new_id();
        let deployment = Deployment {
            id: id.clone(),
            created_at: entry.created_at,
            finished_at: None,
            status: "starting".to_string(),
            git_ref: entry.git_ref.clone(),
            previous_git_ref: last_success_ref(&app.deployments[..position]),
            kind: entry.kind.clone(),
            pusher: entry.pusher.clone(),
            log: build_log::finished_log(Context {
                app: &name,
                git_ref: &entry.git_ref,
                source: &entry.source,
            }),
            duration: 0,
            image_size: 0,
            hanging: false,
        };
        app.deployments.insert(position, deployment);
        let finished_at = entry.created_at + entry.duration;
        engine::finish(world, &name, &id, entry.status, finished_at);
        ids[i] = id;
    }
    let app = world.apps.get_mut(&name).ok_or(ApiError::NotFound("app"))?;
    app.events.sort_by_key(|e| e.created_at);
    let shown: Vec<Value> = ids
        .iter()
        .filter_map(|id| app.deployments.iter().find(|d| &d.id == id))
        .map(|d| deployment_json(&state.base_url, app, d, true))
        .collect();
    Ok((StatusCode::CREATED, Json(json!({ "deployments": shown }))))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryBody {
    deployments: Vec<HistoryEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryEntry {
    git_ref: String,
    status: Option<String>,
    created_at: Option<String>,
    duration: Option<u64>,
    package: Option<String>,
    version: Option<String>,
    pusher: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// A history entry checked and completed.
#[derive(Debug)]
struct Checked {
    git_ref: String,
    status: &'static str,
    created_at: DateTime<Utc>,
    duration: chrono::Duration,
    kind: String,
    pusher: String,
    package: Option<Package>,
    source: Source,
}

/// Validates every entry; all problems are reported at once, each named by
/// its index (`deployments[3].status`).
fn check_entries(entries: Vec<HistoryEntry>) -> Result<Vec<Checked>, ApiError> {
    let count = entries.len();
    let mut errors = Vec::new();
    let mut checked = Vec::with_capacity(count);
    let start = now();
    for (i, entry) in entries.into_iter().enumerate() {
        let field = |name: &str| format!("deployments[{i}].{name}");
        let mut fail = |name: &str, message: String| errors.push((field(name), message));
        if entry.git_ref.trim().is_empty() {
            fail("git_ref", "can't be blank".to_string());
        } else if let Err(ApiError::Unprocessable(found)) = check_ref("git_ref", &entry.git_ref) {
            for (_, message) in found {
                fail("git_ref", message);
            }
        }
        let status = match entry.status.as_deref() {
            None => Some("success"),
            Some(s) => TERMINAL.iter().find(|t| **t == s).copied(),
        };
        if status.is_none() {
            fail(
                "status",
                format!(
                    "must be one of {} (a finished deployment)",
                    TERMINAL.join(", ")
                ),
            );
        }
        let steps_back = i32::try_from(count - i).unwrap_or(i32::MAX);
        let created_at = match &entry.created_at {
            None => Some(start - chrono::Duration::minutes(10) * steps_back),
            Some(text) => match DateTime::parse_from_rfc3339(text) {
                Ok(t) => Some(t.with_timezone(&Utc)),
                Err(e) => {
                    fail("created_at", format!("is not an ISO-8601 date ({e})"));
                    None
                }
            },
        };
        let kind = entry
            .kind
            .clone()
            .unwrap_or_else(|| "deployment".to_string());
        if kind != "deployment" && kind != "archive" {
            fail("type", "must be deployment or archive".to_string());
        }
        if entry.version.is_some() && entry.package.is_none() {
            fail("package", "is required with version".to_string());
        }
        let (Some(status), Some(created_at)) = (status, created_at) else {
            continue;
        };
        let package = entry.package.map(|name| Package {
            name,
            version: entry.version,
            prepare: None,
            build: None,
            node_engine: None,
        });
        checked.push(Checked {
            git_ref: entry.git_ref.trim().to_string(),
            status,
            created_at,
            duration: chrono::Duration::seconds(
                i64::try_from(entry.duration.unwrap_or(40)).unwrap_or(i64::MAX / 1000),
            ),
            kind,
            pusher: entry.pusher.unwrap_or_else(|| "sandbox-user".to_string()),
            source: Source {
                package: package.clone(),
                outcome: Outcome::for_status(status).unwrap_or_default(),
            },
            package,
        });
    }
    if errors.is_empty() {
        Ok(checked)
    } else {
        Err(ApiError::Unprocessable(errors))
    }
}

/// Entries without a package that name a commit of the app's repository
/// take the commit's full SHA and its `package.json`.
async fn with_commits(
    mut entries: Vec<Checked>,
    repo: Option<String>,
    app: String,
) -> Result<Vec<Checked>, ApiError> {
    let Some(repo) = repo else {
        return Ok(entries);
    };
    if !entries
        .iter()
        .any(|e| e.package.is_none() && e.kind == "deployment")
    {
        return Ok(entries);
    }
    blocking(move || {
        for entry in entries
            .iter_mut()
            .filter(|e| e.package.is_none() && e.kind == "deployment")
        {
            if let Some(sha) = git::resolve_commit(&repo, &entry.git_ref)? {
                let found = Source::from_commit(&repo, &sha, &app)?;
                entry.source.package = found.package;
                entry.git_ref = sha;
            }
        }
        Ok(entries)
    })
    .await
    .map_err(|message| ApiError::unprocessable("deployments", &message))
}

/// A terminal status from a JSON value.
fn terminal_status(value: Option<&Value>, field: &str) -> Result<&'static str, ApiError> {
    let text = value.and_then(Value::as_str).unwrap_or("");
    TERMINAL
        .iter()
        .find(|t| **t == text)
        .copied()
        .ok_or_else(|| {
            ApiError::unprocessable(field, &format!("must be one of {}", TERMINAL.join(", ")))
        })
}

/// `POST /_sandbox/stream/garbage` `{"times": 1}`: the next `times` live
/// streams receive a text frame that is not JSON once their auth frame is
/// accepted, before any other frame; `0` stops it.
pub async fn garbage(State(state): State<AppState>, bytes: Bytes) -> Result<Json<Value>, ApiError> {
    let body = parse_body(&bytes, r#"{"times": 1}"#)?;
    only_fields(&body, &["times"])?;
    let times = body
        .get("times")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| ApiError::unprocessable("times", "must be a non-negative integer"))?;
    state.world().deploy.bus.garbage_next(times);
    Ok(Json(json!({ "garbage_next": times })))
}
