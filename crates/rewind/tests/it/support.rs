//! What every test of the binary shares: git with no configuration of the
//! person running the tests, the `rewind` executable run in a cleared
//! environment (builder style), the sandbox's `/_sandbox/` admin surface,
//! and reading the journal back.
//!
//! Anything a single test file needs stays in that file; what differs
//! between files (a locale, a user name, a time zone) is set at the call
//! site, so a reader sees it next to the test that depends on it.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use rewind_sandbox::Sandbox;
use serde_json::Value;
use tempfile::TempDir;

// Hermetic git (no configuration of the person's, a fixed identity and
// dates) and the figure lines past the harness's capture are shared with
// the other crates' tests.
pub use rewind_test_support::{GIT_DATES, GIT_ENV, git, shown};

/// What a run of `rewind` left: its exit status and both outputs.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Stdout as JSON; a failure shows both outputs.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("stdout is not JSON ({e}): {}\n{}", self.stdout, self.stderr)
        })
    }
}

/// One run of the built `rewind` executable with nothing of the person's:
/// an empty environment but PATH and [`GIT_ENV`], a throwaway HOME unless
/// one is given, stdin closed unless text is given.
pub struct Rewind {
    command: Command,
    stdin: Option<String>,
    // Kept alive until the run ends, then removed.
    _home: Option<TempDir>,
}

impl Rewind {
    pub fn new(args: &[&str]) -> Rewind {
        let home = tempfile::tempdir().expect("temp HOME");
        let mut command = Command::new(env!("CARGO_BIN_EXE_rewind"));
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home.path())
            .envs(GIT_ENV);
        Rewind {
            command,
            stdin: None,
            _home: Some(home),
        }
    }

    pub fn dir(mut self, dir: &Path) -> Rewind {
        self.command.current_dir(dir);
        self
    }

    pub fn home(mut self, home: &Path) -> Rewind {
        self.command.env("HOME", home);
        self._home = None;
        self
    }

    /// Where rewind keeps its journal (`REWIND_JOURNAL_DIR`).
    pub fn journal(mut self, dir: &Path) -> Rewind {
        self.command.env("REWIND_JOURNAL_DIR", dir);
        self
    }

    /// The variables that point rewind at `sandbox` and log it in.
    pub fn sandbox(mut self, sandbox: &Sandbox) -> Rewind {
        self.command.envs(sandbox.env_vars());
        self
    }

    /// Sets one variable; a later value of the same name wins.
    pub fn env(mut self, name: &str, value: &str) -> Rewind {
        self.command.env(name, value);
        self
    }

    pub fn envs<K: AsRef<str>, V: AsRef<str>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Rewind {
        for (name, value) in vars {
            self.command.env(name.as_ref(), value.as_ref());
        }
        self
    }

    /// Text fed on stdin, which is then closed, as when a person types it.
    pub fn stdin(mut self, text: &str) -> Rewind {
        self.stdin = Some(text.to_string());
        self
    }

    /// Starts the run without waiting for it, for tests that act while it
    /// runs (a signal, a late answer on stdin). Stdin is a pipe the caller
    /// may write to (the text given, if any, is already written); dropping
    /// it closes it. See [`finish`].
    pub fn spawn(mut self) -> std::process::Child {
        self.command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.command.spawn().expect("rewind runs");
        if let Some(text) = &self.stdin {
            child
                .stdin
                .as_mut()
                .expect("stdin")
                .write_all(text.as_bytes())
                .expect("write stdin");
        }
        child
    }

    pub fn run(mut self) -> Run {
        self.command
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.command.spawn().expect("rewind runs");
        if let Some(text) = &self.stdin {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(text.as_bytes())
                .expect("write stdin");
        }
        let out = child.wait_with_output().expect("rewind ends");
        Run {
            code: out.status.code().expect("rewind exits by itself"),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Rewind {
    /// Runs with stdout and/or stderr a pipe whose reader is already gone
    /// (as after `| head -1` or quitting `less`); what the other stream
    /// said is kept.
    pub fn run_closed(mut self, close_stdout: bool, close_stderr: bool) -> Run {
        let output = |close: bool| {
            if close {
                let (reader, writer) = std::io::pipe().expect("pipe");
                drop(reader);
                Stdio::from(writer)
            } else {
                Stdio::piped()
            }
        };
        self.command
            .stdin(Stdio::null())
            .stdout(output(close_stdout))
            .stderr(output(close_stderr));
        let out = self
            .command
            .spawn()
            .expect("rewind runs")
            .wait_with_output()
            .expect("rewind ends");
        Run {
            code: out.status.code().expect("rewind exits by itself"),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Waits for a run started with [`Rewind::spawn`]. A run ended by a
/// signal gets the shell's code for it, 128 + the signal's number.
pub fn finish(mut child: std::process::Child) -> Run {
    use std::os::unix::process::ExitStatusExt;
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("rewind ends");
    let code = out
        .status
        .code()
        .or_else(|| out.status.signal().map(|s| 128 + s))
        .expect("an exit code or a signal");
    Run {
        code,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The sandbox's variables as owned pairs, for tests that remove or
/// replace some of them.
pub fn sandbox_env(sandbox: &Sandbox) -> Vec<(String, String)> {
    sandbox
        .env_vars()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// Reads `path` of the sandbox (its admin surface); it must answer 2xx.
pub fn admin_get(sandbox: &Sandbox, path: &str) -> Value {
    let response = agent()
        .get(&format!("{}{path}", sandbox.base_url()))
        .call()
        .expect("the sandbox answers");
    answer("GET", path, response)
}

/// Posts `body` to `path` of the sandbox's admin surface (no body for
/// `Value::Null`); it must answer 2xx. Returns the JSON answer, or null.
pub fn admin_post(sandbox: &Sandbox, path: &str, body: Value) -> Value {
    let request = agent().post(&format!("{}{path}", sandbox.base_url()));
    let response = if body.is_null() {
        request.send_empty()
    } else {
        request.send_json(body)
    }
    .expect("the sandbox answers");
    answer("POST", path, response)
}

/// Puts `body` to `path` of the sandbox's admin surface (such as
/// `/_sandbox/variants`); it must answer 2xx.
pub fn admin_put(sandbox: &Sandbox, path: &str, body: Value) -> Value {
    let response = agent()
        .put(&format!("{}{path}", sandbox.base_url()))
        .send_json(body)
        .expect("the sandbox answers");
    answer("PUT", path, response)
}

/// Deletes `path` of the sandbox's admin surface; it must answer 2xx.
pub fn admin_delete(sandbox: &Sandbox, path: &str) {
    let response = agent()
        .delete(&format!("{}{path}", sandbox.base_url()))
        .call()
        .expect("the sandbox answers");
    answer("DELETE", path, response);
}

fn answer(method: &str, path: &str, mut response: ureq::http::Response<ureq::Body>) -> Value {
    let status = response.status();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    assert!(status.is_success(), "{method} {path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Every entry of the journal kept in `dir`, oldest first (none when rewind
/// wrote nothing).
pub fn journal_entries(dir: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join("journal.jsonl")).unwrap_or_default();
    text.lines()
        .map(|l| serde_json::from_str(l).expect("a journal line is JSON"))
        .collect()
}

/// The step names of the journal entries of `kind`, in order.
pub fn steps<'a>(journal: &'a [Value], kind: &str) -> Vec<&'a str> {
    step_data(journal, kind)
        .into_iter()
        .map(|(step, _)| step)
        .collect()
}

/// The steps of the journal entries of `kind` with their data, in order.
pub fn step_data<'a>(journal: &'a [Value], kind: &str) -> Vec<(&'a str, &'a Value)> {
    journal
        .iter()
        .filter(|e| e["kind"] == kind)
        .map(|e| (e["step"].as_str().unwrap_or_default(), &e["data"]))
        .collect()
}

/// A bare `origin.git` in `dir` and its clone `work`, returned: the app's
/// repository as the tests' worlds start it.
pub fn origin_and_clone(dir: &Path) -> std::path::PathBuf {
    git(
        dir,
        &[
            "init",
            "--quiet",
            "--bare",
            "--initial-branch=main",
            "origin.git",
        ],
    );
    git(dir, &["clone", "--quiet", "origin.git", "work"]);
    dir.join("work")
}

/// A release-please release in `work`: `package.json` at `version`, the
/// `extra` files written, committed as release-please does, tagged
/// `v{version}`.
pub fn release(work: &Path, version: &str, extra: &[(&str, &str)]) {
    std::fs::write(
        work.join("package.json"),
        format!("{{\"name\":\"shop\",\"version\":\"{version}\"}}\n"),
    )
    .expect("write");
    for (path, text) in extra {
        let full = work.join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("dirs");
        std::fs::write(full, text).expect("write");
    }
    git(work, &["add", "--all"]);
    git(
        work,
        &[
            "commit",
            "--quiet",
            "-m",
            &format!("chore(main): release {version}"),
        ],
    );
    git(work, &["tag", &format!("v{version}")]);
}
