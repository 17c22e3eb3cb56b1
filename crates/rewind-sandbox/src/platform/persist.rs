//! State persistence: with `state_file` set, the world is loaded from that
//! JSON file at start and written back after every change, atomically
//! (a temporary file in the same directory, then a rename), so that a
//! rehearsal can stop the sandbox and pick up where it left off.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::config::SandboxConfig;
use crate::platform::operations::in_progress;
use crate::state::{AppState, World};
use crate::time::now;

/// Deployment statuses that mean "not finished yet".
const DEPLOY_IN_PROGRESS: &[&str] = &["queued", "building", "pushing", "starting"];

/// Orders concurrent saves: each snapshot carries a generation number taken
/// under the world lock, and a snapshot older than the one already on disk
/// is not written, so the file never goes back in time.
#[derive(Debug, Default, Clone)]
pub struct Saver {
    written: Arc<Mutex<u64>>,
}

/// Loads the saved world when the file exists (repairing what a stop left
/// half-done), otherwise builds it from the seed; then writes it, so that a
/// state file that cannot be written is reported at start, not later.
pub fn load_or_seed(config: &SandboxConfig, path: &Path) -> Result<World, String> {
    let world = if path.exists() {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the state file {}: {e}", path.display()))?;
        let mut world: World = serde_json::from_str(&text).map_err(|e| {
            format!(
                "the state file {} is not a sandbox state: {e}",
                path.display()
            )
        })?;
        // Names become directory names (the apps' git remotes): a state
        // file is checked like a seed.
        for name in world.apps.keys() {
            if let Err(why) = crate::platform::seed::check_app_name(name) {
                return Err(format!(
                    "the state file {} holds an app named `{}`, whose name {why}",
                    path.display(),
                    name.escape_debug()
                ));
            }
        }
        mark_interrupted(&mut world);
        add_missing_seed_apps(&mut world, config);
        world
    } else {
        World::from_config(config)
    };
    let text = serde_json::to_vec_pretty(&world)
        .map_err(|e| format!("cannot serialize the sandbox state: {e}"))?;
    write_atomically(path, &text)?;
    Ok(world)
}

/// Work that was in progress when the sandbox stopped cannot resume: a
/// deployment becomes `aborted`, an operation `error`, as the platform
/// does when a worker dies.
fn mark_interrupted(world: &mut World) {
    let stopped = now();
    for app in world.apps.values_mut() {
        for deployment in &mut app.deployments {
            if DEPLOY_IN_PROGRESS.contains(&deployment.status.as_str()) {
                deployment.status = "aborted".to_string();
                deployment.finished_at = Some(stopped);
            }
        }
        for op in &mut app.operations {
            if in_progress(&op.status) {
                op.status = "error".to_string();
                op.error = Some("the sandbox stopped before the operation finished".to_string());
                op.finished_at = Some(stopped);
            }
        }
        if app.status == "restarting" {
            app.status = "running".to_string();
        }
    }
}

/// Apps added to the seed since the state was saved appear too; saved apps
/// win over the seed.
fn add_missing_seed_apps(world: &mut World, config: &SandboxConfig) {
    let seeded = World::from_config(config);
    for (name, app) in seeded.apps {
        world.apps.entry(name).or_insert(app);
    }
}

/// Saves the world when the sandbox has a state file. Serializes under the
/// lock, writes outside it.
pub async fn save(state: &AppState) -> Result<(), String> {
    let Some(path) = state.config.state_file.clone() else {
        return Ok(());
    };
    let (generation, text, saver) = {
        let mut world = state.world();
        world.platform.generation += 1;
        let text = serde_json::to_vec_pretty(&*world)
            .map_err(|e| format!("cannot serialize the sandbox state: {e}"))?;
        (
            world.platform.generation,
            text,
            world.platform.saver.clone(),
        )
    };
    tokio::task::spawn_blocking(move || {
        let mut written = saver.written.lock().unwrap_or_else(|e| e.into_inner());
        if *written >= generation {
            return Ok(());
        }
        write_atomically(&path, &text)?;
        *written = generation;
        Ok(())
    })
    .await
    .map_err(|e| format!("cannot save the sandbox state: {e}"))?
}

/// Writes next to the target and renames over it: a reader (or a sandbox
/// killed mid-write) sees the old file or the new one, never half of one.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let temp = temp_path(path);
    std::fs::write(&temp, bytes)
        .map_err(|e| format!("cannot write the state file {}: {e}", temp.display()))?;
    std::fs::rename(&temp, path).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        format!("cannot replace the state file {}: {e}", path.display())
    })
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state.json".to_string());
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}
