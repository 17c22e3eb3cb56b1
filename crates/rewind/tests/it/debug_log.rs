//! `REWIND_LOG`: with `debug`, `rewind status` tells each HTTP request and
//! each git command on stderr, with no credential; without it, stderr is
//! what it always was.

use std::path::Path;
use std::time::Duration;

use rewind_sandbox::{AppSeed, Sandbox, SandboxConfig};

use crate::support::{Rewind, Run, git, sandbox_env};

/// A repository with two releases of app `shop`, and a sandbox running it.
fn setup() -> (tempfile::TempDir, Sandbox) {
    let dir = tempfile::tempdir().expect("tempdir");
    let work = dir.path();
    git(work, &["init", "--quiet", "--initial-branch=main"]);
    for v in ["1.0.0", "1.1.0"] {
        std::fs::write(
            work.join("package.json"),
            format!("{{\"name\":\"shop\",\"version\":\"{v}\"}}\n"),
        )
        .expect("write");
        git(work, &["add", "."]);
        git(work, &["commit", "--quiet", "-m", &format!("release {v}")]);
        git(work, &["tag", &format!("v{v}")]);
    }
    std::fs::write(
        work.join("rewind.toml"),
        "[[apps]]\nname = \"shop\"\npackage = \"shop\"\n",
    )
    .expect("toml");
    let sandbox = Sandbox::start(SandboxConfig {
        apps: vec![AppSeed {
            name: "shop".into(),
            repo: Some(work.display().to_string()),
            scm: None,
            addons: Vec::new(),
        }],
        deploy_duration: Duration::from_millis(100),
        rate_limit_per_minute: 0,
        ..SandboxConfig::default()
    })
    .expect("sandbox");
    (dir, sandbox)
}

fn status(dir: &Path, sandbox: &Sandbox, log: Option<&str>) -> Run {
    let mut rewind = Rewind::new(&["status"])
        .dir(dir)
        .journal(&dir.join(".test-journal"))
        .envs(sandbox_env(sandbox));
    if let Some(log) = log {
        rewind = rewind.env("REWIND_LOG", log);
    }
    rewind.run()
}

/// A line of the log: `<time> DEBUG ...`.
fn is_log(line: &str) -> bool {
    line.split_whitespace().nth(1) == Some("DEBUG")
}

#[test]
fn rewind_log_debug_shows_requests_and_git_commands_and_no_secret() {
    let (dir, sandbox) = setup();
    let plain = status(dir.path(), &sandbox, None);
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    let logged = status(dir.path(), &sandbox, Some("debug"));
    assert_eq!(logged.code, 0, "{}", logged.stderr);
    let log: Vec<&str> = logged.stderr.lines().filter(|l| is_log(l)).collect();
    let text = log.join("\n");

    // Each request: its span (method, path with the app), its answer.
    assert!(
        log.iter()
            .any(|l| l.contains("request{method=GET path=/v1/apps/shop}")
                && l.contains("http: answered status=200 attempt=1 ms=")),
        "{text}"
    );
    // The token exchange is told too, without its credentials.
    assert!(
        log.iter()
            .any(|l| l.contains("method=POST path=/v1/tokens/exchange") && l.contains("status=")),
        "{text}"
    );
    // Each git command: which, how it ended, how long.
    assert!(
        log.iter()
            .any(|l| l.contains("git: ran program=\"git\"") && l.contains("exit=\"0\"")),
        "{text}"
    );
    assert!(
        log.iter()
            .any(|l| l.contains("subcommand=\"for-each-ref\"")),
        "{text}"
    );

    // No credential: not the API token, not a bearer (JWTs begin `eyJ`),
    // no Authorization header.
    let token = sandbox.api_token();
    assert!(!logged.stderr.contains(token), "{}", logged.stderr);
    assert!(!logged.stderr.contains("eyJ"), "{}", logged.stderr);
    assert!(!logged.stderr.contains("Bearer"), "{}", logged.stderr);
    assert!(!logged.stderr.to_lowercase().contains("authorization"));

    // Apart from the log, stderr is what it is without it; and without
    // REWIND_LOG there is no log at all.
    let rest: Vec<&str> = logged.stderr.lines().filter(|l| !is_log(l)).collect();
    assert_eq!(rest, plain.stderr.lines().collect::<Vec<_>>());
    assert!(!plain.stderr.lines().any(is_log), "{}", plain.stderr);
    assert_eq!(logged.stdout, plain.stdout);
}

#[test]
fn a_filter_rewind_cannot_read_is_a_warning_and_the_command_runs() {
    let (dir, sandbox) = setup();
    let run = status(dir.path(), &sandbox, Some("http=loud"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .starts_with("warning: REWIND_LOG=http=loud cannot be read ("),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("hint: REWIND_LOG=debug logs every request and command; docs/debugging.md"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.lines().any(is_log), "{}", run.stderr);
}
