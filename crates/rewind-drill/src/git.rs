//! Git for building the drill's repositories, hermetic: no user or system
//! configuration, a fixed identity and fixed dates, never a prompt. The
//! same environment goes to the `GitCli` rewind itself uses in the drill,
//! so nothing of the person's git setup leaks into the rehearsal.

use std::path::Path;
use std::process::Command;

use crate::error::DrillError;

/// Who commits in the drill's repositories.
const NAME: &str = "Rewind Drill";
const EMAIL: &str = "drill@rewind.invalid";

/// The environment every git of the drill runs with.
pub fn hermetic_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("GIT_CONFIG_GLOBAL", "/dev/null"),
        ("GIT_CONFIG_SYSTEM", "/dev/null"),
        ("GIT_CONFIG_NOSYSTEM", "1"),
        ("GIT_TERMINAL_PROMPT", "0"),
        ("GIT_AUTHOR_NAME", NAME),
        ("GIT_AUTHOR_EMAIL", EMAIL),
        ("GIT_COMMITTER_NAME", NAME),
        ("GIT_COMMITTER_EMAIL", EMAIL),
    ]
}

/// Runs `git args` in `dir`, dated `date` (`YYYY-MM-DD`), and returns its
/// trimmed stdout.
pub(crate) fn git(dir: &Path, date: &str, args: &[&str]) -> Result<String, DrillError> {
    let stamp = format!("{date}T21:00:00+00:00");
    let started = std::time::Instant::now();
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .envs(hermetic_env())
        .env("GIT_AUTHOR_DATE", &stamp)
        .env("GIT_COMMITTER_DATE", &stamp)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output();
    let exit = rewind_core::git::exit_of(out.as_ref().ok().map(|o| o.status));
    rewind_core::git::log_ran("git", args, started, &exit);
    let out = out.map_err(|e| DrillError::Git {
        args: args.join(" "),
        detail: format!("cannot run git: {e}"),
    })?;
    if !out.status.success() {
        return Err(DrillError::Git {
            args: args.join(" "),
            detail: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}
