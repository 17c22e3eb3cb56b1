//! rewind-sandbox: a local server that speaks the Scalingo API (auth, apps,
//! deployments, SCM link, addons, database API, the current user, containers,
//! their stats and router metrics) on 127.0.0.1, so that rewind's tests and
//! rehearsals run without an account, and so that Scalingo's own clients
//! pointed at it through `SCALINGO_AUTH_URL`, `SCALINGO_API_URL`,
//! `SCALINGO_DB_URL` and `SCALINGO_API_TOKEN` work unchanged for the parts
//! it covers (the README's table; the rest answers 501 with its path).
//!
//! It is written from the API reference alone and shares no code with
//! rewind-core on purpose.
//!
//! ```no_run
//! let sandbox = rewind_sandbox::Sandbox::start(rewind_sandbox::SandboxConfig::default()).unwrap();
//! println!("{}", sandbox.api_url());
//! sandbox.shutdown();
//! ```

mod api_error;
mod apps;
mod auth;
mod config;
mod database;
mod deploy;
mod pg;
mod platform;
mod router;
mod runtime;
mod server;
mod signals;
mod state;
mod time;
mod tmp;

pub use config::{
    AddonSeed, AppSeed, BackupSize, DeploymentLinks, MAX_BUILD_LOG_REDIRECTS, PitrRestoreBody,
    PostgresMode, RecoveryWindowForm, RedirectHost, SandboxConfig, ScmSeed, SeedError, TokenSeed,
    Variants,
};
pub use server::{Sandbox, StartError};
pub use signals::StopSignals;
pub use tmp::ROOT_VAR as TEMP_DIR_VAR;
