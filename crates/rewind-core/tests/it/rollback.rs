//! Rollbacks end to end at the core level: a real repository (bare origin
//! and clone) with release tags, the sandbox deploying from that origin,
//! the journal in a temp dir. What must be true is asserted where it lives:
//! branches on the origin, the deploys the sandbox received, the SCM link,
//! the journal.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rewind_core::config::{AppConfig, Config};
use rewind_core::follow::FollowOptions;
use rewind_core::git::{Git, GitCli};
use rewind_core::identify::{Resolver, identify};
use rewind_core::interrupt::Interrupt;
use rewind_core::journal::{BadMarks, EntryKind, IncidentState, Journal, StepState};
use rewind_core::platform::Platform;
use rewind_core::platform::scalingo::Scalingo;
use rewind_core::rollback::{
    self, ErrorClass, Method, Outcome, PlannedStep, PrepareOptions, Progress, RollbackError,
    RunOptions, StepId, StepOutcome, StepReport, Summary, Tools,
};
use rewind_core::secret::Secret;
use rewind_sandbox::{AppSeed, SandboxConfig, ScmSeed};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::platform_env::PlatformEnv;
use crate::repo::TestRepo;
use rewind_test_support::InterruptAfter;

const APP: &str = "shop";

/// A repository with v1.0.0 and v1.1.0 (v1.1.0 adds a migration and a
/// changelog section), a sandbox where v1.0.0 then v1.1.0 were deployed,
/// and an empty journal.
struct World {
    repo: TestRepo,
    env: PlatformEnv,
    journal_dir: TempDir,
    app: AppConfig,
    platform: Scalingo,
    git: GitCli,
    tags: [String; 2],
}

#[derive(Default)]
struct Setup {
    /// `.sandbox/outcome` of the target release (v1.0.0) when deployed again.
    target_outcome: Option<&'static str>,
    /// Extra rewind.toml lines for the app.
    extra_config: &'static str,
}

impl World {
    fn new(setup: Setup) -> World {
        let mut repo = TestRepo::new();
        repo.write(
            "CHANGELOG.md",
            "# Changelog\n\n## 1.0.0 (2024-03-01)\n\n* first release\n",
        );
        repo.write("migrations/001_init.sql", "create table items (id int);\n");
        let v1 = repo.release(APP, "1.0.0");
        repo.tag("v1.0.0");
        if let Some(outcome) = setup.target_outcome {
            // Only a redeploy of v1.0.0 fails: its history says success.
            repo.write(".sandbox/outcome", outcome);
            repo.commit("chore: make the next deploy of this commit fail");
            repo.git(&["tag", "-f", "v1.0.0"]);
        }
        let v1 = if setup.target_outcome.is_some() {
            repo.git(&["rev-parse", "HEAD"])
        } else {
            v1
        };
        repo.write(".sandbox/outcome", "success");
        repo.write(
            "migrations/002_prices.sql",
            "alter table items add price int;\n",
        );
        repo.commit("feat: prices on items");
        repo.write(
            "CHANGELOG.md",
            "# Changelog\n\n## 1.1.0 (2024-03-02)\n\n* prices on items\n\n## 1.0.0 (2024-03-01)\n\n* first release\n",
        );
        let v2 = repo.release(APP, "1.1.0");
        repo.tag("v1.1.0");
        repo.push_all();
        let config = SandboxConfig {
            apps: vec![AppSeed {
                name: APP.to_string(),
                repo: Some(repo.origin().display().to_string()),
                scm: Some(ScmSeed {
                    branch: "main".to_string(),
                    auto_deploy: true,
                }),
                addons: Vec::new(),
            }],
            deploy_duration: Duration::from_millis(300),
            rate_limit_per_minute: 0,
            ..SandboxConfig::default()
        };
        let env = PlatformEnv::with_config(config).expect("sandbox starts");
        let toml = format!(
            "[[apps]]\nname = \"{APP}\"\npackage = \"{APP}\"\n{}\n",
            setup.extra_config
        );
        let app = Config::parse(&toml, repo.work().join("rewind.toml"))
            .expect("config")
            .apps
            .remove(0);
        let platform = env.client();
        let git = repo.cli();
        let world = World {
            env,
            journal_dir: tempfile::tempdir().expect("journal dir"),
            app,
            platform,
            git,
            tags: [v1, v2],
            repo,
        };
        world.env.admin(
            &format!("/_sandbox/apps/{APP}/deployments/history"),
            json!({"deployments": [{"git_ref": "v1.0.0"}, {"git_ref": "v1.1.0"}]}),
        );
        world
    }

    fn journal(&self) -> Journal {
        Journal::open(self.journal_dir.path())
    }

    fn tools<'a>(&'a self, journal: &'a Journal, interrupt: &'a Interrupt) -> Tools<'a> {
        Tools {
            platform: &self.platform,
            git: &self.git,
            journal,
            interrupt,
        }
    }

    fn prepare(&self, options: &PrepareOptions<'_>) -> Result<rollback::Plan, RollbackError> {
        let journal = self.journal();
        let interrupt = Interrupt::new();
        rollback::prepare(&self.tools(&journal, &interrupt), &self.app, options)
    }

    fn run_options(&self) -> RunOptions<'_> {
        RunOptions {
            reason: Some("500s on checkout"),
            follow: FollowOptions {
                timeout: Duration::from_secs(20),
                poll_interval: Duration::from_millis(50),
                use_stream: true,
            },
            push_wait: Duration::from_secs(10),
            ..RunOptions::new(&self.app, "alice")
        }
    }

    /// Prepares and runs a rollback with the given progress.
    fn rollback(
        &self,
        options: &PrepareOptions<'_>,
        run: &RunOptions<'_>,
        progress: &mut dyn Progress,
        interrupt: &Interrupt,
    ) -> Summary {
        let journal = self.journal();
        let tools = self.tools(&journal, interrupt);
        let plan = rollback::prepare(&tools, &self.app, options).expect("plan");
        rollback::run(&tools, &plan, run, progress).expect("run")
    }

    /// The release the app runs now.
    fn running(&self) -> String {
        let resolver = Resolver::new(
            &self.git,
            &self.platform,
            self.git.tag_index().expect("tags"),
            self.app.tag_format.clone(),
            self.app.package.clone(),
            None,
        );
        let situation = identify(&self.platform, APP, &resolver, 10, &|_| false).expect("identify");
        situation.current.expect("current").release.label
    }

    fn auto_deploy(&self) -> bool {
        self.platform
            .scm_link(APP)
            .expect("link")
            .expect("linked")
            .auto_deploy_enabled
    }

    fn origin_refs(&self) -> String {
        self.repo.git_in(&self.repo.origin(), &["for-each-ref"])
    }
}

/// A local HTTP server answering 200 to everything and keeping the bodies
/// it received: the health check and the webhook.
fn capture_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let kept = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut request_line = String::new();
            let _ = reader.read_line(&mut request_line);
            let mut length = 0usize;
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
                    break;
                }
                if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0u8; length];
            let _ = reader.read_exact(&mut body);
            kept.lock().expect("lock").push(format!(
                "{}{}",
                request_line.trim(),
                String::from_utf8_lossy(&body)
            ));
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
        }
    });
    (url, seen)
}

#[test]
fn the_branch_method_puts_the_last_good_release_back_and_records_everything() {
    let (url, seen) = capture_server();
    let extra: &'static str = Box::leak(
        format!("[apps.health_check]\nurl = \"{url}/health\"\nretries = 2\ninterval = \"100ms\"\n")
            .into_boxed_str(),
    );
    let world = World::new(Setup {
        extra_config: extra,
        ..Setup::default()
    });
    // The user's work in progress, which a rollback must not touch.
    world.repo.git(&["checkout", "--quiet", "-b", "wip"]);
    world.repo.write("CHANGELOG.md", "edited, not committed\n");
    world.repo.write("notes.txt", "untracked\n");
    let status_before = world.repo.git(&["status", "--porcelain"]);

    let plan = world
        .prepare(&PrepareOptions {
            webhook: true,
            ..PrepareOptions::default()
        })
        .expect("plan");
    assert_eq!(plan.from.label, "v1.1.0");
    assert_eq!(plan.to.label, "v1.0.0");
    assert_eq!(plan.to.commit.as_deref(), Some(world.tags[0].as_str()));
    assert_eq!(plan.branch.as_deref(), Some("release/v1.0.0"));
    let subjects: Vec<&str> = plan
        .removed
        .commits
        .iter()
        .map(|c| c.subject.as_str())
        .collect();
    assert_eq!(
        subjects,
        ["chore(main): release 1.1.0", "feat: prices on items"]
    );
    assert_eq!(plan.removed.changelog.len(), 1);
    assert_eq!(plan.removed.changelog[0].version, "1.1.0");
    assert_eq!(plan.removed.migrations.len(), 1);
    assert_eq!(plan.removed.migrations[0].path, "migrations/002_prices.sql");
    assert!(
        plan.warnings.iter().any(|w| w.contains("migration")),
        "{:?}",
        plan.warnings
    );
    let ids: Vec<StepId> = plan.steps.iter().map(|s| s.id).collect();
    use StepId::*;
    assert_eq!(
        ids,
        [MarkBad, Branch, Push, Hold, Deploy, Follow, Verify, Notify]
    );

    let journal = world.journal();
    let interrupt = Interrupt::new();
    let webhook = Secret::new(format!("{url}/hook"));
    let options = RunOptions {
        webhook: Some(&webhook),
        ..world.run_options()
    };
    let summary =
        rollback::run(&world.tools(&journal, &interrupt), &plan, &options, &mut ()).expect("run");
    assert!(
        matches!(summary.outcome, Outcome::Succeeded),
        "{:?}",
        summary.outcome
    );
    assert!(summary.warnings.is_empty(), "{:?}", summary.warnings);

    assert_eq!(
        world
            .git
            .remote_branch_commit("origin", "release/v1.0.0")
            .expect("ls-remote")
            .as_deref(),
        Some(world.tags[0].as_str())
    );
    let deploys = world.env.deploys();
    assert_eq!(deploys.len(), 1, "{deploys:?}");
    assert_eq!(deploys[0]["body"]["branch"], "release/v1.0.0");
    assert!(!world.auto_deploy(), "auto-deploy is held");
    assert_eq!(world.running(), "v1.0.0");
    assert!(
        summary
            .deployment_id
            .as_deref()
            .is_some_and(|id| !id.is_empty())
    );

    // The user's tree and branch are as they were.
    assert_eq!(world.repo.git(&["status", "--porcelain"]), status_before);
    assert_eq!(
        world.git.current_branch().expect("branch").as_deref(),
        Some("wip")
    );

    // Health check and webhook were called.
    let seen = seen.lock().expect("lock").clone();
    assert!(
        seen.iter().any(|r| r.starts_with("GET /health")),
        "{seen:?}"
    );
    let hook = seen
        .iter()
        .find(|r| r.starts_with("POST /hook"))
        .expect("webhook posted");
    assert!(
        hook.contains("alice rolled back shop from v1.1.0 to v1.0.0"),
        "{hook}"
    );
    assert!(hook.contains("500s on checkout"), "{hook}");

    // The journal tells it all.
    let incident = journal
        .incident(summary.incident.as_str())
        .expect("incident");
    assert_eq!(incident.state, IncidentState::Closed("succeeded".into()));
    for step in &plan.steps {
        let record = incident.step(step.id.as_str()).expect("step journaled");
        assert_eq!(record.state, StepState::Done, "{}", step.id);
        assert!(record.started_at.is_some() && record.ended_at.is_some());
    }
    assert_eq!(
        incident.step("deploy").expect("deploy").data["facts"]["deployment_id"].as_str(),
        summary.deployment_id.as_deref()
    );
    let bad = BadMarks::read(&journal, APP).expect("bad").marks;
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].tag.as_deref(), Some("v1.1.0"));
    assert_eq!(bad[0].commit.as_deref(), Some(world.tags[1].as_str()));
    let hold = rollback::hold_state(&journal, APP)
        .expect("hold")
        .expect("held");
    assert_eq!(hold.auto_deploy_was, Some(true));
    assert_eq!(hold.by.as_deref(), Some("alice"));

    let report = rollback::report(&incident);
    let markdown = report.to_markdown();
    for wanted in [
        "rollback shop: v1.1.0 -> v1.0.0",
        "**Who**: alice",
        "**Reason**: 500s on checkout",
        "feat: prices on items",
        "### 1.1.0 (2024-03-02)",
        "added `migrations/002_prices.sql`",
        "| deploy | done |",
        "**Marked bad**: v1.1.0",
    ] {
        assert!(
            markdown.contains(wanted),
            "missing {wanted:?} in\n{markdown}"
        );
    }
    assert!(
        markdown.contains(summary.deployment_id.as_deref().expect("id")),
        "{markdown}"
    );

    // Going back to what runs now, or to the release just marked bad, is refused.
    let again = world
        .prepare(&PrepareOptions {
            to: Some("1.0.0"),
            ..PrepareOptions::default()
        })
        .expect_err("current");
    assert!(
        matches!(again, RollbackError::TargetIsCurrent { .. }),
        "{again}"
    );
    let bad = world
        .prepare(&PrepareOptions {
            to: Some("v1.1.0"),
            ..PrepareOptions::default()
        })
        .expect_err("bad");
    assert!(
        matches!(bad, RollbackError::TargetMarkedBad { .. }),
        "{bad}"
    );
    assert_eq!(bad.class(), ErrorClass::Refused);
    let forced = world
        .prepare(&PrepareOptions {
            to: Some("v1.1.0"),
            force_bad: true,
            ..PrepareOptions::default()
        })
        .expect("--force-bad");
    assert!(forced.overrides.iter().any(|o| o.contains("--force-bad")));
}

#[test]
fn a_recent_deploy_of_the_target_before_the_bad_one_is_not_taken_for_the_rollback() {
    let world = World::new(Setup::default());
    // The target went out 40 s ago and the bad release 20 s ago: within
    // any clock skew, yet the old deployment of the target is history, not
    // this rollback's deploy.
    let now = chrono::Utc::now();
    world.env.admin(
        &format!("/_sandbox/apps/{APP}/deployments/history"),
        json!({"deployments": [
            {"git_ref": "v1.0.0", "created_at": (now - chrono::Duration::seconds(40)).to_rfc3339()},
            {"git_ref": "v1.1.0", "created_at": (now - chrono::Duration::seconds(20)).to_rfc3339()},
        ]}),
    );
    let before = world
        .platform
        .deployments(APP, 1, 50)
        .expect("list")
        .items
        .len();
    let interrupt = Interrupt::new();
    let summary = world.rollback(
        &PrepareOptions::default(),
        &world.run_options(),
        &mut (),
        &interrupt,
    );
    assert_eq!(world.env.deploys().len(), 1, "one new deploy: {summary:?}");
    assert_eq!(
        world
            .platform
            .deployments(APP, 1, 50)
            .expect("list")
            .items
            .len(),
        before + 1
    );
    assert_eq!(world.running(), "v1.0.0");
}

#[test]
fn preparing_a_plan_changes_nothing_on_the_remote_or_the_platform() {
    let world = World::new(Setup::default());
    let refs = world.origin_refs();
    let writes = world.env.writes().len();
    let plan = world.prepare(&PrepareOptions::default()).expect("plan");
    assert_eq!(plan.to.label, "v1.0.0");
    assert_eq!(world.origin_refs(), refs);
    assert_eq!(world.env.writes().len(), writes, "{:?}", world.env.writes());
    assert!(
        world
            .git
            .branch_commit("release/v1.0.0")
            .expect("branch")
            .is_none()
    );
    assert!(world.journal().incidents().expect("journal").is_empty());
}

#[test]
fn a_missing_tag_lists_the_nearest_ones() {
    let world = World::new(Setup::default());
    let err = world
        .prepare(&PrepareOptions {
            to: Some("1.0.5"),
            ..PrepareOptions::default()
        })
        .expect_err("missing");
    let RollbackError::TagNotFound { nearest, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!(nearest, &["v1.0.0", "v1.1.0"]);
    assert!(
        err.to_string().contains("nearest tags: v1.0.0, v1.1.0"),
        "{err}"
    );
    assert_eq!(err.class(), ErrorClass::Config);
}

#[test]
fn a_branch_already_at_another_commit_is_never_moved() {
    let world = World::new(Setup::default());
    world.repo.git(&["branch", "release/v1.0.0", "v1.1.0"]);
    let err = world
        .prepare(&PrepareOptions::default())
        .expect_err("refused");
    assert!(
        matches!(err, RollbackError::BranchElsewhere { .. }),
        "{err}"
    );
    assert_eq!(err.class(), ErrorClass::Refused);
    assert!(
        err.hints()
            .iter()
            .any(|h| h.contains("git branch -D release/v1.0.0"))
    );
    assert_eq!(
        world
            .git
            .branch_commit("release/v1.0.0")
            .expect("b")
            .as_deref(),
        Some(world.tags[1].as_str())
    );
}

#[test]
fn a_failed_deploy_leaves_the_previous_release_running_and_says_so() {
    let world = World::new(Setup {
        target_outcome: Some("build-error"),
        ..Setup::default()
    });
    let interrupt = Interrupt::new();
    let summary = world.rollback(
        &PrepareOptions::default(),
        &world.run_options(),
        &mut (),
        &interrupt,
    );
    let Outcome::Failed {
        step,
        error,
        log_tail,
        previous_release_running,
        runs_now,
        ..
    } = &summary.outcome
    else {
        panic!("{:?}", summary.outcome);
    };
    assert_eq!(*step, StepId::Follow);
    assert!(error.contains("build-error"), "{error}");
    // What runs is read again after the failure, not assumed.
    let runs_now = runs_now.as_deref().expect("read after the failure");
    assert!(runs_now.starts_with("v1.1.0 runs now"), "{runs_now}");
    assert!(*previous_release_running);
    assert!(!log_tail.is_empty());
    assert_eq!(world.running(), "v1.1.0");
    let journal = world.journal();
    let incident = journal
        .incident(summary.incident.as_str())
        .expect("incident");
    assert_eq!(incident.state, IncidentState::Closed("failed".into()));
    let closing = incident
        .entries
        .iter()
        .find(|e| e.kind == EntryKind::IncidentClosed)
        .expect("closed");
    assert_eq!(closing.data["previous_release_running"], true);
    assert_eq!(
        incident.step("follow").expect("follow").state,
        StepState::Failed
    );
    // The person confirmed that the running release is bad: it stays
    // marked whatever became of the deploy, so that nothing proposes it.
    let bad = BadMarks::read(&journal, APP).expect("bad");
    assert_eq!(bad.marks.len(), 1);
    assert!(bad.marked_by(summary.incident.as_str()));
}

#[test]
fn an_interruption_after_any_step_resumes_without_a_second_deploy() {
    // The last step (verify, without a webhook) has nothing after it.
    for after in [
        StepId::MarkBad,
        StepId::Branch,
        StepId::Push,
        StepId::Hold,
        StepId::Deploy,
        StepId::Follow,
    ] {
        let world = World::new(Setup::default());
        let interrupt = Interrupt::new();
        let mut progress = InterruptAfter {
            after,
            interrupt: interrupt.clone(),
        };
        let summary = world.rollback(
            &PrepareOptions::default(),
            &world.run_options(),
            &mut progress,
            &interrupt,
        );
        assert!(
            matches!(summary.outcome, Outcome::Interrupted { .. }),
            "{after}: {:?}",
            summary.outcome
        );
        let journal = world.journal();
        let incident = journal
            .incident(summary.incident.as_str())
            .expect("incident");
        assert_eq!(incident.state, IncidentState::Interrupted, "{after}");

        // A new rollback is refused while this one is unfinished.
        let blocked = world
            .prepare(&PrepareOptions::default())
            .expect_err("blocked");
        assert!(
            matches!(blocked, RollbackError::RollbackInProgress { .. }),
            "{after}: {blocked}"
        );

        let calm = Interrupt::new();
        let resumed = rollback::resume(
            &world.tools(&journal, &calm),
            summary.incident.as_str(),
            false,
            &world.run_options(),
            &mut (),
        )
        .expect("resume");
        assert!(
            matches!(resumed.outcome, Outcome::Succeeded),
            "{after}: {:?}",
            resumed.outcome
        );
        assert_eq!(
            world.env.deploys().len(),
            1,
            "{after}: {:?}",
            world.env.deploys()
        );
        assert_eq!(world.running(), "v1.0.0", "{after}");
        assert!(!world.auto_deploy(), "{after}");
        let incident = journal
            .incident(summary.incident.as_str())
            .expect("incident");
        assert_eq!(
            incident.state,
            IncidentState::Closed("succeeded".into()),
            "{after}"
        );
        let again = rollback::resume(
            &world.tools(&journal, &calm),
            summary.incident.as_str(),
            false,
            &world.run_options(),
            &mut (),
        )
        .expect_err("closed");
        assert!(
            matches!(again, RollbackError::NotResumable { .. }),
            "{again}"
        );
    }
}

#[test]
fn a_deploy_call_that_fails_is_never_retried_blindly() {
    for fault in [
        json!({"status": 500}),
        json!({"drop_connection": true}),
        json!({"malformed_body": true}),
    ] {
        let world = World::new(Setup::default());
        let mut rule =
            json!({"method": "POST", "path": "/v1/apps/*/scm_repo_link/manual_deploy", "times": 1});
        for (k, v) in fault.as_object().expect("object") {
            rule[k] = v.clone();
        }
        world.env.admin("/_sandbox/faults", rule);
        let interrupt = Interrupt::new();
        let summary = world.rollback(
            &PrepareOptions::default(),
            &world.run_options(),
            &mut (),
            &interrupt,
        );
        let attempts = world
            .env
            .requests()
            .into_iter()
            .filter(|r| {
                r["method"] == "POST"
                    && r["path"]
                        .as_str()
                        .is_some_and(|p| p.ends_with("/manual_deploy"))
            })
            .count();
        assert_eq!(attempts, 1, "{fault}: the deploy call is sent once");
        if fault["malformed_body"] == true {
            // The deploy happened; the client found it by reading again.
            assert!(
                matches!(summary.outcome, Outcome::Succeeded),
                "{fault}: {:?}",
                summary.outcome
            );
            assert_eq!(world.running(), "v1.0.0");
            continue;
        }
        let Outcome::Failed { step, error, .. } = &summary.outcome else {
            panic!("{fault}: {:?}", summary.outcome);
        };
        assert_eq!(*step, StepId::Deploy);
        assert!(error.contains("it did not happen"), "{fault}: {error}");
        assert!(world.env.deploys().is_empty());
        assert_eq!(world.running(), "v1.1.0");
    }
}

#[test]
fn a_running_deployment_blocks_a_rollback_unless_forced() {
    let world = World::new(Setup::default());
    world.env.admin(
        &format!("/_sandbox/apps/{APP}/deployments/hang-next"),
        json!({}),
    );
    let running = world
        .platform
        .manual_deploy(APP, "main", None)
        .expect("deploy");
    let err = world
        .prepare(&PrepareOptions::default())
        .expect_err("blocked");
    assert!(
        matches!(err, RollbackError::DeploymentRunning { ref id, .. } if *id == running.id),
        "{err}"
    );
    assert_eq!(err.class(), ErrorClass::Refused);
    let plan = world
        .prepare(&PrepareOptions {
            force: true,
            ..PrepareOptions::default()
        })
        .expect("forced");
    assert!(
        plan.overrides.iter().any(|o| o.contains(&running.id)),
        "{:?}",
        plan.overrides
    );
}

#[test]
fn hold_and_unhold_switch_auto_deploy_and_say_so_in_the_journal() {
    let world = World::new(Setup::default());
    let journal = world.journal();
    assert!(
        rollback::hold_state(&journal, APP)
            .expect("state")
            .is_none()
    );
    let held =
        rollback::hold(&world.platform, &journal, APP, "bob", Some("bad merge")).expect("hold");
    assert!(held.was_enabled && !held.enabled);
    assert!(!world.auto_deploy());
    let state = rollback::hold_state(&journal, APP)
        .expect("state")
        .expect("held");
    assert_eq!(state.reason.as_deref(), Some("bad merge"));
    let released = rollback::unhold(&world.platform, &journal, APP, "bob", None).expect("unhold");
    assert!(!released.was_enabled && released.enabled);
    assert!(world.auto_deploy());
    assert!(
        rollback::hold_state(&journal, APP)
            .expect("state")
            .is_none()
    );
}

#[test]
fn the_archive_method_deploys_the_tag_archive_once() {
    let world = World::new(Setup::default());
    let dir = tempfile::tempdir().expect("archives");
    let archive = dir.path().join("v1.0.0.tar.gz");
    world.repo.git(&[
        "archive",
        "--format=tar.gz",
        "--prefix=shop-v1.0.0/",
        "-o",
        &archive.display().to_string(),
        "v1.0.0",
    ]);
    let template = Secret::new(format!("file://{}/{{tag}}.tar.gz", dir.path().display()));
    let options = PrepareOptions {
        method: Method::Archive,
        archive_template: Some(&template),
        ..PrepareOptions::default()
    };
    let run = RunOptions {
        archive_template: Some(&template),
        ..world.run_options()
    };
    let interrupt = Interrupt::new();
    let summary = world.rollback(&options, &run, &mut (), &interrupt);
    assert!(
        matches!(summary.outcome, Outcome::Succeeded),
        "{:?}",
        summary.outcome
    );
    let deploys = world.env.deploys();
    assert_eq!(deploys.len(), 1, "{deploys:?}");
    assert_eq!(
        deploys[0]["body"]["deployment"]["git_ref"].as_str(),
        Some(world.tags[0].as_str())
    );
    assert_eq!(world.running(), "v1.0.0");
    assert!(
        world
            .git
            .branch_commit("release/v1.0.0")
            .expect("b")
            .is_none(),
        "no branch for an archive"
    );
}

#[test]
fn the_git_push_method_force_pushes_the_commit_to_the_platform() {
    let world = World::new(Setup::default());
    let interrupt = Interrupt::new();
    let options = PrepareOptions {
        method: Method::GitPush,
        ..PrepareOptions::default()
    };
    let summary = world.rollback(&options, &world.run_options(), &mut (), &interrupt);
    assert!(
        matches!(summary.outcome, Outcome::Succeeded),
        "{:?}",
        summary.outcome
    );
    assert_eq!(world.running(), "v1.0.0");
    assert!(
        world.env.deploys().is_empty(),
        "no API deploy: the push deploys"
    );
    let git_url = world.git_url();
    assert_eq!(
        world
            .git
            .remote_branch_commit(&git_url, "master")
            .expect("ls-remote")
            .as_deref(),
        Some(world.tags[0].as_str())
    );
}

impl World {
    /// The app's own git remote on the platform.
    fn git_url(&self) -> String {
        self.platform
            .app(APP)
            .expect("app")
            .git_url
            .expect("git url")
    }

    /// Force-pushes `commit` to `branch` of the app's git remote, as a
    /// teammate's `git push scalingo` does, and waits for the deployment
    /// it starts to end.
    fn push_deployed(&self, commit: &str, branch: &str) {
        let before = self.deployment_count();
        self.repo.git(&[
            "push",
            "--quiet",
            "--force",
            &self.git_url(),
            &format!("{commit}:refs/heads/{branch}"),
        ]);
        self.wait_deployments(before + 1);
    }

    /// Deploys the origin's `main` (v1.1.0) through the API and waits for it.
    fn main_deployed(&self) {
        let before = self.deployment_count();
        self.platform
            .manual_deploy(APP, "main", None)
            .expect("deploy starts");
        self.wait_deployments(before + 1);
    }

    fn deployment_count(&self) -> u64 {
        self.platform
            .deployments(APP, 1, 1)
            .expect("deployments")
            .total_count
            .expect("total count")
    }

    /// Waits until the app has `count` deployments and none in progress.
    fn wait_deployments(&self, count: u64) {
        let what = format!("deployment {count} to settle");
        rewind_test_support::wait_until(Duration::from_secs(20), &what, || {
            let page = self.platform.deployments(APP, 1, 1).expect("deployments");
            let settled = page.items.first().is_some_and(|d| !d.status.in_progress());
            page.total_count == Some(count) && settled
        });
    }
}

/// Scalingo deploys a push only when it moves `master` or `main`: when
/// `master` holds the target already (it was deployed by a push, then
/// replaced another way), rewind pushes it to `main`.
#[test]
fn the_git_push_method_pushes_to_main_when_master_holds_the_target_already() {
    let world = World::new(Setup::default());
    world.push_deployed(&world.tags[0], "master");
    world.main_deployed();
    assert_eq!(world.running(), "v1.1.0");
    let options = PrepareOptions {
        method: Method::GitPush,
        ..PrepareOptions::default()
    };
    let plan = world.prepare(&options).expect("plan");
    let deploy = plan
        .steps
        .iter()
        .find(|s| s.id == StepId::Deploy)
        .expect("deploy step");
    assert!(deploy.title.contains("refs/heads/main"), "{}", deploy.title);
    let before = world.deployment_count();
    let summary = world.rollback(&options, &world.run_options(), &mut (), &Interrupt::new());
    assert!(
        matches!(summary.outcome, Outcome::Succeeded),
        "{:?}",
        summary.outcome
    );
    assert_eq!(world.running(), "v1.0.0");
    assert_eq!(
        world.deployment_count(),
        before + 1,
        "exactly one deployment"
    );
    let git_url = world.git_url();
    for branch in ["master", "main"] {
        assert_eq!(
            world
                .git
                .remote_branch_commit(&git_url, branch)
                .expect("ls-remote")
                .as_deref(),
            Some(world.tags[0].as_str()),
            "{branch}"
        );
    }
}

/// When both deploy branches hold the target, no push can deploy it: the
/// plan is refused before anything changes, instead of a wait for a
/// deployment that never comes.
#[test]
fn the_git_push_method_is_refused_when_no_push_can_deploy_the_target() {
    let world = World::new(Setup::default());
    world.push_deployed(&world.tags[0], "master");
    world.push_deployed(&world.tags[0], "main");
    world.main_deployed();
    let before = world.deployment_count();
    let options = PrepareOptions {
        method: Method::GitPush,
        ..PrepareOptions::default()
    };
    let err = world.prepare(&options).expect_err("refused");
    assert!(
        matches!(err, RollbackError::PushDeploysNothing { .. }),
        "{err}"
    );
    assert_eq!(err.class(), ErrorClass::Refused);
    assert!(err.to_string().contains("both master and main"), "{err}");
    assert!(
        err.hints().iter().any(|h| h.contains("--method branch")),
        "{:?}",
        err.hints()
    );
    assert_eq!(world.deployment_count(), before);
    assert!(world.journal().incidents().expect("incidents").is_empty());
}

/// Adds a fault rule to the sandbox when `after` ends: the platform fails
/// right after a step that went well.
struct FaultAfter<'a> {
    after: StepId,
    env: &'a PlatformEnv,
    rule: Value,
}

impl Progress for FaultAfter<'_> {
    fn step_ended(&mut self, step: &PlannedStep, _report: &StepReport) {
        if step.id == self.after {
            self.env.admin("/_sandbox/faults", self.rule.clone());
        }
    }
}

#[test]
fn a_verify_that_cannot_read_after_the_deploy_is_finished_by_resume_without_a_second_deploy() {
    let world = World::new(Setup::default());
    let interrupt = Interrupt::new();
    // Every read of the deployments fails once the deploy is followed: the
    // verify step cannot tell what runs.
    let mut progress = FaultAfter {
        after: StepId::Follow,
        env: &world.env,
        rule: json!({"method": "GET", "path": "/v1/apps/*/deployments", "status": 503, "times": 1000}),
    };
    let summary = world.rollback(
        &PrepareOptions::default(),
        &world.run_options(),
        &mut progress,
        &interrupt,
    );
    let Outcome::Failed {
        step,
        runs_now,
        hints,
        ..
    } = &summary.outcome
    else {
        panic!("{:?}", summary.outcome);
    };
    assert_eq!(*step, StepId::Verify);
    // Never an assumption: the read failed, so what runs is unknown.
    let runs_now = runs_now.as_deref().expect("statement");
    assert!(runs_now.contains("is unknown"), "{runs_now}");
    assert!(
        hints
            .iter()
            .any(|h| h.contains(&format!("rewind resume {}", summary.incident))),
        "{hints:?}"
    );
    let journal = world.journal();
    let incident = journal
        .incident(summary.incident.as_str())
        .expect("incident");
    assert_eq!(incident.state, IncidentState::Closed("failed".into()));

    world.env.delete("/_sandbox/faults");
    // The same command again is refused: this rollback is to be finished.
    let again = world
        .prepare(&PrepareOptions::default())
        .expect_err("refused");
    assert!(
        matches!(again, RollbackError::RollbackInProgress { .. }),
        "{again}"
    );
    let calm = Interrupt::new();
    let resumed = rollback::resume(
        &world.tools(&journal, &calm),
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
    let outcomes: Vec<StepOutcome> = resumed.steps.iter().map(|s| s.outcome).collect();
    assert!(
        resumed
            .steps
            .iter()
            .any(|s| s.id == StepId::Verify && s.outcome == StepOutcome::Done),
        "{outcomes:?}"
    );
    assert_eq!(world.env.deploys().len(), 1, "one deploy in all");
    assert_eq!(world.running(), "v1.0.0");
    // A succeeded incident is not resumed again.
    let done = rollback::resume(
        &world.tools(&journal, &calm),
        summary.incident.as_str(),
        false,
        &world.run_options(),
        &mut (),
    )
    .expect_err("closed");
    assert!(matches!(done, RollbackError::NotResumable { .. }), "{done}");
}
