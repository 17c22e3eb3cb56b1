//! Whether the sandbox's PostgreSQL addons are real: the `postgres` setting
//! (`auto`, `on`, `off`), the server binaries found at start, and the one
//! cluster they all share, started at sandbox start when the seed declares
//! a PostgreSQL addon and otherwise on first use (so that sandboxes which
//! never touch a database do not pay for `initdb`).
//!
//! `DatabaseHandle` is what the `Sandbox` handle keeps: the connection URL
//! of an app's database, and stopping the cluster with the sandbox.

use std::sync::{Arc, Once, OnceLock};

use crate::config::{PostgresMode, SandboxConfig};
use crate::database::content::Content;
use crate::database::engine::Engine;
use crate::pg::{Binaries, Cluster};
use crate::state::{AppState, World};

/// The real PostgreSQL behind the addons, or none (simulated contents).
#[derive(Debug, Clone, Default)]
pub struct Backend {
    real: Option<Arc<Lazy>>,
}

#[derive(Debug)]
struct Lazy {
    binaries: Binaries,
    /// The temporary root the cluster's directory goes in.
    root: std::path::PathBuf,
    /// A kept cluster to start from instead of an empty one.
    snapshot: Option<std::path::PathBuf>,
    cluster: OnceLock<Result<Arc<Cluster>, String>>,
}

impl Lazy {
    fn start(&self, databases: &[String]) -> Result<Cluster, String> {
        match &self.snapshot {
            Some(snapshot) => {
                Cluster::start_from(self.binaries.clone(), snapshot, databases, &self.root)
            }
            None => Cluster::start(self.binaries.clone(), databases, &self.root),
        }
    }
}

impl Backend {
    pub fn is_real(&self) -> bool {
        self.real.is_some()
    }

    /// The cluster, started now if it is not yet (blocking: call it off the
    /// async runtime). A cluster that failed to start keeps failing with
    /// the same message.
    pub fn cluster(&self) -> Result<Arc<Cluster>, String> {
        let real = self.real.as_ref().ok_or_else(|| {
            "this database was real PostgreSQL when the sandbox's state was saved, but this sandbox runs none (postgres = \"off\" in its seed, or no server binaries): start the sandbox with postgres = \"on\" (and, for a drill's replay, the seed the drill wrote)"
                .to_string()
        })?;
        real.cluster
            .get_or_init(|| {
                real.start(&[])
                    .map(Arc::new)
                    .map_err(|e| format!("cannot start the sandbox's PostgreSQL: {e}"))
            })
            .clone()
    }

    /// The version of the PostgreSQL server behind the addons, when they
    /// are real and `pg_ctl` said it.
    pub fn server_version(&self) -> Option<&str> {
        self.real.as_ref()?.binaries.version.as_deref()
    }

    /// The cluster if it already runs.
    pub fn started(&self) -> Option<Arc<Cluster>> {
        match self.real.as_ref()?.cluster.get()? {
            Ok(cluster) => Some(cluster.clone()),
            Err(_) => None,
        }
    }
}

/// Decides the backend from the configuration and the machine, starts the
/// cluster now when the seed has PostgreSQL addons (so that a cluster that
/// cannot start fails the sandbox's start, and its first base backup comes
/// after their databases exist), and records it in the world.
pub fn start_postgres(config: &SandboxConfig, world: &mut World) -> Result<Backend, String> {
    let binaries = match config.postgres {
        PostgresMode::Off => None,
        mode => match Binaries::find() {
            Ok(Some(binaries)) => Some(binaries),
            Ok(None) if mode == PostgresMode::On => {
                return Err("postgres = \"on\" but the PostgreSQL server binaries (initdb, pg_ctl, postgres) are neither on PATH nor in /usr/lib/postgresql/*/bin; install PostgreSQL's server package or set postgres = \"off\"".to_string());
            }
            Err(e) if mode == PostgresMode::On => return Err(e),
            Ok(None) => {
                say_once("PostgreSQL server binaries not found; the database addon is simulated");
                None
            }
            Err(e) => {
                say_once(&format!("{e}; the database addon is simulated"));
                None
            }
        },
    };
    let Some(binaries) = binaries else {
        return Ok(Backend::default());
    };
    let backend = Backend {
        real: Some(Arc::new(Lazy {
            binaries,
            root: crate::tmp::root(config.temp_dir.as_deref()),
            snapshot: config.postgres_snapshot.clone(),
            cluster: OnceLock::new(),
        })),
    };
    let databases: Vec<String> = world
        .apps
        .values()
        .flat_map(|app| app.addons.iter())
        .filter(|addon| Engine::of_provider(&addon.provider).type_name() == "postgresql")
        // A database a saved state keeps simulated stays simulated.
        .filter(|addon| match world.database.databases.get(&addon.id) {
            Some(record) => matches!(record.content, Content::Postgres { .. }),
            None => true,
        })
        .map(|addon| addon.resource_id.clone())
        .collect();
    if !databases.is_empty()
        && let Some(real) = &backend.real
    {
        let cluster = real
            .start(&databases)
            .map_err(|e| format!("cannot start the sandbox's PostgreSQL: {e}"))?;
        let _ = real.cluster.set(Ok(Arc::new(cluster)));
    }
    world.database.backend = backend.clone();
    Ok(backend)
}

/// Said once per process, not once per sandbox: a test run starts many.
fn say_once(message: &str) {
    static SAID: Once = Once::new();
    SAID.call_once(|| crate::say!("rewind-sandbox: {message}"));
}

/// What the `Sandbox` handle keeps of the databases.
pub struct DatabaseHandle {
    state: AppState,
    backend: Backend,
}

impl DatabaseHandle {
    pub fn new(state: AppState, backend: Backend) -> DatabaseHandle {
        DatabaseHandle { state, backend }
    }

    /// The connection URL of the app's (first) PostgreSQL addon's database.
    pub fn url_for_app(&self, app: &str) -> Result<String, String> {
        let real = {
            let mut world = self.state.world();
            let addon_id = world
                .apps
                .get(app)
                .ok_or_else(|| format!("the sandbox has no app `{app}`"))?
                .addons
                .iter()
                .find(|a| Engine::of_provider(&a.provider).type_name() == "postgresql")
                .map(|a| a.id.clone())
                .ok_or_else(|| format!("the app `{app}` has no PostgreSQL addon"))?;
            let db = crate::database::record::locate(&mut world, &addon_id)
                .map_err(|_| format!("the database of `{app}` is gone"))?;
            match db.record.content.open(db.backend) {
                crate::database::content::Store::Real(real) => real,
                crate::database::content::Store::Simulated(_) => {
                    return Err(format!(
                        "the database of `{app}` is simulated: it has no connection URL"
                    ));
                }
            }
        };
        real.url()
    }

    /// Keeps the cluster's base backup and archived writes in `dir`, for a
    /// later sandbox to start from (`SandboxConfig::postgres_snapshot`).
    pub fn keep_postgres(&self, dir: &std::path::Path) -> Result<(), String> {
        match self.backend.started() {
            Some(cluster) => cluster.keep(dir),
            None => Err("this sandbox runs no PostgreSQL cluster".to_string()),
        }
    }

    /// Stops the cluster and deletes its files (called when the sandbox
    /// stops, so that no server outlives it).
    pub fn shutdown(&self) {
        if let Some(cluster) = self.backend.started() {
            cluster.shutdown();
        }
    }
}
