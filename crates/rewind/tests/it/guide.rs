//! `rewind guide` through the real binary, against the sandbox, a real
//! repository (bare origin and clone) and a local webhook listener: every
//! path of the runbook's tree with scripted answers, asserting the action
//! that ran where it lives (the app's variables and events, the webhook's
//! messages, the ticket file, the database rows, the deployment running);
//! a question nobody answers, a broken team tree, both languages, and the
//! line-based prompter fed on stdin.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rewind_sandbox::{AddonSeed, AppSeed, PostgresMode, Sandbox, SandboxConfig, ScmSeed};
use serde_json::{Value, json};

use crate::support::{Rewind, Run, admin_get, admin_post, git, journal_entries, steps};

/// Chat messages a local webhook received.
#[derive(Clone, Default)]
struct Hook(Arc<Mutex<Vec<String>>>);

impl Hook {
    fn start() -> (Hook, String) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/hooks/team", listener.local_addr().expect("addr"));
        let hook = Hook::default();
        let received = hook.0.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream);
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    let lower = line.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                received
                    .lock()
                    .expect("lock")
                    .push(String::from_utf8_lossy(&body).into_owned());
                let mut stream = reader.into_inner();
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
            }
        });
        (hook, url)
    }

    fn messages(&self) -> Vec<String> {
        self.0.lock().expect("lock").clone()
    }
}

/// A repository where v1.1.0 drops a column, a sandbox where v1.0.0 then
/// v1.1.0 were deployed with a PostgreSQL addon holding rows from before
/// and after the bad deploy, a feature flag that is on, and a webhook.
struct World {
    dir: tempfile::TempDir,
    sandbox: Sandbox,
    hook: Hook,
    shas: Vec<String>,
    addon: String,
}

impl World {
    fn new(extra_toml: &str) -> World {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        git(
            root,
            &[
                "init",
                "--quiet",
                "--bare",
                "--initial-branch=main",
                "origin.git",
            ],
        );
        git(root, &["clone", "--quiet", "origin.git", "work"]);
        let work = root.join("work");
        std::fs::create_dir_all(work.join("migrations")).expect("mkdir");
        let mut shas = Vec::new();
        for (v, file, sql) in [
            (
                "1.0.0",
                "001_items.sql",
                "create table items (id int, name text);\n",
            ),
            (
                "1.1.0",
                "002_names.sql",
                "alter table items drop column name;\n",
            ),
        ] {
            std::fs::write(work.join("migrations").join(file), sql).expect("sql");
            std::fs::write(
                work.join("package.json"),
                format!("{{\"name\":\"shop\",\"version\":\"{v}\"}}\n"),
            )
            .expect("package.json");
            git(&work, &["add", "."]);
            git(&work, &["commit", "--quiet", "-m", &format!("release {v}")]);
            git(&work, &["tag", &format!("v{v}")]);
            shas.push(git(&work, &["rev-parse", "HEAD"]));
        }
        git(&work, &["push", "--quiet", "origin", "main", "--tags"]);
        let (hook, hook_url) = Hook::start();
        std::fs::write(
            work.join("rewind.toml"),
            format!(
                "{extra_toml}\n[notify]\nwebhook_url = \"{hook_url}\"\n\n[[apps]]\nname = \"shop\"\npackage = \"shop\"\n\n\
                 [apps.database]\naddon = \"scalingo-postgresql\"\nmargin = \"1s\"\nmigrations = [\"migrations\"]\n\n\
                 [[apps.feature_flags]]\nname = \"FEATURE_CHECKOUT\"\noff_value = \"false\"\ndescription = \"the new checkout\"\n"
            ),
        )
        .expect("rewind.toml");
        let sandbox = Sandbox::start(SandboxConfig {
            apps: vec![AppSeed {
                name: "shop".into(),
                repo: Some(root.join("origin.git").display().to_string()),
                scm: Some(ScmSeed {
                    branch: "main".into(),
                    auto_deploy: false,
                }),
                addons: vec![AddonSeed {
                    provider: "scalingo-postgresql".into(),
                    plan: "postgresql-starter-512".into(),
                }],
            }],
            deploy_duration: Duration::from_millis(200),
            rate_limit_per_minute: 0,
            postgres: PostgresMode::Off,
            ..SandboxConfig::default()
        })
        .expect("sandbox");
        let mut world = World {
            dir,
            sandbox,
            hook,
            shas,
            addon: String::new(),
        };
        let ago = |min: i64| (chrono::Utc::now() - chrono::Duration::minutes(min)).to_rfc3339();
        world.admin(
            "/_sandbox/apps/shop/deployments/history",
            json!({"deployments": [
                {"git_ref": world.shas[0], "created_at": ago(40)},
                {"git_ref": world.shas[1], "created_at": ago(10)},
            ]}),
        );
        world.addon = world.state()["addons"][0]["id"]
            .as_str()
            .expect("addon id")
            .to_string();
        let db = format!("/_sandbox/databases/{}", world.addon);
        // An old backup opens the recovery window before the bad deploy.
        world.admin(
            &format!("{db}/backups/history"),
            json!({"backups": [{"created_at": ago(60)}]}),
        );
        world.admin(
            &format!("{db}/rows"),
            json!({"rows": [{"text": "before", "at": ago(30)}, {"text": "after", "at": ago(5)}]}),
        );
        world.api_put_variable("FEATURE_CHECKOUT", "true");
        world
    }

    fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    fn admin(&self, path: &str, body: Value) {
        admin_post(&self.sandbox, path, body);
    }

    fn get(&self, path: &str) -> Value {
        admin_get(&self.sandbox, path)
    }

    fn state(&self) -> Value {
        self.get("/_sandbox/apps/shop/state")
    }

    fn rows(&self) -> Vec<String> {
        let v = self.get(&format!("/_sandbox/databases/{}/rows", self.addon));
        v["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| r["text"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Sets a variable through the API, as a person would have.
    fn api_put_variable(&self, name: &str, value: &str) {
        use rewind_core::platform::Platform;
        use rewind_core::platform::scalingo::{Scalingo, ScalingoSettings};
        let env = self.sandbox.env_vars();
        let settings = ScalingoSettings::new("sandbox-local")
            .with_env(|k| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()));
        Scalingo::new(settings)
            .expect("client")
            .set_variable("shop", name, value)
            .expect("set the variable");
    }

    fn variable(&self, name: &str) -> Option<String> {
        self.state()["variables"]
            .as_array()?
            .iter()
            .find(|v| v["name"] == name)
            .and_then(|v| v["value"].as_str().map(str::to_string))
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Run {
        let home = self.dir.path().join("home");
        std::fs::create_dir_all(&home).expect("home");
        Rewind::new(args)
            .dir(&self.work())
            .home(&home)
            .journal(&self.journal_dir())
            .sandbox(&self.sandbox)
            .envs(env.iter().copied())
            .stdin(stdin)
            .run()
    }

    fn journal_dir(&self) -> PathBuf {
        self.dir.path().join("journal")
    }

    /// The journal's entries for the guide's incident.
    fn guide_entries(&self) -> Vec<Value> {
        let entries = journal_entries(&self.journal_dir());
        let id = entries
            .iter()
            .find(|e| e["kind"] == "incident_opened" && e["data"]["command"] == "guide")
            .map(|e| e["incident"].clone())
            .expect("a guide incident");
        entries
            .into_iter()
            .filter(|e| e["incident"] == id)
            .collect()
    }

    fn tickets(&self) -> Vec<PathBuf> {
        match std::fs::read_dir(self.journal_dir()) {
            Ok(dir) => dir
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "md"))
                .collect(),
            Err(_) => Vec::new(),
        }
    }
}

#[test]
fn a1_switches_the_flag_off_restarts_the_app_and_writes_a_ticket() {
    let w = World::new("");
    let run = w.run(
        &[
            "guide",
            "--answer",
            "mep=problem",
            "--answer",
            "q1=yes",
            "--yes",
            "--lang",
            "en",
        ],
        &[],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("FEATURE_CHECKOUT = true; off is false"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("suggested answer: yes"),
        "{}",
        run.stderr
    );
    assert_eq!(w.variable("FEATURE_CHECKOUT").as_deref(), Some("false"));
    let events = w.state()["events"].clone();
    assert!(
        events
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["kind"] == "restart"),
        "{events}"
    );
    let tickets = w.tickets();
    assert_eq!(tickets.len(), 1, "{tickets:?}");
    let ticket = std::fs::read_to_string(&tickets[0]).expect("ticket");
    assert!(
        ticket.contains("q1 Can the faulty feature be switched off?"),
        "{ticket}"
    );
    assert!(
        ticket.contains("FEATURE_CHECKOUT set to false (was true)"),
        "{ticket}"
    );
    assert!(ticket.contains("running now: v1.1.0"), "{ticket}");
    assert!(
        run.stdout.contains("# [shop] Switch the feature off"),
        "{}",
        run.stdout
    );
    let entries = w.guide_entries();
    assert_eq!(steps(&entries, "answer"), ["mep", "q1"]);
    assert_eq!(steps(&entries, "step_done"), ["a1"]);
    assert!(
        run.stderr.contains("path      mep=problem -> q1=yes -> a1"),
        "{}",
        run.stderr
    );
}

#[test]
fn a2_warns_the_product_owner_through_the_webhook_from_an_answers_file() {
    let w = World::new("");
    let answers = w.dir.path().join("answers.txt");
    std::fs::write(
        &answers,
        "# the release broke checkout\nmep=problem\nq1=no\nq2=yes # some users\nq3=low\n",
    )
    .expect("answers");
    let run = w.run(
        &[
            "guide",
            "--answers",
            answers.to_str().expect("path"),
            "--yes",
        ],
        &[("LANG", "en_US.UTF-8")],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let messages = w.hook.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].contains("shop needs the product owner"),
        "{}",
        messages[0]
    );
    let ticket = std::fs::read_to_string(&w.tickets()[0]).expect("ticket");
    assert!(
        ticket.contains("q3 In what proportion? -> **Low**"),
        "{ticket}"
    );
    assert!(ticket.contains("### app_health"), "{ticket}");
    assert!(ticket.contains("prioritise its fix"), "{ticket}");
}

#[test]
fn a2_by_the_fix_later_path_in_a_dry_run_changes_nothing() {
    let w = World::new("");
    let run = w.run(
        &[
            "guide",
            "--answer",
            "mep=problem,q1=no,q2=no,q4=yes",
            "--dry-run",
        ],
        &[],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(w.hook.messages().is_empty());
    assert!(w.tickets().is_empty());
    assert!(run.stdout.contains("## Answers given"), "{}", run.stdout);
    let entries = w.guide_entries();
    assert_eq!(steps(&entries, "step_skipped"), ["a2"]);
    assert!(entries.iter().any(|e| e["kind"] == "dry_run"));
}

#[test]
fn a3_restores_the_database_before_the_bad_deploy_then_a4_redeploys_the_previous_release() {
    let w = World::new("");
    assert_eq!(w.rows(), ["before", "after"]);
    let run = w.run(
        &[
            "guide",
            "--answer",
            "mep=problem,q1=no,q2=yes,q3=high,q4=no",
            "--answer",
            "q5=yes",
            "--yes",
        ],
        &[("LANG", "C")],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("suggested answer: yes (destructive migrations since v1.0.0)"),
        "{}",
        run.stderr
    );
    assert_eq!(
        w.rows(),
        ["before"],
        "the row written after the bad deploy is gone"
    );
    let state = w.state();
    let last = state["deployments"]
        .as_array()
        .expect("deployments")
        .last()
        .cloned();
    let last = last.expect("a deployment");
    assert_eq!(last["status"], "success", "{last}");
    assert_eq!(
        last["git_ref"],
        w.shas[0].as_str(),
        "the sandbox runs v1.0.0: {last}"
    );
    let entries = w.guide_entries();
    assert_eq!(steps(&entries, "step_done"), ["a3", "a4"]);
    assert!(
        entries
            .iter()
            .any(|e| e["data"]["rollback_incident"].is_string())
    );
    assert!(run.stderr.contains("rollback  "), "{}", run.stderr);
    // The redeploy knows the database was just restored: no warning asking
    // for a database step that was already taken.
    assert!(
        !run.stderr.contains("no database step is planned"),
        "{}",
        run.stderr
    );
    // The guide's report tells the decision and what the data lost.
    let id = entries[0]["incident"].as_str().expect("id").to_string();
    let report = w.run(&["report", &id], &[("LANG", "C")], "");
    assert_eq!(report.code, 0, "{}", report.stderr);
    for wanted in [
        "## Decision",
        "**q5** ",
        ": **Yes** (preset)",
        "## Data",
        "  - evidence: running now: v1.1.0 (tag), deployment ",
        "**Restore point**",
        "**Writes lost**",
        "**Safety backup**: `",
        "--from-file",
    ] {
        assert!(
            report.stdout.contains(wanted),
            "missing {wanted:?} in\n{}",
            report.stdout
        );
    }
}

#[test]
fn a4_alone_in_french_when_there_is_no_database_to_restore() {
    let w = World::new("");
    let answers = "mep=problem,q1=no,q2=yes,q3=high,q4=no,q5=no";
    // The migrations are destructive: `--yes` alone does not redeploy over
    // them; the script must say --no-db.
    let refused = w.run(
        &["guide", "--answer", answers, "--yes"],
        &[("LC_ALL", "fr_FR.UTF-8")],
        "",
    );
    assert_ne!(refused.code, 0, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("--yes ne choisit pas pour la base de données")
            && refused.stderr.contains("migrations/002_names.sql")
            && refused.stderr.contains("--no-db"),
        "{}",
        refused.stderr
    );
    let run = w.run(
        &["guide", "--answer", answers, "--yes", "--no-db"],
        &[("LC_ALL", "fr_FR.UTF-8")],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("Y a-t-il une base de données à restaurer ?"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("Remettre en production la version précédente"),
        "{}",
        run.stderr
    );
    assert_eq!(w.rows(), ["before", "after"], "no restore");
    let last = w.state()["deployments"]
        .as_array()
        .expect("d")
        .last()
        .cloned()
        .expect("d");
    assert_eq!(last["git_ref"], w.shas[0].as_str());
}

#[test]
fn a_release_that_went_fine_needs_nothing() {
    let w = World::new("");
    let run = w.run(&["guide", "--answer", "mep=ok"], &[], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("running now: v1.1.0 (tag)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("the release before it: v1.0.0"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing to do"), "{}", run.stderr);
}

#[test]
fn a_question_without_an_answer_stops_a_script_with_exit_2_naming_it() {
    let w = World::new("");
    let run = w.run(
        &[
            "guide",
            "--answer",
            "mep=problem,q1=no,q2=no",
            "--lang",
            "en",
        ],
        &[],
        "",
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("q4: Can the problem be fixed later? answers: yes, no"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--answer q4=ANSWER"), "{}", run.stderr);
    assert_eq!(w.variable("FEATURE_CHECKOUT").as_deref(), Some("true"));
}

#[test]
fn a_broken_team_tree_stops_with_exit_2_and_its_problems_at_their_lines() {
    let w = World::new("tree = \"team-tree.toml\"");
    std::fs::write(
        w.work().join("team-tree.toml"),
        "entry = \"start\"\n\n[[question]]\nid = \"start\"\ntext = { fr = \"Alors ?\", en = \"So?\" }\n\n[[question.answer]]\nid = \"yes\"\nlabel = { fr = \"Oui\", en = \"Yes\" }\nnext = \"nowhere\"\n",
    )
    .expect("tree");
    let run = w.run(&["guide", "--answer", "start=yes"], &[], "");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("team-tree.toml:"), "{}", run.stderr);
    assert!(run.stderr.contains("nowhere"), "{}", run.stderr);
}

#[test]
fn a_person_answers_by_number_and_types_the_app_name_to_confirm() {
    let w = World::new("");
    // mep: 2 = there is a problem; q1: 1 = yes; then the typed confirmation.
    let run = w.run(
        &["guide", "--lang", "en"],
        &[("REWIND_INTERACTIVE", "1")],
        "2\n1\nshop\n",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("1. Yes  (suggested)"), "{}", run.stderr);
    assert!(
        run.stderr.contains("type `shop` to go ahead"),
        "{}",
        run.stderr
    );
    assert_eq!(w.variable("FEATURE_CHECKOUT").as_deref(), Some("false"));
    let entries = w.guide_entries();
    assert!(entries.iter().any(|e| e["data"]["source"] == "prompt"));
}

#[test]
fn a_wrong_confirmation_changes_nothing_and_exits_3() {
    let w = World::new("");
    let run = w.run(
        &["guide", "--lang", "en"],
        &[("REWIND_INTERACTIVE", "1")],
        "2\n1\nnope\n",
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(w.variable("FEATURE_CHECKOUT").as_deref(), Some("true"));
}
