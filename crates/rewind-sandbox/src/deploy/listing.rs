//! Reading deployments: the paginated list (newest first), one deployment,
//! and its build log as plain text at `links.output`.
//!
//! As the variants in use say, list items (or every deployment) may come
//! without `links`, and the build-log route may answer redirects before
//! the log: relative ones on the API's host, and a last one, when told so,
//! to another host name of the same server, where the log is served at a
//! signed path (`/_logs/{app}/{id}`) that refuses a request carrying an
//! `Authorization` header, as a storage host refuses a second credential.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::api_error::ApiError;
use crate::auth::Caller;
use crate::config::RedirectHost;
use crate::deploy::json::{deployment_json, has_links};
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
    let links = has_links(state.variants().deployment_links, false);
    let world = state.world();
    let app = world.apps.get(&name).ok_or(ApiError::NotFound("app"))?;
    // Kept oldest first in the world; the API lists newest first.
    let newest_first: Vec<_> = app.deployments.iter().rev().collect();
    let deployments: Vec<Value> = page
        .slice(&newest_first)
        .iter()
        .map(|d| deployment_json(&state.base_url, app, d, links))
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
    let links = has_links(state.variants().deployment_links, true);
    let world = state.world();
    let app = world.apps.get(&name).ok_or(ApiError::NotFound("app"))?;
    let deployment = app
        .deployments
        .iter()
        .find(|d| d.id == id)
        .ok_or(ApiError::NotFound("deployment"))?;
    Ok(Json(json!({
        "deployment": deployment_json(&state.base_url, app, deployment, links),
    })))
}

/// `GET /v1/apps/{app}/deployments/{id}/output[?hop=N]`: the build log so
/// far, or a redirect towards it.
pub async fn output(
    State(state): State<AppState>,
    _caller: Caller,
    Path((name, id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let log = log_of(&state, &name, &id)?;
    let variants = state.variants();
    let hop: u8 = query.get("hop").and_then(|h| h.parse().ok()).unwrap_or(0);
    if hop < variants.build_log_redirects {
        let next = hop + 1;
        let last = next == variants.build_log_redirects;
        let location = if last && variants.build_log_redirect_host == RedirectHost::Other {
            format!("{}/_logs/{name}/{id}", other_host(&state.base_url))
        } else {
            format!("/v1/apps/{name}/deployments/{id}/output?hop={next}")
        };
        return Ok((StatusCode::FOUND, [(LOCATION, location)]).into_response());
    }
    Ok(plain(log))
}

/// `GET /_logs/{app}/{id}`: the build log at its "signed" URL on the other
/// host name. No bearer is needed, and one sent is refused (400).
pub async fn signed_output(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if headers.contains_key(AUTHORIZATION) {
        return Err(ApiError::BadRequest(
            "a signed build-log URL takes no Authorization header: the API's bearer must not leave the API's host".into(),
        ));
    }
    Ok(plain(log_of(&state, &name, &id)?))
}

fn log_of(state: &AppState, name: &str, id: &str) -> Result<String, ApiError> {
    let world = state.world();
    let app = world.apps.get(name).ok_or(ApiError::NotFound("app"))?;
    let deployment = app
        .deployments
        .iter()
        .find(|d| d.id == id)
        .ok_or(ApiError::NotFound("deployment"))?;
    Ok(deployment.log.clone())
}

fn plain(log: String) -> Response {
    ([(CONTENT_TYPE, "text/plain; charset=utf-8")], log).into_response()
}

/// The same server under another host name: `localhost` for a loopback
/// address, and `127.0.0.1` for `localhost`.
fn other_host(base_url: &str) -> String {
    let (scheme, rest) = base_url.split_once("://").unwrap_or(("http", base_url));
    let port = rest.rsplit_once(':').map(|(_, p)| p).unwrap_or("80");
    let host = if rest.starts_with("localhost") {
        "127.0.0.1"
    } else {
        "localhost"
    };
    format!("{scheme}://{host}:{port}")
}

#[cfg(test)]
mod tests {
    use super::other_host;

    #[test]
    fn the_other_host_is_the_same_server_under_another_name() {
        assert_eq!(other_host("http://127.0.0.1:4242"), "http://localhost:4242");
        assert_eq!(other_host("http://localhost:4242"), "http://127.0.0.1:4242");
        assert_eq!(other_host("http://[::1]:4242"), "http://localhost:4242");
    }
}
