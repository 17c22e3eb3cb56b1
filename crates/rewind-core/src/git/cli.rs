//! Runs the `git` executable in a repository, never through a shell, and
//! turns a failure into a [`GitError`] that says which command failed and
//! why. Prompts are disabled unless the session is interactive (no
//! terminal prompt, ssh in `BatchMode`), so an unattended run fails instead
//! of hanging on a password question; and every command has a deadline,
//! after which git is stopped and the error says which command and what
//! to do. Each command is a `git` event for `REWIND_LOG=debug`: its
//! subcommand, its arguments with credentials removed, how long it took
//! and how it ended.

use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::error::{GitError, STDERR_LINES};
use super::redact::redact_credentials;
use crate::release::strip_ansi;

/// How long one git command may run when nobody says otherwise: a fetch
/// or push of a large repository over a slow link fits, a hung ssh or a
/// credential helper waiting for a person does not wait all night.
pub const DEFAULT_GIT_TIMEOUT: Duration = Duration::from_secs(300);

/// How to run git in one repository.
#[derive(Debug, Clone)]
pub struct GitCli {
    repo: PathBuf,
    program: OsString,
    interactive: bool,
    env: Vec<(OsString, OsString)>,
    timeout: Duration,
    /// The ssh command with `BatchMode=yes`, worked out once.
    batch_ssh: OnceLock<Option<String>>,
    /// Each remote's URL once read (`git remote get-url`): rewind never
    /// changes a remote, and several parts of one run ask for it.
    pub(crate) remote_urls:
        std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, String>>>,
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
            timeout: DEFAULT_GIT_TIMEOUT,
            batch_ssh: OnceLock::new(),
            remote_urls: Default::default(),
        }
    }

    /// How long one git command may run before it is stopped.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
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
        let spawn_error = |source| GitError::Spawn {
            command: command_line(args),
            source,
        };
        let started = Instant::now();
        let mut child = command.spawn().map_err(|e| {
            self.log(args, started, "could not start");
            spawn_error(e)
        })?;
        // Both pipes are drained while git runs, so a chatty git never
        // blocks on a full pipe while rewind waits for it.
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        let deadline = Instant::now() + self.timeout;
        let code = match wait_until(&mut child, deadline) {
            Ok(Ended::Exited(code)) => code,
            Ok(Ended::TimedOut) => {
                self.log(args, started, "timed out");
                self.stop(&mut child);
                return Err(GitError::TimedOut {
                    command: command_line(args),
                    after: self.timeout,
                });
            }
            Err(source) => {
                self.log(args, started, "could not be waited for");
                self.stop(&mut child);
                return Err(spawn_error(source));
            }
        };
        let exit = code.map_or_else(|| "killed by a signal".to_string(), |c| c.to_string());
        self.log(args, started, &exit);
        Ok(Finished {
            code,
            stdout: stdout.join().unwrap_or_default(),
            stderr: stderr.join().unwrap_or_default(),
            command: command_line(args),
        })
    }

    fn log(&self, args: &[&str], started: Instant, exit: &str) {
        log_ran(&self.program.to_string_lossy(), args, started, exit);
    }

    /// Stops git and what it started (ssh, a credential helper): when not
    /// interactive, git leads a process group of its own, killed whole.
    fn stop(&self, child: &mut Child) {
        if !self.interactive {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.program);
        crate::secret::without_secrets(&mut command)
            .args(args)
            .current_dir(&self.repo)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if self.interactive {
            command.stdin(Stdio::inherit());
        } else {
            command.stdin(Stdio::null()).env("GIT_TERMINAL_PROMPT", "0");
            // A group of its own, so that a deadline stops ssh too; nobody
            // is at a terminal to answer it anyway. (Ctrl-C then reaches
            // rewind only, which stops at the end of the step, as it
            // does for every step.)
            std::os::unix::process::CommandExt::process_group(&mut command, 0);
            let network = matches!(args.first(), Some(&("fetch" | "push" | "ls-remote")));
            if let Some(ssh) = self.batch_ssh().filter(|_| network) {
                command.env("GIT_SSH_COMMAND", ssh);
            }
        }
        for (key, value) in &self.env {
            command.env(key, value);
        }
        command
    }

    /// The ssh command git should use when nobody can answer a passphrase
    /// or host-key question: the user's own (`core.sshCommand`, else
    /// `ssh`) with `-o BatchMode=yes`. `None` when the user chose the ssh
    /// program through `GIT_SSH_COMMAND` or `GIT_SSH`: theirs is kept.
    fn batch_ssh(&self) -> Option<&str> {
        self.batch_ssh
            .get_or_init(|| {
                let set = |name: &str| {
                    self.env.iter().any(|(k, _)| k == name)
                        || std::env::var_os(name).is_some_and(|v| !v.is_empty())
                };
                if set("GIT_SSH_COMMAND") || set("GIT_SSH") {
                    return None;
                }
                let mut config = Command::new(&self.program);
                crate::secret::without_secrets(&mut config)
                    .args(["config", "--get", "core.sshCommand"])
                    .current_dir(&self.repo)
                    .stdin(Stdio::null())
                    .stderr(Stdio::null());
                for (key, value) in &self.env {
                    config.env(key, value);
                }
                let started = Instant::now();
                let output = config.output();
                let exit = exit_of(output.as_ref().ok().map(|o| o.status));
                self.log(&["config", "--get", "core.sshCommand"], started, &exit);
                let configured = output
                    .ok()
                    .filter(|o| o.status.success())
                    .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                    .filter(|c| !c.is_empty());
                let base = configured.unwrap_or_else(|| "ssh".to_string());
                Some(format!("{base} -o BatchMode=yes"))
            })
            .as_deref()
    }
}

/// One `git` event for `REWIND_LOG=debug`: which git, which command (its
/// credentials removed), how long it took since `started`, how it ended
/// (`exit`: its code, or why there is none). Every git rewind runs is told
/// here, also the few run outside [`GitCli`].
pub fn log_ran(program: &str, args: &[&str], started: Instant, exit: &str) {
    tracing::debug!(
        target: "git",
        program,
        subcommand = args.first().copied().unwrap_or(""),
        command = command_line(args).as_str(),
        exit,
        ms = started.elapsed().as_millis() as u64,
        "ran"
    );
}

/// How a child process ended, for [`log_ran`]: its exit code, or why
/// there is none (`None`: it could not be started).
pub fn exit_of(status: Option<std::process::ExitStatus>) -> String {
    match status.map(|s| s.code()) {
        Some(Some(code)) => code.to_string(),
        Some(None) => "killed by a signal".to_string(),
        None => "could not start".to_string(),
    }
}

/// Reads a pipe to its end on a thread of its own.
fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}

/// How waiting for git ended.
enum Ended {
    /// With its exit code (`None`: killed by a signal).
    Exited(Option<i32>),
    TimedOut,
}

fn wait_until(child: &mut Child, deadline: Instant) -> std::io::Result<Ended> {
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Ended::Exited(status.code()));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(Ended::TimedOut);
        }
        std::thread::sleep(pause.min(deadline - now));
        // Quick commands are seen at once; long ones cost few wake-ups.
        pause = (pause * 2).min(Duration::from_millis(50));
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
