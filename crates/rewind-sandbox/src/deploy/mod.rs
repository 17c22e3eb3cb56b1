//! Deployments: listing and reading them, triggering them (SCM manual deploy,
//! archive deploy, auto-deploy on push), running them against the app's real
//! git repository, their build logs and the live WebSocket stream.

use axum::Router;
use serde::{Deserialize, Serialize};

use crate::state::{AppState, Shared};

/// Deployment-side state kept in the world.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct DeployState {}

/// The deployment routes (API, stream and their `/_sandbox/` admin routes).
pub fn routes() -> Router<AppState> {
    Router::new()
}

/// Starts the deployment machinery's background work (the auto-deploy
/// watcher) on the sandbox's runtime.
pub fn start_background(_shared: &AppState) {
    let _: Option<&Shared> = None;
}
