//! Deployments: listing and reading them, triggering them (SCM manual deploy,
//! archive deploy, auto-deploy on push to the linked branch, `git push` to
//! the app's own remote), running them against real git repositories, their
//! build logs, the live WebSocket stream, and their `/_sandbox/` admin
//! routes (hang-next, finish, history, the watcher's tick, stream ping
//! interval, cutting and refusing streams).

mod admin;
pub mod app_url;
mod archive;
mod build_log;
mod bus;
mod engine;
mod git;
mod json;
mod listing;
mod push;
mod scm;
mod source;
mod stream;
mod trigger;
mod watcher;

use std::collections::{BTreeMap, BTreeSet};

use axum::Router;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use crate::state::AppState;
use crate::time::Timestamp;

pub use push::{ensure as ensure_remote, fresh as fresh_git_root, git_url};
pub use watcher::Watcher;

/// Deployment-side state kept in the world.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct DeployState {
    /// Apps whose next deployment stops in `building` until the admin
    /// `finish` route ends it.
    #[serde(default)]
    pub hang_next: BTreeSet<String>,
    /// When auto-deploy last started a deployment, by app: the SCM link
    /// shows it as `last_auto_deploy_at`.
    #[serde(default)]
    pub last_auto_deploy_at: BTreeMap<String, Timestamp>,
    /// How often the live stream pings its clients, in milliseconds; the
    /// default when unset.
    #[serde(default)]
    pub ping_interval_ms: Option<u64>,
    /// Where deployments announce their progress to the live streams.
    #[serde(skip)]
    pub bus: bus::Bus,
}

/// The deployment routes (API, stream and their `/_sandbox/` admin routes).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/apps/{app}/deployments",
            get(listing::list).post(trigger::archive_deploy),
        )
        .route("/v1/apps/{app}/deployments/{id}", get(listing::show))
        .route(
            "/v1/apps/{app}/deployments/{id}/output",
            get(listing::output),
        )
        .route("/_logs/{app}/{id}", get(listing::signed_output))
        .route(
            "/v1/apps/{app}/scm_repo_link",
            get(scm::show).patch(scm::update),
        )
        .route(
            "/v1/apps/{app}/scm_repo_link/manual_deploy",
            post(trigger::manual_deploy),
        )
        .route("/_stream/apps/{app}", get(stream::connect))
        .route(
            "/_sandbox/apps/{app}/deployments/hang-next",
            post(admin::hang_next),
        )
        .route(
            "/_sandbox/apps/{app}/deployments/history",
            post(admin::history),
        )
        .route(
            "/_sandbox/apps/{app}/deployments/{id}/finish",
            post(admin::finish),
        )
        .route("/_sandbox/watcher/tick", post(admin::tick_watcher))
        .route("/_sandbox/stream/ping-interval", post(admin::ping_interval))
        .route("/_sandbox/stream/disconnect", post(admin::disconnect))
        .route("/_sandbox/stream/refuse", post(admin::refuse))
        .route("/_sandbox/stream/garbage", post(admin::garbage))
        .merge(app_url::routes())
}

/// Starts the deployment machinery's background work (the auto-deploy
/// watcher) on the sandbox's runtime.
/// Creates the git remote of every app that has none yet.
pub fn ensure_remotes(state: &AppState) {
    watcher::ensure_remotes(state);
}

pub fn start_background(state: &AppState) {
    watcher::start(state);
}
