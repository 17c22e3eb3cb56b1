//! Running a deployment: it is recorded `queued`, then a tokio task plays
//! its script (status changes and log lines) over `deploy_duration`,
//! updating the world and announcing each step to the live streams, until
//! it ends in its terminal status (or hangs in `building`). A deploy that
//! fails leaves the previous release running.

use serde_json::{Value, json};

use crate::api_error::ApiError;
use crate::deploy::build_log::{self, Context, IMAGE_SIZE, Step};
use crate::deploy::json::{IN_PROGRESS, deployment_json, has_links};
use crate::deploy::source::{Outcome, Source};
use crate::platform::persist::save as save_state;
use crate::state::{AppState, Deployment, World};
use crate::time::{Timestamp, new_id, now};

/// A deployment about to start.
#[derive(Debug, Clone)]
pub struct NewDeployment {
    /// A full commit SHA for SCM and push deploys, the label for archives.
    pub git_ref: String,
    /// `deployment` or `archive`.
    pub kind: &'static str,
    pub pusher: String,
    pub source: Source,
}

/// Records the deployment as `queued`, announces it and starts playing it.
/// Must be called on the sandbox's runtime. Returns its JSON object.
pub fn start(state: &AppState, app_name: &str, new: NewDeployment) -> Result<Value, ApiError> {
    let NewDeployment {
        git_ref,
        kind,
        pusher,
        mut source,
    } = new;
    let (id, shown) = {
        let mut guard = state.world();
        let world = &mut *guard;
        let app = world
            .apps
            .get_mut(app_name)
            .ok_or(ApiError::NotFound("app"))?;
        if world.deploy.hang_next.remove(app_name) {
            source.outcome = Outcome::Hang;
        }
        let deployment = Deployment {
            id: new_id(),
            created_at: now(),
            finished_at: None,
            status: "queued".to_string(),
            previous_git_ref: last_success_ref(&app.deployments),
            git_ref: git_ref.clone(),
            kind: kind.to_string(),
            pusher,
            log: String::new(),
            duration: 0,
            image_size: 0,
            hanging: false,
        };
        let shown = deployment_json(
            &state.base_url,
            app,
            &deployment,
            has_links(state.variants().deployment_links, true),
        );
        let id = deployment.id.clone();
        app.deployments.push(deployment);
        world.deploy.bus.new_deployment(app_name, &id, &shown);
        (id, shown)
    };
    let steps = build_log::steps(Context {
        app: app_name,
        git_ref: &git_ref,
        source: &source,
    });
    tokio::spawn(play(state.clone(), app_name.to_string(), id, steps));
    Ok(shown)
}

/// The git_ref of the newest successful deployment: the running release.
pub fn last_success_ref(deployments: &[Deployment]) -> Option<String> {
    deployments
        .iter()
        .rev()
        .find(|d| d.status == "success")
        .map(|d| d.git_ref.clone())
}

async fn play(state: AppState, app: String, id: String, steps: Vec<Step>) {
    // One pause before each step, so the whole script takes the configured
    // duration and the log visibly grows while it runs.
    let count = u32::try_from(steps.len() + 1).unwrap_or(u32::MAX);
    let pause = state.config.deploy_duration / count;
    for step in steps {
        tokio::time::sleep(pause).await;
        let go_on = {
            let mut world = state.world();
            apply(&mut world, &app, &id, step)
        };
        if !go_on {
            break;
        }
    }
    // A release that crashes at boot: its crash in the app's timeline,
    // dated from the deployment's end.
    let ended = {
        let world = state.world();
        world
            .apps
            .get(&app)
            .and_then(|a| a.deployments.iter().find(|d| d.id == id))
            .filter(|d| d.status == "success")
            .and_then(|d| d.finished_at)
    };
    if let Some(at) = ended {
        crate::deploy::app_url::record_crash(&state, &app, at).await;
    }
    if let Err(message) = save_state(&state).await {
        crate::say!("rewind-sandbox: {message}");
    }
}

/// Applies one step; false when the deployment will not move on (it ended,
/// hangs, or is gone).
fn apply(world: &mut World, app_name: &str, id: &str, step: Step) -> bool {
    let World { apps, deploy, .. } = world;
    let Some(app) = apps.get_mut(app_name) else {
        return false;
    };
    let Some(deployment) = app.deployments.iter_mut().find(|d| d.id == id) else {
        return false;
    };
    if !IN_PROGRESS.contains(&deployment.status.as_str()) || deployment.hanging {
        return false;
    }
    match step {
        Step::Status(status) => {
            deployment.status = status.to_string();
            if status == "starting" {
                deployment.image_size = IMAGE_SIZE;
                if app.status == "new" {
                    app.status = "booting".to_string();
                }
            }
            deploy.bus.status(app_name, id, status);
            true
        }
        Step::Line(line) => {
            deployment.log.push_str(&line);
            deployment.log.push('\n');
            deploy.bus.log(app_name, id, &line);
            true
        }
        Step::Hang => {
            deployment.hanging = true;
            false
        }
        Step::Finish(status) => {
            finish(world, app_name, id, status, now());
            world.deploy.bus.status(app_name, id, status);
            false
        }
    }
}

/// Ends a deployment in a terminal status at `at`: its duration, the app's
/// status, the `deployment` event (the caller tells the streams, if it
/// should). Returns false when there is no such deployment.
pub fn finish(world: &mut World, app_name: &str, id: &str, status: &str, at: Timestamp) -> bool {
    let Some(app) = world.apps.get_mut(app_name) else {
        return false;
    };
    let had_success = app
        .deployments
        .iter()
        .any(|d| d.status == "success" && d.id != id);
    let Some(deployment) = app.deployments.iter_mut().find(|d| d.id == id) else {
        return false;
    };
    deployment.status = status.to_string();
    deployment.finished_at = Some(at);
    deployment.hanging = false;
    deployment.duration = u64::try_from((at - deployment.created_at).num_seconds()).unwrap_or(0);
    if status == "success" {
        deployment.image_size = IMAGE_SIZE;
    }
    let type_data = json!({
        "deployment_id": deployment.id,
        "deployment_type": deployment.kind,
        "pusher": deployment.pusher,
        "git_ref": deployment.git_ref,
        "status": deployment.status,
        "duration": deployment.duration,
        "stack": "scalingo-22",
        "finished_at": crate::time::format(&at),
        "last_commits": { "commits": [], "remaining": 0 },
    });
    let pusher = deployment.pusher.clone();
    // The app runs the newest successful release: a failed deploy changes
    // nothing for an app that already had one.
    if status == "success" {
        app.status = "running".to_string();
    } else if !had_success && matches!(app.status.as_str(), "new" | "booting") {
        app.status = match status {
            "crashed-error" | "timeout-error" => "crashed",
            _ => "new",
        }
        .to_string();
    }
    app.push_event(&pusher, "deployment", type_data);
    // Deployments inserted already finished get their event at their own
    // time, not at the time of insertion.
    if let Some(event) = app.events.last_mut() {
        event.created_at = at;
    }
    true
}
