//! Each app's own git remote, the `git_url` the API shows: a bare
//! repository in a directory of the sandbox's own, reachable as a `file://`
//! URL. Pushing to its `master` deploys the pushed commit, as
//! `git push --force <git_url> <sha>:refs/heads/master` does on Scalingo
//! (the watcher notices the move).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The branch a push must update to deploy.
pub const DEPLOY_BRANCH: &str = "master";

/// The sandbox's directory of app remotes. Named after the port, which no
/// other running sandbox can hold.
pub fn root(base_url: &str) -> PathBuf {
    let port = base_url.rsplit(':').next().unwrap_or("0");
    std::env::temp_dir().join(format!("rewind-sandbox-{port}-git"))
}

fn repo_dir(base_url: &str, app: &str) -> PathBuf {
    root(base_url).join(format!("{app}.git"))
}

/// The app's `git_url`.
pub fn git_url(base_url: &str, app: &str) -> String {
    format!("file://{}", repo_dir(base_url, app).display())
}

/// Creates the app's remote when it does not exist yet; returns its path
/// as the watcher and the engine name repositories.
pub fn ensure(base_url: &str, app: &str) -> Result<String, String> {
    let dir = repo_dir(base_url, app);
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

/// Removes the sandbox's remotes when dropped: they live as long as the
/// sandbox that serves them.
#[derive(Debug)]
pub struct Cleanup(PathBuf);

impl Cleanup {
    /// Starts from an empty directory: a sandbox that died earlier on the
    /// same port may have left its remotes behind.
    pub fn fresh(base_url: &str) -> Cleanup {
        let dir = root(base_url);
        remove(&dir);
        Cleanup(dir)
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        remove(&self.0);
    }
}

fn remove(dir: &Path) {
    if dir.exists() {
        let _ = std::fs::remove_dir_all(dir);
    }
}
