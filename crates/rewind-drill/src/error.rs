//! Why a rehearsal could not go on, step by step, with what to do about it.

use std::path::PathBuf;

use rewind_core::config::ConfigError;
use rewind_core::config::init::InitError;
use rewind_core::db::DbError;
use rewind_core::follow::FollowError;
use rewind_core::platform::PlatformError;

#[derive(Debug, thiserror::Error)]
pub enum DrillError {
    #[error("cannot build the drill's repository: git {args} failed: {detail}")]
    Git { args: String, detail: String },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("rewind init could not write the drill's rewind.toml: {0}")]
    Init(#[source] InitError),
    #[error("rewind init's rewind.toml has no `{0}` line for the drill to adjust")]
    InitShape(String),
    #[error("the drill's rewind.toml does not load: {0}")]
    Config(#[source] ConfigError),
    /// The sandbox's own words, unchanged: they say what failed.
    #[error(transparent)]
    Sandbox(rewind_sandbox::StartError),
    #[error("cannot start the local webhook listener: {0}")]
    Listener(#[source] std::io::Error),
    #[error("{what}: {source}")]
    Platform {
        what: String,
        #[source]
        source: PlatformError,
    },
    #[error("cannot find the app's database: {0}")]
    Database(#[source] DbError),
    #[error("following the deploy of {version} failed: {source}")]
    Follow {
        version: String,
        #[source]
        source: FollowError,
    },
    #[error("the deploy of {version} ended {status} (deployment {id})")]
    Deploy {
        version: String,
        id: String,
        status: String,
        tail: Vec<String>,
    },
    #[error("the sandbox's admin surface refused {what}: {detail}")]
    Admin { what: String, detail: String },
    #[error("the drill was interrupted (Ctrl-C)")]
    Interrupted,
    #[error("production did not break: {0}")]
    NotBroken(String),
}

impl DrillError {
    pub(crate) fn platform(what: impl Into<String>, source: PlatformError) -> Self {
        DrillError::Platform {
            what: what.into(),
            source,
        }
    }

    /// What the person can do next.
    pub fn hints(&self) -> Vec<String> {
        match self {
            DrillError::Git { .. } => vec!["the drill needs the `git` executable on PATH".into()],
            DrillError::Write { .. } => {
                vec!["pass --keep DIR to build the workspace somewhere writable".into()]
            }
            DrillError::Platform { source, .. } => source.hints(),
            DrillError::Follow { source, .. } => source.hints(),
            DrillError::Database(source) => source.hints(),
            DrillError::Deploy { tail, .. } => tail
                .iter()
                .rev()
                .take(5)
                .rev()
                .map(|l| format!("build log: {l}"))
                .collect(),
            DrillError::Admin { .. } | DrillError::NotBroken(_) => vec![
                "this is a bug in the drill or the sandbox: please report it with the output above"
                    .into(),
            ],
            DrillError::Sandbox(_)
            | DrillError::Init(_)
            | DrillError::InitShape(_)
            | DrillError::Config(_)
            | DrillError::Listener(_)
            | DrillError::Interrupted => Vec::new(),
        }
    }
}
