//! `rewind --version`: the version and the git commit the binary was built
//! from. The build script itself is compiled and run here, as cargo runs
//! it, in a git checkout, in sources without `.git` (a tarball), in sources
//! unpacked inside another repository, and with the commit given.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{GIT_ENV, Rewind, git};

/// The commit of the checkout these tests were built from, as the build
/// script finds it; `unknown` outside a git checkout.
fn this_checkout() -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match run(&["ls-files", "--error-unmatch", "build.rs"]) {
        Some(_) => run(&["rev-parse", "--short", "HEAD"]).expect("HEAD"),
        None => "unknown".into(),
    }
}

#[test]
fn version_prints_the_version_and_the_commit_it_was_built_from() {
    for flag in ["--version", "-V"] {
        let out = Rewind::new(&[flag]).run();
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(
            out.stdout,
            format!(
                "rewind {} (commit {})\n",
                env!("CARGO_PKG_VERSION"),
                this_checkout()
            )
        );
        assert_eq!(out.stderr, "");
    }
}

/// The build script, compiled on its own (it uses std only).
struct BuildScript {
    dir: tempfile::TempDir,
    exe: PathBuf,
}

impl BuildScript {
    fn compile() -> BuildScript {
        let dir = tempfile::tempdir().expect("temp dir");
        let exe = dir.path().join("build-script");
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("build.rs");
        let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
        let out = Command::new(rustc)
            .args(["--edition", "2024", "-o"])
            .arg(&exe)
            .arg(&source)
            .output()
            .expect("rustc runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        BuildScript { dir, exe }
    }

    /// Runs it as cargo does for sources in `manifest_dir`; its stdout.
    fn run(&self, manifest_dir: &Path, given: Option<&str>) -> String {
        let mut command = Command::new(&self.exe);
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .envs(GIT_ENV)
            .env("CARGO_MANIFEST_DIR", manifest_dir)
            .current_dir(manifest_dir);
        if let Some(commit) = given {
            command.env("REWIND_BUILD_COMMIT", commit);
        }
        let out = command.output().expect("the build script runs");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).expect("utf-8")
    }
}

/// Sources as a tarball gives them: the crate's files, no `.git`.
fn sources_in(dir: &Path) -> PathBuf {
    let crate_dir = dir.join("rewind");
    std::fs::create_dir_all(&crate_dir).expect("mkdir");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("build.rs"),
        crate_dir.join("build.rs"),
    )
    .expect("copy build.rs");
    crate_dir
}

#[test]
fn the_build_script_finds_the_commit_of_a_checkout_and_says_unknown_without_one() {
    let script = BuildScript::compile();
    let top = tempfile::tempdir().expect("temp dir");

    // A tarball: no git history at all.
    let tarball = sources_in(&top.path().join("tarball"));
    let said = script.run(&tarball, None);
    assert!(
        said.contains("cargo:rustc-env=REWIND_COMMIT=unknown\n"),
        "{said}"
    );
    assert!(!said.contains(".git"), "nothing to watch: {said}");

    // A checkout (a clone, or what `cargo install --git` makes).
    let checkout = top.path().join("checkout");
    let crate_dir = sources_in(&checkout);
    git(&checkout, &["init", "--quiet", "--initial-branch=main"]);
    git(&checkout, &["add", "."]);
    git(&checkout, &["commit", "--quiet", "-m", "rewind sources"]);
    let short = git(&checkout, &["rev-parse", "--short", "HEAD"]);
    let said = script.run(&crate_dir, None);
    assert!(
        said.contains(&format!("cargo:rustc-env=REWIND_COMMIT={short}\n")),
        "{said}"
    );
    for watched in [".git/HEAD", ".git/refs/heads/main"] {
        assert!(
            said.lines()
                .any(|l| l.starts_with("cargo:rerun-if-changed=")
                    && l.ends_with(watched)
                    && Path::new(&l["cargo:rerun-if-changed=".len()..]).exists()),
            "{watched} is watched: {said}"
        );
    }

    // Sources unpacked inside another repository are not its commit.
    let unpacked = sources_in(&checkout.join("vendor"));
    let said = script.run(&unpacked, None);
    assert!(
        said.contains("cargo:rustc-env=REWIND_COMMIT=unknown\n"),
        "{said}"
    );

    // A build from sources without `.git` can say the commit; anything
    // but a commit is ignored.
    let said = script.run(&tarball, Some("0ec5dcd"));
    assert!(
        said.contains("cargo:rustc-env=REWIND_COMMIT=0ec5dcd\n"),
        "{said}"
    );
    let said = script.run(&tarball, Some("$(rm -rf /)"));
    assert!(
        said.contains("cargo:rustc-env=REWIND_COMMIT=unknown\n"),
        "{said}"
    );
}
