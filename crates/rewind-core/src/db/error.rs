//! How the database side fails, in terms of what to do next. No variant
//! carries a download URL or a database password: they are secrets.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::platform::PlatformError;

/// What kind of failure it is, for the caller's exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbErrorKind {
    /// The operation failed.
    Failed,
    /// The request cannot be carried out as asked (bad time, no such
    /// addon, a tool to install).
    Usage,
    /// Stopped by Ctrl-C.
    Interrupted,
    /// A safety rule refused (a second restore for the same bad release).
    Refused,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Platform(#[from] PlatformError),

    #[error("app `{app}` has no database addon (addons: {found})")]
    NoDatabaseAddon { app: String, found: String },

    #[error("app `{app}` has no addon `{wanted}` (addons: {available})")]
    AddonNotFound {
        app: String,
        wanted: String,
        available: String,
    },

    #[error("app `{app}` has several database addons: {candidates}")]
    AmbiguousAddon { app: String, candidates: String },

    #[error(
        "point-in-time restore is not available for addon {addon_id} ({provider}): Scalingo offers it for PostgreSQL only"
    )]
    NoPitr { addon_id: String, provider: String },

    #[error(
        "{target} is outside the database's recovery window, which goes from {earliest} to {latest}"
    )]
    OutsideWindow {
        target: DateTime<Utc>,
        earliest: DateTime<Utc>,
        latest: DateTime<Utc>,
    },

    #[error("`{text}` is not a time rewind understands: {problem}")]
    BadTime { text: String, problem: String },

    #[error("backup {backup_id} ended in `{status}`")]
    BackupFailed { backup_id: String, status: String },

    #[error("the {what} did not finish within {}s", .waited.as_secs())]
    TimedOut { what: String, waited: Duration },

    #[error("the point-in-time restore (operation {operation_id}) ended in `{status}`{}", .detail.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
    RestoreFailed {
        operation_id: String,
        status: String,
        detail: Option<String>,
    },

    #[error("{}: restoring again would lose every write made since then", .earlier.describe())]
    AlreadyRestored { earlier: Box<super::EarlierRestore> },

    #[error(
        "incident {} asked for a restore to {} and was cut short: rewind cannot tell whether it ran, and does not restore again without your word",
        .earlier.incident,
        .earlier.record.restore_to.format("%Y-%m-%d %H:%M:%S UTC")
    )]
    RestoreUnknown { earlier: Box<super::EarlierRestore> },

    #[error("cannot read the journal: {detail}")]
    Journal { detail: String },

    #[error("interrupted while {what}")]
    Interrupted { what: String },

    #[error("cannot download the backup archive: {detail}")]
    Download { detail: String },

    #[error(
        "the downloaded archive {path} has {got} bytes but Scalingo announced {expected}: it is incomplete or not the backup"
    )]
    SizeMismatch {
        path: PathBuf,
        expected: u64,
        got: u64,
    },

    #[error("cannot {action} {path}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{path} is not a backup archive rewind can read: {detail}")]
    Archive { path: PathBuf, detail: String },

    #[error("the database URL is not usable: {detail}")]
    BadDatabaseUrl { detail: String },

    #[error("pg_restore is not installed (not found in PATH)")]
    PgRestoreMissing,

    #[error("pg_restore failed ({status}) restoring into {target}:\n{stderr}")]
    PgRestoreFailed {
        status: String,
        target: String,
        stderr: String,
    },
}

impl DbError {
    pub fn kind(&self) -> DbErrorKind {
        match self {
            DbError::Interrupted { .. } | DbError::Platform(PlatformError::Interrupted { .. }) => {
                DbErrorKind::Interrupted
            }
            DbError::AlreadyRestored { .. } | DbError::RestoreUnknown { .. } => {
                DbErrorKind::Refused
            }
            DbError::NoDatabaseAddon { .. }
            | DbError::AddonNotFound { .. }
            | DbError::AmbiguousAddon { .. }
            | DbError::NoPitr { .. }
            | DbError::OutsideWindow { .. }
            | DbError::BadTime { .. }
            | DbError::BadDatabaseUrl { .. }
            | DbError::PgRestoreMissing => DbErrorKind::Usage,
            _ => DbErrorKind::Failed,
        }
    }

    /// What the user should do next.
    pub fn hints(&self) -> Vec<String> {
        match self {
            DbError::Platform(e) => e.hints(),
            DbError::NoDatabaseAddon { .. } => vec![
                "add a database addon to the app, or check the app name".into(),
            ],
            DbError::AddonNotFound { .. } | DbError::AmbiguousAddon { .. } => vec![
                "set [apps.database] addon = \"<addon id>\" in rewind.toml to one of the addons listed".into(),
            ],
            DbError::NoPitr { .. } => vec![
                "restore a backup instead: rewind db restore --from-backup ID --database-url URL".into(),
            ],
            DbError::OutsideWindow { .. } => vec![
                "pick a time inside the window (rewind db status shows it), or restore a backup with --from-backup".into(),
            ],
            DbError::BadTime { .. } => vec![
                "write the time as RFC 3339 (2026-07-18T14:02:00Z, 2026-07-18T16:02:00+02:00) or as local time: \"2026-07-18 16:02\"".into(),
            ],
            DbError::BackupFailed { .. } => vec![
                "look at the addon's backups in the Scalingo dashboard; try `rewind db backup` again".into(),
            ],
            DbError::TimedOut { .. } => vec![
                "it may still finish: check the Scalingo dashboard before starting it again".into(),
            ],
            DbError::RestoreFailed { .. } => vec![
                "the database was not rewound: check its state in the Scalingo dashboard, then try again or restore a backup".into(),
            ],
            DbError::AlreadyRestored { earlier } => vec![
                format!("`rewind report {}` shows that restore and where its safety backup is", earlier.incident),
                "to restore once more anyway, knowing what is lost, run the command again with --restore-again".into(),
            ],
            DbError::RestoreUnknown { earlier } => vec![
                "look at the database's operations in the Scalingo dashboard: a point-in-time restore since that incident began, or none".into(),
                format!(
                    "then run the command again with --restore-ran yes if it ran, or --restore-ran no if it did not (`rewind resume {} --restore-ran yes|no` finishes that incident)",
                    earlier.incident
                ),
            ],
            DbError::Journal { .. } => vec![
                "check that the journal directory is readable, or set REWIND_JOURNAL_DIR".into(),
            ],
            DbError::Interrupted { .. } => vec![
                "what was started on Scalingo goes on without rewind: check the dashboard".into(),
            ],
            DbError::Download { .. } | DbError::SizeMismatch { .. } => vec![
                "run `rewind db backup` again to download a fresh copy".into(),
            ],
            DbError::Io { .. } => vec!["check the path and its permissions".into()],
            DbError::Archive { .. } => vec![
                "a Scalingo backup is a .tar.gz holding one dump file: pass that archive".into(),
            ],
            DbError::BadDatabaseUrl { .. } => vec![
                "give a URL such as postgres://user:password@127.0.0.1:10000/dbname (from `scalingo --app APP db-tunnel`), in REWIND_DATABASE_URL to keep it out of the shell history".into(),
            ],
            DbError::PgRestoreMissing => vec![
                "install the PostgreSQL client tools: `sudo apt-get install postgresql-client` on Debian/Ubuntu, `brew install libpq` (then add its bin folder to PATH) on macOS".into(),
            ],
            DbError::PgRestoreFailed { .. } => vec![
                "check that the tunnel is open and the user may create objects in that database".into(),
            ],
        }
    }
}
