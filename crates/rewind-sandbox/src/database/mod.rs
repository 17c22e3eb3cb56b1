//! Addons and the database API: addon list and addon tokens, the database,
//! backups (create, follow, download a real `.tar.gz`), point-in-time
//! recovery (window, restore, operations).

use axum::Router;
use serde::{Deserialize, Serialize};

use crate::state::AppState;

/// Database-side state kept in the world.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct DatabaseState {}

/// The addon routes under `/v1` and the database API under `/api`.
pub fn routes() -> Router<AppState> {
    Router::new()
}
