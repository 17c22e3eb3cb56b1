//! Each app's own git remote, the `git_url` the API shows: a bare
//! repository in a directory of the sandbox's own, reachable as a `file://`
//! URL. Pushing to its `master` or its `main` deploys the pushed commit,
//! as `git push --force <git_url> <sha>:refs/heads/master` does on Scalingo
//! (the watcher notices the move). A push that moves nothing (the branch
//! holds the commit already) deploys nothing, as on Scalingo.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The branch the remote is created with.
pub const DEPLOY_BRANCH: &str = "master";

/// The branches a push deploys from, as Scalingo accepts them.
pub const DEPLOY_BRANCHES: [&str; 2] = ["master", "main"];

fn repo_dir(root: &Path, app: &str) -> PathBuf {
    root.join(format!("{app}.git"))
}

/// The app's `git_url`; `root` is the sandbox's directory of remotes
/// (`Shared::git_root`).
pub fn git_url(root: &Path, app: &str) -> String {
    format!("file://{}", repo_dir(root, app).display())
}

/// Creates the app's remote when it does not exist yet; returns its path
/// as the watcher and the engine name repositories.
pub fn ensure(root: &Path, app: &str) -> Result<String, String> {
    let dir = repo_dir(root, app);
    let path = dir.display().to_string();
    if dir.join("HEAD").exists() {
        return Ok(path);
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {path}: {e}"))?;
    let out = Command::new("git")
        .args(["init", "--quiet", "--bare", "-b", DEPLOY_BRANCH])
        .arg(&dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cannot create the git remote {path}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(path)
}

/// Makes the sandbox's directory of remotes, empty and marked with its
/// owner (a sandbox killed earlier on the same port may have left its
/// remotes behind). The sandbox deletes it when it stops.
pub fn fresh(root: &Path) -> Result<(), String> {
    crate::tmp::remove(root);
    std::fs::create_dir_all(root).map_err(|e| format!("cannot create {}: {e}", root.display()))?;
    crate::tmp::mark(root)
}
