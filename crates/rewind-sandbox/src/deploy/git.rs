//! The app's git repository, read with the real `git` executable: resolving
//! a branch, tag or SHA to a commit, and reading a file at a commit. Never
//! through a shell, never with the user's git configuration, never
//! prompting. These calls block: async callers go through
//! `tokio::task::spawn_blocking`.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The path of a repository given as a local path or a `file://` URL.
pub fn repo_path(repo: &str) -> PathBuf {
    PathBuf::from(repo.strip_prefix("file://").unwrap_or(repo))
}

/// Runs `git -C <repo> <args>` and returns its output, whatever its status.
fn git(repo: &str, args: &[&str]) -> Result<Output, String> {
    Command::new("git")
        .arg("-C")
        .arg(repo_path(repo))
        // The operator pointed the sandbox at this repository on purpose;
        // it may belong to another user (a sandbox run as root).
        .args(["-c", "safe.directory=*"])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .map_err(|e| format!("cannot run git: {e}"))
}

/// The full SHA of the commit `rev` names (a branch, a tag, a SHA), or
/// `None` when the repository has no such revision. An unreadable
/// repository is an error naming it.
pub fn resolve_commit(repo: &str, rev: &str) -> Result<Option<String>, String> {
    let spec = format!("{rev}^{{commit}}");
    let out = git(
        repo,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &spec,
        ],
    )?;
    if out.status.success() {
        let sha = String::from_utf8_lossy(&out.stdout).trim().to_string();
        return Ok(Some(sha));
    }
    // `--quiet` makes an unknown revision fail with status 1 and nothing
    // on stderr; anything else means the repository itself is unusable.
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    if out.status.code() == Some(1) && stderr.is_empty() {
        return Ok(None);
    }
    Err(format!(
        "cannot read the git repository {}: {stderr}",
        repo_path(repo).display()
    ))
}

/// The text of `path` at commit `sha`, or `None` when the commit has no
/// such file.
pub fn read_file(repo: &str, sha: &str, path: &str) -> Result<Option<String>, String> {
    let object = format!("{sha}:{path}");
    let exists = git(repo, &["cat-file", "-e", "--end-of-options", &object])?;
    if !exists.status.success() {
        return Ok(None);
    }
    let out = git(repo, &["cat-file", "blob", &object])?;
    if !out.status.success() {
        return Err(format!(
            "cannot read {path} at {sha} in {}: {}",
            repo_path(repo).display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(Some(String::from_utf8_lossy(&out.stdout).into_owned()))
}
