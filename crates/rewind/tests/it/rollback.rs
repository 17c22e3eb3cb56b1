//! `rewind rollback`, `hold`/`unhold`, `journal`, `report` and `resume`
//! through the real binary, against the sandbox and a real repository (a
//! bare origin and its clone): exit statuses, the typed confirmation, the
//! dry run that changes nothing, `--json`, and resuming a rollback cut short.

use std::path::PathBuf;
use std::time::Duration;

use rewind_core::config::Config;
use rewind_core::follow::FollowOptions;
use rewind_core::interrupt::Interrupt;
use rewind_core::journal::{EntryKind, Journal};
use rewind_core::platform::Platform;
use rewind_core::platform::scalingo::{RequestBudget, RetryPolicy, Scalingo, ScalingoSettings};
use rewind_core::rollback::{self, PrepareOptions, RunOptions, StepId, Tools};
use rewind_sandbox::{AddonSeed, AppSeed, PostgresMode, Sandbox, SandboxConfig, ScmSeed};
use rewind_test_support::InterruptAfter;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::{GIT_DATES, GIT_ENV, Rewind, Run, admin_get, admin_post, git};

/// An origin with v1.0.0 and v1.1.0, its clone with a rewind.toml, a
/// sandbox where both were deployed, and a journal directory.
struct World {
    dir: TempDir,
    sandbox: Sandbox,
}

impl World {
    fn new(target_outcome: Option<&str>) -> World {
        World::build(target_outcome, false)
    }

    /// With a PostgreSQL addon (simulated) and `[apps.database]`; the bad
    /// release deployed just now, inside the database's recovery window.
    fn with_database() -> World {
        World::build(None, true)
    }

    fn build(target_outcome: Option<&str>, database: bool) -> World {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("home")).expect("home");
        std::fs::create_dir(dir.path().join("journal")).expect("journal");
        let work = crate::support::origin_and_clone(dir.path());
        let release = |version: &str, extra: &[(&str, &str)]| {
            crate::support::release(&work, version, extra);
        };
        // With a database, the bad release's migration destroys data: the
        // evidence calls for a restore.
        let bad_migration = if database {
            "drop table legacy_prices;\n"
        } else {
            "alter table x;\n"
        };
        release(
            "1.0.0",
            &[(".sandbox/outcome", target_outcome.unwrap_or("success"))],
        );
        release(
            "1.1.0",
            &[
                (".sandbox/outcome", "success"),
                ("migrations/002.sql", bad_migration),
            ],
        );
        git(&work, &["push", "--quiet", "origin", "main", "--tags"]);
        let database_toml = if database {
            "[apps.database]\naddon = \"scalingo-postgresql\"\nmargin = \"200ms\"\n"
        } else {
            ""
        };
        std::fs::write(
            work.join("rewind.toml"),
            format!("[[apps]]\nname = \"shop\"\npackage = \"shop\"\n{database_toml}"),
        )
        .expect("toml");
        let addons = if database {
            vec![AddonSeed {
                provider: "scalingo-postgresql".into(),
                plan: "starter-512".into(),
            }]
        } else {
            Vec::new()
        };
        let config = SandboxConfig {
            apps: vec![AppSeed {
                name: "shop".into(),
                repo: Some(dir.path().join("origin.git").display().to_string()),
                scm: Some(ScmSeed {
                    branch: "main".into(),
                    auto_deploy: true,
                }),
                addons,
            }],
            deploy_duration: Duration::from_millis(300),
            rate_limit_per_minute: 0,
            postgres: PostgresMode::Off,
            ..SandboxConfig::default()
        };
        let sandbox = Sandbox::start(config).expect("sandbox");
        let world = World { dir, sandbox };
        let history = if database {
            // Restore times go to Scalingo in whole seconds: past one, the
            // bad deploy less the margin is still inside the window, which
            // opens when the addon is created.
            // A real wait: rewind dates its plan by its own clock.
            let into = u64::from(chrono::Utc::now().timestamp_subsec_millis());
            std::thread::sleep(Duration::from_millis(1000 - into + 250));
            let now = chrono::Utc::now();
            let at = |t: chrono::DateTime<chrono::Utc>| {
                t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            };
            json!({"deployments": [
                {"git_ref": "v1.0.0", "duration": 1, "created_at": at(now - chrono::Duration::minutes(10))},
                {"git_ref": "v1.1.0", "duration": 1, "created_at": at(now)},
            ]})
        } else {
            json!({"deployments": [{"git_ref": "v1.0.0"}, {"git_ref": "v1.1.0"}]})
        };
        world.admin("/_sandbox/apps/shop/deployments/history", history);
        world
    }

    /// POST requests to paths ending with `suffix` that the platform
    /// accepted.
    fn accepted(&self, suffix: &str) -> usize {
        self.writes()
            .iter()
            .filter(|r| {
                r["method"] == "POST"
                    && r["path"].as_str().is_some_and(|p| p.ends_with(suffix))
                    && r["status"].as_u64().is_some_and(|s| s < 300)
            })
            .count()
    }

    fn addon_id(&self) -> String {
        let state = self.get("/_sandbox/apps/shop/state");
        let found = state["addons"][0]["id"].as_str().map(str::to_string);
        found.unwrap_or_else(|| panic!("no addon in {state}"))
    }

    fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    fn journal_dir(&self) -> PathBuf {
        self.dir.path().join("journal")
    }

    fn admin(&self, path: &str, body: Value) -> Value {
        admin_post(&self.sandbox, path, body)
    }

    fn get(&self, path: &str) -> Value {
        admin_get(&self.sandbox, path)
    }

    /// Requests that change something on the platform.
    fn writes(&self) -> Vec<Value> {
        let all = self.get("/_sandbox/requests");
        all["requests"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|r| {
                r["method"] != "GET"
                    && r["path"] != "/v1/tokens/exchange"
                    // Reading the database API takes an addon token first.
                    && !r["path"].as_str().is_some_and(|p| p.ends_with("/token"))
            })
            .collect()
    }

    fn deploys(&self) -> usize {
        self.writes()
            .iter()
            .filter(|r| {
                r["path"]
                    .as_str()
                    .is_some_and(|p| p.ends_with("/manual_deploy"))
                    && r["status"] == 200
            })
            .count()
    }

    fn auto_deploy(&self) -> bool {
        self.get("/_sandbox/apps/shop/state")["scm"]["auto_deploy_enabled"] == true
    }

    fn origin_refs(&self) -> String {
        git(&self.dir.path().join("origin.git"), &["for-each-ref"])
    }

    /// Runs `rewind ARGS` in the clone, `stdin` fed when given (and then
    /// answering as a person would, through REWIND_INTERACTIVE=1).
    /// Runs a rollback in the core, as `rewind rollback` would, until
    /// Ctrl-C right after `step`; returns the incident id.
    /// A client of the sandbox, as rewind's core makes one.
    fn client(&self) -> Scalingo {
        let vars = self.sandbox.env_vars();
        let settings = ScalingoSettings {
            retry: RetryPolicy {
                max_attempts: 2,
                base_delay: Duration::from_millis(10),
                max_delay: Duration::from_millis(50),
            },
            budget: RequestBudget::new(1000, Duration::from_secs(60)),
            ..ScalingoSettings::new("sandbox-local")
        }
        .with_env(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
        });
        Scalingo::new(settings).expect("client")
    }

    /// Waits until the app has `count` deployments, none in progress.
    fn settled(&self, client: &Scalingo, count: u64) {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let page = client.deployments("shop", 1, 1).expect("deployments");
            let done = page.items.first().is_some_and(|d| !d.status.in_progress());
            if page.total_count == Some(count) && done {
                return;
            }
            assert!(std::time::Instant::now() < deadline, "deployment {count}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn cut_short(&self, prepare: &PrepareOptions<'_>, step: StepId) -> String {
        let app = Config::load(self.work().join("rewind.toml"))
            .expect("config")
            .apps
            .remove(0);
        let platform = self.client();
        let mut git_cli =
            rewind_core::git::GitCli::new(self.work()).env("HOME", self.dir.path().join("home"));
        for (k, v) in GIT_ENV.into_iter().chain(GIT_DATES) {
            git_cli = git_cli.env(k, v);
        }
        let journal = Journal::open(&self.journal_dir());
        let interrupt = Interrupt::new();
        let tools = Tools {
            platform: &platform,
            git: &git_cli,
            journal: &journal,
            interrupt: &interrupt,
        };
        let plan = rollback::prepare(&tools, &app, prepare).expect("plan");
        let options = RunOptions {
            follow: FollowOptions {
                timeout: Duration::from_secs(20),
                poll_interval: Duration::from_millis(50),
                use_stream: true,
            },
            ..RunOptions::new(&app, "alice")
        };
        let summary = rollback::run(
            &tools,
            &plan,
            &options,
            &mut InterruptAfter {
                after: step,
                interrupt: interrupt.clone(),
            },
        )
        .expect("run");
        summary.incident.to_string()
    }

    fn rewind(&self, args: &[&str], stdin: Option<&str>) -> Run {
        self.rewind_with(args, stdin, &[])
    }

    fn rewind_with(&self, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Run {
        let command = Rewind::new(args)
            .envs(env.iter().copied())
            .dir(&self.work())
            .home(&self.dir.path().join("home"))
            .env("USER", "alice")
            .envs(GIT_DATES)
            .journal(&self.journal_dir())
            .sandbox(&self.sandbox);
        match stdin {
            Some(text) => command.env("REWIND_INTERACTIVE", "1").stdin(text),
            None => command,
        }
        .run()
    }
}

#[test]
fn a_dry_run_shows_the_plan_and_changes_nothing_anywhere() {
    let world = World::new(None);
    let refs = world.origin_refs();
    let writes = world.writes().len();
    let run = world.rewind(&["rollback", "--dry-run", "--json"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for wanted in [
        "from    v1.1.0",
        "to      v1.0.0",
        "chore(main): release 1.1.0",
        "added migrations/002.sql",
        "warning: 1 migration file(s)",
        "create branch release/v1.0.0",
        "dry run: nothing was changed",
    ] {
        assert!(
            run.stderr.contains(wanted),
            "missing {wanted:?} in\n{}",
            run.stderr
        );
    }
    let json: Value = serde_json::from_str(&run.stdout).expect("json on stdout");
    assert_eq!(json["dry_run"], true);
    assert_eq!(json["plan"]["to"]["tag"], "v1.0.0");
    assert_eq!(world.origin_refs(), refs);
    assert_eq!(world.writes().len(), writes, "{:?}", world.writes());
    assert!(world.auto_deploy());
    let (entries, _) = Journal::open(&world.journal_dir())
        .entries()
        .expect("journal");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].kind, EntryKind::DryRun);
}

#[test]
fn without_a_terminal_or_yes_it_refuses_and_a_wrong_name_aborts() {
    let world = World::new(None);
    let run = world.rewind(&["rollback"], None);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("hint: run it in a terminal, or pass --yes"),
        "{}",
        run.stderr
    );
    let run = world.rewind(&["rollback"], Some("not-shop\n"));
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("type `shop` to go ahead"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("rollback aborted"), "{}", run.stderr);
    assert_eq!(world.writes().len(), 0, "{:?}", world.writes());
}

#[test]
fn a_confirmed_rollback_reports_json_and_its_incident_can_be_told_and_unheld() {
    let world = World::new(None);
    let run = world.rewind(
        &["rollback", "--json", "--reason", "checkout broken"],
        Some("shop\n"),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let summary: Value = serde_json::from_str(&run.stdout).expect("json summary");
    assert_eq!(summary["outcome"]["state"], "succeeded");
    assert_eq!(summary["from"]["label"], "v1.1.0");
    assert_eq!(summary["to"]["label"], "v1.0.0");
    let deployment = summary["deployment_id"]
        .as_str()
        .expect("deployment id")
        .to_string();
    let steps = summary["steps"].as_array().expect("steps");
    assert!(steps.iter().all(|s| s["outcome"] == "done"), "{steps:?}");
    assert!(steps.iter().all(|s| s["duration_ms"].is_u64()));
    assert!(run.stderr.contains("[5/7] deploy"), "{}", run.stderr);
    assert!(run.stderr.contains("success"), "{}", run.stderr);
    assert_eq!(world.deploys(), 1);
    assert!(!world.auto_deploy());
    let id = summary["incident"].as_str().expect("incident").to_string();

    let report = world.rewind(&["report", &id], None);
    assert_eq!(report.code, 0, "{}", report.stderr);
    for wanted in [
        "rollback shop: v1.1.0 -> v1.0.0",
        // Who acted, as the team and as the platform (GET /v1/users/self)
        // know them.
        "**Who**: alice (platform account sandbox-user)",
        "**Reason**: checkout broken",
        &deployment,
        "| verify | done |",
    ] {
        assert!(
            report.stdout.contains(wanted),
            "missing {wanted:?} in\n{}",
            report.stdout
        );
    }
    let list = world.rewind(&["journal"], None);
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert!(
        list.stdout.contains(&id)
            && list.stdout.contains("succeeded")
            && list.stdout.contains("v1.1.0 -> v1.0.0"),
        "{}",
        list.stdout
    );
    let show = world.rewind(&["journal", "show", &id[..15]], None);
    assert_eq!(show.code, 0, "{}", show.stderr);
    assert!(
        show.stdout.contains("release_marked_bad"),
        "{}",
        show.stdout
    );

    // Nothing left to resume; the bad release is refused as a target.
    let resume = world.rewind(&["resume", &id, "--yes"], None);
    assert_eq!(resume.code, 3, "{}", resume.stderr);
    let bad = world.rewind(&["rollback", "--to", "1.1.0", "--yes"], None);
    assert_eq!(bad.code, 3, "{}", bad.stderr);
    assert!(bad.stderr.contains("marked bad"), "{}", bad.stderr);

    let unhold = world.rewind(&["unhold", "shop"], None);
    assert_eq!(unhold.code, 0, "{}", unhold.stderr);
    assert!(
        unhold.stderr.contains("auto-deploy switched on"),
        "{}",
        unhold.stderr
    );
    assert!(world.auto_deploy());
    let hold = world.rewind(&["hold", "--reason", "freeze"], None);
    assert_eq!(hold.code, 0, "{}", hold.stderr);
    assert!(!world.auto_deploy());
}

#[test]
fn a_failed_deploy_exits_1_and_says_the_previous_release_keeps_running() {
    let world = World::new(Some("build-error"));
    let run = world.rewind(&["rollback", "--yes"], None);
    assert_eq!(run.code, 1, "{}", run.stderr);
    // What runs is read again after the failure, not assumed.
    assert!(
        run.stderr.contains("v1.1.0 runs now on shop (deployment "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("lines of the build log"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("error: deployment"), "{}", run.stderr);

    // The failed rollback is listed as one to finish; running the same
    // command again says so instead of starting a second one.
    let listed = world.rewind(&["journal", "--json"], None);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let rows: Value = serde_json::from_str(&listed.stdout).expect("json");
    let row = &rows.as_array().expect("rows")[0];
    assert_eq!(row["state"], "failed");
    assert_eq!(row["resumable"], true);
    let id = row["id"].as_str().expect("id").to_string();
    let text = world.rewind(&["journal"], None);
    assert!(
        text.stderr
            .contains(&format!("`rewind resume ID` finishes {id}")),
        "{}",
        text.stderr
    );
    let again = world.rewind(&["rollback", "--yes"], None);
    assert_eq!(again.code, 3, "{}", again.stderr);
    assert!(
        again.stderr.contains(&format!("rewind resume {id}")),
        "{}",
        again.stderr
    );
    assert_eq!(world.deploys(), 1, "no second deploy from the rerun");
}

#[test]
fn refusals_and_mistakes_have_their_exit_codes() {
    let world = World::new(None);
    let missing = world.rewind(&["rollback", "--to", "0.9.0", "--yes"], None);
    assert_eq!(missing.code, 2, "{}", missing.stderr);
    assert!(
        missing.stderr.contains("nearest tags: v1.0.0"),
        "{}",
        missing.stderr
    );
    git(&world.work(), &["branch", "release/v1.0.0", "v1.1.0"]);
    let elsewhere = world.rewind(&["rollback", "--yes"], None);
    assert_eq!(elsewhere.code, 3, "{}", elsewhere.stderr);
    assert!(
        elsewhere.stderr.contains("git branch -D release/v1.0.0"),
        "{}",
        elsewhere.stderr
    );
    assert_eq!(world.writes().len(), 0);
}

/// Scalingo deploys a push only when it moves `master` or `main`: when
/// both hold the target already, the git-push method can deploy nothing,
/// and the rollback is refused (exit 3) before anything changes, instead
/// of waiting for a deployment that never comes.
#[test]
fn a_git_push_rollback_that_no_push_can_deploy_is_refused_before_anything_changes() {
    let world = World::new(None);
    let client = world.client();
    let git_url = client.app("shop").expect("app").git_url.expect("git url");
    let target = git(&world.work(), &["rev-parse", "v1.0.0^{commit}"]);
    // v1.0.0 went out by pushes to both branches, then v1.1.0 another way.
    for (count, branch) in [(3, "master"), (4, "main")] {
        git(
            &world.work(),
            &[
                "push",
                "--quiet",
                "--force",
                &git_url,
                &format!("{target}:refs/heads/{branch}"),
            ],
        );
        world.settled(&client, count);
    }
    client
        .manual_deploy("shop", "main", None)
        .expect("v1.1.0 deploys");
    world.settled(&client, 5);
    let refs = world.origin_refs();
    let writes = world.writes().len();

    let run = world.rewind(&["rollback", "--method", "git-push", "--yes"], None);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "both master and main of the app's git remote hold {target} already"
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("hint: use --method branch or --method archive"),
        "{}",
        run.stderr
    );
    assert_eq!(world.writes().len(), writes, "{:?}", world.writes());
    assert_eq!(world.origin_refs(), refs);
    assert_eq!(
        client.deployments("shop", 1, 1).expect("list").total_count,
        Some(5),
        "no deployment started"
    );
}

#[test]
fn resume_finishes_a_rollback_cut_short_after_its_deploy_without_deploying_again() {
    let world = World::new(None);
    // The first part runs in the core, as `rewind rollback` would until Ctrl-C.
    let id = world.cut_short(&PrepareOptions::default(), StepId::Deploy);

    let blocked = world.rewind(&["rollback", "--yes"], None);
    assert_eq!(blocked.code, 3, "{}", blocked.stderr);
    assert!(
        blocked.stderr.contains(&format!("rewind resume {id}")),
        "{}",
        blocked.stderr
    );

    let run = world.rewind(&["resume", &id, "--yes", "--json"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let resumed: Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(resumed["outcome"]["state"], "succeeded");
    let outcomes: Vec<&str> = resumed["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["outcome"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        outcomes,
        [
            "already_done",
            "already_done",
            "already_done",
            "already_done",
            "already_done",
            "done",
            "done"
        ]
    );
    assert_eq!(world.deploys(), 1, "one deploy in all");
}

#[test]
fn with_db_a_failed_safety_backup_exits_3_and_restores_and_deploys_nothing() {
    let world = World::with_database();
    let addon = world.addon_id();
    world.admin(
        &format!("/_sandbox/databases/{addon}/backups/fail-next"),
        json!({}),
    );
    let run = world.rewind(&["rollback", "--with-db", "--yes"], None);
    assert_eq!(run.code, 3, "{}", run.stderr);
    for wanted in [
        "safety-backup",
        "error: the safety backup failed",
        "nothing was restored and nothing was deployed",
        "v1.1.0 runs now on shop (deployment ",
    ] {
        assert!(
            run.stderr.contains(wanted),
            "missing {wanted:?} in\n{}",
            run.stderr
        );
    }
    assert_eq!(world.accepted("/backups"), 1, "{:?}", world.writes());
    assert_eq!(world.accepted("/pitr/restore"), 0, "{:?}", world.writes());
    assert_eq!(world.deploys(), 0);
}

#[test]
fn a_dry_run_with_db_shows_the_restore_and_the_data_lost_and_writes_nothing() {
    let world = World::with_database();
    let writes = world.writes().len();
    let run = world.rewind(&["rollback", "--with-db", "--dry-run", "--json"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for wanted in [
        "migrations: destructive",
        "restore to ",
        "200ms before deployment",
        "data loss    every write since then is lost",
        "the database stops during the restore",
        "1. mark-bad",
        "5. safety-backup",
        "6. pitr-restore",
        "7. deploy",
        "dry run: nothing was changed",
    ] {
        assert!(
            run.stderr.contains(wanted),
            "missing {wanted:?} in\n{}",
            run.stderr
        );
    }
    assert!(
        !run.stderr.contains("no database step is planned"),
        "{}",
        run.stderr
    );
    let json: Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(json["plan"]["database"]["choice"], "with-db");
    assert_eq!(world.writes().len(), writes, "{:?}", world.writes());
    assert!(
        !world.journal_dir().join("backups").exists(),
        "no backup was downloaded"
    );
}

#[test]
fn no_db_is_a_plain_statement_and_a_journal_note_the_report_repeats() {
    let world = World::with_database();
    let run = world.rewind(&["rollback", "--no-db", "--yes", "--json"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("--no-db: 1 migration file(s) (destructive)")
            && !run.stderr.contains("warning: 1 migration file(s)"),
        "{}",
        run.stderr
    );
    let summary: Value = serde_json::from_str(&run.stdout).expect("json");
    let id = summary["incident"].as_str().expect("incident").to_string();
    let report = world.rewind(&["report", &id], None);
    assert_eq!(report.code, 0, "{}", report.stderr);
    assert!(
        report.stdout.contains("## Database") && report.stdout.contains("knowingly left in place"),
        "{}",
        report.stdout
    );
    assert_eq!(world.accepted("/backups"), 0);
}

#[test]
fn asked_in_a_terminal_the_person_adds_the_database_steps_and_they_run_first() {
    let world = World::with_database();
    let run = world.rewind(&["rollback", "--json"], Some("with-db\nshop\n"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("Add the database steps?")
            && run.stderr.contains("the plan, with the database steps"),
        "{}",
        run.stderr
    );
    let summary: Value = serde_json::from_str(&run.stdout).expect("json");
    let steps: Vec<&str> = summary["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["id"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        steps,
        [
            "mark-bad",
            "branch",
            "push",
            "hold",
            "safety-backup",
            "pitr-restore",
            "deploy",
            "follow",
            "verify"
        ]
    );
    assert!(
        run.stderr.contains("database restored to"),
        "{}",
        run.stderr
    );
    assert_eq!(world.accepted("/backups"), 1);
    assert_eq!(world.accepted("/pitr/restore"), 1);
    assert_eq!(world.deploys(), 1);
    let id = summary["incident"].as_str().expect("incident").to_string();
    let report = world.rewind(&["report", &id], None);
    assert!(
        report.stdout.contains("**Safety backup**") && report.stdout.contains("sha256"),
        "{}",
        report.stdout
    );
}

#[test]
fn resuming_a_rollback_with_database_steps_shows_what_is_at_stake_for_the_data() {
    let world = World::with_database();
    let id = world.cut_short(
        &PrepareOptions {
            database: rollback::DatabaseChoice::WithDb,
            ..PrepareOptions::default()
        },
        StepId::SafetyBackup,
    );
    let run = world.rewind(&["resume", &id], Some("shop\n"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    for wanted in [
        "safety-backup done",
        "pitr-restore not started",
        "Database",
        "the database stops during the restore",
    ] {
        assert!(
            run.stderr.contains(wanted),
            "missing {wanted:?} in\n{}",
            run.stderr
        );
    }
}

#[test]
fn yes_does_not_choose_for_the_database_when_migrations_are_destructive() {
    let world = World::with_database();
    let run = world.rewind(&["rollback", "--yes"], None);
    assert_eq!(run.code, 3, "{}", run.stderr);
    for wanted in [
        "error: --yes does not choose for the database",
        "are destructive, and nothing was changed",
        "hint: migration migrations/002.sql (destructive): drops table legacy_prices",
        "hint: --with-db: take a safety backup",
        "hint: --no-db: leave the database as v1.1.0 left it",
    ] {
        assert!(
            run.stderr.contains(wanted),
            "missing {wanted:?} in\n{}",
            run.stderr
        );
    }
    assert_eq!(world.writes().len(), 0, "{:?}", world.writes());
    let run = world.rewind(&["rollback", "--yes", "--no-db"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(world.deploys(), 1);
}

#[test]
fn a_second_rewind_changing_the_same_app_is_refused_naming_who_holds_it() {
    use std::io::Write;
    let world = World::new(None);
    // Another rewind on this machine, half-way through a rollback: it
    // holds the app's lock file in the journal directory.
    let locks = world.journal_dir().join("locks");
    std::fs::create_dir_all(&locks).expect("locks");
    let mut held = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(locks.join("shop.lock"))
        .expect("lock file");
    held.try_lock().expect("the test takes the lock");
    held.write_all(
        br#"{"user":"alice","command":"rollback","host":"laptop","pid":4242,"incident":"20261202-020304-ab12","since":"2026-12-02T02:03:04Z"}"#,
    )
    .expect("holder");
    let run = world.rewind(&["rollback", "--yes"], None);
    assert_eq!(run.code, 3, "{}", run.stderr);
    for wanted in [
        "error: shop is being changed by alice (rewind rollback, pid 4242 on laptop, since 02:03:04 UTC, incident 20261202-020304-ab12) on this machine",
        "hint: follow what it does with `rewind journal show 20261202-020304-ab12`",
        "hint: wait for it to end",
    ] {
        assert!(
            run.stderr.contains(wanted),
            "missing {wanted:?} in\n{}",
            run.stderr
        );
    }
    assert_eq!(world.deploys(), 0);
    // Its process ends (however it ends): the lock goes with it.
    drop(held);
    let run = world.rewind(&["rollback", "--yes"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(world.deploys(), 1);
}

#[test]
fn status_and_rollback_leave_out_the_same_bad_releases_when_a_tag_was_moved() {
    let world = World::new(None);
    // v1.0.0 was marked bad at another commit, before its tag was moved to
    // the commit deployed now: the one rule leaves it out for both.
    let journal = Journal::open(&world.journal_dir());
    let id = journal
        .begin(
            "shop",
            json!({"command": "rollback", "from": "v1.0.0", "to": "v0.9.0"}),
        )
        .expect("begin");
    journal
        .record(
            &id,
            "shop",
            EntryKind::ReleaseMarkedBad,
            None,
            json!({"tag": "v1.0.0", "commit": "0123456789abcdef0123456789abcdef01234567", "label": "v1.0.0"}),
        )
        .expect("mark");
    journal
        .record(
            &id,
            "shop",
            EntryKind::IncidentClosed,
            None,
            json!({"outcome": "succeeded"}),
        )
        .expect("close");
    let status = world.rewind(&["status", "--json"], None);
    assert_eq!(status.code, 0, "{}", status.stderr);
    let status: Value = serde_json::from_str(&status.stdout).expect("json");
    assert!(
        status["situation"]["last_good"].is_null(),
        "{}",
        status["situation"]["last_good"]
    );
    let plan = world.rewind(&["rollback", "--dry-run", "--json"], None);
    assert_ne!(
        plan.code, 0,
        "the rollback must not pick it: {}",
        plan.stdout
    );
    assert!(
        plan.stderr.contains("no release to go back to"),
        "{}",
        plan.stderr
    );

    // Without the mark, both name v1.0.0.
    let world = World::new(None);
    let status = world.rewind(&["status", "--json"], None);
    let status: Value = serde_json::from_str(&status.stdout).expect("json");
    assert_eq!(
        status["situation"]["last_good"]["release"]["label"],
        "v1.0.0"
    );
    let plan = world.rewind(&["rollback", "--dry-run", "--json"], None);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let plan: Value = serde_json::from_str(&plan.stdout).expect("json");
    assert_eq!(plan["plan"]["to"]["label"], "v1.0.0");
}

#[test]
fn hostile_a_token_in_the_archive_url_template_never_reaches_output_journal_or_report() {
    let world = World::new(None);
    let canary = "CANARY0c4f9e";
    let template =
        format!("http://127.0.0.1:9/archive/{{tag}}.tar.gz?sha={{commit}}&private_token={canary}");
    let run = world.rewind_with(
        &[
            "rollback",
            "--yes",
            "--method",
            "archive",
            "--reason",
            "archive rollback",
        ],
        None,
        &[("REWIND_ARCHIVE_URL_TEMPLATE", template.as_str())],
    );
    let journal =
        std::fs::read_to_string(world.journal_dir().join("journal.jsonl")).expect("journal");
    let listed = world.rewind(&["journal", "--json"], None);
    let rows: Value = serde_json::from_str(&listed.stdout).expect("json");
    let id = rows[0]["id"].as_str().expect("id").to_string();
    let report = world.rewind(&["report", &id], None);
    let shown = world.rewind(&["journal", "show", &id], None);
    for (place, text) in [
        ("stderr", run.stderr.as_str()),
        ("stdout", run.stdout.as_str()),
        ("journal", journal.as_str()),
        ("report", report.stdout.as_str()),
        ("journal show", shown.stdout.as_str()),
    ] {
        assert!(
            !text.contains(canary),
            "the token leaked in the {place}:\n{text}"
        );
    }
    // The rest of the story stays readable.
    assert!(journal.contains("private_token=[redacted]"), "{journal}");
}
