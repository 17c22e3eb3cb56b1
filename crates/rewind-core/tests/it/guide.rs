//! The guided walk at the core level, against the sandbox and a real
//! repository: a probe that fails never blocks the walk, a suggestion is
//! offered to the person and never taken for them, a restore that did not
//! go well stops the walk before the redeploy, and a question nobody can
//! answer stops it naming the question and its answers. What must be true
//! is asserted in the journal and in the requests the sandbox received.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::time::Duration;

use rewind_core::config::{AppConfig, Config};
use rewind_core::guide::{self, GuideError, GuideOptions, Narrator, Outcome, ProbeResult, Tools};
use rewind_core::i18n::Lang;
use rewind_core::interrupt::Interrupt;
use rewind_core::journal::{Entry, EntryKind, Journal};
use rewind_core::platform::scalingo::Scalingo;
use rewind_core::prompt::{Choice, NoPrompter, PromptError, Prompter};
use rewind_core::tree::{PresetAnswers, Probe, Tree};
use rewind_sandbox::{AddonSeed, AppSeed, PostgresMode, SandboxConfig, ScmSeed};
use serde_json::json;
use tempfile::TempDir;

use crate::platform_env::PlatformEnv;
use crate::repo::TestRepo;

/// v1.0.0 then v1.1.0 (which drops a column) deployed, a PostgreSQL addon
/// and a feature flag.
struct World {
    _repo: TestRepo,
    env: PlatformEnv,
    journal_dir: TempDir,
    app: AppConfig,
    platform: Scalingo,
    git: rewind_core::git::GitCli,
}

impl World {
    fn new() -> World {
        let mut repo = TestRepo::new();
        repo.write(
            "migrations/001_items.sql",
            "create table items (id int, name text);\n",
        );
        repo.release("shop", "1.0.0");
        repo.tag("v1.0.0");
        repo.write(
            "migrations/002_names.sql",
            "alter table items drop column name;\n",
        );
        repo.release("shop", "1.1.0");
        repo.tag("v1.1.0");
        repo.push_all();
        let env = PlatformEnv::with_config(SandboxConfig {
            apps: vec![AppSeed {
                name: "shop".into(),
                repo: Some(repo.origin().display().to_string()),
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
        let toml = "[[apps]]\nname = \"shop\"\npackage = \"shop\"\n\n\
                    [apps.database]\naddon = \"scalingo-postgresql\"\nmargin = \"1s\"\nmigrations = [\"migrations\"]\n\n\
                    [[apps.feature_flags]]\nname = \"FEATURE_CHECKOUT\"\noff_value = \"false\"\n";
        let app = Config::parse(toml, repo.work().join("rewind.toml"))
            .expect("config")
            .apps
            .remove(0);
        let world = World {
            git: repo.cli(),
            _repo: repo,
            journal_dir: tempfile::tempdir().expect("journal"),
            app,
            platform: env.client_trying(2),
            env,
        };
        let ago = |min: i64| (chrono::Utc::now() - chrono::Duration::minutes(min)).to_rfc3339();
        world.env.admin(
            "/_sandbox/apps/shop/deployments/history",
            json!({"deployments": [
                {"git_ref": "v1.0.0", "created_at": ago(40)},
                {"git_ref": "v1.1.0", "created_at": ago(10)},
            ]}),
        );
        let state = world.env.get("/_sandbox/apps/shop/state");
        let addon = state["addons"][0]["id"]
            .as_str()
            .expect("addon")
            .to_string();
        world.env.admin(
            &format!("/_sandbox/databases/{addon}/backups/history"),
            json!({"backups": [{"created_at": ago(60)}]}),
        );
        world
    }

    fn requests(&self, method: &str, suffix: &str) -> usize {
        self.env
            .requests()
            .iter()
            .filter(|r| {
                r["method"] == method && r["path"].as_str().is_some_and(|p| p.ends_with(suffix))
            })
            .count()
    }

    fn walk(
        &self,
        answers: &[&str],
        prompter: &dyn Prompter,
        narrator: &mut dyn Narrator,
    ) -> Result<guide::GuideSummary, GuideError> {
        let tree = Tree::default_runbook();
        let preset = PresetAnswers::parse(&tree, answers).expect("answers");
        let journal = Journal::open(self.journal_dir.path());
        let interrupt = Interrupt::new();
        let tools = Tools {
            platform: &self.platform,
            git: &self.git,
            journal: &journal,
            interrupt: &interrupt,
            app: &self.app,
            webhook: None,
        };
        let mut options = GuideOptions::new(
            Lang::En,
            self.journal_dir.path().to_path_buf(),
            self.journal_dir.path().join("backups"),
            "tester",
        );
        options.poll_first = Duration::from_millis(50);
        options.poll_max = Duration::from_millis(200);
        guide::guide(&tree, &preset, &tools, &options, prompter, narrator)
    }

    fn entries(&self) -> Vec<Entry> {
        Journal::open(self.journal_dir.path())
            .entries()
            .expect("journal")
            .0
    }
}

/// Answers choices from a script, confirms every action, and remembers
/// what it was asked and which answer was suggested.
struct Script {
    answers: RefCell<VecDeque<usize>>,
    asked: RefCell<Vec<Asked>>,
}

#[derive(Debug)]
struct Asked {
    question: String,
    suggested: Option<usize>,
}

impl Script {
    fn new(answers: &[usize]) -> Script {
        Script {
            answers: RefCell::new(answers.iter().copied().collect()),
            asked: RefCell::new(Vec::new()),
        }
    }
}

impl Prompter for Script {
    fn choose(
        &self,
        question: &str,
        _choices: &[Choice],
        suggested: Option<usize>,
    ) -> Result<usize, PromptError> {
        self.asked.borrow_mut().push(Asked {
            question: question.to_string(),
            suggested,
        });
        self.answers
            .borrow_mut()
            .pop_front()
            .ok_or(PromptError::EndOfInput)
    }

    fn confirm_typed(&self, _summary: &str, _expected: &str) -> Result<bool, PromptError> {
        Ok(true)
    }
}

/// Keeps the evidence the walk showed.
#[derive(Default)]
struct Seen(Vec<(Probe, ProbeResult)>);

impl Narrator for Seen {
    fn evidence(&mut self, probe: Probe, result: &ProbeResult) {
        self.0.push((probe, result.clone()));
    }
}

#[test]
fn a_failing_probe_does_not_block_the_walk_and_an_unanswered_question_names_its_answers() {
    let w = World::new();
    w.env.admin(
        "/_sandbox/faults",
        json!({"method": "GET", "path": "/v1/apps/shop/variables", "status": 500, "times": 10}),
    );
    let mut seen = Seen::default();
    let err = w
        .walk(&["mep=problem", "q1=no"], &NoPrompter, &mut seen)
        .expect_err("q2 has no answer");
    let GuideError::Unanswered(q) = err else {
        panic!("expected an unanswered question, got {err:?}");
    };
    assert_eq!(q.id, "q2");
    assert_eq!(q.answers, ["yes", "no"]);
    assert_eq!(
        q.to_string(),
        "q2: Does the problem affect my users? answers: yes, no"
    );
    let flags = seen
        .0
        .iter()
        .find(|(p, _)| *p == Probe::FeatureFlags)
        .expect("flags probe");
    let why = flags
        .1
        .as_ref()
        .expect_err("the variables could not be read");
    assert!(
        why.contains("cannot read the app's environment variables"),
        "{why}"
    );
    let health = seen
        .0
        .iter()
        .find(|(p, _)| *p == Probe::AppHealth)
        .expect("health probe");
    assert!(health.1.is_ok(), "{:?}", health.1);
    let entries = w.entries();
    let q1 = entries
        .iter()
        .find(|e| e.kind == EntryKind::Answer && e.step.as_deref() == Some("q1"))
        .expect("q1 answer");
    assert!(q1.data["evidence"]["error"].is_string(), "{}", q1.data);
    let closed = entries
        .iter()
        .find(|e| e.kind == EntryKind::IncidentClosed)
        .expect("closed");
    assert_eq!(closed.data["outcome"], "unanswered");
}

#[test]
fn a_suggestion_is_offered_never_taken_and_a_restore_that_went_badly_stops_before_the_redeploy() {
    let w = World::new();
    // q5: the evidence suggests yes (a destructive migration) and the
    // person answers yes (index 0); then "if the restore went well": no.
    let script = Script::new(&[0, 1]);
    let summary = w
        .walk(
            &["mep=problem", "q1=no", "q2=yes", "q3=high", "q4=no"],
            &script,
            &mut (),
        )
        .expect("walk");
    assert_eq!(summary.outcome, Outcome::NotWell { node: "a3".into() });
    let asked = script.asked.borrow();
    assert_eq!(asked.len(), 2, "{asked:?}");
    assert_eq!(asked[0].question, "Is there a database to roll back?");
    assert_eq!(
        asked[0].suggested,
        Some(0),
        "yes is suggested, not answered"
    );
    assert_eq!(asked[1].question, "If the restore went well?");
    assert_eq!(w.requests("POST", "/pitr/restore"), 1);
    assert_eq!(
        w.requests("POST", "/manual_deploy"),
        0,
        "no redeploy after a bad restore"
    );
    let entries = w.entries();
    let q5 = entries
        .iter()
        .find(|e| e.kind == EntryKind::Answer && e.step.as_deref() == Some("q5"))
        .expect("q5");
    assert_eq!(q5.data["suggested"], "yes");
    assert_eq!(q5.data["source"], "prompt");
    assert_eq!(
        q5.data["evidence"]["facts"]["migrations"]["verdict"],
        "destructive"
    );
    let done: Vec<_> = entries
        .iter()
        .filter(|e| e.kind == EntryKind::StepDone)
        .filter_map(|e| e.step.clone())
        .collect();
    assert_eq!(done, ["a3"]);
    assert!(
        summary.actions[0]
            .lines
            .iter()
            .any(|l| l.starts_with("safety backup")),
        "{:?}",
        summary.actions[0].lines
    );
}
