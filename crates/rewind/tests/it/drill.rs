//! `rewind drill` through the real binary, one test per scenario (`--auto`,
//! the tests' pace, `--keep` in a temp dir, `--json`), each outcome
//! asserted where it lives: the sandbox's saved state (the deployment that
//! runs, the rows, the variables, the events), the kept repositories, the
//! ticket drafts, the journal, and the messages the drill's webhook
//! listener received. Plus a refused `--keep` and an unknown scenario.

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
        let state = self.state();
        let deployments = state["apps"]["shop"]["deployments"]
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
