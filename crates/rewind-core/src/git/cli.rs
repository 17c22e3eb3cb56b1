//! Runs the `git` executable in a repository, never through a shell, and
//! turns a failure into a [`GitError`] that says which command failed and
//! why. Prompts are disabled unless the session is interactive, so an
//! unattended run fails instead of hanging on a password question.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use super::error::{GitError, STDERR_LINES};
use super::redact::redact_credentials;
use crate::release::strip_ansi;

/// How to run git in one repository.
#[derive(Debug, Clone)]
pub struct GitCli {
    repo: PathBuf,
    program: OsString,
    interactive: bool,
    env: Vec<(OsString, OsString)>,
}

/// What a finished git process left behind.
pub(crate) struct Finished {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    stderr: Vec<u8>,
    command: String,
}

impl GitCli {
    /// Runs `git` from `PATH` in `repo`, non-interactively.
    pub fn new(repo: impl Into<PathBuf>) -> Self {
        GitCli {
            repo: repo.into(),
            program: OsString::from("git"),
            interactive: false,
            env: Vec::new(),
        }
    }

    /// An interactive session lets git ask for credentials on the terminal.
    pub fn interactive(mut self, interactive: bool) -> Self {
        self.interactive = interactive;
        self
    }

    /// Uses another git executable.
    pub fn program(mut self, program: impl Into<OsString>) -> Self {
        self.program = program.into();
        self
    }

    /// Sets an environment variable for every git this runs (hermetic
    /// tests, `GIT_SSH_COMMAND`, ...).
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((key.as_ref().to_os_string(), value.as_ref().to_os_string()));
        self
    }

    /// The repository directory.
    pub fn repo(&self) -> &Path {
        &self.repo
    }

    /// Runs git and returns stdout; a non-zero exit is an error.
    pub(crate) fn run(&self, args: &[&str]) -> Result<Vec<u8>, GitError> {
        let finished = self.run_any(args)?;
        if finished.code == Some(0) {
            Ok(finished.stdout)
        } else {
            Err(finished.into_error())
        }
    }

    /// Runs git and returns stdout as trimmed text.
    pub(crate) fn run_text(&self, args: &[&str]) -> Result<String, GitError> {
        let stdout = self.run(args)?;
        into_text(command_line(args), stdout).map(|s| s.trim_end().to_string())
    }

    /// Runs git whatever its exit code, for commands whose code is an
    /// answer (`rev-parse --verify --quiet` exits 1 for "no such ref").
    pub(crate) fn run_any(&self, args: &[&str]) -> Result<Finished, GitError> {
        self.run_with(args, |_| {})
    }

    /// Like [`GitCli::run_any`] with a chance to adjust the command.
    pub(crate) fn run_with(
        &self,
        args: &[&str],
        adjust: impl FnOnce(&mut Command),
    ) -> Result<Finished, GitError> {
        let mut command = self.command(args);
        adjust(&mut command);
        let output: Output = command.output().map_err(|source| GitError::Spawn {
            command: command_line(args),
            source,
        })?;
        Ok(Finished {
            code: output.status.code(),
            stdout: output.stdout,
            stderr: output.stderr,
            command: command_line(args),
        })
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.program);
        command
            .args(args)
            .current_dir(&self.repo)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if self.interactive {
            command.stdin(Stdio::inherit());
        } else {
            command.stdin(Stdio::null()).env("GIT_TERMINAL_PROMPT", "0");
        }
        for (key, value) in &self.env {
            command.env(key, value);
        }
        command
    }
}

impl Finished {
    /// The failure as an error carrying the end of stderr.
    pub fn into_error(self) -> GitError {
        GitError::Failed {
            command: self.command,
            code: self.code,
            stderr: last_lines(&self.stderr),
        }
    }

    /// stdout as text, or an error naming the command.
    pub fn stdout_text(self) -> Result<String, GitError> {
        into_text(self.command, self.stdout)
    }
}

fn into_text(command: String, stdout: Vec<u8>) -> Result<String, GitError> {
    String::from_utf8(stdout).map_err(|_| GitError::Unreadable {
        command,
        detail: "the output is not UTF-8".to_string(),
    })
}

/// The command as a person would type it, credentials removed.
pub(crate) fn command_line(args: &[&str]) -> String {
    redact_credentials(&format!("git {}", args.join(" ")))
}

/// The last [`STDERR_LINES`] non-blank lines, without escape sequences or
/// credentials (a remote may echo its URL; a server may colour its text).
fn last_lines(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr).replace('\r', "\n");
    let cleaned = strip_ansi(&text);
    let lines: Vec<&str> = cleaned.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(STDERR_LINES);
    redact_credentials(&lines[start..].join("\n"))
}
