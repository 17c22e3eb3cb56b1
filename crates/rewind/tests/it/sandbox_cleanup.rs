//! The sandbox leaves nothing behind, however it is stopped: dropped (as
//! tests do), `rewind sandbox serve` sent SIGINT (Ctrl-C) or SIGTERM,
//! killed with SIGKILL and then followed by another sandbox, which reaps
//! what the killed one left, and at the end of `rewind drill`. The test counts the `postgres`
//! processes working in its own temporary root and the `rewind-sandbox-*`
//! directories there, before and after: other tests running at the same
//! time use other roots and are not counted.
//!
//! It needs PostgreSQL's server binaries; without them it says so and
//! passes, unless `REWIND_REQUIRE_POSTGRES=1`.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use rewind_sandbox::{AddonSeed, AppSeed, PostgresMode, Sandbox, SandboxConfig};

const SEED: &str = r#"
[sandbox]
postgres = "on"
rate_limit_per_minute = 0

[[apps]]
name = "shop"
[[apps.addons]]
provider = "scalingo-postgresql"
"#;

/// `(postgres processes working under root, rewind-sandbox-* dirs in root)`.
fn counts(root: &Path) -> (usize, usize) {
    let root = std::fs::canonicalize(root).expect("root");
    let mut postgres = 0;
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let program = cmdline.split(|b| *b == 0).next().unwrap_or_default();
        let program = String::from_utf8_lossy(program);
        let name = program.rsplit('/').next().unwrap_or_default();
        // The server's helpers rename themselves `postgres: checkpointer`...
        if !name.starts_with("postgres") {
            continue;
        }
        let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).ok();
        if cwd.is_some_and(|c| c.starts_with(&root)) {
            postgres += 1;
        }
    }
    let dirs = std::fs::read_dir(&root)
        .expect("read root")
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("rewind-sandbox-")
        })
        .count();
    (postgres, dirs)
}

fn config(root: &Path, with_postgres: bool) -> SandboxConfig {
    SandboxConfig {
        rate_limit_per_minute: 0,
        postgres: PostgresMode::On,
        temp_dir: Some(root.to_path_buf()),
        apps: vec![AppSeed {
            name: "shop".to_string(),
            repo: None,
            scm: None,
            addons: if with_postgres {
                vec![AddonSeed {
                    provider: "scalingo-postgresql".to_string(),
                    plan: "postgresql-starter-512".to_string(),
                }]
            } else {
                Vec::new()
            },
        }],
        ..SandboxConfig::default()
    }
}

/// A `rewind sandbox serve` child on `root`, returned once it serves.
fn serve(root: &Path, seed: &Path) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rewind"))
        .args(["sandbox", "serve", "--seed"])
        .arg(seed)
        .env(rewind_sandbox::TEMP_DIR_VAR, root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rewind runs");
    let Some(stdout) = child.stdout.take() else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("no stdout to read");
    };
    let mut out = BufReader::new(stdout);
    let mut line = String::new();
    loop {
        line.clear();
        let read = out.read_line(&mut line).unwrap_or(0);
        if read == 0 {
            let status = child.wait();
            let stderr = stderr_of(&mut child);
            panic!("`rewind sandbox serve` ended before it served ({status:?}): {stderr}");
        }
        if line.starts_with("export SCALINGO_API_TOKEN=") {
            return child;
        }
    }
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{name}");
}

fn stderr_of(child: &mut Child) -> String {
    let mut text = String::new();
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut text);
    }
    text
}

#[test]
fn the_sandbox_leaves_no_postgres_and_no_directory_however_it_is_stopped() {
    let root = tempfile::tempdir().expect("tempdir");
    // As root the server runs as `nobody`, which must reach its directory.
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let before = counts(root.path());
    assert_eq!(before, (0, 0));

    // Dropped, as tests and the drill do.
    let sandbox = match Sandbox::start(config(root.path(), true)) {
        Ok(sandbox) => sandbox,
        Err(e) => {
            let message = e.to_string();
            let required = std::env::var("REWIND_REQUIRE_POSTGRES").as_deref() == Ok("1");
            if message.contains("server binaries") && !required {
                eprintln!("SKIPPED: this test needs PostgreSQL's server binaries: {message}");
                return;
            }
            panic!("the sandbox with PostgreSQL does not start: {message}");
        }
    };
    let running = counts(root.path());
    assert!(running.0 > 0, "a PostgreSQL server runs: {running:?}");
    assert_eq!(running.1, 2, "its cluster and its git remotes: {running:?}");
    drop(sandbox);
    assert_eq!(counts(root.path()), before, "after a drop");

    // `rewind sandbox serve` stopped with Ctrl-C, then with SIGTERM.
    let seed_dir = tempfile::tempdir().expect("tempdir");
    let seed_file = seed_dir.path().join("seed.toml");
    std::fs::write(&seed_file, SEED).expect("seed");
    for name in ["INT", "TERM"] {
        let mut child = serve(root.path(), &seed_file);
        let serving = counts(root.path());
        assert!(serving.0 > 0 && serving.1 == 2, "SIG{name}: {serving:?}");
        signal(&child, name);
        let status = child.wait().expect("wait");
        let stderr = stderr_of(&mut child);
        assert!(status.success(), "SIG{name}: {status}\n{stderr}");
        assert!(stderr.contains(&format!("stopped (SIG{name})")), "{stderr}");
        assert_eq!(counts(root.path()), before, "after SIG{name}");
    }

    // Killed with SIGKILL: everything stays until the next sandbox starts.
    let mut child = serve(root.path(), &seed_file);
    signal(&child, "KILL");
    let _ = child.wait();
    let orphaned = counts(root.path());
    assert!(
        orphaned.0 > 0 && orphaned.1 == 2,
        "left by SIGKILL: {orphaned:?}"
    );
    let next = Sandbox::start(config(root.path(), false)).expect("the next sandbox starts");
    assert_eq!(
        counts(root.path()),
        (0, 1),
        "the next sandbox reaped the orphan and holds only its git remotes"
    );
    drop(next);
    assert_eq!(counts(root.path()), before, "after SIGKILL and a new start");

    // The end of a drill, which runs its own sandbox with PostgreSQL.
    let home = tempfile::tempdir().expect("home");
    let run = crate::support::Rewind::new(&["drill", "--auto", "--scenario", "with-db"])
        .dir(home.path())
        .home(home.path())
        .journal(&home.path().join("journal"))
        .env("REWIND_DRILL_SPEED", "test")
        .env("REWIND_DRILL_POSTGRES", "on")
        .env(
            rewind_sandbox::TEMP_DIR_VAR,
            &root.path().display().to_string(),
        )
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("PostgreSQL: a real cluster"),
        "{}",
        run.stderr
    );
    assert_eq!(counts(root.path()), before, "after a drill");
}
