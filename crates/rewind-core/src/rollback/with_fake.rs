//! The rollback's choices against the in-memory platform: target
//! selection, plan building and resume, with a real git repository (and
//! its bare origin) in a temp dir and no sandbox. Fast; what only a real
//! API shows stays with the suite in `tests/it/rollback.rs`.

use std::path::Path;
use std::time::Duration;

use rewind_test_support::git;
use tempfile::TempDir;

use super::*;
use crate::config::{AppConfig, Config};
use crate::follow::FollowOptions;
use crate::git::GitCli;
use crate::interrupt::Interrupt;
use crate::journal::Journal;
use crate::platform::fake::{FakeApp, FakePlatform, Write, deployment};
use crate::platform::{DeploymentStatus, Platform, ScmLink};

const APP: &str = "shop";

struct World {
    _dir: TempDir,
    work: std::path::PathBuf,
    journal: Journal,
    app: AppConfig,
    git: GitCli,
    platform: FakePlatform,
    /// Tag name to commit.
    tags: Vec<(String, String)>,
}

fn commit_and_tag(work: &Path, tag: &str) -> String {
    std::fs::write(work.join("VERSION"), tag).expect("write");
    git(work, &["add", "VERSION"]);
    git(
        work,
        &["commit", "--quiet", "-m", &format!("release {tag}")],
    );
    git(work, &["tag", tag]);
    git(work, &["rev-parse", "HEAD"])
}

impl World {
    /// v1.0.0, v1.1.0, v1.1.1 and v1.2.0 on an origin; the platform
    /// deployed v1.0.0, v1.1.0, then failed to build v1.1.1 (v1.1.0 kept
    /// running), then deployed v1.2.0, which runs now.
    fn new() -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        let origin = dir.path().join("origin.git");
        let work = dir.path().join("work");
        std::fs::create_dir_all(&origin).expect("origin");
        std::fs::create_dir_all(&work).expect("work");
        git(&origin, &["init", "--quiet", "--bare"]);
        git(&work, &["init", "--quiet", "-b", "main"]);
        git(
            &work,
            &["remote", "add", "origin", origin.to_str().expect("utf-8")],
        );
        let tags: Vec<(String, String)> = ["v1.0.0", "v1.1.0", "v1.1.1", "v1.2.0"]
            .into_iter()
            .map(|t| (t.to_string(), commit_and_tag(&work, t)))
            .collect();
        git(&work, &["push", "--quiet", "origin", "main", "--tags"]);
        let commit = |i: usize| tags[i].1.as_str();
        let deployments = vec![
            deployment("d4", commit(3), DeploymentStatus::Success, 10),
            deployment("d3", commit(2), DeploymentStatus::BuildError, 20),
            deployment("d2", commit(1), DeploymentStatus::Success, 30),
            deployment("d1", commit(0), DeploymentStatus::Success, 40),
        ];
        let platform = FakePlatform::new().with_app(
            APP,
            FakeApp {
                deployments,
                scm: Some(ScmLink {
                    owner: Some("team".into()),
                    repo: Some(APP.into()),
                    branch: Some("main".into()),
                    scm_type: Some("github".into()),
                    auto_deploy_enabled: true,
                    url: Some("https://github.com".into()),
                }),
                ..FakeApp::default()
            },
        );
        let app = Config::parse(
            &format!("[[apps]]\nname = \"{APP}\"\n"),
            work.join("rewind.toml"),
        )
        .expect("config")
        .apps
        .remove(0);
        World {
            journal: Journal::open(&dir.path().join("journal")),
            git: GitCli::new(&work),
            work,
            _dir: dir,
            app,
            platform,
            tags,
        }
    }

    fn commit(&self, tag: &str) -> &str {
        &self.tags.iter().find(|(t, _)| t == tag).expect("tag").1
    }

    fn tools<'a>(&'a self, interrupt: &'a Interrupt) -> Tools<'a> {
        Tools {
            platform: &self.platform,
            git: &self.git,
            journal: &self.journal,
            interrupt,
        }
    }

    fn prepare(&self) -> Result<Plan, RollbackError> {
        prepare(
            &self.tools(&Interrupt::new()),
            &self.app,
            &PrepareOptions::default(),
        )
    }

    fn run_options(&self) -> RunOptions<'_> {
        RunOptions {
            follow: FollowOptions {
                timeout: Duration::from_secs(10),
                poll_interval: Duration::from_millis(10),
                use_stream: false,
            },
            ..RunOptions::new(&self.app, "alice")
        }
    }

    fn deploys(&self) -> Vec<Write> {
        self.platform
            .writes()
            .into_iter()
            .filter(|w| matches!(w, Write::ManualDeploy { .. } | Write::ArchiveDeploy { .. }))
            .collect()
    }
}

/// Raises the interrupt when `after` ends, as Ctrl-C would.
struct InterruptAfter<'a> {
    after: StepId,
    interrupt: &'a Interrupt,
}

impl Progress for InterruptAfter<'_> {
    fn step_ended(&mut self, step: &PlannedStep, _report: &StepReport) {
        if step.id == self.after {
            self.interrupt.raise();
        }
    }
}

#[test]
fn the_target_is_the_last_release_that_ran_well_never_a_failed_deploy() {
    let world = World::new();
    let plan = world.prepare().expect("plan");
    assert_eq!(plan.from.label, "v1.2.0");
    // v1.1.1 failed to build: it never ran, v1.1.0 did.
    assert_eq!(plan.to.label, "v1.1.0");
    assert_eq!(plan.to.commit.as_deref(), Some(world.commit("v1.1.0")));
}

#[test]
fn a_release_marked_bad_is_skipped_when_the_next_target_is_chosen() {
    let world = World::new();
    let interrupt = Interrupt::new();
    let plan = world.prepare().expect("plan");
    let summary = run(
        &world.tools(&interrupt),
        &plan,
        &world.run_options(),
        &mut (),
    )
    .expect("run");
    assert!(
        matches!(summary.outcome, Outcome::Succeeded),
        "{:?}",
        summary.outcome
    );
    // v1.2.0 is marked bad; v1.1.0 runs again. Now v1.1.0 turns out bad
    // too: the release that ran before it is v1.2.0, marked bad, so the
    // target is v1.0.0.
    let again = world.prepare().expect("second plan");
    assert_eq!(again.from.label, "v1.1.0");
    assert_eq!(again.to.label, "v1.0.0");
}

#[test]
fn the_plan_branches_pushes_holds_deploys_and_changes_nothing_yet() {
    let world = World::new();
    let plan = world.prepare().expect("plan");
    assert_eq!(plan.method, Method::Branch);
    assert_eq!(plan.branch.as_deref(), Some("release/v1.1.0"));
    assert_eq!(plan.auto_deploy, Some(true));
    let ids: Vec<StepId> = plan.steps.iter().map(|s| s.id).collect();
    use StepId::*;
    assert_eq!(ids, [MarkBad, Branch, Push, Hold, Deploy, Follow, Verify]);
    let subjects: Vec<&str> = plan
        .removed
        .commits
        .iter()
        .map(|c| c.subject.as_str())
        .collect();
    assert_eq!(subjects, ["release v1.2.0", "release v1.1.1"]);
    assert!(
        world.platform.writes().is_empty(),
        "{:?}",
        world.platform.writes()
    );
    assert!(git(&world.work, &["branch", "--list", "release/*"]).is_empty());
}

#[test]
fn an_interrupted_rollback_resumes_without_deploying_twice() {
    let world = World::new();
    let interrupt = Interrupt::new();
    let plan = world.prepare().expect("plan");
    let mut cut = InterruptAfter {
        after: StepId::Deploy,
        interrupt: &interrupt,
    };
    let first = run(
        &world.tools(&interrupt),
        &plan,
        &world.run_options(),
        &mut cut,
    )
    .expect("run");
    assert!(
        !matches!(first.outcome, Outcome::Succeeded),
        "{:?}",
        first.outcome
    );
    assert_eq!(
        world.deploys(),
        [Write::ManualDeploy {
            app: APP.into(),
            branch: "release/v1.1.0".into()
        }]
    );

    let calm = Interrupt::new();
    let resumed = resume(
        &world.tools(&calm),
        &first.incident.to_string(),
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
    assert_eq!(resumed.deployment_id, first.deployment_id);
    assert_eq!(world.deploys().len(), 1, "{:?}", world.deploys());
    assert!(
        !world
            .platform
            .state(APP)
            .scm
            .expect("linked")
            .auto_deploy_enabled
    );
}

#[test]
fn a_method_the_platform_does_not_offer_is_refused_before_anything_is_read() {
    let world = World::new();
    let err = prepare(
        &world.tools(&Interrupt::new()),
        &world.app,
        &PrepareOptions {
            method: Method::GitPush,
            ..PrepareOptions::default()
        },
    )
    .expect_err("the fake platform deploys no push");
    assert!(
        matches!(
            err,
            RollbackError::MethodUnsupported {
                method: Method::GitPush,
                platform: "the fake platform"
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.class(), ErrorClass::Config);
    assert_eq!(
        err.to_string(),
        "the fake platform does not deploy with the `git-push` method"
    );
    assert_eq!(world.platform.requests_sent(), 0);
}
