//! The sandbox's world: tokens and bearers, apps with their deployments,
//! variables, events, operations, SCM link and addons, and a record of every
//! request received (for tests). It lives in memory behind one mutex; every
//! handler holds the lock briefly and never across an `.await`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::{SandboxConfig, Variants};
use crate::database::DatabaseState;
use crate::deploy::DeployState;
use crate::platform::PlatformState;
use crate::time::{Timestamp, new_id, now};

/// What every handler gets: the configuration, the world, the public URL.
pub type AppState = Arc<Shared>;

pub struct Shared {
    pub config: SandboxConfig,
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base_url: String,
    /// The directory of the apps' git remotes (`rewind-sandbox-<port>-git`
    /// under the temporary root), deleted when the sandbox stops.
    pub git_root: std::path::PathBuf,
    world: Mutex<World>,
    /// The auto-deploy watcher's memory of the branches it watches.
    pub watcher: crate::deploy::Watcher,
    /// The sandbox's clock (`time.rs`), which `/_sandbox/clock` moves.
    pub clock: crate::time::Clock,
    /// The answer forms in use: the seed's, until `PUT /_sandbox/variants`.
    variants: Mutex<Variants>,
}

impl Shared {
    pub fn new(
        config: SandboxConfig,
        base_url: String,
        world: World,
        clock: crate::time::Clock,
    ) -> Self {
        // Named after the port, which no other running sandbox can hold.
        let port = base_url.rsplit(':').next().unwrap_or("0");
        let git_root = crate::tmp::root(config.temp_dir.as_deref())
            .join(format!("{}{port}-git", crate::tmp::PREFIX));
        Shared {
            variants: Mutex::new(config.variants),
            config,
            base_url,
            git_root,
            world: Mutex::new(world),
            watcher: crate::deploy::Watcher::default(),
            clock,
        }
    }

    /// Locks the world. A handler that panicked while holding the lock must
    /// not take the whole sandbox down: the poison is ignored.
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The answer forms in use now.
    pub fn variants(&self) -> Variants {
        *self.variants.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces the answer forms in use.
    pub fn set_variants(&self, variants: Variants) {
        *self.variants.lock().unwrap_or_else(|e| e.into_inner()) = variants;
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct World {
    /// Bearers handed out by the token exchange, by their text.
    pub bearers: HashMap<String, Bearer>,
    pub apps: BTreeMap<String, App>,
    /// Every request the sandbox received, oldest first.
    #[serde(skip)]
    pub requests: Vec<ReceivedRequest>,
    /// Owned by `deploy`.
    #[serde(default)]
    pub deploy: DeployState,
    /// Owned by `platform`.
    #[serde(default)]
    pub platform: PlatformState,
    /// Owned by `database`.
    #[serde(default)]
    pub database: DatabaseState,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bearer {
    /// The API token it was exchanged for.
    pub api_token: String,
    pub user: String,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReceivedRequest {
    pub at: Timestamp,
    pub method: String,
    /// Path and query, as received.
    pub path: String,
    pub status: u16,
    /// The size of the answer's body, when known before sending it (every
    /// answer but a live stream).
    #[serde(default)]
    pub response_bytes: Option<u64>,
    /// The JSON body, when there was one.
    pub body: Option<Value>,
    /// Every header as received, name (lower case) and value, so that a
    /// test can check where credentials travel (and where they must not).
    #[serde(default)]
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct App {
    pub id: String,
    pub name: String,
    pub created_at: Timestamp,
    /// new | running | stopped | crashed | restarting | scaling | booting
    pub status: String,
    /// Local path or file:// URL of the app's git repository.
    pub repo: Option<String>,
    pub scm: Option<ScmLink>,
    /// Oldest first; the API lists them newest first.
    pub deployments: Vec<Deployment>,
    pub variables: Vec<Variable>,
    /// Oldest first; the API lists them newest first.
    pub events: Vec<Event>,
    pub operations: Vec<Operation>,
    pub addons: Vec<Addon>,
}

impl App {
    pub fn new(name: &str) -> Self {
        App {
            id: new_id(),
            name: name.to_string(),
            created_at: now(),
            status: "new".to_string(),
            repo: None,
            scm: None,
            deployments: Vec::new(),
            variables: Vec::new(),
            events: Vec::new(),
            operations: Vec::new(),
            addons: Vec::new(),
        }
    }

    /// Records an event in the app's timeline.
    pub fn push_event(&mut self, user: &str, kind: &str, type_data: Value) {
        let event = Event {
            id: new_id(),
            created_at: now(),
            user: user.to_string(),
            kind: kind.to_string(),
            type_data,
        };
        self.events.push(event);
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScmLink {
    pub id: String,
    pub branch: String,
    pub auto_deploy_enabled: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Deployment {
    pub id: String,
    pub created_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    /// queued | building | pushing | starting | success | build-error |
    /// crashed-error | timeout-error | hook-error | aborted
    pub status: String,
    /// The commit SHA for git and SCM deploys, the label for archive deploys.
    pub git_ref: String,
    pub previous_git_ref: Option<String>,
    /// `deployment` or `archive`.
    pub kind: String,
    pub pusher: String,
    /// The build log so far.
    pub log: String,
    /// Seconds from creation to the terminal status; 0 while running.
    #[serde(default)]
    pub duration: u64,
    /// Size of the built image in bytes; 0 until the image is pushed.
    #[serde(default)]
    pub image_size: u64,
    /// Stopped on purpose in `building` (a `hang` outcome or the admin
    /// `hang-next` switch): nothing will move it on except the admin
    /// `finish` route.
    #[serde(default)]
    pub hanging: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Variable {
    pub id: String,
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    pub created_at: Timestamp,
    pub user: String,
    /// The event's `type`.
    pub kind: String,
    pub type_data: Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Operation {
    pub id: String,
    pub created_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    /// pending | running | done | error
    pub status: String,
    /// `restart`, `scale`, ...
    pub kind: String,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Addon {
    pub id: String,
    pub resource_id: String,
    /// `scalingo-postgresql`, ...
    pub provider: String,
    pub plan: String,
    pub status: String,
    pub provisioned_at: Timestamp,
}

impl World {
    /// Builds the initial world from the configuration's seed.
    pub fn from_config(config: &SandboxConfig) -> Self {
        let mut world = World::default();
        for seed in &config.apps {
            world
                .apps
                .insert(seed.name.clone(), crate::platform::app_from_seed(seed));
        }
        world
    }
}
