//! Exit codes, streams and the words of errors a person meets by a slip:
//! the app named after `--before-deploy`, a `rewind.toml` that is a folder
//! or a link to nothing, `--config` outside any repository, a download
//! folder that cannot be written. And a table of every command's exit code
//! for success, usage, configuration, failure, refusal and interruption
//! (Ctrl-C at the guide's question), against the
//! README's list, with data on stdout and messages on stderr. Every test
//! has `hostile` in its name.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rewind_sandbox::{AddonSeed, AppSeed, PostgresMode, Sandbox, SandboxConfig};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::{Rewind, Run, admin_get, admin_post, git};

/// One sandbox with app `shop` and its database (with history to restore
/// before), a repository holding its rewind.toml, and a copy of that file
/// in a folder outside any repository.
struct World {
    sandbox: Sandbox,
    dir: TempDir,
    addon: String,
}

const CONFIG: &str = "[[apps]]\nname = \"shop\"\n\n[apps.database]\naddon = \"scalingo-postgresql\"\nmargin = \"1m\"\n";

impl World {
    fn new() -> World {
        let sandbox = Sandbox::start(SandboxConfig {
            apps: vec![AppSeed {
                name: "shop".into(),
                repo: None,
                scm: None,
                addons: vec![AddonSeed {
                    provider: "scalingo-postgresql".into(),
                    plan: "starter-512".into(),
                }],
            }],
            deploy_duration: Duration::from_millis(200),
            rate_limit_per_minute: 0,
            postgres: PostgresMode::Off,
            ..SandboxConfig::default()
        })
        .expect("sandbox starts");
        let dir = tempfile::tempdir().expect("temp dir");
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(&repo).expect("repo dir");
        git(&repo, &["init", "--quiet", "--initial-branch=main"]);
        std::fs::write(repo.join("rewind.toml"), CONFIG).expect("write rewind.toml");
        git(&repo, &["add", "rewind.toml"]);
        git(&repo, &["commit", "--quiet", "-m", "rewind"]);
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(&outside).expect("outside dir");
        std::fs::write(outside.join("rewind.toml"), CONFIG).expect("write rewind.toml");
        let addon = admin_get(&sandbox, "/_sandbox/apps/shop/state")["addons"][0]["id"]
            .as_str()
            .expect("addon id")
            .to_string();
        let world = World {
            sandbox,
            dir,
            addon,
        };
        world.seed_history();
        world
    }

    /// A backup, rows before and after the bad deploy, two deployments.
    fn seed_history(&self) {
        let at =
            |minutes: i64| (chrono::Utc::now() - chrono::Duration::minutes(minutes)).to_rfc3339();
        self.post(
            &format!("/_sandbox/databases/{}/backups/history", self.addon),
            json!({"backups": [{"created_at": at(120)}]}),
        );
        self.post(
            &format!("/_sandbox/databases/{}/rows", self.addon),
            json!({"rows": [{"text": "before", "at": at(90)}, {"text": "after", "at": at(10)}]}),
        );
        self.post(
            "/_sandbox/apps/shop/deployments/history",
            json!({"deployments": [
                {"git_ref": "v1.0.0", "package": "shop", "version": "1.0.0", "created_at": at(100)},
                {"git_ref": "v2.0.0", "package": "shop", "version": "2.0.0", "created_at": at(30)},
            ]}),
        );
    }

    fn post(&self, path: &str, body: Value) {
        admin_post(&self.sandbox, path, body);
    }

    fn repo(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    fn outside(&self) -> PathBuf {
        self.dir.path().join("outside")
    }

    fn rewind_in(&self, dir: &Path, args: &[&str]) -> Run {
        Rewind::new(args)
            .dir(dir)
            .home(self.dir.path())
            .journal(&self.dir.path().join("journal"))
            .env("TZ", "UTC")
            .sandbox(&self.sandbox)
            .run()
    }

    fn rewind(&self, args: &[&str]) -> Run {
        self.rewind_in(&self.repo(), args)
    }

    /// Forgets the requests counted against Scalingo's limit (kept beside
    /// the journal, shared by every run): the table's thirty-odd runs
    /// within a minute would otherwise wait for the next minute.
    fn fresh_budget(&self) {
        let _ = std::fs::remove_file(self.dir.path().join("journal/scalingo-requests"));
    }

    fn request_mark(&self) -> u64 {
        admin_get(&self.sandbox, "/_sandbox/requests")["next_index"]
            .as_u64()
            .expect("next_index")
    }

    /// `METHOD path` of every request rewind sent since `mark` that could
    /// change the platform.
    fn writes_since(&self, mark: u64) -> Vec<String> {
        admin_get(&self.sandbox, &format!("/_sandbox/requests?since={mark}"))["requests"]
            .as_array()
            .expect("requests")
            .iter()
            .map(|r| {
                format!(
                    "{} {}",
                    r["method"].as_str().unwrap_or(""),
                    r["path"].as_str().unwrap_or("")
                )
            })
            .filter(|r| !r.contains("/_sandbox/") && !r.starts_with("GET "))
            // Logging in reads nothing and changes nothing.
            .filter(|r| !r.ends_with("/v1/tokens/exchange"))
            .collect()
    }
}

impl World {
    /// `rewind guide` as a person runs it (answers typed on stdin), sent
    /// SIGINT once it waits for the first answer.
    fn interrupted_at_a_question(&self) -> Run {
        use std::io::{BufRead, BufReader, Read};
        let mut child = Rewind::new(&["guide"])
            .dir(&self.repo())
            .home(self.dir.path())
            .journal(&self.dir.path().join("journal"))
            .env("TZ", "UTC")
            .env("REWIND_INTERACTIVE", "1")
            .sandbox(&self.sandbox)
            .spawn();
        // Stdin stays open: the guide waits for an answer.
        let stdin = child.stdin.take();
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let mut said = String::new();
        loop {
            let mut line = String::new();
            if stderr.read_line(&mut line).expect("stderr") == 0 {
                break;
            }
            said.push_str(&line);
            // The prompt has no newline: the question's last choice is
            // the line before it.
            if line.contains("2. There is a problem") {
                let sent = std::process::Command::new("kill")
                    .args(["-INT", &child.id().to_string()])
                    .status()
                    .expect("kill");
                assert!(sent.success());
            }
        }
        let mut stdout = String::new();
        child
            .stdout
            .take()
            .expect("stdout")
            .read_to_string(&mut stdout)
            .expect("stdout");
        drop(stdin);
        let status = child.wait().expect("rewind ends");
        Run {
            code: status.code().unwrap_or(-1),
            stdout,
            stderr: said,
        }
    }
}

/// An error: its exit code, nothing on stdout, `error:` and each word
/// expected on stderr.
fn assert_error(run: &Run, code: i32, words: &[&str], case: &str) {
    assert_eq!(run.code, code, "{case}: {}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.is_empty(),
        "{case}: data on stdout: {}",
        run.stdout
    );
    assert!(run.stderr.contains("error:"), "{case}: {}", run.stderr);
    for word in words {
        assert!(
            run.stderr.contains(word),
            "{case}: no `{word}` in {}",
            run.stderr
        );
    }
}

#[test]
fn hostile_slips_exit_2_say_what_to_fix_and_change_nothing() {
    let world = World::new();

    // The app's name after --before-deploy, taken as the flag's value.
    let mark = world.request_mark();
    let run = world.rewind(&["db", "restore", "--before-deploy", "shop", "--yes"]);
    assert_error(
        &run,
        2,
        &["`shop` is an app", "rewind db restore shop --before-deploy"],
        "app after the flag",
    );
    // And with the app given too: the platform does not know that
    // deployment, and the hint says why.
    let run = world.rewind(&["db", "restore", "shop", "--before-deploy", "shop", "--yes"]);
    assert_error(
        &run,
        2,
        &["`shop` was not found", "the app goes before the flag"],
        "app twice",
    );
    assert_eq!(world.writes_since(mark), Vec::<String>::new());

    // --config outside any repository: rollback needs the tags, says so.
    let config = world.outside().join("rewind.toml");
    let config = config.to_str().expect("utf-8");
    let mark = world.request_mark();
    let run = world.rewind_in(
        &world.outside(),
        &["rollback", "--dry-run", "--config", config],
    );
    assert_error(
        &run,
        2,
        &["is not inside a git repository", "--config"],
        "config outside a repository",
    );
    assert!(!run.stderr.contains("credentials"), "{}", run.stderr);
    assert_eq!(world.writes_since(mark), Vec::<String>::new());
    // What needs no git works there.
    let run = world.rewind_in(&world.outside(), &["db", "status", "--config", config]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("database of shop"), "{}", run.stdout);

    // A download folder that cannot be made: said before any backup.
    for folder in ["/proc/rewind-nope", "/dev/null/backups"] {
        let mark = world.request_mark();
        let run = world.rewind(&["db", "backup", "--download", folder]);
        assert_error(
            &run,
            2,
            &[folder, "nothing was asked of the platform", "--download"],
            folder,
        );
        assert_eq!(world.writes_since(mark), Vec::<String>::new(), "{folder}");
    }
}

/// Puts something that is not a file where `rewind.toml` goes.
type Make = dyn Fn(&Path);

#[test]
fn hostile_rewind_toml_that_is_a_folder_or_a_link_to_nothing_exits_2_saying_what_it_is() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases: [(&str, &Make, &[&str]); 3] = [
        (
            "folder",
            &|repo| std::fs::create_dir(repo.join("rewind.toml")).expect("mkdir"),
            &["rewind.toml", "is a folder, not a file"],
        ),
        (
            "broken link",
            &|repo| {
                std::os::unix::fs::symlink("gone.toml", repo.join("rewind.toml")).expect("link")
            },
            &[
                "rewind.toml",
                "symbolic link to gone.toml",
                "does not exist",
            ],
        ),
        (
            "link to a folder",
            &|repo| {
                std::fs::create_dir(repo.join("conf")).expect("mkdir");
                std::os::unix::fs::symlink("conf", repo.join("rewind.toml")).expect("link")
            },
            &["symbolic link to conf", "a folder, not a file"],
        ),
    ];
    for (case, make, words) in cases {
        let repo = dir.path().join(case.replace(' ', "-"));
        std::fs::create_dir_all(&repo).expect("repo dir");
        git(&repo, &["init", "--quiet"]);
        make(&repo);
        let run = Rewind::new(&["status"]).dir(&repo).run();
        assert_error(&run, 2, words, case);
        assert!(
            !run.stderr.contains("no rewind.toml found"),
            "{case}: {}",
            run.stderr
        );
        // The reason is said once, not again as its own cause.
        assert!(!run.stderr.contains("caused by"), "{case}: {}", run.stderr);
    }
}

/// What a run must print on stdout.
enum Data {
    /// Nothing: an error, or a command that only speaks to the person.
    None,
    /// Text containing this.
    Has(&'static str),
    /// A JSON document.
    Json,
}

#[test]
fn hostile_exit_codes_and_streams_of_every_command() {
    let world = World::new();
    // A backup that ends in error, for the failure case.
    let fail_next = format!("/_sandbox/databases/{}/backups/fail-next", world.addon);
    let table: Vec<(&str, Vec<&str>, i32, Data)> = vec![
        // 0: done; data on stdout.
        ("status", vec!["status"], 0, Data::Has("shop")),
        ("status --json", vec!["status", "--json"], 0, Data::Json),
        (
            "db status",
            vec!["db", "status"],
            0,
            Data::Has("database of shop"),
        ),
        (
            "db status --json",
            vec!["db", "status", "--json"],
            0,
            Data::Json,
        ),
        ("tree check", vec!["tree", "check"], 0, Data::None),
        ("tree show", vec!["tree", "show"], 0, Data::Has("mep")),
        ("journal", vec!["journal"], 0, Data::None),
        ("guide", vec!["guide", "--answer", "mep=ok"], 0, Data::None),
        (
            "db backup",
            vec!["db", "backup", "--download", "backups"],
            0,
            Data::Has("done: "),
        ),
        ("journal --json", vec!["journal", "--json"], 0, Data::Json),
        (
            "dry-run restore",
            vec!["db", "restore", "--before-deploy", "--dry-run"],
            0,
            Data::None,
        ),
        // 2 from clap: usage.
        ("unknown flag", vec!["status", "--nope"], 2, Data::None),
        ("unknown command", vec!["undo"], 2, Data::None),
        ("report without id", vec!["report"], 2, Data::None),
        ("resume without id", vec!["resume"], 2, Data::None),
        (
            "restore without source",
            vec!["db", "restore"],
            2,
            Data::None,
        ),
        (
            "conflicting flags",
            vec!["rollback", "--with-db", "--no-db"],
            2,
            Data::None,
        ),
        // 2: configuration.
        ("unknown app", vec!["status", "nope"], 2, Data::None),
        (
            "unknown app db",
            vec!["db", "status", "nope"],
            2,
            Data::None,
        ),
        (
            "unknown app rollback",
            vec!["rollback", "nope", "--dry-run"],
            2,
            Data::None,
        ),
        ("unknown app hold", vec!["hold", "nope"], 2, Data::None),
        ("unknown incident", vec!["report", "zzzz"], 2, Data::None),
        (
            "unknown incident resume",
            vec!["resume", "zzzz"],
            2,
            Data::None,
        ),
        (
            "bad time",
            vec!["db", "restore", "--to", "yesterday-ish", "--yes"],
            2,
            Data::None,
        ),
        (
            "missing --config",
            vec!["status", "--config", "missing.toml"],
            2,
            Data::None,
        ),
        (
            "missing tree",
            vec!["tree", "check", "missing.toml"],
            2,
            Data::None,
        ),
        ("init over a file", vec!["init"], 2, Data::None),
        ("hold without a link", vec!["hold"], 2, Data::None),
        ("unhold without a link", vec!["unhold"], 2, Data::None),
        // 1: failed (the repository has no remote to fetch tags from).
        (
            "rollback, no remote",
            vec!["rollback", "--dry-run"],
            1,
            Data::None,
        ),
        // 3: refused (nobody to confirm and no --yes).
        (
            "restore unconfirmed",
            vec!["db", "restore", "--before-deploy"],
            3,
            Data::None,
        ),
    ];
    for (case, args, code, data) in &table {
        world.fresh_budget();
        let run = world.rewind(args);
        assert_eq!(run.code, *code, "{case}: {}\n{}", run.stdout, run.stderr);
        match data {
            Data::None if *code != 0 => {
                assert!(run.stdout.is_empty(), "{case}: stdout: {}", run.stdout);
                assert!(!run.stderr.is_empty(), "{case}: nothing said");
            }
            Data::None => {}
            Data::Has(text) => {
                assert!(run.stdout.contains(text), "{case}: stdout: {}", run.stdout);
                assert!(!run.stderr.contains(text), "{case}: data on stderr");
            }
            Data::Json => {
                run.json();
            }
        }
        if *code == 2 && !run.stderr.starts_with("error:") {
            // clap's own usage errors begin the same way.
            panic!("{case}: {}", run.stderr);
        }
    }
    // A report of the backup made above: Markdown on stdout.
    let journal = world.rewind(&["journal", "--json"]).json();
    let id = journal[0]["id"].as_str().expect("an incident id");
    world.fresh_budget();
    let run = world.rewind(&["report", id]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with('#'), "report: {}", run.stdout);
    // 1: the operation failed.
    world.post(&fail_next, Value::Null);
    world.fresh_budget();
    let folder = world.dir.path().join("downloads");
    let run = world.rewind(&[
        "db",
        "backup",
        "--download",
        folder.to_str().expect("utf-8"),
    ]);
    assert_error(&run, 1, &["error"], "failed backup");
    // 130: interrupted. Ctrl-C while the guide waits at a question ends
    // the walk at once, and the journal says it was interrupted.
    world.fresh_budget();
    let run = world.interrupted_at_a_question();
    assert_eq!(run.code, 130, "interrupted: {}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.is_empty(), "interrupted: stdout: {}", run.stdout);
    assert!(
        run.stderr
            .contains("error: interrupted (Ctrl-C) while waiting for an answer"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let journal = crate::support::journal_entries(&world.dir.path().join("journal"));
    let last = journal.last().expect("the walk is journaled");
    assert_eq!(last["kind"], "incident_closed", "{last}");
    assert_eq!(last["data"]["outcome"], "interrupted", "{last}");
    let before = &journal[journal.len() - 2];
    assert_eq!(before["kind"], "interrupted", "{before}");
    assert_eq!(before["incident"], last["incident"], "{before}");
    // Every row of the README's list was met.
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README");
    assert!(
        readme.contains(
            "Exit codes: 0 done, 1 the operation failed, 2 usage or configuration error,"
        ) && readme.contains("3 refused by a safety check or by you, 130 interrupted"),
        "the README's list of exit codes changed: update this table"
    );
    let codes: std::collections::BTreeSet<i32> = table
        .iter()
        .map(|(_, _, code, _)| *code)
        .chain([1, 130])
        .collect();
    assert_eq!(codes.into_iter().collect::<Vec<_>>(), [0, 1, 2, 3, 130]);
}

/// 130 for a change too: `rewind rollback --yes` sent SIGINT while it
/// follows a deploy that does not end stops at that safe point, says how
/// to finish, and the journal records the interruption; the deploy was
/// asked for once.
#[test]
fn hostile_a_rollback_interrupted_while_it_follows_the_deploy_exits_130_and_journals_it() {
    use std::io::{BufRead, BufReader, Read};
    let world = crate::bad_inputs::World::new();
    admin_post(
        &world.sandbox,
        "/_sandbox/apps/shop/deployments/hang-next",
        Value::Null,
    );
    let mut child = Rewind::new(&["rollback", "--yes", "--no-db"])
        .dir(&world.work())
        .home(&world.dir.path().join("home"))
        .journal(&world.journal_path())
        .env("TZ", "UTC")
        .sandbox(&world.sandbox)
        .spawn();
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut said = String::new();
    let mut sent = false;
    loop {
        let mut line = String::new();
        if stderr.read_line(&mut line).expect("stderr") == 0 {
            break;
        }
        said.push_str(&line);
        if !sent && line.contains("] follow:") {
            let kill = std::process::Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status()
                .expect("kill");
            assert!(kill.success());
            sent = true;
        }
    }
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut stdout)
        .expect("stdout");
    let status = child.wait().expect("rewind ends");
    assert!(sent, "the follow step never started:\n{said}");
    assert_eq!(status.code(), Some(130), "{stdout}\n{said}");
    assert!(!said.contains("panicked"), "{said}");
    assert!(said.contains("rewind resume"), "{said}");
    let journal = crate::support::journal_entries(&world.journal_path());
    assert!(
        journal.iter().any(|e| e["kind"] == "interrupted"),
        "no interruption in the journal: {journal:?}"
    );
    let deploys = admin_get(&world.sandbox, "/_sandbox/requests")["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .filter(|r| {
            r["path"]
                .as_str()
                .is_some_and(|p| p.ends_with("/manual_deploy"))
        })
        .count();
    assert_eq!(deploys, 1, "{said}");
}
