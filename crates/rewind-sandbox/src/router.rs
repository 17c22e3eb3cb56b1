//! Every route the sandbox answers, on one listener: auth (`/v1/tokens`,
//! `/v1/regions`), the API (`/v1/...`), the database API (`/api/...`), the
//! live stream and the sandbox-only admin surface (`/_sandbox/...`).
//! Anything else answers 501 with its path: the sandbox never fakes success.

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::api_error::ApiError;
use crate::state::{AppState, ReceivedRequest};
use crate::time::now;
use crate::{apps, auth, database, deploy, platform, runtime};

/// Request bodies larger than this are refused; the API's are small.
const MAX_BODY: usize = 4 * 1024 * 1024;

pub fn build(state: AppState) -> Router {
    Router::new()
        .route("/v1/tokens/exchange", post(auth::exchange))
        .route("/v1/regions", get(auth::regions))
        .route("/v1/apps/{app}", get(apps::show))
        .merge(deploy::routes())
        .merge(platform::routes())
        .merge(database::routes())
        .merge(runtime::routes())
        .fallback(not_implemented)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            platform::guard,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), record))
        .with_state(state)
}

async fn not_implemented(request: Request) -> impl IntoResponse {
    ApiError::NotImplemented(format!("{} {}", request.method(), request.uri().path()))
}

/// Keeps a record of each request (method, path, status, JSON body,
/// headers) so that tests can assert what the sandbox received.
async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // When it arrived, not when it was answered: injected latency and slow
    // handlers must not blur the order in which clients sent requests.
    let at = now();
    let method = request.method().to_string();
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let (parts, body) = request.into_parts();
    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let bytes = match to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return ApiError::BadRequest("request body too large".into()).into_response(),
    };
    let json_body = serde_json::from_slice(&bytes).ok();
    let request = Request::from_parts(parts, Body::from(bytes));
    let response = next.run(request).await;
    if !path.starts_with("/_sandbox/") {
        state.world().requests.push(ReceivedRequest {
            at,
            method,
            path,
            status: response.status().as_u16(),
            response_bytes: http_body::Body::size_hint(response.body()).exact(),
            body: json_body,
            headers,
        });
    }
    response
}
