//! The app's platform surface besides deployments: environment variables,
//! restart and operations, events; and the sandbox's own machinery: the
//! per-token rate limit, fault injection, the `/_sandbox/` admin surface and
//! state persistence.

mod admin;
mod body;
pub mod events;
mod faults;
mod operations;
pub mod pagination;
pub mod persist;
mod rate_limit;
pub(crate) mod seed;
mod variables;
mod webhook;

use std::time::Instant;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::api_error::ApiError;
use crate::config::SandboxConfig;
use crate::state::{AppState, World};

pub use seed::{app_from_seed, check_app_seed};

/// Platform-side state kept in the world. All of it is runtime machinery,
/// none of it is saved: a restarted sandbox starts with no faults and
/// fresh rate-limit counters.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct PlatformState {
    /// What `POST /_sandbox/webhook` received.
    #[serde(skip)]
    pub webhook_messages: Vec<serde_json::Value>,
    #[serde(skip)]
    pub rate_limit: rate_limit::RateLimiter,
    #[serde(skip)]
    pub faults: faults::Faults,
    /// Received requests dropped by trims and clears, so that request
    /// indexes keep increasing.
    #[serde(skip)]
    pub requests_dropped: usize,
    /// Bumped for every snapshot taken for saving.
    #[serde(skip)]
    pub generation: u64,
    #[serde(skip)]
    pub saver: persist::Saver,
}

/// Variables, restart, operations, events and the admin routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/apps/{app}/variables",
            get(variables::list)
                .post(variables::create)
                .put(variables::set_many),
        )
        .route(
            "/v1/apps/{app}/variables/{id}",
            patch(variables::update).delete(variables::delete),
        )
        .route("/v1/apps/{app}/restart", post(operations::restart))
        .route("/v1/apps/{app}/operations/{id}", get(operations::show))
        .route("/v1/apps/{app}/events", get(events::list))
        .route("/_sandbox/apps", post(admin::add_app))
        .route("/_sandbox/apps/{app}/state", get(admin::app_state))
        .route("/_sandbox/apps/{app}/events", post(admin::add_event))
        .route(
            "/_sandbox/requests",
            get(admin::requests).delete(admin::clear_requests),
        )
        .route(
            "/_sandbox/faults",
            get(admin::list_faults)
                .post(admin::add_fault)
                .delete(admin::clear_faults),
        )
        .route("/_sandbox/faults/{id}", delete(admin::remove_fault))
        .route(
            "/_sandbox/rate_limit",
            get(admin::rate_limit).put(admin::set_rate_limit),
        )
        .route("/_sandbox/rate_limit/reset", post(admin::reset_rate_limit))
        .route(
            "/_sandbox/clock",
            get(admin::clock).post(admin::advance_clock),
        )
        .route(
            "/_sandbox/variants",
            get(admin::variants).put(admin::set_variants),
        )
        .route(
            "/_sandbox/webhook",
            get(webhook::list).post(webhook::receive),
        )
}

/// Middleware: applies injected faults and the rate limit before a request
/// reaches its handler, and saves the world after a request that may have
/// changed it.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let changes_state = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if path.starts_with("/_sandbox/") {
        let response = next.run(request).await;
        return saved(&state, changes_state, response).await;
    }
    admin::trim_requests(&state);
    let decision = state
        .world()
        .platform
        .faults
        .decide(request.method(), &path);
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    match decision.effect {
        Some(faults::Effect::Status(status, retry_after)) => {
            return faults::status_response(status, retry_after);
        }
        Some(faults::Effect::DropConnection) => return faults::dropped_connection(),
        _ => {}
    }
    if rate_limit::applies_to(&path) {
        let admitted = {
            let mut world = state.world();
            let key = rate_limit::key(&world, request.headers());
            let limit = world
                .platform
                .rate_limit
                .limit(state.config.rate_limit_per_minute);
            world.platform.rate_limit.admit(&key, limit, Instant::now())
        };
        if !admitted {
            return ApiError::RateLimited.into_response();
        }
    }
    let response = next.run(request).await;
    let response = saved(&state, changes_state, response).await;
    match decision.effect {
        Some(faults::Effect::MalformedBody) => faults::malformed(response).await,
        Some(faults::Effect::Body(body)) => faults::replaced(response, &body),
        Some(faults::Effect::HugeBody) => faults::huge(response),
        _ => response,
    }
}

/// Saves the world after a change; a state file that cannot be written is
/// a 500 naming the file, so that nobody believes the change was kept.
async fn saved(state: &AppState, changes_state: bool, response: Response) -> Response {
    if !changes_state {
        return response;
    }
    match persist::save(state).await {
        Ok(()) => response,
        Err(message) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(json!({ "error": message })),
        )
            .into_response(),
    }
}

/// The world the sandbox starts with: the seed, or the state saved by an
/// earlier run when `state_file` is set and exists.
pub fn initial_world(config: &SandboxConfig) -> Result<World, String> {
    match &config.state_file {
        Some(path) => persist::load_or_seed(config, path),
        None => Ok(World::from_config(config)),
    }
}
