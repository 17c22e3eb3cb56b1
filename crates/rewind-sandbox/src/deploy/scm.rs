//! The app's SCM link: `GET /v1/apps/{app}/scm_repo_link` shaped like the
//! documentation's example, and `PATCH` to switch auto-deploy or change the
//! linked branch (an `update_scm` event records it).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use crate::api_error::ApiError;
use crate::auth::Caller;
use crate::deploy::git::repo_path;
use crate::deploy::trigger::{check_ref, parse_body};
use crate::platform::events::user_json;
use crate::state::{App, AppState, ScmLink};
use crate::time::{Timestamp, format, now};

/// The user the sandbox's links were made by: the apps' owner.
const LINKER: &str = "sandbox-user";

/// The owner the sandbox gives every linked repository.
const OWNER: &str = "sandbox";

/// `GET /v1/apps/{app}/scm_repo_link`.
pub async fn show(
    State(state): State<AppState>,
    _caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let world = state.world();
    let app = world.apps.get(&name).ok_or(ApiError::NotFound("app"))?;
    let link = app
        .scm
        .as_ref()
        .ok_or(ApiError::NotFound("scm_repo_link"))?;
    let last = world.deploy.last_auto_deploy_at.get(&name);
    Ok(Json(json!({ "scm_repo_link": link_json(app, link, last) })))
}

/// `PATCH /v1/apps/{app}/scm_repo_link`
/// `{"scm_repo_link": {"auto_deploy_enabled": bool, "branch": "..."}}`.
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body = parse_body(
        &bytes,
        r#"{"scm_repo_link": {"auto_deploy_enabled": true, "branch": "main"}}"#,
    )?;
    let mut guard = state.world();
    let world = &mut *guard;
    let app = world.apps.get_mut(&name).ok_or(ApiError::NotFound("app"))?;
    if app.scm.is_none() {
        return Err(ApiError::NotFound("scm_repo_link"));
    }
    let Some(fields) = body.get("scm_repo_link").and_then(Value::as_object) else {
        return Err(ApiError::unprocessable("scm_repo_link", "can't be blank"));
    };
    let auto_deploy = match fields.get("auto_deploy_enabled") {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => {
            return Err(ApiError::unprocessable(
                "auto_deploy_enabled",
                "must be true or false",
            ));
        }
    };
    let branch = match fields.get("branch") {
        None => None,
        Some(Value::String(b)) if !b.trim().is_empty() => {
            check_ref("branch", b.trim())?;
            Some(b.trim().to_string())
        }
        Some(_) => return Err(ApiError::unprocessable("branch", "can't be blank")),
    };
    let link = app
        .scm
        .as_mut()
        .ok_or(ApiError::NotFound("scm_repo_link"))?;
    if let Some(enabled) = auto_deploy {
        link.auto_deploy_enabled = enabled;
    }
    if let Some(branch) = branch {
        link.branch = branch;
    }
    link.updated_at = now();
    let link = link.clone();
    let (repo_name, source) = names(app);
    app.push_event(
        &caller.user,
        "update_scm",
        json!({
            "repo_name": repo_name,
            "linker_username": LINKER,
            "source": source,
            "branch": link.branch,
            "auto_deploy": link.auto_deploy_enabled,
            "auto_deploy_review_apps": false,
            "delete_on_close": false,
            "delete_stale": false,
            "hours_before_delete_on_close": 0,
            "hours_before_delete_stale": 0,
            "creation_from_forks_allowed": false,
        }),
    );
    let last = world.deploy.last_auto_deploy_at.get(&name);
    Ok(Json(
        json!({ "scm_repo_link": link_json(app, &link, last) }),
    ))
}

/// `owner/repo` and the URL of the app's linked repository.
fn names(app: &App) -> (String, String) {
    let repo = app.repo.clone().unwrap_or_default();
    let path = repo_path(&repo);
    let short = path
        .file_name()
        .map(|n| n.to_string_lossy().trim_end_matches(".git").to_string())
        .unwrap_or_else(|| app.name.clone());
    let url = if repo.starts_with("file://") {
        repo
    } else {
        format!("file://{}", path.display())
    };
    (format!("{OWNER}/{short}"), url)
}

fn link_json(app: &App, link: &ScmLink, last_auto_deploy_at: Option<&Timestamp>) -> Value {
    let (repo_name, url) = names(app);
    let repo = repo_name.split_once('/').map(|(_, r)| r).unwrap_or("");
    json!({
        "id": link.id,
        "app_id": app.id,
        "auth_integration_uuid": format!("sandbox-{}", link.id),
        "linker": user_json(LINKER),
        "created_at": format(&link.created_at),
        "updated_at": format(&link.updated_at),
        "owner": OWNER,
        "repo": repo,
        "branch": link.branch,
        "scm_type": "github",
        "url": url,
        "auto_deploy_enabled": link.auto_deploy_enabled,
        "github_integration_uuid": format!("sandbox-{}", link.id),
        "deploy_review_apps_enabled": false,
        "delete_on_close_enabled": false,
        "hours_before_delete_on_close": 0,
        "delete_stale_enabled": false,
        "hours_before_delete_stale": 0,
        "automatic_creation_from_forks_allowed": false,
        "last_auto_deploy_at": last_auto_deploy_at.map(format),
    })
}
