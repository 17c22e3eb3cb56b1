//! `rewind rollback APP APP…`: two apps of one repository (an API with a
//! database and a front) rolled back together through the real binary,
//! against the sandbox and a real repository: one confirmation, the API's
//! database restored before any deploy, one app failing while the other
//! finishes, `resume` finishing only what is unfinished, Ctrl-C and a lock
//! held on one app.

use std::path::PathBuf;
use std::time::Duration;

use rewind_core::config::Config;
use rewind_core::follow::FollowOptions;
use rewind_core::interrupt::Interrupt;
use rewind_core::journal::{Entry, Holder, Journal};
use rewind_core::platform::scalingo::{RequestBudget, RetryPolicy, Scalingo, ScalingoSettings};
use rewind_core::rollback::{
    self, AppRun, DatabaseChoice, FleetApp, FleetProgress, FleetTools, PlannedStep, PrepareOptions,
    RunOptions, StepId, StepReport,
};
use rewind_sandbox::{AddonSeed, AppSeed, PostgresMode, Sandbox, SandboxConfig, ScmSeed};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::{GIT_DATES, GIT_ENV, Rewind, Run, admin_get, admin_post, git};

pub(crate) const APPS: [&str; 2] = ["api", "front"];

/// An origin with v1.0.0 and v1.1.0 (whose migration drops a table), its
/// clone with a rewind.toml naming two apps deployed from it, `api` with a
/// simulated PostgreSQL database; a sandbox where both releases were
/// deployed on both apps, v1.1.0 just now.
pub(crate) struct World {
    pub(crate) dir: TempDir,
    pub(crate) sandbox: Sandbox,
}

impl World {
    pub(crate) fn new() -> World {
        World::build("")
    }

    /// With `[notify] webhook_url = url`, for every app.
    pub(crate) fn with_webhook(url: &str) -> World {
        World::build(&format!("[notify]\nwebhook_url = \"{url}\"\n\n"))
    }

    fn build(notify: &str) -> World {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("home")).expect("home");
        std::fs::create_dir(dir.path().join("journal")).expect("journal");
        let work = crate::support::origin_and_clone(dir.path());
        let release = |version: &str, extra: &[(&str, &str)]| {
            crate::support::release(&work, version, extra);
        };
        release("1.0.0", &[(".sandbox/outcome", "success")]);
        release(
            "1.1.0",
            &[
                (".sandbox/outcome", "success"),
                ("migrations/002.sql", "drop table legacy_prices;\n"),
            ],
        );
        git(&work, &["push", "--quiet", "origin", "main", "--tags"]);
        std::fs::write(
            work.join("rewind.toml"),
            format!("{notify}[[apps]]\nname = \"api\"\npackage = \"shop\"\n[apps.database]\naddon = \"scalingo-postgresql\"\nmargin = \"200ms\"\n\n[[apps]]\nname = \"front\"\npackage = \"shop\"\n"),
        )
        .expect("toml");
        let app = |name: &str, addons: Vec<AddonSeed>| AppSeed {
            name: name.into(),
            repo: Some(dir.path().join("origin.git").display().to_string()),
            scm: Some(ScmSeed {
                branch: "main".into(),
                auto_deploy: true,
            }),
            addons,
        };
        let config = SandboxConfig {
            apps: vec![
                app(
                    "api",
                    vec![AddonSeed {
                        provider: "scalingo-postgresql".into(),
                        plan: "starter-512".into(),
                    }],
                ),
                app("front", Vec::new()),
            ],
            deploy_duration: Duration::from_millis(300),
            rate_limit_per_minute: 0,
            postgres: PostgresMode::Off,
            ..SandboxConfig::default()
        };
        let sandbox = Sandbox::start(config).expect("sandbox");
        let world = World { dir, sandbox };
        // Restore times go to Scalingo in whole seconds: past one, the bad
        // deploy less the margin is inside the window, which opens when
        // the addon is created.
        let into = u64::from(chrono::Utc::now().timestamp_subsec_millis());
        std::thread::sleep(Duration::from_millis(1000 - into + 250));
        let now = chrono::Utc::now();
        let at = |t: chrono::DateTime<chrono::Utc>| {
            t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        };
        for name in APPS {
            admin_post(
                &world.sandbox,
                &format!("/_sandbox/apps/{name}/deployments/history"),
                json!({"deployments": [
                    {"git_ref": "v1.0.0", "duration": 1, "created_at": at(now - chrono::Duration::minutes(10))},
                    {"git_ref": "v1.1.0", "duration": 1, "created_at": at(now)},
                ]}),
            );
        }
        world
    }

    pub(crate) fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    pub(crate) fn journal_dir(&self) -> PathBuf {
        self.dir.path().join("journal")
    }

    pub(crate) fn requests(&self) -> Vec<Value> {
        admin_get(&self.sandbox, "/_sandbox/requests")["requests"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Requests that change something on the platform.
    pub(crate) fn writes(&self) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|r| {
                r["method"] != "GET"
                    && r["path"] != "/v1/tokens/exchange"
                    && !r["path"].as_str().is_some_and(|p| p.ends_with("/token"))
            })
            .collect()
    }

    /// Deployments the platform accepted for `app`.
    pub(crate) fn deploys(&self, app: &str) -> usize {
        let path = format!("/v1/apps/{app}/scm_repo_link/manual_deploy");
        self.writes()
            .iter()
            .filter(|r| r["path"] == path.as_str() && r["status"] == 200)
            .count()
    }

    /// Point-in-time restores the platform accepted.
    fn restores(&self) -> usize {
        self.writes()
            .iter()
            .filter(|r| {
                r["path"]
                    .as_str()
                    .is_some_and(|p| p.ends_with("/pitr_restore") || p.contains("restore"))
                    && r["status"].as_u64().is_some_and(|s| s < 300)
            })
            .count()
    }

    pub(crate) fn entries(&self) -> Vec<Entry> {
        let text =
            std::fs::read_to_string(self.journal_dir().join("journal.jsonl")).unwrap_or_default();
        text.lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    pub(crate) fn rewind(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let command = Rewind::new(args)
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

    fn git_cli(&self) -> rewind_core::git::GitCli {
        let mut git_cli =
            rewind_core::git::GitCli::new(self.work()).env("HOME", self.dir.path().join("home"));
        for (k, v) in GIT_ENV.into_iter().chain(GIT_DATES) {
            git_cli = git_cli.env(k, v);
        }
        git_cli
    }
}

/// Chat messages a local webhook received.
#[derive(Clone, Default)]
pub(crate) struct Hook(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl Hook {
    pub(crate) fn start() -> (Hook, String) {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
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

    pub(crate) fn messages(&self) -> Vec<String> {
        self.0.lock().expect("lock").clone()
    }
}

/// The position in the journal of the first entry matching.
fn position(entries: &[Entry], app: &str, kind: &str, step: &str) -> usize {
    entries
        .iter()
        .position(|e| {
            e.app == app
                && serde_json::to_value(&e.kind).expect("kind") == kind
                && e.step.as_deref() == Some(step)
        })
        .unwrap_or_else(|| panic!("no {kind} {step} of {app} in the journal"))
}

fn incident_of(run: &Run) -> String {
    let text = format!("{}{}", run.stdout, run.stderr);
    let at = text.find("Incident ").expect("the incident is named") + "Incident ".len();
    text[at..]
        .split_whitespace()
        .next()
        .expect("id")
        .trim_end_matches(':')
        .to_string()
}

#[test]
fn two_apps_go_back_with_one_confirmation_and_the_database_is_restored_before_any_deploy() {
    let (hook, url) = Hook::start();
    let world = World::with_webhook(&url);
    let run = world.rewind(
        &["rollback", "api", "front", "--with-db"],
        Some("api front\n"),
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    // One plan grouped by app, one question.
    assert!(
        run.stderr.contains("Rollback of 2 apps: api, front"),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.stderr.matches("Type their names").count(),
        1,
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("[api  ] "), "{}", run.stderr);
    assert!(run.stderr.contains("[front] "), "{}", run.stderr);
    assert_eq!(world.deploys("api"), 1);
    assert_eq!(world.deploys("front"), 1);
    // The runbook's order: the API's database is back before either app
    // is deployed.
    let entries = world.entries();
    let restored = position(&entries, "api", "step_done", "pitr-restore");
    for app in APPS {
        let deploy = position(&entries, app, "step_started", "deploy");
        assert!(restored < deploy, "{app} deployed before the restore ended");
    }
    // One message to the team for the whole rollback.
    let messages = hook.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].contains("rolled back 2 app(s)"), "{messages:?}");
    assert!(
        messages[0].contains("api from v1.1.0 to v1.0.0"),
        "{messages:?}"
    );
    assert!(
        messages[0].contains("front from v1.1.0 to v1.0.0"),
        "{messages:?}"
    );
    // One incident, its entries carrying their app, a report section per
    // app.
    let id = incident_of(&run);
    let ids: std::collections::HashSet<&str> =
        entries.iter().map(|e| e.incident.as_str()).collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let report = world.rewind(&["report", &id], None);
    assert_eq!(report.code, 0, "{}", report.stderr);
    assert!(
        report.stdout.contains("rollback of 2 apps (api, front)"),
        "{}",
        report.stdout
    );
    assert!(
        report
            .stdout
            .contains("- **api**: v1.1.0 -> v1.0.0: succeeded"),
        "{}",
        report.stdout
    );
    assert!(
        report
            .stdout
            .contains("- **front**: v1.1.0 -> v1.0.0: succeeded"),
        "{}",
        report.stdout
    );
    assert!(report.stdout.contains("## Incident"), "{}", report.stdout);
    // Each app's bad marks (what `rewind status` shows for it) name the
    // one incident. Read from the journal, not with `rewind status`: the
    // rollback of two apps spent most of this minute's request budget,
    // and status would wait for it, as it should.
    let journal = Journal::open(&world.journal_dir());
    for app in APPS {
        let marks = rewind_core::journal::BadMarks::read(&journal, app).expect("marks");
        assert!(marks.marked_by(&id), "{app}");
    }
    // Done is done: a resume finds nothing to do and changes nothing.
    let again = world.rewind(&["resume", &id, "--yes"], None);
    assert_eq!(again.code, 3, "{}", again.stderr);
    assert!(
        again
            .stderr
            .contains("api: finished (succeeded), left alone"),
        "{}",
        again.stderr
    );
    assert_eq!(world.deploys("api") + world.deploys("front"), 2);
}

#[test]
fn a_wrong_confirmation_changes_nothing_on_any_app() {
    let world = World::new();
    let run = world.rewind(&["rollback", "api", "front", "--no-db"], Some("api\n"));
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("nothing was changed"), "{}", run.stderr);
    assert!(world.writes().is_empty(), "{:?}", world.writes());
    assert!(
        world
            .entries()
            .iter()
            .all(|e| serde_json::to_value(&e.kind).expect("kind") == "dry_run")
    );
}

#[test]
fn rolling_one_app_back_proposes_the_app_released_with_it_and_adds_nothing_by_itself() {
    let world = World::new();
    // Both apps are deployed from the same release tags: rolling the API
    // back proposes the front, with why and the command that takes both.
    let run = world.rewind(&["rollback", "api", "--no-db", "--dry-run", "--json"], None);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("Released together with the bad release"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("deployed from the same release tag v1.1.0"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("rewind rollback api front"),
        "{}",
        run.stderr
    );
    let json: Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(json["linked"][0]["app"], "front", "{json}");
    assert_eq!(json["linked"][0]["their_bad_tag"], "v1.1.0", "{json}");
    // Only the API is in the plan: the proposal adds nothing by itself.
    assert_eq!(json["plan"]["app"], "api", "{json}");
    // With both asked for, nothing is left to propose.
    let both = world.rewind(&["rollback", "api", "front", "--no-db", "--dry-run"], None);
    assert_eq!(both.code, 0, "{}\n{}", both.stdout, both.stderr);
    assert!(
        !both.stderr.contains("Released together"),
        "{}",
        both.stderr
    );
    assert!(world.writes().is_empty(), "{:?}", world.writes());
}

/// On a terminal (a pseudo-terminal made by util-linux's `script`), each
/// app has one live line, rewritten in place as it moves; in a pipe (every
/// other test here), one line per event.
#[test]
fn on_a_terminal_each_app_has_one_live_line() {
    let world = World::new();
    let rewind = env!("CARGO_BIN_EXE_rewind");
    let mut command = std::process::Command::new("script");
    command
        .args([
            "-qec",
            &format!("'{rewind}' rollback api front --no-db --yes"),
            "/dev/null",
        ])
        .current_dir(world.work())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", world.dir.path().join("home"))
        .env("TERM", "xterm-256color")
        .env("USER", "alice")
        .env("NO_COLOR", "1")
        .env("REWIND_JOURNAL_DIR", world.journal_dir())
        .envs(GIT_ENV)
        .envs(GIT_DATES)
        .envs(world.sandbox.env_vars())
        .stdin(std::process::Stdio::null());
    let out = command.output().expect("script runs");
    let screen = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{screen}");
    // The two lines are drawn again from their top: up two lines, each
    // cleared before it is written.
    let redraw = "\r\u{1b}[2A\u{1b}[2K";
    let frames: Vec<&str> = screen.split(redraw).collect();
    assert!(
        frames.len() > 4,
        "the live lines are redrawn as the apps move: {screen:?}"
    );
    // The last frame: one line per app, where each ended.
    let last = frames.last().expect("a frame");
    let lines: Vec<&str> = last
        .split("\u{1b}[2K")
        .map(|l| l.trim_end_matches(['\r', '\n']))
        .filter(|l| !l.is_empty())
        .collect();
    assert!(
        lines[0].starts_with("[api  ]") && lines[0].contains("api runs v1.0.0"),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with("[front]") && lines[1].contains("front runs v1.0.0"),
        "{lines:?}"
    );
    assert_eq!(world.deploys("api"), 1);
    assert_eq!(world.deploys("front"), 1);
}

#[test]
fn a_lock_held_on_one_app_refuses_every_app_before_anything_runs() {
    let world = World::new();
    let journal = Journal::open(&world.journal_dir());
    let _held =
        rewind_core::journal::AppLock::acquire(&journal, "front", &Holder::me("bob", "rollback"))
            .expect("lock");
    let run = world.rewind(&["rollback", "--all", "--no-db", "--yes"], None);
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("error: front: front is being changed"),
        "{}",
        run.stderr
    );
    assert!(world.writes().is_empty(), "{:?}", world.writes());
    assert!(world.entries().is_empty());
}

#[test]
fn one_app_failing_leaves_the_other_to_finish_and_resume_finishes_only_it() {
    let world = World::new();
    admin_post(
        &world.sandbox,
        "/_sandbox/faults",
        json!({"method": "POST", "path": "/v1/apps/front/scm_repo_link/manual_deploy", "status": 422, "times": 1}),
    );
    let run = world.rewind(&["rollback", "api", "front", "--no-db", "--yes"], None);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("api: rolled back"), "{}", run.stderr);
    assert!(
        run.stderr.contains("front: FAILED at step `deploy`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("the rollback of front did not succeed (api rolled back)"),
        "{}",
        run.stderr
    );
    assert_eq!(world.deploys("api"), 1);
    assert_eq!(world.deploys("front"), 0);
    let id = incident_of(&run);
    let report = world.rewind(&["report", &id], None);
    assert!(
        report
            .stdout
            .contains("- **api**: v1.1.0 -> v1.0.0: succeeded"),
        "{}",
        report.stdout
    );
    assert!(
        report
            .stdout
            .contains("- **front**: v1.1.0 -> v1.0.0: failed at step `deploy`"),
        "{}",
        report.stdout
    );
    let resumed = world.rewind(&["resume", &id, "--yes"], None);
    assert_eq!(resumed.code, 0, "{}\n{}", resumed.stdout, resumed.stderr);
    assert!(
        resumed
            .stderr
            .contains("api: finished (succeeded), left alone"),
        "{}",
        resumed.stderr
    );
    // Exactly one deploy each: the API's was not made again.
    assert_eq!(world.deploys("api"), 1);
    assert_eq!(world.deploys("front"), 1);
}

/// Ctrl-C when one app's step ends, as the person would press it.
struct CtrlCAfter {
    app: &'static str,
    step: StepId,
    interrupt: Interrupt,
}

impl FleetProgress for CtrlCAfter {
    fn step_ended(&mut self, app: &str, step: &PlannedStep, _report: &StepReport) {
        if app == self.app && step.id == self.step {
            self.interrupt.raise();
        }
    }
}

#[test]
fn ctrl_c_mid_way_is_journaled_and_resume_finishes_without_doing_anything_twice() {
    let world = World::new();
    let config = Config::load(world.work().join("rewind.toml")).expect("config");
    let (api, front) = (&config.apps[0], &config.apps[1]);
    let (api_client, front_client) = (world.client(), world.client());
    let git_cli = world.git_cli();
    let journal = Journal::open(&world.journal_dir());
    let interrupt = Interrupt::new();
    let tools = FleetTools {
        git: &git_cli,
        journal: &journal,
        interrupt: &interrupt,
    };
    let apps = [
        FleetApp {
            config: api,
            platform: &api_client,
            to: None,
            why: "named".into(),
            webhook: false,
            backup_dir: None,
        },
        FleetApp {
            config: front,
            platform: &front_client,
            to: None,
            why: "named".into(),
            webhook: false,
            backup_dir: None,
        },
    ];
    let options = PrepareOptions {
        database: DatabaseChoice::WithDb,
        ..PrepareOptions::default()
    };
    let plan = rollback::prepare_fleet(&tools, &apps, &options).expect("plan");
    let follow = FollowOptions {
        timeout: Duration::from_secs(20),
        poll_interval: Duration::from_millis(50),
        use_stream: true,
    };
    let runs = [
        AppRun {
            platform: &api_client,
            options: RunOptions {
                follow: follow.clone(),
                ..RunOptions::new(api, "alice")
            },
        },
        AppRun {
            platform: &front_client,
            options: RunOptions {
                follow,
                ..RunOptions::new(front, "alice")
            },
        },
    ];
    // Ctrl-C once the API's deployment is followed to its end.
    let mut progress = CtrlCAfter {
        app: "api",
        step: StepId::Follow,
        interrupt: interrupt.clone(),
    };
    let summary = rollback::run_fleet(&tools, &plan, &runs, &mut progress).expect("run");
    assert!(summary.interrupted().count() >= 1, "{summary:?}");
    let id = summary.incident.to_string();
    assert!(
        world
            .entries()
            .iter()
            .any(|e| serde_json::to_value(&e.kind).expect("kind") == "interrupted")
    );
    let (api_deploys, front_deploys) = (world.deploys("api"), world.deploys("front"));
    assert_eq!(api_deploys, 1);
    assert!(front_deploys <= 1);
    assert_eq!(world.restores(), 1);
    let resumed = world.rewind(&["resume", &id, "--yes"], None);
    assert_eq!(resumed.code, 0, "{}\n{}", resumed.stdout, resumed.stderr);
    // Nothing twice: one deploy each, one restore in all.
    assert_eq!(world.deploys("api"), 1);
    assert_eq!(world.deploys("front"), 1);
    assert_eq!(world.restores(), 1);
}

/// A progress that panics when `front` starts its first step: a bug in a
/// caller's code, in one app's thread, before the deploys' barrier.
struct PanicsOnFront;

impl FleetProgress for PanicsOnFront {
    fn step_started(&mut self, app: &str, _step: &PlannedStep) {
        if app == "front" {
            panic!("a bug in front's thread");
        }
    }
}

#[test]
fn a_panic_in_one_apps_thread_ends_the_rollback_instead_of_leaving_the_others_waiting() {
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    // The rollback runs on a thread of its own so that a hang is seen as
    // one (the answer never comes) instead of hanging the test suite.
    std::thread::spawn(move || {
        let world = World::new();
        let config = Config::load(world.work().join("rewind.toml")).expect("config");
        let (api, front) = (&config.apps[0], &config.apps[1]);
        let (api_client, front_client) = (world.client(), world.client());
        let git_cli = world.git_cli();
        let journal = Journal::open(&world.journal_dir());
        let interrupt = Interrupt::new();
        let tools = FleetTools {
            git: &git_cli,
            journal: &journal,
            interrupt: &interrupt,
        };
        let app = |config, platform| FleetApp {
            config,
            platform,
            to: None,
            why: "named".into(),
            webhook: false,
            backup_dir: None,
        };
        let apps = [app(api, &api_client), app(front, &front_client)];
        let plan =
            rollback::prepare_fleet(&tools, &apps, &PrepareOptions::default()).expect("plan");
        let runs = [
            AppRun {
                platform: &api_client,
                options: RunOptions::new(api, "alice"),
            },
            AppRun {
                platform: &front_client,
                options: RunOptions::new(front, "alice"),
            },
        ];
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rollback::run_fleet(&tools, &plan, &runs, &mut PanicsOnFront)
        }));
        let _ = done_tx.send(outcome.is_err());
        drop(world);
    });
    let panicked = done_rx.recv_timeout(Duration::from_secs(120)).expect(
        "the rollback neither returned nor panicked within 2 minutes: an app waits forever",
    );
    assert!(
        panicked,
        "the bug in front's thread must surface as a panic"
    );
}

#[test]
fn with_several_apps_to_names_its_app_and_a_bare_version_is_refused() {
    let world = World::new();
    let run = world.rewind(
        &["rollback", "api", "front", "--to", "1.0.0", "--dry-run"],
        None,
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--to APP=VERSION"), "{}", run.stderr);
    let run = world.rewind(
        &[
            "rollback",
            "api",
            "front",
            "--to",
            "front=1.0.0",
            "--no-db",
            "--dry-run",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("dry run: nothing was changed"),
        "{}",
        run.stderr
    );
    assert!(world.writes().is_empty());
}

#[test]
fn hold_and_unhold_take_several_apps_and_each_is_journaled() {
    let world = World::new();
    let auto_deploy = |app: &str| {
        admin_get(&world.sandbox, &format!("/_sandbox/apps/{app}/state"))["scm"]["auto_deploy_enabled"]
            == true
    };
    let held = world.rewind(&["hold", "--all", "--reason", "bad release"], None);
    assert_eq!(held.code, 0, "{}", held.stderr);
    assert!(!auto_deploy("api") && !auto_deploy("front"));
    assert!(
        held.stderr.contains("api: auto-deploy switched off"),
        "{}",
        held.stderr
    );
    assert!(
        held.stderr.contains("front: auto-deploy switched off"),
        "{}",
        held.stderr
    );
    let unheld = world.rewind(&["unhold", "api", "front"], None);
    assert_eq!(unheld.code, 0, "{}", unheld.stderr);
    assert!(auto_deploy("api") && auto_deploy("front"));
    // An unknown app is refused before any app is changed.
    let wrong = world.rewind(&["hold", "api", "nope"], None);
    assert_eq!(wrong.code, 2, "{}", wrong.stderr);
    assert!(auto_deploy("api"));
}

/// Ctrl-C through the binary: SIGINT while the front's deployment hangs
/// stops both apps at a safe point, exit 130, journaled; once that
/// deployment ends, `resume` follows it and deploys nothing again.
#[test]
fn sigint_while_following_exits_130_and_resume_deploys_nothing_again() {
    use std::io::{BufRead, BufReader, Read};
    let world = World::new();
    admin_post(
        &world.sandbox,
        "/_sandbox/apps/front/deployments/hang-next",
        Value::Null,
    );
    let mut child = Rewind::new(&["rollback", "api", "front", "--no-db", "--yes"])
        .dir(&world.work())
        .home(&world.dir.path().join("home"))
        .env("USER", "alice")
        .envs(GIT_DATES)
        .journal(&world.journal_dir())
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
        if !sent && line.starts_with("[front]") && line.contains("] follow:") {
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
    assert!(sent, "the front's follow step never started:\n{said}");
    assert_eq!(status.code(), Some(130), "{stdout}\n{said}");
    assert!(said.contains("front: interrupted"), "{said}");
    assert!(
        world
            .entries()
            .iter()
            .any(|e| e.app == "front"
                && serde_json::to_value(&e.kind).expect("kind") == "interrupted"),
        "{said}"
    );
    assert_eq!((world.deploys("api"), world.deploys("front")), (1, 1));
    // The hanging deployment ends; the resume follows it.
    let started = said
        .lines()
        .filter(|l| l.starts_with("[front]"))
        .find_map(|l| {
            let at = l.find(": deployment ")? + ": deployment ".len();
            let rest = &l[at..];
            rest.ends_with(" started")
                .then(|| rest.trim_end_matches(" started").to_string())
        })
        .unwrap_or_else(|| panic!("no deployment started for front:\n{said}"));
    // Under load the deployment may still be on its way to its hang.
    rewind_test_support::wait_until(
        Duration::from_secs(30),
        "the front's deployment to hang",
        || {
            admin_get(&world.sandbox, "/_sandbox/apps/front/state")["deployments"]
                .as_array()
                .and_then(|all| all.iter().find(|d| d["id"] == started.as_str()))
                .is_some_and(|d| d["hanging"] == true)
        },
    );
    admin_post(
        &world.sandbox,
        &format!("/_sandbox/apps/front/deployments/{started}/finish"),
        json!({"status": "success"}),
    );
    let id = incident_of(&Run {
        code: 130,
        stdout,
        stderr: said.clone(),
    });
    let resumed = world.rewind(&["resume", &id, "--yes"], None);
    assert_eq!(resumed.code, 0, "{}\n{}", resumed.stdout, resumed.stderr);
    assert_eq!((world.deploys("api"), world.deploys("front")), (1, 1));
}

/// The API's safety backup fails: its database is not restored and it is
/// not deployed, while the front, which does not depend on that database,
/// still goes back; the end names which app is where, and a refusal is
/// exit 3.
#[test]
fn a_failed_safety_backup_stops_its_app_only() {
    let world = World::new();
    let state = admin_get(&world.sandbox, "/_sandbox/apps/api/state");
    let addon = state["addons"][0]["id"]
        .as_str()
        .expect("addon")
        .to_string();
    admin_post(
        &world.sandbox,
        &format!("/_sandbox/databases/{addon}/backups/fail-next"),
        json!({}),
    );
    let run = world.rewind(&["rollback", "api", "front", "--with-db", "--yes"], None);
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("api: refused at step `safety-backup`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("front: rolled back"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("the rollback of api did not succeed (front rolled back)"),
        "{}",
        run.stderr
    );
    assert_eq!((world.deploys("api"), world.deploys("front")), (0, 1));
    assert_eq!(world.restores(), 0);
}
