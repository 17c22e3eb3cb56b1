//! What can go wrong when rewind runs git: it could not start, or it
//! failed, in which case the error names the command, its exit status and
//! the end of what git wrote on stderr (credentials removed).

use std::io;

/// How many of git's last stderr lines an error keeps: enough for the
/// `fatal:` line and its context, without a full progress log.
pub const STDERR_LINES: usize = 10;

/// A failed git operation.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The git executable could not be started (not installed, bad PATH,
    /// repository directory missing).
    #[error("could not run `{command}`: {source}")]
    Spawn {
        command: String,
        #[source]
        source: io::Error,
    },
    /// git ran and exited with an error.
    #[error("`{command}` failed ({}){}", describe_code(*code), stderr_suffix(stderr))]
    Failed {
        /// The command line, credentials redacted.
        command: String,
        /// The exit code; `None` when git was killed by a signal.
        code: Option<i32>,
        /// The last lines git wrote on stderr, credentials redacted.
        stderr: String,
    },
    /// git ran past its deadline and was stopped.
    #[error(
        "`{command}` did not finish within {} s and was stopped: run it yourself in the repository to see where it waits (network, credentials, a passphrase), or set REWIND_GIT_TIMEOUT (seconds) to allow longer",
        .after.as_secs_f64()
    )]
    TimedOut {
        command: String,
        after: std::time::Duration,
    },
    /// git succeeded but its output was not what rewind expects.
    #[error("`{command}` printed something rewind cannot read: {detail}")]
    Unreadable { command: String, detail: String },
    /// A name that git would misread (empty, or taken for an option).
    #[error("`{value}` cannot be used as a {what}: {reason}")]
    InvalidArgument {
        what: &'static str,
        value: String,
        reason: &'static str,
    },
}

impl GitError {
    /// What git wrote on stderr, when it ran and failed.
    pub fn stderr(&self) -> Option<&str> {
        match self {
            GitError::Failed { stderr, .. } => Some(stderr),
            _ => None,
        }
    }
}

fn describe_code(code: Option<i32>) -> String {
    match code {
        Some(code) => format!("exit code {code}"),
        None => "killed by a signal".to_string(),
    }
}

fn stderr_suffix(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        String::new()
    } else {
        format!(": {}", lines.join("; "))
    }
}

/// Rejects values git would parse as options (`--upload-pack=...`).
pub(crate) fn check_arg(what: &'static str, value: &str) -> Result<(), GitError> {
    let reason = if value.is_empty() {
        "it is empty"
    } else if value.starts_with('-') {
        "it starts with `-`, which git would read as an option"
    } else {
        return Ok(());
    };
    Err(GitError::InvalidArgument {
        what,
        value: value.to_string(),
        reason,
    })
}
