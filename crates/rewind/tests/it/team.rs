//! Two people on the same bad night, each with their own clone, home and
//! journal, one origin and one sandbox: the app's team lock on the origin
//! (`refs/rewind/locks/<app>`) lets one rollback through and refuses the
//! other, naming who holds it; `rewind unlock` takes away a lock whose
//! holder is gone; with the remote unreachable, rewind says it works
//! alone and still rolls back.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rewind_sandbox::{AppSeed, PostgresMode, Sandbox, SandboxConfig, ScmSeed};
use rewind_test_support::{wait_for, wait_until};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::{GIT_DATES, Rewind, Run, admin_get, admin_post, finish, git};

const LOCK_REF: &str = "refs/rewind/locks/shop";

struct Team {
    dir: TempDir,
    sandbox: Sandbox,
}

impl Team {
    fn new(deploy: Duration) -> Team {
        let dir = tempfile::tempdir().expect("tempdir");
        git(
            dir.path(),
            &[
                "init",
                "--quiet",
                "--bare",
                "--initial-branch=main",
                "origin.git",
            ],
        );
        git(dir.path(), &["clone", "--quiet", "origin.git", "seed"]);
        let seed = dir.path().join("seed");
        for version in ["1.0.0", "1.1.0"] {
            std::fs::write(
                seed.join("package.json"),
                format!("{{\"name\":\"shop\",\"version\":\"{version}\"}}\n"),
            )
            .expect("write");
            std::fs::create_dir_all(seed.join(".sandbox")).expect("dir");
            std::fs::write(seed.join(".sandbox/outcome"), "success").expect("write");
            git(&seed, &["add", "--all"]);
            git(
                &seed,
                &[
                    "commit",
                    "--quiet",
                    "-m",
                    &format!("chore(main): release {version}"),
                ],
            );
            git(&seed, &["tag", &format!("v{version}")]);
        }
        git(&seed, &["push", "--quiet", "origin", "main", "--tags"]);
        for person in ["alice", "bob"] {
            git(dir.path(), &["clone", "--quiet", "origin.git", person]);
            let work = dir.path().join(person);
            std::fs::write(
                work.join("rewind.toml"),
                "[[apps]]\nname = \"shop\"\npackage = \"shop\"\n",
            )
            .expect("toml");
            std::fs::create_dir_all(dir.path().join(format!("{person}-home"))).expect("home");
        }
        let sandbox = Sandbox::start(SandboxConfig {
            apps: vec![AppSeed {
                name: "shop".into(),
                repo: Some(dir.path().join("origin.git").display().to_string()),
                scm: Some(ScmSeed {
                    branch: "main".into(),
                    auto_deploy: true,
                }),
                addons: Vec::new(),
            }],
            deploy_duration: deploy,
            rate_limit_per_minute: 0,
            postgres: PostgresMode::Off,
            ..SandboxConfig::default()
        })
        .expect("sandbox");
        let team = Team { dir, sandbox };
        team.break_production();
        team
    }

    /// v1.0.0 then v1.1.0, just now: the bad release runs.
    fn break_production(&self) {
        let now = chrono::Utc::now();
        let at = |t: chrono::DateTime<chrono::Utc>| {
            t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        };
        admin_post(
            &self.sandbox,
            "/_sandbox/apps/shop/deployments/history",
            json!({"deployments": [
                {"git_ref": "v1.0.0", "duration": 1, "created_at": at(now - chrono::Duration::minutes(10))},
                {"git_ref": "v1.1.0", "duration": 1, "created_at": at(now)},
            ]}),
        );
    }

    fn work(&self, person: &str) -> PathBuf {
        self.dir.path().join(person)
    }

    fn rewind(&self, person: &str, journal: &Path, args: &[&str]) -> Rewind {
        Rewind::new(args)
            .dir(&self.work(person))
            .home(&self.dir.path().join(format!("{person}-home")))
            .env("USER", person)
            .envs(GIT_DATES)
            .journal(journal)
            .sandbox(&self.sandbox)
    }

    fn lock(&self) -> String {
        git(
            &self.dir.path().join("origin.git"),
            &["for-each-ref", "--format=%(objectname)", LOCK_REF],
        )
    }

    /// Whether the team's journal at `commit` holds `text`.
    fn published_contains(&self, commit: &str, text: &str) -> bool {
        let out = rewind_test_support::git_command(&self.dir.path().join("origin.git"))
            .args(["grep", "-F", "-c", text, commit, "--"])
            .output()
            .expect("git grep runs");
        out.status.success() && !out.stdout.is_empty()
    }

    /// Deployments the platform accepted.
    fn deploys(&self) -> usize {
        admin_get(&self.sandbox, "/_sandbox/requests")["requests"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter(|r| {
                r["method"] == "POST"
                    && r["path"]
                        .as_str()
                        .is_some_and(|p| p.ends_with("/manual_deploy"))
                    && r["status"].as_u64().is_some_and(|s| s < 300)
            })
            .count()
    }
}

fn journal_lines(dir: &Path) -> Vec<Value> {
    crate::support::journal_entries(dir)
}

#[test]
fn a_teammates_rollback_is_refused_while_one_runs_naming_who_holds_the_lock() {
    let team = Team::new(Duration::from_secs(4));
    let journals = tempfile::tempdir().expect("journals");
    let (alice_journal, bob_journal) = (journals.path().join("a"), journals.path().join("b"));
    let alice = team
        .rewind("alice", &alice_journal, &["rollback", "--yes"])
        .spawn();
    wait_until(
        Duration::from_secs(60),
        "alice's rollback to take the team lock",
        || !team.lock().is_empty(),
    );
    let bob = team
        .rewind("bob", &bob_journal, &["rollback", "--yes"])
        .run();
    let alice = finish(alice);
    assert_eq!(alice.code, 0, "alice: {}", alice.stderr);
    assert_eq!(bob.code, 3, "bob is refused: {}", bob.stderr);
    for words in [
        "alice",
        "team lock",
        LOCK_REF,
        "rewind unlock shop",
        "incident",
    ] {
        assert!(
            bob.stderr.contains(words),
            "bob is told `{words}`: {}",
            bob.stderr
        );
    }
    assert!(!alice.stderr.contains("working alone"), "{}", alice.stderr);
    assert_eq!(team.deploys(), 1, "one deployment in all");
    assert_eq!(team.lock(), "", "alice's lock went with her rollback");
    // Bob changed nothing: his journal says he was refused, no more.
    let bob_steps: Vec<Value> = journal_lines(&bob_journal)
        .into_iter()
        .filter(|e| e["kind"] == "step_started")
        .collect();
    assert!(bob_steps.is_empty(), "{bob_steps:?}");
}

#[test]
fn unlock_takes_away_a_lock_whose_holder_is_gone_after_a_typed_confirmation() {
    let team = Team::new(Duration::from_millis(300));
    let journals = tempfile::tempdir().expect("journals");
    let alice_journal = journals.path().join("a");
    // Alice's rewind was killed holding the lock: the ref stays.
    let origin = team.dir.path().join("origin.git");
    let tree = git(&origin, &["hash-object", "-w", "-t", "tree", "/dev/null"]);
    let holder = json!({"user": "carol", "command": "rollback", "host": "carol-laptop", "pid": 4242, "incident": "20261202-020304-ab12", "since": "2026-12-02T02:03:04Z"});
    let commit = git(
        &origin,
        &[
            "commit-tree",
            &tree,
            "-m",
            &format!("rewind lock: shop held by carol\n\n{holder}"),
        ],
    );
    git(&origin, &["update-ref", LOCK_REF, &commit]);

    let refused = team
        .rewind("alice", &alice_journal, &["rollback", "--yes"])
        .run();
    assert_eq!(refused.code, 3, "{}", refused.stderr);
    assert!(refused.stderr.contains("carol"), "{}", refused.stderr);
    // Her incident is not in the team's journal and the lock is hours
    // old: reported as possibly stale, never broken.
    assert!(
        refused.stderr.contains("may be stale"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("20261202-020304-ab12"),
        "{}",
        refused.stderr
    );

    // Without a terminal and without --yes, nothing is removed.
    let unasked = team
        .rewind("alice", &alice_journal, &["unlock", "shop"])
        .run();
    assert_ne!(unasked.code, 0, "{}", unasked.stderr);
    assert_eq!(team.lock(), commit, "the lock stays");
    // A wrong name keeps it too.
    let wrong = team
        .rewind("alice", &alice_journal, &["unlock", "shop"])
        .env("REWIND_INTERACTIVE", "1")
        .stdin("yes\n")
        .run();
    assert_eq!(wrong.code, 3, "{}", wrong.stderr);
    assert_eq!(team.lock(), commit, "the lock stays");

    let unlocked = team
        .rewind(
            "alice",
            &alice_journal,
            &["unlock", "shop", "--reason", "carol's laptop died"],
        )
        .env("REWIND_INTERACTIVE", "1")
        .stdin("shop\n")
        .run();
    assert_eq!(unlocked.code, 0, "{}", unlocked.stderr);
    assert!(
        unlocked.stderr.contains("carol"),
        "shown first: {}",
        unlocked.stderr
    );
    assert_eq!(team.lock(), "", "removed");
    let opened = journal_lines(&alice_journal)
        .into_iter()
        .find(|e| e["kind"] == "incident_opened" && e["data"]["command"] == "unlock")
        .expect("the unlock is journaled");
    assert_eq!(opened["data"]["reason"], "carol's laptop died");
    assert_eq!(opened["data"]["user"], "alice");

    // Nothing left to remove: said so, exit 0.
    let again = team
        .rewind("alice", &alice_journal, &["unlock", "shop", "--yes"])
        .run();
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stderr.contains("nothing to remove"),
        "{}",
        again.stderr
    );

    let rollback = team
        .rewind("alice", &alice_journal, &["rollback", "--yes"])
        .run();
    assert_eq!(rollback.code, 0, "{}", rollback.stderr);
    assert_eq!(team.deploys(), 1);
}

#[test]
fn with_the_remote_unreachable_a_rollback_says_it_works_alone_and_goes_on() {
    let team = Team::new(Duration::from_millis(300));
    let journals = tempfile::tempdir().expect("journals");
    let journal = journals.path().join("a");
    // The origin refuses refs outside branches and tags, as some hosts'
    // rules do: the release branch goes through, the lock cannot.
    let hook = team.dir.path().join("origin.git/hooks/update");
    std::fs::write(
        &hook,
        "#!/bin/sh\ncase \"$1\" in refs/rewind/*) echo 'custom refs are not allowed here' >&2; exit 1;; esac\nexit 0\n",
    )
    .expect("hook");
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let run: Run = team.rewind("alice", &journal, &["rollback", "--yes"]).run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("working alone"), "{}", run.stderr);
    assert!(run.stderr.contains("hook declined"), "{}", run.stderr);
    assert_eq!(team.deploys(), 1);
    let note = journal_lines(&journal)
        .into_iter()
        .find(|e| e["data"]["team_lock"] == "not taken")
        .expect("the journal says the rollback worked alone");
    assert!(
        note["data"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("worked alone"))
    );
}

/// Alice and Bob confirm a rollback of the same app at the same instant,
/// round after round: exactly one proceeds each time, never two
/// deployments.
#[test]
fn lock_race() {
    let rounds: usize = std::env::var("REWIND_LOCK_RACE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let team = Team::new(Duration::from_millis(100));
    let journals = tempfile::tempdir().expect("journals");
    let mut single = 0;
    let mut double = 0;
    let mut by_lock = 0;
    let mut problems = Vec::new();
    for round in 0..rounds {
        if round > 0 {
            team.break_production();
        }
        let before = team.deploys();
        let a = team.rewind(
            "alice",
            &journals.path().join(format!("a{round}")),
            &["rollback", "--yes"],
        );
        let b = team.rewind(
            "bob",
            &journals.path().join(format!("b{round}")),
            &["rollback", "--yes"],
        );
        let (a, b) = (a.spawn(), b.spawn());
        let (a, b) = (finish(a), finish(b));
        let deploys = team.deploys() - before;
        let winners = [&a, &b].iter().filter(|r| r.code == 0).count();
        // The loser is refused by the lock, or, when the winner was
        // already done before it asked, because what runs changed.
        let refused = [&a, &b].iter().filter(|r| r.code == 3).count();
        by_lock += [&a, &b]
            .iter()
            .filter(|r| r.code == 3 && r.stderr.contains("team lock"))
            .count();
        if deploys > 1 {
            double += 1;
        }
        if winners == 1 && refused == 1 && deploys == 1 {
            single += 1;
        } else {
            problems.push(format!(
                "round {round}: {deploys} deploys, alice {} ({}), bob {} ({})",
                a.code,
                a.stderr.lines().last().unwrap_or_default(),
                b.code,
                b.stderr.lines().last().unwrap_or_default()
            ));
        }
        assert_eq!(team.lock(), "", "round {round}: the lock is released");
    }
    crate::support::shown(&format!(
        "lock race: {rounds} rounds, {single} single winners, {double} double deploys ({by_lock} refused by the team lock)"
    ));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The id of the first incident `journal` opened.
fn first_incident(journal: &Path) -> String {
    journal_lines(journal)
        .into_iter()
        .find(|e| e["kind"] == "incident_opened")
        .and_then(|e| e["incident"].as_str().map(str::to_string))
        .expect("an incident")
}

#[test]
fn a_teammates_incident_shows_in_the_journal_while_it_runs() {
    let team = Team::new(Duration::from_secs(4));
    let journals = tempfile::tempdir().expect("journals");
    let (alice_journal, bob_journal) = (journals.path().join("a"), journals.path().join("b"));
    let alice = team
        .rewind("alice", &alice_journal, &["rollback", "--yes"])
        .spawn();
    let listed = wait_for(
        Duration::from_secs(60),
        "alice's incident to reach bob",
        || {
            let run = team.rewind("bob", &bob_journal, &["journal"]).run();
            assert_eq!(run.code, 0, "{}", run.stderr);
            run.stdout.contains("rollback").then_some(run.stdout)
        },
    );
    let alice = finish(alice);
    assert_eq!(alice.code, 0, "{}", alice.stderr);
    let id = first_incident(&alice_journal);
    assert!(listed.contains(&id), "bob lists {id}: {listed}");
    // Once it ended, bob's report of it says how it ended.
    let report = team.rewind("bob", &bob_journal, &["report", &id]).run();
    assert_eq!(report.code, 0, "{}", report.stderr);
    assert!(report.stdout.contains("alice"), "{}", report.stdout);
    assert!(report.stdout.contains("succeeded"), "{}", report.stdout);
}

#[test]
fn a_release_marked_bad_by_one_is_left_out_for_the_other_until_unmarked() {
    let team = Team::new(Duration::from_millis(300));
    let journals = tempfile::tempdir().expect("journals");
    let (alice_journal, bob_journal) = (journals.path().join("a"), journals.path().join("b"));
    let rollback = team
        .rewind("alice", &alice_journal, &["rollback", "--yes"])
        .run();
    assert_eq!(rollback.code, 0, "{}", rollback.stderr);
    // v1.0.0 runs again; v1.1.0 is marked bad, on alice's laptop and so
    // on the team's journal.
    let status = team
        .rewind("bob", &bob_journal, &["status", "--json"])
        .run();
    assert_eq!(status.code, 0, "{}", status.stderr);
    let json = status.json();
    assert_eq!(json["marked_bad"][0]["tag"], "v1.1.0", "{json}");
    assert!(json["situation"]["last_good"].is_null(), "{json}");
    let text = team.rewind("bob", &bob_journal, &["status"]).run();
    assert!(text.stdout.contains("not marked bad"), "{}", text.stdout);
    assert!(
        text.stdout.contains("rewind unmark shop v1.1.0"),
        "{}",
        text.stdout
    );
    let dry = team
        .rewind("bob", &bob_journal, &["rollback", "--dry-run"])
        .run();
    assert!(
        !dry.stdout.contains("to v1.1.0") && !dry.stderr.contains("to v1.1.0"),
        "v1.1.0 is never proposed: {}{}",
        dry.stdout,
        dry.stderr
    );

    // A mistake is named, and changes nothing.
    let wrong = team
        .rewind(
            "bob",
            &bob_journal,
            &["unmark", "shop", "v0.9.0", "--reason", "x"],
        )
        .run();
    assert_eq!(wrong.code, 2, "{}", wrong.stderr);
    assert!(
        wrong.stderr.contains("v1.1.0"),
        "lists what is marked: {}",
        wrong.stderr
    );
    let unmarked = team
        .rewind(
            "bob",
            &bob_journal,
            &[
                "unmark",
                "shop",
                "1.1.0",
                "--reason",
                "the 500s came from the CDN",
            ],
        )
        .run();
    assert_eq!(unmarked.code, 0, "{}", unmarked.stderr);
    for (person, journal) in [("bob", &bob_journal), ("alice", &alice_journal)] {
        let status = team.rewind(person, journal, &["status", "--json"]).run();
        let json = status.json();
        assert_eq!(json["marked_bad"], json!([]), "{person}: {json}");
        assert_eq!(
            json["situation"]["last_good"]["release"]["tag"], "v1.1.0",
            "{person}: {json}"
        );
    }
    let taken_back = journal_lines(&alice_journal)
        .into_iter()
        .find(|e| e["kind"] == "release_unmarked")
        .expect("alice's journal has bob's unmark");
    assert_eq!(taken_back["data"]["by"], "bob");
    assert_eq!(taken_back["data"]["reason"], "the 500s came from the CDN");
}

#[test]
fn a_rollback_killed_on_one_clone_is_finished_from_another_without_a_second_deploy() {
    let team = Team::new(Duration::from_secs(3));
    let journals = tempfile::tempdir().expect("journals");
    let (alice_journal, bob_journal) = (journals.path().join("a"), journals.path().join("b"));
    let mut alice = team
        .rewind("alice", &alice_journal, &["rollback", "--yes"])
        .spawn();
    // Killed once the deploy is accepted and the team's journal says so.
    wait_until(Duration::from_secs(60), "the deploy to start", || {
        let published = git(
            &team.dir.path().join("origin.git"),
            &[
                "for-each-ref",
                "--format=%(objectname)",
                "refs/rewind/journal",
            ],
        );
        let says_deploy =
            !published.is_empty() && team.published_contains(&published, "\"step\":\"deploy\"");
        team.deploys() == 1 && says_deploy
    });
    alice.kill().expect("kill -9");
    let _ = alice.wait();
    let id = first_incident(&alice_journal);

    // Her rewind's team lock stays on the origin; both laptops are this
    // one machine here, where her rewind is known to be gone: bob's
    // resume takes the lock over and journals it. (From another machine
    // it would be refused until `rewind unlock`: see the test above.)
    assert!(!team.lock().is_empty(), "alice's lock outlives her rewind");
    let resumed = team
        .rewind("bob", &bob_journal, &["resume", &id, "--yes"])
        .run();
    assert_eq!(resumed.code, 0, "{}\n{}", resumed.stdout, resumed.stderr);
    assert_eq!(team.deploys(), 1, "one deployment in all");
    assert_eq!(team.lock(), "", "released at the end of the resume");
    assert!(
        journal_lines(&bob_journal)
            .iter()
            .any(|e| e["data"]["team_lock"] == "taken over"),
        "the takeover is journaled"
    );
    for journal in [&bob_journal, &alice_journal] {
        let person = if journal == &bob_journal {
            "bob"
        } else {
            "alice"
        };
        let report = team.rewind(person, journal, &["report", &id]).run();
        assert_eq!(report.code, 0, "{}", report.stderr);
        assert!(
            report.stdout.contains("alice"),
            "{person}: {}",
            report.stdout
        );
        assert!(
            report.stdout.contains("resumed by bob"),
            "{person}: {}",
            report.stdout
        );
    }
}

/// The shared journal is readable by everyone with access to the
/// repository: no token, no bearer, no webhook URL ever reaches it.
#[test]
fn nothing_secret_reaches_the_shared_journal() {
    let team = Team::new(Duration::from_millis(300));
    let journals = tempfile::tempdir().expect("journals");
    let journal = journals.path().join("a");
    let webhook_secret = "canary-webhook-Zq81xKd0";
    std::fs::write(
        team.work("alice").join("rewind.toml"),
        format!(
            "[notify]\nwebhook_url = \"http://127.0.0.1:9/hooks/{webhook_secret}\"\n\n[[apps]]\nname = \"shop\"\npackage = \"shop\"\n"
        ),
    )
    .expect("toml");
    let run = team
        .rewind(
            "alice",
            &journal,
            &["rollback", "--yes", "--reason", "500s"],
        )
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let origin = team.dir.path().join("origin.git");
    let head = git(
        &origin,
        &[
            "for-each-ref",
            "--format=%(objectname)",
            "refs/rewind/journal",
        ],
    );
    assert!(!head.is_empty(), "the incident was published");
    let token = team.sandbox.api_token().to_string();
    let mut searched = 0;
    for secret in [token.as_str(), webhook_secret, "Bearer "] {
        searched += 1;
        assert!(
            !team.published_contains(&head, secret),
            "`{secret}` reached the shared journal"
        );
    }
    // The search itself finds what is there.
    assert!(team.published_contains(&head, "500s"));
    assert_eq!(searched, 3);
}

/// A host that refuses refs outside branches: with `[team] state_branch`
/// the lock and the journal live under branches instead, and the team
/// keeps them.
#[test]
fn a_state_branch_keeps_the_team_state_where_only_branches_are_allowed() {
    let team = Team::new(Duration::from_secs(2));
    let journals = tempfile::tempdir().expect("journals");
    let journal = journals.path().join("a");
    let hook = team.dir.path().join("origin.git/hooks/update");
    std::fs::write(
        &hook,
        "#!/bin/sh\ncase \"$1\" in refs/heads/*|refs/tags/*) exit 0;; esac\necho 'only branches and tags here' >&2\nexit 1\n",
    )
    .expect("hook");
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    std::fs::write(
        team.work("alice").join("rewind.toml"),
        "[team]\nstate_branch = \"rewind-state\"\n\n[[apps]]\nname = \"shop\"\npackage = \"shop\"\n",
    )
    .expect("toml");
    let origin = team.dir.path().join("origin.git");
    let lock_branch = "refs/heads/rewind-state/locks/shop";
    let alice = team
        .rewind("alice", &journal, &["rollback", "--yes"])
        .spawn();
    wait_until(Duration::from_secs(60), "the lock branch to appear", || {
        !git(
            &origin,
            &["for-each-ref", "--format=%(objectname)", lock_branch],
        )
        .is_empty()
    });
    let alice = finish(alice);
    assert_eq!(alice.code, 0, "{}", alice.stderr);
    assert!(!alice.stderr.contains("working alone"), "{}", alice.stderr);
    assert_eq!(
        git(
            &origin,
            &["for-each-ref", "--format=%(objectname)", lock_branch]
        ),
        "",
        "released"
    );
    let journal_head = git(
        &origin,
        &[
            "for-each-ref",
            "--format=%(objectname)",
            "refs/heads/rewind-state/journal",
        ],
    );
    assert!(
        !journal_head.is_empty(),
        "the journal is published on its branch"
    );
    assert!(git(&origin, &["for-each-ref", "refs/rewind/"]).is_empty());
}
