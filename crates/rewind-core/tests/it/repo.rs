//! Real git repositories for tests: a bare "origin" and a clone of it in a
//! temp dir, with commits at fixed dates, lightweight and annotated tags and
//! package.json versions. Git runs hermetically (rewind-test-support's
//! environment: no global or system config, fixed identities), so results
//! do not depend on the machine.

use std::path::{Path, PathBuf};

use rewind_core::git::GitCli;
use rewind_test_support::{GIT_ENV, git_command, run_git};
use tempfile::TempDir;

/// A temp dir holding `origin.git` (bare) and `work` (its clone).
pub struct TestRepo {
    dir: TempDir,
    commits: u32,
}

impl TestRepo {
    /// An empty origin and a clone of it on branch `main`.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("create a temp dir");
        let repo = TestRepo { dir, commits: 0 };
        repo.git_in(
            repo.dir.path(),
            &[
                "init",
                "--quiet",
                "--bare",
                "--initial-branch=main",
                "origin.git",
            ],
        );
        repo.git_in(repo.dir.path(), &["clone", "--quiet", "origin.git", "work"]);
        repo
    }

    /// The clone's working tree.
    pub fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// The bare origin repository.
    pub fn origin(&self) -> PathBuf {
        self.dir.path().join("origin.git")
    }

    /// A [`GitCli`] on the clone, as hermetic as the fixture's own git.
    pub fn cli(&self) -> GitCli {
        GIT_ENV.iter().fold(
            GitCli::new(self.work()).env("HOME", self.dir.path()),
            |cli, (k, v)| cli.env(k, v),
        )
    }

    /// Runs git in the clone; panics with stderr on failure.
    pub fn git(&self, args: &[&str]) -> String {
        self.git_in(&self.work(), args)
    }

    /// Runs git in `dir`; panics with stderr on failure.
    pub fn git_in(&self, dir: &Path, args: &[&str]) -> String {
        let date = format!("2024-03-01T12:{:02}:00+00:00", self.commits % 60);
        run_git(
            git_command(dir)
                .args(args)
                .env("HOME", self.dir.path())
                .env("GIT_AUTHOR_DATE", &date)
                .env("GIT_COMMITTER_DATE", &date),
        )
        .trim_end()
        .to_string()
    }

    /// Writes a file in the working tree (no commit).
    pub fn write(&self, path: &str, contents: &str) {
        let full = self.work().join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).expect("create parent dirs");
        }
        std::fs::write(full, contents).expect("write file");
    }

    /// Commits every change with `message`, one minute after the previous
    /// commit; returns the commit's SHA.
    pub fn commit(&mut self, message: &str) -> String {
        self.commits += 1;
        self.git(&["add", "--all"]);
        self.git(&["commit", "--quiet", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    /// Writes `package.json` for `name` at `version` and commits it as a
    /// release-please release commit would.
    pub fn release(&mut self, name: &str, version: &str) -> String {
        self.write(
            "package.json",
            &format!("{{\n  \"name\": \"{name}\",\n  \"version\": \"{version}\"\n}}\n"),
        );
        self.commit(&format!("chore(main): release {version}"))
    }

    /// A lightweight tag on HEAD.
    pub fn tag(&self, name: &str) {
        self.git(&["tag", name]);
    }

    /// An annotated tag on HEAD.
    pub fn annotated_tag(&self, name: &str) {
        self.git(&["tag", "-a", name, "-m", &format!("release {name}")]);
    }

    /// Pushes the current branch and every tag to origin.
    pub fn push_all(&self) {
        self.git(&["push", "--quiet", "origin", "HEAD", "--tags"]);
    }
}
