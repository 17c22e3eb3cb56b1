//! Addons and the database API: addon list and addon tokens, the database,
//! backups (create, follow, download a real `.tar.gz`), point-in-time
//! recovery (window, restore, operations), and the `/_sandbox/databases/`
//! admin routes (rows, queued failures, seeded backup history, connection
//! URL). A PostgreSQL addon's contents live in a real PostgreSQL cluster
//! when the sandbox runs one (`backend`, `real`), in the world otherwise.

mod addons;
mod archive;
mod backend;
mod backups;
mod body;
mod connection;
mod content;
mod databases;
mod dump;
mod engine;
mod error;
mod pitr;
mod real;
mod record;
mod rows;
mod tokens;

use std::collections::{BTreeMap, HashMap};

use axum::Router;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use crate::state::AppState;

pub use backend::{Backend, DatabaseHandle, start_postgres};

/// Database-side state kept in the world.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct DatabaseState {
    /// Addon tokens handed out, by their text.
    #[serde(default)]
    tokens: HashMap<String, tokens::AddonToken>,
    /// Per database (addon) id; created on first use.
    #[serde(default, deserialize_with = "record::load_interrupted")]
    databases: BTreeMap<String, record::DatabaseRecord>,
    /// Backup download tokens not used yet, by their text.
    #[serde(default)]
    downloads: HashMap<String, archive::DownloadGrant>,
    /// The real PostgreSQL, if any; it lives as long as the sandbox and is
    /// never saved.
    #[serde(skip)]
    backend: Backend,
}

/// Whether some of the world's databases are real PostgreSQL, whose
/// clock no admin route can move: the backend is real and an app has a
/// PostgreSQL addon.
pub fn runs_real_postgres(world: &crate::state::World) -> bool {
    world.database.backend.is_real()
        && world
            .apps
            .values()
            .flat_map(|app| app.addons.iter())
            .any(|addon| engine::Engine::of_provider(&addon.provider).type_name() == "postgresql")
}

/// Saves the world after a background step when the sandbox keeps a state
/// file; a failed save cannot be answered to anyone, so it is reported on
/// stderr as the server's own errors are.
async fn save(state: &AppState) {
    if let Err(message) = crate::platform::persist::save(state).await {
        crate::say!("rewind-sandbox: {message}");
    }
}

/// The addon routes under `/v1`, the database API under `/api` and their
/// admin routes under `/_sandbox/databases/`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/apps/{app}/addons", get(addons::list))
        .route("/v1/apps/{app}/addons/{addon_id}", get(addons::show))
        .route(
            "/v1/apps/{app}/addons/{addon_id}/token",
            post(addons::token),
        )
        .route("/api/databases/{id}", get(databases::show))
        .route(
            "/api/databases/{id}/backups",
            get(backups::list).post(backups::create),
        )
        .route(
            "/api/databases/{id}/backups/{backup_id}",
            get(backups::show),
        )
        .route("/api/backups/{backup_id}", get(backups::show_by_id))
        .route(
            "/api/databases/{id}/backups/{backup_id}/archive",
            get(archive::link),
        )
        .route(
            "/api/databases/{id}/backups/{backup_id}/download",
            get(archive::download),
        )
        .route(
            "/api/databases/{id}/pitr/recovery_window",
            get(pitr::recovery_window),
        )
        .route("/api/databases/{id}/pitr/restore", post(pitr::restore))
        .route(
            "/api/databases/{id}/operations/{operation_id}",
            get(pitr::operation),
        )
        .route(
            "/_sandbox/databases/{id}/rows",
            get(rows::list).post(rows::append),
        )
        .route("/_sandbox/databases/{id}/connection", get(connection::show))
        .route(
            "/_sandbox/databases/{id}/backups/fail-next",
            post(backups::fail_next),
        )
        .route(
            "/_sandbox/databases/{id}/backups/history",
            post(backups::seed_history),
        )
        .route(
            "/_sandbox/databases/{id}/pitr/fail-next",
            post(pitr::fail_next),
        )
}
