//! The app's platform surface besides deployments: environment variables,
//! restart and operations, events; and the sandbox's own machinery: the
//! per-token rate limit, fault injection, the `/_sandbox/` admin surface and
//! state persistence.

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use crate::config::SandboxConfig;
use crate::state::{AppState, World};

/// Platform-side state kept in the world.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct PlatformState {}

/// Variables, restart, operations, events and the admin routes.
pub fn routes() -> Router<AppState> {
    Router::new()
}

/// Middleware: applies injected faults and the rate limit before a request
/// reaches its handler.
pub async fn guard(State(_state): State<AppState>, request: Request, next: Next) -> Response {
    next.run(request).await
}

/// The world the sandbox starts with: the seed, or the state saved by an
/// earlier run when `state_file` is set and exists.
pub fn initial_world(config: &SandboxConfig) -> Result<World, String> {
    Ok(World::from_config(config))
}
