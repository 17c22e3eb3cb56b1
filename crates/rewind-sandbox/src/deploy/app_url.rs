//! The app itself, at its `url` (`{base}/_apps/{app}/...`): it answers
//! according to the release running, so that health checks and
//! rehearsals see a bad release the way monitoring does. The running
//! release is the last successful deployment; its commit decides the
//! answer through a `.sandbox/health` file holding a status code (`503`
//! makes every request to the app answer 503), optionally only while an
//! environment variable of the app has a value (`503 when FEATURE_X=true`:
//! a feature flag switched off makes the app healthy again). `crash`
//! instead of a code (`crash when FEATURE_X=true` too) makes the release's
//! process exit at boot: the router answers 503, the container is
//! `crashed`, and the sandbox records a `crash` event in the app's
//! timeline when such a release starts running (a deployment's end, a
//! restart), as Scalingo does ([`record_crash`]). Without that file the
//! app answers 200. The file is read once per commit: a commit never
//! changes.

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
        /// The app's variables, for a `when` condition.
        variables: Vec<(String, String)>,
    },
    /// A release that did not come from git (an archive deploy).
    Other { git_ref: String },
}

/// How the app answers now, as its router would see it. Shared with the
/// containers and stats routes so that `ps`, `stats` and the app's own URL
/// never disagree about a failing release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// The app is stopped or crashed as a whole (`status` says which).
    Down { status: String },
    /// Nothing was ever deployed successfully.
    NoRelease,
    /// A release runs and answers with this status code; `crashed` when
    /// its process exits (the router's 503).
    Release {
        release: String,
        code: StatusCode,
        crashed: bool,
    },
    /// The release's health file cannot be read or understood.
    Broken { release: String, message: String },
}

impl Health {
    /// Whether the running release answers anything but success: what
    /// the app's URL reports as `failing`.
    pub fn failing(&self) -> bool {
        match self {
            Health::Release { code, .. } => !code.is_success(),
            Health::Broken { .. } => true,
            Health::Down { .. } | Health::NoRelease => false,
        }
    }
}

/// How `app` answers now; `None` when there is no such app.
pub async fn health(state: &AppState, app: &str) -> Option<Health> {
    let running = {
        let world = state.world();
        let found = world.apps.get(app)?;
        if matches!(found.status.as_str(), "stopped" | "crashed") {
            return Some(Health::Down {
                status: found.status.clone(),
            });
        }
        let Some(deployment) = found
            .deployments
            .iter()
            .rev()
            .find(|d| d.status == "success")
        else {
            return Some(Health::NoRelease);
        };
        match (&found.repo, deployment.kind.as_str()) {
            (Some(repo), "deployment") => Running::Commit {
                repo: repo.clone(),
                sha: deployment.git_ref.clone(),
                variables: found
                    .variables
                    .iter()
                    .map(|v| (v.name.clone(), v.value.clone()))
                    .collect(),
            },
            _ => Running::Other {
                git_ref: deployment.git_ref.clone(),
            },
        }
    };
    Some(match running {
        Running::Other { git_ref } => Health::Release {
            release: git_ref,
            code: StatusCode::OK,
            crashed: false,
        },
        Running::Commit {
            repo,
            sha,
            variables,
        } => match rule_of(repo, sha.clone()).await {
            Ok(rule) => Health::Release {
                release: sha,
                code: rule.status(&variables),
                crashed: rule.crash && rule.applies(&variables),
            },
            Err(message) => Health::Broken {
                release: sha,
                message,
            },
        },
    })
}

async fn answer(State(state): State<AppState>, app: String) -> Response {
    let Some(health) = health(&state, &app).await else {
        return ApiError::NotFound("app").into_response();
    };
    match health {
        Health::Down { status } => unavailable(&app, &format!("the app is {status}")),
        Health::NoRelease => unavailable(&app, "no release has been deployed yet"),
        Health::Broken { release, message } => (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(json!({ "app": app, "release": release, "error": message })),
        )
            .into_response(),
        Health::Release {
            crashed: true,
            release,
            ..
        } => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({ "app": app, "release": release, "status": "crashed", "error": "no container answers: the app crashed" })),
        )
            .into_response(),
        Health::Release { release, code, .. } => {
            let state_word = if code.is_success() { "up" } else { "failing" };
            (
                code,
                axum::Json(json!({ "app": app, "release": release, "status": state_word })),
            )
                .into_response()
        }
    }
}

fn unavailable(app: &str, why: &str) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(json!({ "app": app, "status": "unavailable", "error": why })),
    )
        .into_response()
}

/// What a release's health file says.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    code: u16,
    /// The process exits at boot (`crash`): the router answers `code` (503).
    crash: bool,
    /// Only while this variable has this value; 200 otherwise.
    when: Option<(String, String)>,
}

impl Rule {
    fn applies(&self, variables: &[(String, String)]) -> bool {
        match &self.when {
            None => true,
            Some((name, value)) => variables.iter().any(|(n, v)| n == name && v == value),
        }
    }

    fn status(&self, variables: &[(String, String)]) -> StatusCode {
        let code = if self.applies(variables) {
            self.code
        } else {
            200
        };
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// The commit's health rule, cached per commit.
async fn rule_of(repo: String, sha: String) -> Result<Rule, String> {
    static CACHE: OnceLock<Mutex<HashMap<(String, String), Rule>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    let key = (repo.clone(), sha.clone());
    let cached = cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&key)
        .cloned();
    if let Some(rule) = cached {
        return Ok(rule);
    }
    let text = blocking(move || git::read_file(&repo, &sha, HEALTH_FILE)).await?;
    let rule = match text {
        None => Rule {
            code: 200,
            crash: false,
            when: None,
        },
        Some(text) => parse(&text)?,
    };
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, rule.clone());
    Ok(rule)
}

/// `CODE` or `CODE when NAME=VALUE`, CODE from 100 to 599 or `crash`.
fn parse(text: &str) -> Result<Rule, String> {
    let expected = || {
        format!(
            "{HEALTH_FILE} must hold an HTTP status code such as 503 or `crash`, optionally followed by `when NAME=VALUE`, not `{}`",
            text.trim()
        )
    };
    let words: Vec<&str> = text.split_whitespace().collect();
    let crash = words.first() == Some(&"crash");
    let code = match words.first().map(|w| w.parse::<u16>()) {
        _ if crash => 503,
        Some(Ok(code)) if (100..=599).contains(&code) => code,
        _ => return Err(expected()),
    };
    let when = match words.get(1..) {
        Some([]) | None => None,
        Some(["when", condition]) => match condition.split_once('=') {
            Some((name, value)) if !name.is_empty() => Some((name.to_string(), value.to_string())),
            _ => return Err(expected()),
        },
        Some(_) => return Err(expected()),
    };
    Ok(Rule { code, crash, when })
}

/// Records a `crash` event for `app` at `at` when its running release
/// crashes (`crash` in its health file, its condition met), as Scalingo's
/// timeline shows one (`type_data`: `container_type`, `crash_logs`,
/// `logs_url`), dated `at`; once per start: not when a crash event is
/// already recorded at or after `at`.
pub async fn record_crash(state: &AppState, app: &str, at: crate::time::Timestamp) {
    let Some(Health::Release {
        release,
        crashed: true,
        ..
    }) = health(state, app).await
    else {
        return;
    };
    let logs_url = format!("{}/v1/apps/{app}/logs", state.base_url);
    let mut world = state.world();
    let Some(found) = world.apps.get_mut(app) else {
        return;
    };
    let already = found
        .events
        .iter()
        .any(|e| e.kind == "crash" && e.created_at >= at);
    if already {
        return;
    }
    found.push_event(
        "scalingo",
        "crash",
        json!({
            "container_type": "web",
            "crash_logs": format!("web-1: the process of release {} exited at boot (status 1)", &release[..release.len().min(12)]),
            "logs_url": logs_url,
        }),
    );
    if let Some(event) = found.events.last_mut() {
        event.created_at = at;
    }
}

#[cfg(test)]
mod tests {
    use super::{Rule, parse};

    #[test]
    fn the_health_file_holds_a_status_code_and_maybe_a_condition() {
        assert_eq!(parse("503\n").map(|r| r.code), Ok(503));
        let rule = parse("503 when FEATURE_X=true\n").expect("rule");
        let vars = |v: &str| vec![("FEATURE_X".to_string(), v.to_string())];
        assert_eq!(rule.status(&vars("true")).as_u16(), 503);
        assert_eq!(rule.status(&vars("false")).as_u16(), 200);
        assert_eq!(rule.status(&[]).as_u16(), 200);
        for bad in [
            "",
            "ok",
            "99",
            "600",
            "200 all good",
            "503 when",
            "503 when =x",
            "503 if A=b",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let crash = parse("crash when FEATURE_X=true\n").expect("crash rule");
        assert!(crash.crash && crash.code == 503);
        assert!(crash.applies(&vars("true")) && !crash.applies(&vars("false")));
        assert!(parse("crash").expect("crash").crash);
        assert!(!parse("503").expect("503").crash);
        let plain = Rule {
            code: 503,
            crash: false,
            when: None,
        };
        assert_eq!(plain.status(&[]).as_u16(), 503);
    }
}
