//! Starting and stopping a sandbox. The server runs on its own thread with
//! its own tokio runtime, so that synchronous callers (rewind's commands and
//! tests) can start one, use its URLs, and shut it down cleanly.

use std::net::{SocketAddr, TcpListener};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::config::SandboxConfig;
use crate::router;
use crate::state::Shared;

/// Why a sandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("the sandbox only listens on loopback; {0} is not a loopback address")]
    NotLoopback(SocketAddr),
    #[error("cannot listen on {addr}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start the sandbox's runtime")]
    Runtime(#[source] std::io::Error),
    #[error("cannot load the sandbox's state: {0}")]
    State(String),
    #[error("{0}")]
    Postgres(String),
}

/// A running sandbox. Dropping it shuts the server down.
pub struct Sandbox {
    addr: SocketAddr,
    base_url: String,
    api_token: String,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    database: crate::database::DatabaseHandle,
    /// The apps' git remotes, deleted when the sandbox stops.
    git_root: std::path::PathBuf,
}

impl Sandbox {
    /// Binds the listener (so the port is known and errors are reported
    /// here) and starts serving on a background thread.
    pub fn start(config: SandboxConfig) -> Result<Sandbox, StartError> {
        if !config.listen.ip().is_loopback() {
            return Err(StartError::NotLoopback(config.listen));
        }
        let listener = TcpListener::bind(config.listen).map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
        listener
            .set_nonblocking(true)
            .map_err(|source| StartError::Bind {
                addr: config.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
        let base_url = format!("http://{addr}");
        let api_token = config
            .tokens
            .first()
            .map(|t| t.token.clone())
            .unwrap_or_default();
        // Every thread of the runtime reads this sandbox's clock.
        let clock = crate::time::Clock::default();
        let installed = clock.clone();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("rewind-sandbox")
            .on_thread_start(move || installed.install())
            .enable_all()
            .build()
            .map_err(StartError::Runtime)?;
        // What sandboxes killed with SIGKILL left on this temporary root:
        // their PostgreSQL servers and directories, found by owner file.
        for reaped in crate::tmp::reap_all(&crate::tmp::root(config.temp_dir.as_deref())) {
            match reaped.postgres {
                Some(pid) => crate::say!(
                    "rewind-sandbox: stopped the PostgreSQL server (pid {pid}) of a sandbox that was killed, and deleted {}",
                    reaped.dir.display()
                ),
                None => crate::say!(
                    "rewind-sandbox: deleted {}, left by a sandbox that was killed",
                    reaped.dir.display()
                ),
            }
        }
        let mut world = crate::platform::initial_world(&config).map_err(StartError::State)?;
        let postgres =
            crate::database::start_postgres(&config, &mut world).map_err(StartError::Postgres)?;
        let shared = std::sync::Arc::new(Shared::new(config, base_url.clone(), world, clock));
        let database = crate::database::DatabaseHandle::new(shared.clone(), postgres);
        let git_root = shared.git_root.clone();
        // Made here, not on the server's thread: when `start` returns, every
        // directory the sandbox owns exists and is marked as its own.
        if let Err(message) = crate::deploy::fresh_git_root(&git_root) {
            crate::say!("rewind-sandbox: {message}");
        }
        // The seeded apps' remotes too: a `git init` still running when a
        // sandbox is killed right after it announced itself would write
        // into a directory the next sandbox is deleting.
        crate::deploy::ensure_remotes(&shared);
        let (tx, rx) = oneshot::channel::<()>();
        let server_clock = shared.clock.clone();
        let thread = std::thread::Builder::new()
            .name("rewind-sandbox".into())
            .spawn(move || {
                server_clock.install();
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            crate::say!("rewind-sandbox: cannot use the listener: {e}");
                            return;
                        }
                    };
                    crate::deploy::start_background(&shared);
                    let app = router::build(shared.clone());
                    let server = axum::serve(listener, app).with_graceful_shutdown(async {
                        let _ = rx.await;
                    });
                    if let Err(e) = server.await {
                        crate::say!("rewind-sandbox: server error: {e}");
                    }
                    // Background work (a restart, a deploy) may have moved
                    // on since the last request: keep its latest state.
                    if let Err(e) = crate::platform::persist::save(&shared).await {
                        crate::say!("rewind-sandbox: {e}");
                    }
                });
                // Open streams and deploys in flight must not hold the
                // shutdown forever.
                runtime.shutdown_timeout(Duration::from_secs(1));
            })
            .map_err(StartError::Runtime)?;
        Ok(Sandbox {
            addr,
            base_url,
            api_token,
            shutdown: Some(tx),
            thread: Some(thread),
            database,
            git_root,
        })
    }

    /// The address the sandbox listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: the auth, API and database API base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The value for `SCALINGO_AUTH_URL`.
    pub fn auth_url(&self) -> &str {
        &self.base_url
    }

    /// The value for `SCALINGO_API_URL`.
    pub fn api_url(&self) -> &str {
        &self.base_url
    }

    /// The value for `SCALINGO_DB_URL`.
    pub fn db_url(&self) -> &str {
        &self.base_url
    }

    /// The first API token the sandbox accepts.
    pub fn api_token(&self) -> &str {
        &self.api_token
    }

    /// The four environment variables a Scalingo client needs to talk to
    /// this sandbox.
    pub fn env_vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("SCALINGO_AUTH_URL", self.auth_url().to_string()),
            ("SCALINGO_API_URL", self.api_url().to_string()),
            ("SCALINGO_DB_URL", self.db_url().to_string()),
            ("SCALINGO_API_TOKEN", self.api_token.clone()),
        ]
    }

    /// The connection URL (`postgres://user:password@127.0.0.1:PORT/name`)
    /// of the app's PostgreSQL addon when the sandbox runs a real
    /// PostgreSQL; the database is created if needed. `Err` says why there
    /// is none (no such app, no PostgreSQL addon, a simulated database).
    pub fn database_url(&self, app: &str) -> Result<String, String> {
        self.database.url_for_app(app)
    }

    /// Keeps the real PostgreSQL's base backup and every write so far in
    /// `dir`, so that a later sandbox can start from it (`postgres_snapshot`
    /// in the seed). `Err` when the sandbox runs no PostgreSQL.
    pub fn keep_postgres(&self, dir: &std::path::Path) -> Result<(), String> {
        self.database.keep_postgres(dir)
    }

    /// Blocks until the server stops by itself; `StopSignals::serve` also
    /// stops it on Ctrl-C or SIGTERM (what `rewind sandbox serve` uses).
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// Whether the server has ended (it only does by itself on an error).
    pub fn has_stopped(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Stops the server and waits for its thread.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.database.shutdown();
        // After the runtime is down: no poll can make a remote again.
        crate::tmp::remove(&self.git_root);
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop();
    }
}
