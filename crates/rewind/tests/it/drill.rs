//! `rewind drill` through the real binary, one test per scenario (`--auto`,
//! the tests' pace, `--keep` in a temp dir, `--json`), each outcome
//! asserted where it lives: the sandbox's saved state (the deployment that
//! runs, the rows, the variables, the events), the kept repositories, the
//! ticket drafts, the journal, and the messages the drill's webhook
//! listener received (for multi-app: both apps, the api's rows, the one
//! incident and its parts, the one message). Plus a refused `--keep` and an
//! unknown scenario.

use std::path::Path;

use serde_json::Value;

use crate::support::{Rewind, Run, git};

/// Runs `rewind drill ARGS` with nothing of the person's: an empty
/// environment but PATH, a temp HOME, no git configuration, and a journal
/// directory the drill must not touch.
fn drill(home: &Path, args: &[&str], postgres: &str) -> Run {
    let args: Vec<&str> = ["drill"].into_iter().chain(args.iter().copied()).collect();
    Rewind::new(&args)
        .dir(home)
        .home(home)
        .journal(&home.join("users-journal"))
        .env("REWIND_DRILL_SPEED", "test")
        .env("REWIND_DRILL_POSTGRES", postgres)
        .run()
}

/// A scenario run with `--keep`, and what it left.
struct Kept {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    run: Run,
    summary: Value,
}

impl Kept {
    fn run(scenario: &str, postgres: &str) -> Kept {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("workspace");
        let run = drill(
            dir.path(),
            &[
                "--auto",
                "--json",
                "--scenario",
                scenario,
                "--keep",
                root.to_str().expect("path"),
            ],
            postgres,
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            !dir.path().join("users-journal").exists(),
            "the drill wrote to the person's journal"
        );
        let summary = run.json();
        assert_eq!(summary["scenario"], scenario);
        assert_eq!(summary["reached"], true, "{}", run.stderr);
        Kept {
            _dir: dir,
            root,
            run,
            summary,
        }
    }

    /// The sandbox's state as it saved it when the drill stopped.
    fn state(&self) -> Value {
        let text =
            std::fs::read_to_string(self.root.join("sandbox-state.json")).expect("state file");
        serde_json::from_str(&text).expect("state JSON")
    }

    fn sha(&self, tag: &str) -> String {
        git(
            &self.root.join("origin.git"),
            &["rev-parse", &format!("{tag}^{{commit}}")],
        )
    }

    /// The commit of the newest successful deployment.
    fn running(&self) -> String {
        self.running_of("shop")
    }

    /// The commit of `app`'s newest successful deployment.
    fn running_of(&self, app: &str) -> String {
        let state = self.state();
        let deployments = state["apps"][app]["deployments"]
            .as_array()
            .expect("deployments")
            .clone();
        deployments
            .iter()
            .rev()
            .find(|d| d["status"] == "success")
            .and_then(|d| d["git_ref"].as_str())
            .expect("a successful deployment")
            .to_string()
    }

    /// The simulated database's rows, oldest first.
    fn rows(&self) -> Vec<String> {
        let state = self.state();
        let databases = state["database"]["databases"]
            .as_object()
            .expect("databases")
            .clone();
        let (_, db) = databases.into_iter().next().expect("one database");
        db["content"]["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| r["text"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    fn variable(&self, name: &str) -> Option<String> {
        self.state()["apps"]["shop"]["variables"]
            .as_array()?
            .iter()
            .find(|v| v["name"] == name)
            .and_then(|v| v["value"].as_str().map(str::to_string))
    }

    fn tickets(&self) -> Vec<std::path::PathBuf> {
        std::fs::read_dir(self.root.join("tickets"))
            .expect("tickets dir")
            .flatten()
            .map(|e| e.path())
            .collect()
    }

    fn check(&self, what: &str) -> bool {
        self.summary["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .any(|c| c["what"] == what && c["ok"] == true)
    }
}

fn bad_rows(rows: &[String]) -> usize {
    rows.iter().filter(|r| r.contains("(v1.3.0)")).count()
}

#[test]
fn with_db_restores_the_rows_from_before_the_bad_release_and_runs_v1_2_0() {
    let k = Kept::run("with-db", "off");
    assert_eq!(k.running(), k.sha("v1.2.0"), "the sandbox runs v1.2.0");
    let rows = k.rows();
    assert_eq!(bad_rows(&rows), 0, "the late rows are gone: {rows:?}");
    assert_eq!(rows.len(), 5, "{rows:?}");
    let lost = k.summary["data"]["lost"].as_array().expect("lost").clone();
    assert_eq!(lost.len(), 2, "{lost:?}");
    assert!(
        lost[0]
            .as_str()
            .unwrap_or_default()
            .contains("priced 0.00 EUR")
    );
    assert!(
        k.run.stderr.contains("these rows are gone"),
        "{}",
        k.run.stderr
    );
    let messages = k.summary["webhook_messages"].as_array().expect("messages");
    assert!(!messages.is_empty(), "the team was told");
    assert!(
        std::fs::read_dir(k.root.join("backups"))
            .expect("backups")
            .next()
            .is_some(),
        "a safety backup was downloaded"
    );
    assert!(k.summary["timings"]["to_decision_ms"].is_u64());
    assert!(k.summary["timings"]["to_deploy_accepted_ms"].is_u64());
    let report = k.summary["report"].as_str().expect("report");
    assert!(
        report.contains("rollback shop: v1.3.0 -> v1.2.0"),
        "{report}"
    );
    assert!(
        k.root.join("sandbox-seed.toml").is_file()
            && k.root.join("sandbox-state-at-alert.json").is_file(),
        "the replay files are kept"
    );
    assert!(
        k.run.stderr.contains("ALERT [monitoring]"),
        "{}",
        k.run.stderr
    );
    assert!(
        k.run.stderr.contains("deploys take 0.1s here"),
        "{}",
        k.run.stderr
    );
}

#[test]
fn app_only_runs_v1_2_0_and_leaves_the_bad_rows() {
    let k = Kept::run("app-only", "off");
    assert_eq!(k.running(), k.sha("v1.2.0"), "the sandbox runs v1.2.0");
    assert_eq!(bad_rows(&k.rows()), 2, "nothing restored");
    assert!(k.check("auto-deploy is held"));
    assert!(k.check("the health check passes"));
    assert!(
        k.run.stderr.contains("bad release's rows stay"),
        "{}",
        k.run.stderr
    );
}

#[test]
fn feature_flag_switches_the_flag_off_and_restarts_the_app() {
    let k = Kept::run("feature-flag", "off");
    assert_eq!(k.variable("FEATURE_NEW_PRICING").as_deref(), Some("false"));
    let events = k.state()["apps"]["shop"]["events"].clone();
    assert!(
        events
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["kind"] == "restart"),
        "{events}"
    );
    assert_eq!(k.running(), k.sha("v1.3.0"), "no redeploy");
    assert!(k.check("the health check passes"));
    assert_eq!(k.tickets().len(), 1, "a ticket for the product owner");
}

#[test]
fn watch_notices_the_bad_release_and_switches_the_flag_off_with_nobody_answering() {
    let k = Kept::run("watch", "off");
    assert_eq!(k.variable("FEATURE_NEW_PRICING").as_deref(), Some("false"));
    assert_eq!(k.running(), k.sha("v1.3.0"), "no redeploy");
    assert!(k.check("rewind watch acted"));
    assert!(k.check("the health check passes"));
    assert!(k.check("the team was told, then told what was done"));
    // No walk: nobody answered, no ticket drafted.
    assert!(
        !k.run.stderr.contains("The runbook's tree"),
        "{}",
        k.run.stderr
    );
    assert!(k.tickets().is_empty());
    let timings = &k.summary["timings"];
    let detection = timings["detection_ms"].as_u64().expect("detection");
    let action = timings["to_action_ms"].as_u64().expect("to the action");
    assert!(action >= detection, "{timings}");
    assert!(
        k.run
            .stderr
            .contains("s from the bad deploy's end to the incident"),
        "{}",
        k.run.stderr
    );
    crate::support::shown(&format!(
        "detection: {:.1}s from the bad deploy's end to the incident; the feature off {:.1}s after the deploy's end",
        detection as f64 / 1000.0,
        action as f64 / 1000.0
    ));
    // The watch's incident is in the drill's journal: opened by watch,
    // the action journaled before and after, closed `acted`.
    let journal = k.root.join("journal");
    let entries = crate::support::journal_entries(&journal);
    assert_eq!(entries[0]["data"]["command"], "watch", "{entries:?}");
    assert!(
        entries
            .iter()
            .any(|e| e["kind"] == "step_started" && e["step"] == "action")
    );
    assert_eq!(entries.last().expect("closed")["data"]["outcome"], "acted");
}

#[test]
fn watch_healthy_ends_quietly_with_no_incident_and_nothing_posted() {
    let k = Kept::run("watch-healthy", "off");
    assert_eq!(k.variable("FEATURE_NEW_PRICING").as_deref(), Some("false"));
    assert_eq!(k.running(), k.sha("v1.3.0"), "the healthy release runs");
    assert!(k.check("rewind watch ended quietly"));
    assert!(k.check("no incident opened"));
    assert!(k.check("nothing posted"));
    assert!(k.check("the health check passes"));
    let messages = k.summary["webhook_messages"].as_array().expect("messages");
    assert!(messages.is_empty(), "{messages:?}");
    assert!(
        crate::support::journal_entries(&k.root.join("journal")).is_empty(),
        "no incident journaled"
    );
    assert!(
        k.run.stderr.contains("crossed no threshold"),
        "{}",
        k.run.stderr
    );
    assert!(k.run.stdout.contains("# No incident"), "{}", k.run.stdout);
}

#[test]
fn minor_warns_the_product_owner_with_a_ticket_draft() {
    let k = Kept::run("minor", "off");
    let messages = k.summary["webhook_messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].as_str().unwrap_or_default().contains("shop"),
        "{messages:?}"
    );
    let tickets = k.tickets();
    assert_eq!(tickets.len(), 1, "{tickets:?}");
    let ticket = std::fs::read_to_string(&tickets[0]).expect("ticket");
    assert!(ticket.contains("q3"), "{ticket}");
    assert_eq!(k.running(), k.sha("v1.3.0"), "no redeploy");
    assert_eq!(k.variable("FEATURE_NEW_PRICING").as_deref(), Some("true"));
}

#[test]
fn a_temporary_workspace_is_removed_and_the_plain_output_has_no_colours() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = drill(dir.path(), &["--scenario", "minor"], "off");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("nobody at a terminal: answering along"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains('\x1b'), "{}", run.stderr);
    assert!(run.stdout.contains("# Incident"), "{}", run.stdout);
    let line = run
        .stderr
        .lines()
        .find(|l| l.contains(" workspace "))
        .expect("workspace line");
    let path = line
        .split_whitespace()
        .find(|w| w.starts_with('/'))
        .expect("path");
    assert!(!Path::new(path).exists(), "{path} is left behind");
}

#[test]
fn a_busy_keep_dir_and_an_unknown_scenario_are_refused_with_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("notes.txt"), "mine").expect("write");
    let run = drill(
        dir.path(),
        &["--auto", "--keep", dir.path().to_str().expect("path")],
        "off",
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("not empty"), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.txt")).expect("notes"),
        "mine"
    );
    let run = drill(dir.path(), &["--scenario", "nope"], "off");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("with-db, app-only"), "{}", run.stderr);
}

/// With PostgreSQL installed, the with-db rehearsal restores a real
/// cluster; without it, the drill says the database is simulated.
#[test]
fn multi_app_rolls_back_front_and_api_together_the_api_database_first() {
    let k = Kept::run("multi-app", "off");
    let checks = k.summary["checks"].as_array().expect("checks");
    assert!(checks.len() >= 12, "{checks:?}");
    assert!(checks.iter().all(|c| c["ok"] == true), "{checks:?}");
    for what in [
        "front runs front-v1.1.0",
        "api runs api-v2.1.0",
        "front's health check passes",
        "api's auto-deploy is held",
        "the api's database: safety backup, then the restore",
        "one incident, a part per app",
        "the team was told once, about both apps",
    ] {
        assert!(k.check(what), "{what}: {checks:?}");
    }
    // What the platform holds, from the sandbox's own saved state.
    assert_eq!(k.running_of("front"), k.sha("front-v1.1.0"));
    assert_eq!(k.running_of("api"), k.sha("api-v2.1.0"));
    let rows = k.rows();
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert!(
        rows.iter().all(|r| !r.contains("api v2.2.0")),
        "the bad release's rows are gone: {rows:?}"
    );
    assert_eq!(k.summary["data"]["lost"].as_array().map(Vec::len), Some(2));
    let messages = k.summary["webhook_messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 1, "{messages:?}");
    let message = messages[0].as_str().unwrap_or_default();
    assert!(
        message.contains("front") && message.contains("api"),
        "{message}"
    );
    let report = k.summary["report"].as_str().expect("report");
    assert!(
        report.contains("rollback of 2 apps (api, front)"),
        "{report}"
    );
    assert!(report.contains("api: api-v2.2.0 -> api-v2.1.0"), "{report}");
    assert!(
        report.contains("front: front-v1.2.0 -> front-v1.1.0"),
        "{report}"
    );
    assert!(
        std::fs::read_dir(k.root.join("backups"))
            .expect("backups")
            .next()
            .is_some(),
        "the api's safety backup was downloaded"
    );
    let config = std::fs::read_to_string(k.root.join("acme/release-please-config.json"))
        .expect("release-please config");
    assert!(config.contains("linked-versions"), "{config}");
    assert!(k.summary["timings"]["to_deploy_accepted_ms"].is_u64());
    assert!(
        k.run.stderr.contains("confirmed by the drill (--auto)"),
        "{}",
        k.run.stderr
    );
}

/// The multi-app scenario with a person at the keyboard who types `typed`
/// at the rollback's confirmation; the run and the kept workspace.
fn multi_app_confirmed_by_hand(typed: &str) -> (Run, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("workspace");
    let run = Rewind::new(&[
        "drill",
        "--scenario",
        "multi-app",
        "--json",
        "--keep",
        root.to_str().expect("path"),
    ])
    .dir(dir.path())
    .home(dir.path())
    .journal(&dir.path().join("users-journal"))
    .env("REWIND_DRILL_SPEED", "test")
    .env("REWIND_DRILL_POSTGRES", "off")
    .env("REWIND_INTERACTIVE", "1")
    .stdin(&format!("{typed}\n"))
    .run();
    (run, dir)
}

#[test]
fn multi_app_without_auto_rolls_back_only_once_the_person_types_both_names() {
    let (run, dir) = multi_app_confirmed_by_hand("api front");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("type `api front`"), "{}", run.stderr);
    assert_eq!(run.json()["reached"], true, "{}", run.stderr);

    // One name only: nothing is done, production stays broken, exit 3.
    let (run, refused) = multi_app_confirmed_by_hand("front");
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("rollback aborted: nothing was changed"),
        "{}",
        run.stderr
    );
    let root = refused.path().join("workspace");
    let state: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("sandbox-state.json")).expect("state file"),
    )
    .expect("state JSON");
    let running = state["apps"]["front"]["deployments"]
        .as_array()
        .expect("deployments")
        .iter()
        .rev()
        .find(|d| d["status"] == "success")
        .and_then(|d| d["git_ref"].as_str())
        .expect("a successful deployment")
        .to_string();
    let bad = git(
        &root.join("origin.git"),
        &["rev-parse", "front-v1.2.0^{commit}"],
    );
    assert_eq!(running, bad, "front still runs the bad release");
    assert!(
        std::fs::read_dir(root.join("backups"))
            .expect("backups")
            .next()
            .is_none(),
        "no safety backup was taken"
    );
    drop(dir);
}

#[test]
fn multi_app_restores_a_real_postgresql_when_there_is_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = drill(
        dir.path(),
        &["--auto", "--json", "--scenario", "multi-app"],
        "auto",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let summary = run.json();
    assert_eq!(summary["reached"], true, "{}", run.stderr);
    if std::env::var("REWIND_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
        assert_eq!(summary["database"], "real", "{}", run.stderr);
    }
    let lost = summary["data"]["lost"].as_array().expect("lost");
    assert_eq!(lost.len(), 2, "{lost:?}");
    assert!(
        lost.iter()
            .all(|l| l.as_str().unwrap_or_default().contains("api v2.2.0")),
        "{lost:?}"
    );
}

#[test]
fn with_db_names_the_database_it_used() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = drill(dir.path(), &["--auto", "--json"], "auto");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let summary = run.json();
    let database = summary["database"].as_str().expect("database");
    assert!(["real", "simulated"].contains(&database), "{database}");
    if std::env::var("REWIND_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
        assert_eq!(database, "real", "{}", run.stderr);
    }
    assert!(
        run.stderr.contains(if database == "real" {
            "PostgreSQL: a real cluster"
        } else {
            "PostgreSQL: simulated"
        }),
        "{}",
        run.stderr
    );
    assert_eq!(summary["data"]["lost"].as_array().map(Vec::len), Some(2));
}

/// The replay's lines run one by one, as a person pastes them: `cp`, the
/// sandbox in the background (its `export` lines kept), `export`, `cd`,
/// then each command, which must succeed. Stops before the other path.
struct Replay {
    env: Vec<(String, String)>,
    cwd: std::path::PathBuf,
    serve: Option<std::process::Child>,
    ran: Vec<String>,
}

impl Replay {
    fn new(home: &Path) -> Replay {
        let bin_dir = Path::new(env!("CARGO_BIN_EXE_rewind"))
            .parent()
            .expect("bin dir")
            .to_path_buf();
        let path = format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut env = vec![
            ("PATH".to_string(), path),
            ("HOME".to_string(), home.display().to_string()),
        ];
        env.extend(
            crate::support::GIT_ENV
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        Replay {
            env,
            cwd: home.to_path_buf(),
            serve: None,
            ran: Vec::new(),
        }
    }

    fn shell(&self, line: &str) -> std::process::Command {
        let mut command = std::process::Command::new("sh");
        command
            .arg("-c")
            .arg(line)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .current_dir(&self.cwd)
            .stdin(std::process::Stdio::null());
        command
    }

    fn set(&mut self, name: &str, value: &str) {
        self.env.retain(|(k, _)| k != name);
        self.env.push((name.to_string(), value.to_string()));
    }

    fn run(&mut self, line: &str) {
        use std::io::BufRead;
        if let Some(dir) = line.strip_prefix("cd ") {
            self.cwd = std::path::PathBuf::from(dir.trim());
            assert!(self.cwd.is_dir(), "`{line}`: the directory is gone");
        } else if let Some(vars) = line.strip_prefix("export ") {
            for pair in vars.split_whitespace() {
                let (name, value) = pair.split_once('=').expect("NAME=VALUE");
                self.set(name, value);
            }
        } else if line.starts_with("rewind sandbox serve ") {
            let mut child = self
                .shell(&format!("exec {line}"))
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("sh runs");
            let stdout = child.stdout.take().expect("stdout");
            self.serve = Some(child);
            let mut out = std::io::BufReader::new(stdout);
            let mut text = String::new();
            loop {
                text.clear();
                let read = out.read_line(&mut text).unwrap_or(0);
                assert!(read > 0, "`{line}` ended before it served");
                if let Some(vars) = text.trim().strip_prefix("export ") {
                    let (name, value) = vars.split_once('=').expect("NAME=VALUE");
                    self.set(name, value);
                    if name == "SCALINGO_API_TOKEN" {
                        break;
                    }
                }
            }
        } else {
            let out = self.shell(line).output().expect("sh runs");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success(),
                "`{line}` failed ({}):\n{stderr}\nafter: {:?}",
                out.status,
                self.ran
            );
            assert!(!stderr.contains("scalingostatus"), "`{line}`:\n{stderr}");
        }
        self.ran.push(line.to_string());
    }

    fn var(&self, name: &str) -> String {
        self.env
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
}

impl Drop for Replay {
    fn drop(&mut self) {
        if let Some(mut child) = self.serve.take() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }
}

/// Runs the printed replay up to the other path's line.
fn run_replay(lines: &[String], home: &Path) -> Replay {
    let mut replay = Replay::new(home);
    for line in lines {
        if line.starts_with("# another path") {
            break;
        }
        if line.starts_with('#') {
            continue;
        }
        replay.run(line);
    }
    replay
}

/// The app's state in the replay's sandbox.
fn replay_state(replay: &Replay) -> Value {
    let base = replay.var("SCALINGO_API_URL");
    ureq::Agent::new_with_defaults()
        .get(&format!("{base}/_sandbox/apps/shop/state"))
        .call()
        .expect("state")
        .body_mut()
        .read_json()
        .expect("state JSON")
}

#[test]
fn the_printed_replay_runs_on_the_kept_workspace_database_step_included() {
    let k = Kept::run("with-db", "auto");
    let real = k.summary["database"] == "real";
    if std::env::var("REWIND_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
        assert!(
            real,
            "REWIND_REQUIRE_POSTGRES=1 but the drill ran without PostgreSQL"
        );
    }
    eprintln!(
        "replaying a drill run on a {} database",
        k.summary["database"]
    );
    let seed = std::fs::read_to_string(k.root.join("sandbox-seed.toml")).expect("seed");
    let mode = if real {
        "postgres = \"on\""
    } else {
        "postgres = \"off\""
    };
    assert!(
        seed.contains(mode),
        "the drill ran {}: {seed}",
        k.summary["database"]
    );
    let lines: Vec<String> = k.summary["replay"]
        .as_array()
        .expect("replay")
        .iter()
        .map(|l| l.as_str().unwrap_or_default().to_string())
        .collect();
    let commands: Vec<&String> = lines.iter().filter(|l| !l.starts_with('#')).collect();
    let unique: std::collections::HashSet<&&String> = commands.iter().collect();
    assert_eq!(
        unique.len(),
        commands.len(),
        "a command printed twice: {lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("rewind db restore --before-deploy")),
        "{lines:?}"
    );

    let home = tempfile::tempdir().expect("home");
    let replay = run_replay(&lines, home.path());
    assert!(
        replay.ran.iter().any(|l| l.starts_with("rewind rollback")),
        "{:?}",
        replay.ran
    );

    // What the replay's sandbox holds now: v1.2.0 runs, the bad rows are gone.
    let base = replay.var("SCALINGO_API_URL");
    let agent = ureq::Agent::new_with_defaults();
    let state = replay_state(&replay);
    let running = state["deployments"]
        .as_array()
        .expect("deployments")
        .iter()
        .rev()
        .find(|d| d["status"] == "success")
        .and_then(|d| d["git_ref"].as_str())
        .unwrap_or_default()
        .to_string();
    assert_eq!(running, k.sha("v1.2.0"), "the replay runs v1.2.0");
    let addon = state["addons"]
        .as_array()
        .and_then(|a| a.first())
        .and_then(|a| a["id"].as_str())
        .expect("addon id")
        .to_string();
    let rows: Value = agent
        .get(&format!("{base}/_sandbox/databases/{addon}/rows"))
        .call()
        .expect("rows")
        .body_mut()
        .read_json()
        .expect("rows JSON");
    let texts: Vec<String> = rows["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["text"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        bad_rows(&texts),
        0,
        "the replay restored the database: {texts:?}"
    );
    assert!(
        !texts.is_empty(),
        "the rows from before the bad release are there"
    );
    let hooks: Value = agent
        .get(&format!("{base}/_sandbox/webhook"))
        .call()
        .expect("webhook")
        .body_mut()
        .read_json()
        .expect("webhook JSON");
    assert!(
        hooks["messages"].as_array().is_some_and(|m| !m.is_empty()),
        "the replay's rollback told the team through the sandbox's webhook: {hooks}"
    );
    drop(replay);
    // Every replay starts from the alert: the kept state was not written.
    let at_alert =
        std::fs::read_to_string(k.root.join("sandbox-state-at-alert.json")).expect("at alert");
    assert!(at_alert.contains("\"apps\""));
}

#[test]
fn without_keep_the_replay_says_it_needs_keep_and_names_no_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = drill(
        dir.path(),
        &["--auto", "--json", "--scenario", "minor"],
        "off",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let replay = run.json()["replay"].clone();
    let lines = replay.as_array().expect("replay");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].as_str().unwrap_or_default().contains("--keep DIR"),
        "{lines:?}"
    );
    assert!(!run.stderr.contains("cd /"), "{}", run.stderr);
}

#[test]
fn feature_flag_and_minor_replays_print_each_command_once_and_run() {
    for scenario in ["feature-flag", "minor"] {
        let k = Kept::run(scenario, "off");
        let lines: Vec<&str> = k.summary["replay"]
            .as_array()
            .expect("replay")
            .iter()
            .filter_map(Value::as_str)
            .filter(|l| !l.starts_with('#'))
            .collect();
        let guides = lines
            .iter()
            .filter(|l| l.starts_with("rewind guide"))
            .count();
        assert_eq!(guides, 1, "{scenario}: {lines:?}");
        let unique: std::collections::HashSet<&&str> = lines.iter().collect();
        assert_eq!(unique.len(), lines.len(), "{scenario}: {lines:?}");
        // And it runs as printed.
        let all: Vec<String> = k.summary["replay"]
            .as_array()
            .expect("replay")
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        let home = tempfile::tempdir().expect("home");
        let replay = run_replay(&all, home.path());
        if scenario == "feature-flag" {
            let state = replay_state(&replay);
            let flag = state["variables"]
                .as_array()
                .expect("variables")
                .iter()
                .find(|v| v["name"] == "FEATURE_NEW_PRICING")
                .and_then(|v| v["value"].as_str().map(str::to_string));
            assert_eq!(
                flag.as_deref(),
                Some("false"),
                "the replay switched the flag off"
            );
        }
    }
}
