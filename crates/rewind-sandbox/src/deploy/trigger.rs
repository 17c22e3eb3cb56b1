//! Starting a deployment through the API: the SCM manual deploy of a branch
//! (or a tag), resolved to a commit in the app's real git repository, and
//! the archive deploy of a `.tar.gz` at a URL the sandbox can fetch.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::api_error::ApiError;
use crate::auth::Caller;
use crate::deploy::engine::{self, NewDeployment};
use crate::deploy::source::Source;
use crate::deploy::{archive, git};
use crate::state::AppState;

/// `POST /v1/apps/{app}/scm_repo_link/manual_deploy` `{"branch": "..."}`.
pub async fn manual_deploy(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body = parse_body(&bytes, r#"{"branch": "<branch or tag>"}"#)?;
    let repo = linked_repo(&state, &name)?;
    let branch = match body.get("branch") {
        Some(Value::String(b)) if !b.trim().is_empty() => b.trim().to_string(),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            return Err(ApiError::unprocessable("branch", "can't be blank"));
        }
        Some(_) => return Err(ApiError::unprocessable("branch", "must be a string")),
    };
    check_ref("branch", &branch)?;
    let (sha, source) = {
        let (repo, wanted, app) = (repo.clone(), branch.clone(), name.clone());
        blocking(move || {
            let Some(sha) = git::resolve_commit(&repo, &wanted)? else {
                return Ok(None);
            };
            let source = Source::from_commit(&repo, &sha, &app)?;
            Ok(Some((sha, source)))
        })
        .await
        .map_err(|message| ApiError::unprocessable("scm_repo_link", &message))?
        .ok_or_else(|| {
            ApiError::unprocessable(
                "branch",
                &format!("`{branch}` is not a branch or tag of the linked repository"),
            )
        })?
    };
    let deployment = engine::start(
        &state,
        &name,
        NewDeployment {
            git_ref: sha,
            kind: "deployment",
            pusher: caller.user,
            source,
        },
    )?;
    Ok(Json(json!({ "deployment": deployment })))
}

/// `POST /v1/apps/{app}/deployments`
/// `{"deployment": {"git_ref": "<label>", "source_url": "<url of a .tar.gz>"}}`.
pub async fn archive_deploy(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let body = parse_body(
        &bytes,
        r#"{"deployment": {"git_ref": "<label>", "source_url": "<url>"}}"#,
    )?;
    if !state.world().apps.contains_key(&name) {
        return Err(ApiError::NotFound("app"));
    }
    let Some(fields) = body.get("deployment").and_then(Value::as_object) else {
        return Err(ApiError::unprocessable("deployment", "can't be blank"));
    };
    let mut errors = Vec::new();
    let git_ref = required_text(fields.get("git_ref"), "git_ref", &mut errors);
    let source_url = required_text(fields.get("source_url"), "source_url", &mut errors);
    if let Some(git_ref) = &git_ref
        && let Err(ApiError::Unprocessable(mut e)) = check_ref("git_ref", git_ref)
    {
        errors.append(&mut e);
    }
    let url = source_url.as_deref().map(archive::check_url);
    if let Some(Err(message)) = &url {
        errors.push(("source_url".to_string(), message.clone()));
    }
    let (Some(git_ref), Some(Ok(url))) = (git_ref, url) else {
        return Err(ApiError::Unprocessable(errors));
    };
    if !errors.is_empty() {
        return Err(ApiError::Unprocessable(errors));
    }
    let app = name.clone();
    let source = blocking(move || {
        let bytes = archive::fetch(&url)?;
        archive::read_source(&bytes, &app)
    })
    .await
    .map_err(|message| ApiError::unprocessable("source_url", &message))?;
    let deployment = engine::start(
        &state,
        &name,
        NewDeployment {
            git_ref,
            kind: "archive",
            pusher: caller.user,
            source,
        },
    )?;
    let status =
        StatusCode::from_u16(state.variants().archive_deploy_status).unwrap_or(StatusCode::CREATED);
    Ok((status, Json(json!({ "deployment": deployment }))))
}

/// The app's repository, when the app exists and is linked to one.
fn linked_repo(state: &AppState, name: &str) -> Result<String, ApiError> {
    let world = state.world();
    let app = world.apps.get(name).ok_or(ApiError::NotFound("app"))?;
    let no_link = |why: &str| {
        ApiError::unprocessable(
            "scm_repo_link",
            &format!("the app `{name}` has no SCM link: {why}"),
        )
    };
    match (&app.repo, &app.scm) {
        (None, _) => Err(no_link("no git repository is set for it in the sandbox")),
        (Some(_), None) => Err(no_link("its repository is not linked (no [apps.scm])")),
        (Some(repo), Some(_)) => Ok(repo.clone()),
    }
}

/// A git ref the platform accepts: git would read a leading `-` as an
/// option.
pub fn check_ref(field: &str, git_ref: &str) -> Result<(), ApiError> {
    if git_ref.starts_with('-') {
        return Err(ApiError::unprocessable(field, "must not start with '-'"));
    }
    if git_ref.chars().any(char::is_control) {
        return Err(ApiError::unprocessable(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

fn required_text(
    value: Option<&Value>,
    field: &str,
    errors: &mut Vec<(String, String)>,
) -> Option<String> {
    match value {
        Some(Value::String(text)) if !text.trim().is_empty() => Some(text.trim().to_string()),
        Some(Value::String(_)) | Some(Value::Null) | None => {
            errors.push((field.to_string(), "can't be blank".to_string()));
            None
        }
        Some(_) => {
            errors.push((field.to_string(), "must be a string".to_string()));
            None
        }
    }
}

/// Reads a JSON object body (none reads as `{}`); anything else is a 400
/// showing the expected shape.
pub fn parse_body(bytes: &Bytes, example: &str) -> Result<Value, ApiError> {
    // No body at all is a request missing its fields: the field messages
    // say more than a parse error would.
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::BadRequest(format!("invalid request body ({e}), expected {example}"))
    })?;
    if !value.is_object() {
        return Err(ApiError::BadRequest(format!(
            "the request body must be a JSON object, expected {example}"
        )));
    }
    Ok(value)
}

/// Runs blocking work (git, file and HTTP reads) off the async workers.
pub async fn blocking<T, F>(work: F) -> Result<T, String>
where
    F: FnOnce() -> Result<T, String> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| format!("the sandbox's worker failed: {e}"))?
}
