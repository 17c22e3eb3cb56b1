//! What runs, as Scalingo's clients read it: the current user
//! (`GET /v1/users/self`), the app's containers (`GET /v1/apps/{app}/ps`),
//! their live CPU and memory (`GET /v1/apps/{app}/stats`) and the router's
//! requests per minute (`GET /v1/apps/{app}/stats/router`). Containers are
//! derived from the running release and its `.sandbox/health`, and the
//! router metrics from the requests the app's own URL really received, so
//! that every answer agrees with what a health check sees.

mod containers;
mod metrics;
mod stats;
mod users;

use axum::Router;
use axum::routing::get;

use crate::state::AppState;

pub use users::owner_json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/users/self", get(users::current))
        .route("/v1/apps/{app}/ps", get(containers::list))
        .route("/v1/apps/{app}/stats", get(stats::show))
        .route("/v1/apps/{app}/stats/{metric}", get(metrics::query))
        .route(
            "/v1/apps/{app}/stats/{metric}/{container_type}",
            get(metrics::query_container_type),
        )
        .route(
            "/v1/apps/{app}/stats/{metric}/{container_type}/{index}",
            get(metrics::query_container),
        )
}
