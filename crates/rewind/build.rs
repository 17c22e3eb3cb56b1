//! Records the git commit rewind is built from, for `rewind --version`
//! (`REWIND_COMMIT` at compile time): `REWIND_BUILD_COMMIT` when set (a
//! build from sources without their `.git`, such as a Docker context, can
//! say it), else `git rev-parse --short HEAD` when the sources are a git
//! checkout (a clone, or the one `cargo install --git` makes), else
//! `unknown` (a tarball without `.git`, or no git installed).
//!
//! Std only, and quiet: a build never fails over the commit it reports.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=REWIND_BUILD_COMMIT");
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    // Inside a git work tree, whatever the commit found: a commit or a
    // checkout must run this again (the commit that first tracks these
    // files included).
    for path in watched(&dir) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    let given = std::env::var("REWIND_BUILD_COMMIT")
        .ok()
        .map(|c| c.trim().to_string())
        .filter(|c| is_commit(c));
    let commit = given
        .or_else(|| checkout_commit(&dir))
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=REWIND_COMMIT={commit}");
}

/// The checkout's commit, when these sources are tracked by it: sources
/// unpacked inside some other repository are not that repository's.
fn checkout_commit(dir: &Path) -> Option<String> {
    git(dir, &["ls-files", "--error-unmatch", "build.rs"])?;
    git(dir, &["rev-parse", "--short", "HEAD"]).filter(|c| is_commit(c))
}

/// A commit as `rev-parse` prints it: hex digits only.
fn is_commit(text: &str) -> bool {
    (4..=40).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// What moves when the checkout's commit changes: `HEAD` (another branch
/// or a detached commit), the branch's loose ref (a new commit), and
/// `packed-refs` (a ref packed); when the loose ref does not exist, its
/// folder (a commit writes it there). Not the index: git rewrites it on a
/// mere `git status`. Only paths that exist: cargo runs a build script
/// again every time for one that does not. None outside a git work tree.
fn watched(dir: &Path) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    let git_path = |name: &str| git(dir, &["rev-parse", "--git-path", name]).map(|p| dir.join(p));
    paths.extend(git_path("HEAD"));
    paths.extend(git_path("packed-refs"));
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"])
        && let Some(loose) = git_path(&branch)
    {
        match loose.exists() {
            true => paths.push(loose),
            false => paths.extend(loose.parent().map(Path::to_path_buf)),
        }
    }
    paths.retain(|p| p.exists());
    paths
}

/// git's trimmed answer, `None` when it fails or is not installed.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!text.is_empty()).then_some(text)
}
