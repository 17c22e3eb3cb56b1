//! The app itself, at its `url` (`{base}/_apps/{app}/...`): it answers
//! according to the release running, so that health checks and
//! rehearsals see a bad release the way monitoring does. The running
//! release is the last successful deployment; its commit decides the
//! answer through a `.sandbox/health` file holding a status code (`503`
//! makes every request to the app answer 503). Without that file the app
//! answers 200. The file is read once per commit: a commit never changes.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use crate::api_error::ApiError;
use crate::deploy::git;
use crate::deploy::trigger::blocking;
use crate::state::AppState;

/// Where a release says how its app answers.
pub const HEALTH_FILE: &str = ".sandbox/health";

/// The app's routes: its root and anything below it.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/_apps/{app}", get(root))
        .route("/_apps/{app}/", get(root))
        .route("/_apps/{app}/{*path}", get(page))
}

async fn root(state: State<AppState>, Path(app): Path<String>) -> Response {
    answer(state, app).await
}

async fn page(state: State<AppState>, Path((app, _path)): Path<(String, String)>) -> Response {
    answer(state, app).await
}

/// What runs: the last successful deployment's commit, from the app's
/// repository, or why nothing answers.
enum Running {
    Commit {
        repo: String,
        sha: String,
    },
    /// A release that did not come from git (an archive deploy).
    Other {
        git_ref: String,
    },
}

async fn answer(State(state): State<AppState>, app: String) -> Response {
    let running = {
        let world = state.world();
        let Some(found) = world.apps.get(&app) else {
            return ApiError::NotFound("app").into_response();
        };
        if matches!(found.status.as_str(), "stopped" | "crashed") {
            return unavailable(&app, &format!("the app is {}", found.status));
        }
        let Some(deployment) = found
            .deployments
            .iter()
            .rev()
            .find(|d| d.status == "success")
        else {
            return unavailable(&app, "no release has been deployed yet");
        };
        match (&found.repo, deployment.kind.as_str()) {
            (Some(repo), "deployment") => Running::Commit {
                repo: repo.clone(),
                sha: deployment.git_ref.clone(),
            },
            _ => Running::Other {
                git_ref: deployment.git_ref.clone(),
            },
        }
    };
    let (release, status) = match running {
        Running::Other { git_ref } => (git_ref, StatusCode::OK),
        Running::Commit { repo, sha } => match status_of(repo, sha.clone()).await {
            Ok(status) => (sha, status),
            Err(message) => {
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    axum::Json(json!({ "app": app, "release": sha, "error": message })),
                )
                    .into_response();
            }
        },
    };
    let state_word = if status.is_success() { "up" } else { "failing" };
    (
        status,
        axum::Json(json!({ "app": app, "release": release, "status": state_word })),
    )
        .into_response()
}

fn unavailable(app: &str, why: &str) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(json!({ "app": app, "status": "unavailable", "error": why })),
    )
        .into_response()
}

/// The status the commit's health file asks for, cached per commit.
async fn status_of(repo: String, sha: String) -> Result<StatusCode, String> {
    static CACHE: OnceLock<Mutex<HashMap<(String, String), u16>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    let key = (repo.clone(), sha.clone());
    let cached = cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&key)
        .copied();
    let code = match cached {
        Some(code) => code,
        None => {
            let text = blocking(move || git::read_file(&repo, &sha, HEALTH_FILE)).await?;
            let code = match text {
                None => 200,
                Some(text) => parse(&text)?,
            };
            cache
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key, code);
            code
        }
    };
    StatusCode::from_u16(code).map_err(|e| format!("{HEALTH_FILE}: {e}"))
}

/// The file's first word: a status code from 100 to 599.
fn parse(text: &str) -> Result<u16, String> {
    let word = text.split_whitespace().next().unwrap_or_default();
    match word.parse::<u16>() {
        Ok(code) if (100..=599).contains(&code) => Ok(code),
        _ => Err(format!(
            "{HEALTH_FILE} must hold an HTTP status code such as 200 or 503, not `{word}`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn the_health_file_holds_a_status_code() {
        assert_eq!(parse("503\n"), Ok(503));
        assert_eq!(parse("  200 all good"), Ok(200));
        assert!(parse("").is_err());
        assert!(parse("ok").is_err());
        assert!(parse("99").is_err());
        assert!(parse("600").is_err());
    }
}
