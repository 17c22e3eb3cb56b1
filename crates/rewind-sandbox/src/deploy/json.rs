//! A deployment as the API shows it, shaped like the documentation's
//! examples (`deployments-0*.json`): every documented field present, with
//! the same types (`finished_at` null and `duration` 0 while running).

use serde_json::{Value, json};

use crate::config::DeploymentLinks;
use crate::platform::events::user_json;
use crate::state::{App, Deployment};
use crate::time::format;

/// The base image every sandbox build claims to run on.
pub const STACK_BASE_IMAGE: &str = "scalingo/scalingo-22:v1";

/// Statuses of a deployment still on its way.
pub const IN_PROGRESS: &[&str] = &["queued", "building", "pushing", "starting"];

/// Statuses a deployment can end in.
pub const TERMINAL: &[&str] = &[
    "success",
    "build-error",
    "crashed-error",
    "timeout-error",
    "hook-error",
    "aborted",
];

/// The URL of a deployment's build log.
pub fn output_url(base_url: &str, app: &str, id: &str) -> String {
    format!("{base_url}/v1/apps/{app}/deployments/{id}/output")
}

/// Whether a deployment shown on its own (`single`) or as a list item
/// carries `links`, as the variant in use says.
pub fn has_links(form: DeploymentLinks, single: bool) -> bool {
    match form {
        DeploymentLinks::Everywhere => true,
        DeploymentLinks::Single => single,
        DeploymentLinks::None => false,
    }
}

/// The deployment; `links` says whether `links.output` is shown.
pub fn deployment_json(base_url: &str, app: &App, d: &Deployment, links: bool) -> Value {
    let mut shown = json!({
        "id": d.id,
        "app_id": app.id,
        "created_at": format(&d.created_at),
        "finished_at": d.finished_at.as_ref().map(format),
        "status": d.status,
        "git_ref": d.git_ref,
        "previous_git_ref": d.previous_git_ref,
        "type": d.kind,
        "pusher": user_json(&d.pusher),
        "links": { "output": output_url(base_url, &app.name, &d.id) },
        "duration": d.duration,
        "image_size": d.image_size,
        "stack_base_image": STACK_BASE_IMAGE,
    });
    if !links && let Some(object) = shown.as_object_mut() {
        object.remove("links");
    }
    shown
}
