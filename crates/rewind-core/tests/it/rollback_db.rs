//! `rollback --with-db` / `--no-db` at the core level: a real repository
//! whose bad release adds a destructive migration, the sandbox with a
//! PostgreSQL addon (a real cluster for the end-to-end restore, skipped
//! loudly when the server is not installed unless REWIND_REQUIRE_POSTGRES=1;
//! the simulated database elsewhere, which is enough to count requests),
//! and the journal. What must be true is asserted where it lives: the rows
//! and tables of the database, the requests the sandbox received, the
//! journal's entries in order.

use std::process::Command;
use std::time::Duration;

use chrono::{SecondsFormat, SubsecRound, Utc};
use rewind_core::config::{AppConfig, Config};
use rewind_core::db::DatabaseUrl;
use rewind_core::follow::FollowOptions;
use rewind_core::git::GitCli;
use rewind_core::interrupt::Interrupt;
use rewind_core::journal::{BadMarks, EntryKind, Journal};
use rewind_core::platform::Platform;
use rewind_core::platform::scalingo::Scalingo;
use rewind_core::rollback::{
    self, DatabaseChoice, Outcome, Plan, PrepareOptions, Progress, RollbackError, RunOptions,
    StepId, Summary, Tools,
};
use rewind_core::secret::Secret;
use rewind_sandbox::{AddonSeed, AppSeed, PostgresMode, SandboxConfig, ScmSeed};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::platform_env::{PlatformEnv, accepted, method_path};
use crate::repo::TestRepo;
use rewind_test_support::InterruptAfter;

const APP: &str = "shop";

/// A repository with v1.0.0 and v1.1.0 (whose migration adds a table and
/// drops another), a sandbox with a PostgreSQL addon where v1.0.0 then
/// v1.1.0 were deployed, and an empty journal.
struct World {
    _repo: TestRepo,
    env: PlatformEnv,
    journal_dir: TempDir,
    app: AppConfig,
    platform: Scalingo,
    git: GitCli,
    addon: String,
}

impl World {
    fn start(postgres: PostgresMode, extra_config: &str) -> Result<World, String> {
        let mut repo = TestRepo::new();
        repo.write("migrations/001_init.sql", "create table items (id int);\n");
        repo.release(APP, "1.0.0");
        repo.tag("v1.0.0");
        repo.write(
            "migrations/002_audit.sql",
            "create table audit (id int);\ndrop table legacy_prices;\n",
        );
        repo.release(APP, "1.1.0");
        repo.tag("v1.1.0");
        repo.push_all();
        let env = PlatformEnv::with_config(SandboxConfig {
            apps: vec![AppSeed {
                name: APP.into(),
                repo: Some(repo.origin().display().to_string()),
                scm: Some(ScmSeed {
                    branch: "main".into(),
                    auto_deploy: true,
                }),
                addons: vec![AddonSeed {
                    provider: "scalingo-postgresql".into(),
                    plan: "starter-512".into(),
                }],
            }],
            deploy_duration: Duration::from_millis(300),
            rate_limit_per_minute: 0,
            postgres,
            ..SandboxConfig::default()
        })?;
        let toml = format!(
            "[[apps]]\nname = \"{APP}\"\npackage = \"{APP}\"\n[apps.database]\naddon = \"scalingo-postgresql\"\nmargin = \"200ms\"\n{extra_config}"
        );
        let app = Config::parse(&toml, repo.work().join("rewind.toml"))
            .expect("config")
            .apps
            .remove(0);
        let platform = env.client_trying(2);
        let addon = rewind_core::db::database_addon(&platform, APP, None)
            .expect("addon")
            .id;
        Ok(World {
            git: repo.cli(),
            _repo: repo,
            env,
            journal_dir: tempfile::tempdir().expect("journal dir"),
            app,
            platform,
            addon,
        })
    }

    /// A world on the simulated database.
    fn simulated(extra_config: &str) -> World {
        let world = World::start(PostgresMode::Off, extra_config).expect("sandbox");
        // The recovery window opens when the addon is created: the bad
        // deploy, less the margin, must come after.
        past_a_whole_second();
        world.history(&[("v1.0.0", -600), ("v1.1.0", 0)]);
        world
    }

    /// Finished deployments of `(ref, seconds from now)`.
    /// Inserts finished deployments, dated from now by their offset in
    /// seconds; returns that now.
    fn history(&self, deployments: &[(&str, i64)]) -> chrono::DateTime<Utc> {
        let now = Utc::now();
        let list: Vec<Value> = deployments
            .iter()
            .map(|(git_ref, offset)| {
                let at = now + chrono::Duration::milliseconds(offset * 1000);
                json!({"git_ref": git_ref, "duration": 1,
                       "created_at": at.to_rfc3339_opts(SecondsFormat::Millis, true)})
            })
            .collect();
        self.env.admin(
            &format!("/_sandbox/apps/{APP}/deployments/history"),
            json!({ "deployments": list }),
        );
        now
    }

    /// Requests that change something, as `METHOD path` (token exchanges
    /// and refused calls left out).
    fn writes(&self) -> Vec<String> {
        self.env
            .writes()
            .iter()
            .filter(|r| accepted(r))
            .map(method_path)
            .collect()
    }

    fn count(&self, ends_with: &str) -> usize {
        self.writes()
            .iter()
            .filter(|w| w.starts_with("POST") && w.ends_with(ends_with))
            .count()
    }

    fn journal(&self) -> Journal {
        Journal::open(self.journal_dir.path())
    }

    fn options(&self, database: DatabaseChoice) -> PrepareOptions<'_> {
        PrepareOptions {
            database,
            backup_dir: Some(self.journal_dir.path()),
            ..PrepareOptions::default()
        }
    }

    fn prepare(&self, database: DatabaseChoice) -> Plan {
        let journal = self.journal();
        let interrupt = Interrupt::new();
        let tools = self.tools(&journal, &interrupt);
        rollback::prepare(&tools, &self.app, &self.options(database)).expect("plan")
    }

    fn tools<'a>(&'a self, journal: &'a Journal, interrupt: &'a Interrupt) -> Tools<'a> {
        Tools {
            platform: &self.platform,
            git: &self.git,
            journal,
            interrupt,
        }
    }

    fn run_options(&self) -> RunOptions<'_> {
        RunOptions {
            follow: FollowOptions {
                timeout: Duration::from_secs(20),
                poll_interval: Duration::from_millis(50),
                use_stream: true,
            },
            db_poll_first: Duration::from_millis(50),
            db_poll_max: Duration::from_millis(200),
            ..RunOptions::new(&self.app, "alice")
        }
    }

    fn rollback(
        &self,
        database: DatabaseChoice,
        progress: &mut dyn Progress,
        interrupt: &Interrupt,
    ) -> Summary {
        let journal = self.journal();
        let tools = self.tools(&journal, interrupt);
        let plan = rollback::prepare(&tools, &self.app, &self.options(database)).expect("plan");
        rollback::run(&tools, &plan, &self.run_options(), progress).expect("run")
    }

    /// `(kind, step)` of the incident's entries, in order.
    fn entries(&self, incident: &str) -> Vec<(EntryKind, Option<String>)> {
        let incident = self.journal().incident(incident).expect("incident");
        incident
            .entries
            .iter()
            .map(|e| (e.kind.clone(), e.step.clone()))
            .collect()
    }

    /// The app's real database, through psql (the password in the
    /// environment, as rewind passes it).
    fn sql(&self, query: &str) -> String {
        let url = self.env.sandbox.database_url(APP).expect("database url");
        let url = DatabaseUrl::parse(&Secret::new(url)).expect("url");
        let mut command = Command::new("psql");
        command
            .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", query])
            .arg(&url.without_password);
        if let Some(password) = &url.password {
            command.env("PGPASSWORD", password.expose());
        }
        let out = command.output().expect("psql runs");
        assert!(
            out.status.success(),
            "psql {query}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn rows(&self) -> String {
        self.env
            .get(&format!("/_sandbox/databases/{}/rows", self.addon))
            .to_string()
    }

    fn write_rows(&self, rows: &[&str]) {
        self.env.admin(
            &format!("/_sandbox/databases/{}/rows", self.addon),
            json!({ "rows": rows }),
        );
    }
}

/// Waits until a quarter of a second past the next whole second. A restore
/// time goes to Scalingo in whole seconds: with the margin (200ms), a bad
/// deploy created now is restored to that whole second, after everything
/// written (and the window's start) before this call.
/// Real PostgreSQL keeps the system's time, which only waiting moves.
fn past_a_whole_second() {
    let next = (Utc::now() + chrono::Duration::seconds(1)).trunc_subsecs(0);
    rewind_test_support::wait_past((next + chrono::Duration::milliseconds(250)).into());
}

/// Raises the interrupt when `after` ends, as Ctrl-C would.
fn step_ids(plan: &Plan) -> Vec<&'static str> {
    plan.steps.iter().map(|s| s.id.as_str()).collect()
}

#[test]
fn with_a_real_postgresql_the_database_goes_back_to_just_before_the_bad_release() {
    let world = match World::start(PostgresMode::On, "") {
        Ok(world) => world,
        Err(e) if std::env::var("REWIND_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") => {
            panic!("a real PostgreSQL is required (REWIND_REQUIRE_POSTGRES=1): {e}")
        }
        Err(e) => {
            eprintln!(
                "SKIPPED: no real PostgreSQL for the sandbox ({e}); set REWIND_REQUIRE_POSTGRES=1 to make this fail"
            );
            return;
        }
    };
    world.write_rows(&["early order"]);
    past_a_whole_second();
    // The bad release's deploy starts now; its migration and its writes
    // come after.
    let bad_deploy = world.history(&[("v1.0.0", -600), ("v1.1.0", 0)]);
    rewind_test_support::wait_past(bad_deploy.into());
    world.sql("create table audit (id int)");
    world.write_rows(&["late order"]);
    assert_eq!(world.sql("select to_regclass('audit') is not null"), "t");

    let plan = world.prepare(DatabaseChoice::WithDb);
    assert_eq!(
        step_ids(&plan),
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
    let database = plan.database.as_ref().expect("database plan");
    assert_eq!(
        database.migrations.as_ref().expect("evidence").verdict,
        "destructive"
    );
    let restore = database.restore.as_ref().expect("restore");
    assert_eq!(
        restore.restore_to,
        (restore.bad_deployment_created_at - chrono::Duration::milliseconds(200)).trunc_subsecs(0)
    );
    let pitr_title = &plan.steps[5].title;
    assert!(
        pitr_title.contains("every write since then is lost")
            && pitr_title.contains("the database stops during the restore"),
        "{pitr_title}"
    );
    assert!(
        plan.warnings
            .iter()
            .all(|w| !w.contains("no database step")),
        "{:?}",
        plan.warnings
    );

    let journal = world.journal();
    let interrupt = Interrupt::new();
    let tools = world.tools(&journal, &interrupt);
    let summary = rollback::run(&tools, &plan, &world.run_options(), &mut ()).expect("run");
    assert!(
        matches!(summary.outcome, Outcome::Succeeded),
        "{:?}",
        summary.outcome
    );

    let rows = world.rows();
    assert!(
        rows.contains("early order") && !rows.contains("late order"),
        "{rows}"
    );
    assert_eq!(world.sql("select to_regclass('audit') is null"), "t");
    let state = world.env.get(&format!("/_sandbox/apps/{APP}/state"));
    assert!(state.to_string().contains(plan.target_commit()), "{state}");

    let done: Vec<String> = world
        .entries(summary.incident.as_str())
        .into_iter()
        .filter(|(kind, _)| *kind == EntryKind::StepDone)
        .filter_map(|(_, step)| step)
        .collect();
    let at = |id: &str| done.iter().position(|s| s == id).expect(id);
    assert!(at("safety-backup") < at("pitr-restore"), "{done:?}");
    assert!(at("pitr-restore") < at("deploy"), "{done:?}");

    let incident = journal
        .incident(summary.incident.as_str())
        .expect("incident");
    let backup = incident.step("safety-backup").expect("backup step");
    let facts = &backup.data["facts"];
    let archive = facts["backup_archive"].as_str().expect("archive path");
    assert_eq!(
        facts["backup_size"].as_u64(),
        Some(std::fs::metadata(archive).expect("archive on disk").len())
    );
    assert_eq!(facts["backup_sha256"].as_str().map(str::len), Some(64));
    let report = rollback::report(&incident).to_markdown();
    for wanted in ["## Database", "**Safety backup**", "**Restore**: operation"] {
        assert!(report.contains(wanted), "missing {wanted:?} in\n{report}");
    }
}

#[test]
fn a_failed_safety_backup_restores_nothing_and_deploys_nothing() {
    let world = World::simulated("");
    world.env.admin(
        &format!("/_sandbox/databases/{}/backups/fail-next", world.addon),
        json!({}),
    );
    let summary = world.rollback(DatabaseChoice::WithDb, &mut (), &Interrupt::new());
    let Outcome::Failed {
        step,
        error,
        refused,
        previous_release_running,
        ..
    } = &summary.outcome
    else {
        panic!("{:?}", summary.outcome)
    };
    assert_eq!(*step, StepId::SafetyBackup);
    assert!(*refused && *previous_release_running);
    assert!(
        error.contains("nothing was restored and nothing was deployed"),
        "{error}"
    );
    assert_eq!(world.count("/pitr/restore"), 0, "{:?}", world.writes());
    assert_eq!(world.count("/manual_deploy"), 0, "{:?}", world.writes());
    let closing = world
        .journal()
        .incident(summary.incident.as_str())
        .expect("incident");
    assert_eq!(
        format!("{:?}", closing.state),
        "Closed(\"refused\")",
        "{:?}",
        closing.state
    );
}

#[test]
fn an_interruption_after_the_backup_resumes_with_one_backup_one_restore_and_one_deploy() {
    let world = World::simulated("");
    let interrupt = Interrupt::new();
    let summary = world.rollback(
        DatabaseChoice::WithDb,
        &mut InterruptAfter {
            after: StepId::SafetyBackup,
            interrupt: interrupt.clone(),
        },
        &interrupt,
    );
    assert!(
        matches!(
            summary.outcome,
            Outcome::Interrupted {
                step: StepId::PitrRestore,
                ..
            }
        ),
        "{:?}",
        summary.outcome
    );
    assert_eq!(world.count("/backups"), 1);
    assert_eq!(world.count("/pitr/restore"), 0, "{:?}", world.writes());

    let journal = world.journal();
    let fresh = Interrupt::new();
    let resumed = rollback::resume(
        &world.tools(&journal, &fresh),
        summary.incident.as_str(),
        false,
        &world.run_options(),
        &mut (),
    )
    .expect("resume");
    assert!(
        matches!(resumed.outcome, Outcome::Succeeded),
        "{:?}",
        resumed.outcome
    );
    assert_eq!(world.count("/backups"), 1, "{:?}", world.writes());
    assert_eq!(world.count("/pitr/restore"), 1, "{:?}", world.writes());
    assert_eq!(world.count("/manual_deploy"), 1, "{:?}", world.writes());

    // Interrupted while the restore runs: resume follows that operation.
    let again = World::simulated("");
    let interrupt = Interrupt::new();
    let watcher = interrupt_when_noted(
        again.journal_dir.path().to_path_buf(),
        "restore operation",
        interrupt.clone(),
    );
    let cut = again.rollback(DatabaseChoice::WithDb, &mut (), &interrupt);
    watcher.join().expect("watcher");
    assert!(
        matches!(
            cut.outcome,
            Outcome::Interrupted {
                step: StepId::PitrRestore,
                ..
            }
        ),
        "{:?}",
        cut.outcome
    );
    let journal = again.journal();
    let fresh = Interrupt::new();
    let resumed = rollback::resume(
        &again.tools(&journal, &fresh),
        cut.incident.as_str(),
        false,
        &again.run_options(),
        &mut (),
    )
    .expect("resume");
    assert!(
        matches!(resumed.outcome, Outcome::Succeeded),
        "{:?}",
        resumed.outcome
    );
    assert_eq!(again.count("/backups"), 1, "{:?}", again.writes());
    assert_eq!(again.count("/pitr/restore"), 1, "{:?}", again.writes());
    assert_eq!(again.count("/manual_deploy"), 1, "{:?}", again.writes());
}

/// Raises the interrupt as soon as the journal holds a note saying
/// `text`: Ctrl-C in the middle of a step.
fn interrupt_when_noted(
    dir: std::path::PathBuf,
    text: &'static str,
    interrupt: Interrupt,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let journal = Journal::open(&dir);
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while std::time::Instant::now() < deadline {
            let noted = journal.entries().is_ok_and(|(entries, _)| {
                entries.iter().any(|e| {
                    e.kind == EntryKind::Note
                        && e.data["text"].as_str().is_some_and(|t| t.contains(text))
                })
            });
            if noted {
                interrupt.raise();
                return;
            }
            // Asks the journal often: the note is the moment to press
            // Ctrl-C, and the step that wrote it goes on meanwhile.
            std::thread::sleep(Duration::from_millis(5));
        }
    })
}

#[test]
fn no_db_journals_the_migrations_knowingly_left_in_place() {
    let world = World::simulated("");
    let plan = world.prepare(DatabaseChoice::NoDb);
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
    let database = plan.database.as_ref().expect("database plan");
    let statement = database.statement.as_deref().expect("statement");
    assert!(
        statement.contains("1 migration file(s) (destructive)")
            && statement.contains("knowingly left in place"),
        "{statement}"
    );
    assert!(!plan.has_step(StepId::SafetyBackup) && !plan.has_step(StepId::PitrRestore));

    let summary = world.rollback(DatabaseChoice::NoDb, &mut (), &Interrupt::new());
    assert!(matches!(summary.outcome, Outcome::Succeeded));
    let incident = world
        .journal()
        .incident(summary.incident.as_str())
        .expect("incident");
    let note = incident
        .entries
        .iter()
        .find(|e| e.kind == EntryKind::Note && e.data["database"].is_string())
        .expect("the --no-db note");
    assert_eq!(note.data["migrations"]["verdict"], "destructive");
    assert_eq!(
        note.data["migrations"]["files"][0]["path"],
        "migrations/002_audit.sql"
    );
    assert_eq!(world.count("/backups"), 0);
    assert_eq!(world.count("/pitr/restore"), 0);
}

#[test]
fn without_a_choice_destructive_migrations_keep_the_loud_warning_and_suggest_with_db() {
    let world = World::simulated("");
    let plan = world.prepare(DatabaseChoice::Undecided);
    assert_eq!(plan.warnings.len(), 2, "{:?}", plan.warnings);
    assert!(plan.warnings[0].contains("no database step is planned"));
    assert!(
        plan.warnings[1].contains("the migrations are destructive: pass --with-db"),
        "{}",
        plan.warnings[1]
    );
    assert!(
        plan.database
            .as_ref()
            .expect("database")
            .restore_worth_asking()
    );

    // Said yes when asked: the warnings go, the steps come.
    let mut plan = plan;
    let journal = world.journal();
    let interrupt = Interrupt::new();
    rollback::add_database(
        &world.tools(&journal, &interrupt),
        &world.app,
        &mut plan,
        Some(world.journal_dir.path()),
    )
    .expect("database steps");
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
    assert!(plan.has_step(StepId::SafetyBackup) && plan.has_step(StepId::PitrRestore));
}

#[test]
fn preparing_with_db_changes_nothing_and_after_deploy_restores_once_verified() {
    let world = World::simulated("rollback_order = \"after-deploy\"\n");
    let before = world.writes();
    let plan = world.prepare(DatabaseChoice::WithDb);
    assert_eq!(world.writes(), before, "a plan (a dry run) writes nothing");
    assert!(
        std::fs::read_dir(world.journal_dir.path())
            .expect("dir")
            .next()
            .is_none()
    );
    assert_eq!(
        step_ids(&plan),
        [
            "mark-bad",
            "branch",
            "push",
            "hold",
            "deploy",
            "follow",
            "verify",
            "safety-backup",
            "pitr-restore"
        ]
    );
    assert!(
        !plan.steps[7].title.contains("nothing is deployed"),
        "{}",
        plan.steps[7].title
    );
}

#[test]
fn a_deploy_refused_after_the_restore_is_finished_by_resume_and_never_restored_twice() {
    let world = World::simulated("");
    world.env.admin(
        "/_sandbox/faults",
        json!({"method": "POST", "path": "/v1/apps/*/scm_repo_link/manual_deploy", "status": 422}),
    );
    let summary = world.rollback(DatabaseChoice::WithDb, &mut (), &Interrupt::new());
    let Outcome::Failed {
        step,
        hints,
        runs_now,
        changed,
        ..
    } = &summary.outcome
    else {
        panic!("{:?}", summary.outcome)
    };
    assert_eq!(*step, StepId::Deploy);
    assert_eq!(world.count("/backups"), 1, "{:?}", world.writes());
    assert_eq!(world.count("/pitr/restore"), 1, "{:?}", world.writes());
    assert_eq!(world.env.deploys().len(), 0);
    // The truth after the failure: read again, and what this run changed.
    let runs_now = runs_now.as_deref().expect("read after the failure");
    assert!(runs_now.starts_with("v1.1.0 runs now"), "{runs_now}");
    assert!(changed.iter().any(|c| c.contains("restore")), "{changed:?}");
    assert!(
        !hints.iter().any(|h| h.contains("nothing changed")),
        "{hints:?}"
    );
    assert!(
        hints
            .iter()
            .any(|h| h.contains(&format!("rewind resume {}", summary.incident))),
        "{hints:?}"
    );

    // Running the same command again is refused: the failed rollback
    // still describes what runs, and resume is the way to finish it.
    let journal = world.journal();
    let interrupt = Interrupt::new();
    let tools = world.tools(&journal, &interrupt);
    let again = rollback::prepare(&tools, &world.app, &world.options(DatabaseChoice::WithDb))
        .expect_err("a rerun is refused");
    assert!(
        matches!(again, RollbackError::RollbackInProgress { .. }),
        "{again}"
    );
    // Forced past that, the plan still never restores a second time.
    let forced = rollback::prepare(
        &tools,
        &world.app,
        &PrepareOptions {
            force: true,
            ..world.options(DatabaseChoice::WithDb)
        },
    )
    .expect("forced plan");
    let database = forced.database.as_ref().expect("database");
    assert_eq!(database.choice, DatabaseChoice::RestoredAlready);
    assert!(
        database
            .statement
            .as_deref()
            .is_some_and(|s| s.contains("already restored") && s.contains("--restore-again")),
        "{:?}",
        database.statement
    );
    assert!(!forced.has_step(StepId::PitrRestore));
    assert!(!forced.has_step(StepId::SafetyBackup));

    let resumed = rollback::resume(
        &tools,
        summary.incident.as_str(),
        false,
        &world.run_options(),
        &mut (),
    )
    .expect("resume");
    assert!(
        matches!(resumed.outcome, Outcome::Succeeded),
        "{:?}",
        resumed.outcome
    );
    assert_eq!(world.count("/backups"), 1, "{:?}", world.writes());
    assert_eq!(world.count("/pitr/restore"), 1, "{:?}", world.writes());
    assert_eq!(world.env.deploys().len(), 1);
    // The report keeps what the restore cost the data, and how to get
    // rows back from the safety backup.
    let told = rollback::report(
        &journal
            .incident(summary.incident.as_str())
            .expect("incident"),
    )
    .to_markdown();
    for wanted in [
        "## Data",
        "**Restore point**",
        "**Writes lost**: every write made between",
        "**Good writes lost too**",
        "**Safety backup**: `",
        "rewind db restore shop --from-file",
    ] {
        assert!(told.contains(wanted), "missing {wanted:?} in\n{told}");
    }
    // Marked bad as soon as the rollback began, once.
    let marks = BadMarks::read(&journal, APP).expect("marks");
    assert_eq!(marks.marks.len(), 1);
    assert_eq!(marks.marks[0].tag.as_deref(), Some("v1.1.0"));
}

#[test]
fn every_restore_path_goes_back_to_the_same_whole_second_and_sends_exactly_it() {
    let world = World::simulated("");
    let plan = world.prepare(DatabaseChoice::WithDb);
    let restore = plan
        .database
        .as_ref()
        .and_then(|d| d.restore.clone())
        .expect("restore plan");
    // `db restore --before-deploy` and the guide plan through plan_pitr.
    let bad = world
        .platform
        .deployment(APP, &restore.bad_deployment_id)
        .expect("bad deployment");
    let addon = rewind_core::db::database_addon(&world.platform, APP, None).expect("addon");
    let direct = rewind_core::db::plan_pitr(
        &world.platform,
        APP,
        &addon,
        rewind_core::db::Target::BeforeDeploy {
            deployment: Box::new(bad),
            margin: Duration::from_millis(200),
        },
    )
    .expect("pitr plan");
    assert_eq!(direct.restore_to, restore.restore_to);
    assert_eq!(restore.restore_to.timestamp_subsec_nanos(), 0);
    // A time typed with a fraction follows the same rule.
    let typed = rewind_core::db::plan_pitr(
        &world.platform,
        APP,
        &addon,
        rewind_core::db::Target::At {
            time: restore.restore_to + chrono::Duration::milliseconds(999),
        },
    )
    .expect("pitr plan");
    assert_eq!(typed.restore_to, restore.restore_to);

    let summary = world.rollback(DatabaseChoice::WithDb, &mut (), &Interrupt::new());
    assert!(
        matches!(summary.outcome, Outcome::Succeeded),
        "{:?}",
        summary.outcome
    );
    let sent: Vec<Value> = world
        .env
        .received("/pitr/restore")
        .into_iter()
        .map(|r| r["body"].clone())
        .collect();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let body: Value = match &sent[0] {
        Value::String(text) => serde_json::from_str(text).expect("json body"),
        other => other.clone(),
    };
    assert_eq!(
        body["restore_time"],
        restore
            .restore_to
            .to_rfc3339_opts(SecondsFormat::Secs, true)
    );
}
