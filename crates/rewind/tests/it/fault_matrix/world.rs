//! One case's world: a bare origin holding v1.0.0 (good) and v1.1.0 (bad,
//! a destructive migration), its clone with a rewind.toml (database,
//! health check, webhook), a sandbox where both were deployed with a
//! simulated PostgreSQL holding a row from before the bad deploy and one
//! from after, and the git hooks and webhook through which the matrix
//! breaks the steps that are not Scalingo requests.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rewind_sandbox::{AddonSeed, AppSeed, PostgresMode, Sandbox, SandboxConfig, ScmSeed};
use serde_json::{Value, json};
use tempfile::TempDir;

use super::hook::Hook;
use crate::support::{GIT_DATES, Rewind, admin_get, admin_post, git};

/// Deploys, backups and restores take this long in the sandbox (a backup
/// or a restore half of it): short, so the matrix stays quick.
const DEPLOY: Duration = Duration::from_millis(300);

pub struct World {
    pub dir: TempDir,
    pub sandbox: Sandbox,
    pub hook: Hook,
    /// The commits of v1.0.0 (the target) and v1.1.0 (the bad release).
    pub good: String,
    pub bad: String,
    pub addon: String,
    /// Deployments the sandbox knew before the case began.
    pub seeded_deployments: usize,
}

impl World {
    pub fn new() -> World {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("home")).expect("home");
        std::fs::create_dir_all(root.join("control")).expect("control");
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
        // The team's lock and journal live on a remote of their own, so
        // that the git faults injected on the origin (fetch, push) hit
        // the rollback's own git work, not the team's.
        git(root, &["init", "--quiet", "--bare", "team.git"]);
        git(
            &work,
            &[
                "remote",
                "add",
                "team",
                root.join("team.git").to_str().expect("utf-8"),
            ],
        );
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
            git(
                &work,
                &[
                    "commit",
                    "--quiet",
                    "-m",
                    &format!("chore(main): release {v}"),
                ],
            );
            git(&work, &["tag", &format!("v{v}")]);
            shas.push(git(&work, &["rev-parse", "HEAD"]));
        }
        git(&work, &["push", "--quiet", "origin", "main", "--tags"]);
        let sandbox = Sandbox::start(SandboxConfig {
            apps: vec![AppSeed {
                name: "shop".into(),
                repo: Some(root.join("origin.git").display().to_string()),
                scm: Some(ScmSeed {
                    branch: "main".into(),
                    auto_deploy: true,
                }),
                addons: vec![AddonSeed {
                    provider: "scalingo-postgresql".into(),
                    plan: "postgresql-starter-512".into(),
                }],
            }],
            deploy_duration: DEPLOY,
            rate_limit_per_minute: 0,
            postgres: PostgresMode::Off,
            ..SandboxConfig::default()
        })
        .expect("sandbox");
        let hook = Hook::start();
        std::fs::write(
            work.join("rewind.toml"),
            format!(
                "[notify]\nwebhook_url = \"{hook}\"\n\n[team]\nremote = \"team\"\n\n[[apps]]\nname = \"shop\"\npackage = \"shop\"\n\n\
                 [apps.database]\naddon = \"scalingo-postgresql\"\nmargin = \"1m\"\nmigrations = [\"migrations\"]\n\n\
                 [apps.health_check]\nurl = \"{base}/_apps/shop/health\"\nretries = 3\ninterval = \"100ms\"\n",
                hook = hook.url(),
                base = sandbox.base_url(),
            ),
        )
        .expect("rewind.toml");
        let (good, bad) = (shas[0].clone(), shas[1].clone());
        let mut world = World {
            dir,
            sandbox,
            hook,
            good,
            bad,
            addon: String::new(),
            seeded_deployments: 2,
        };
        let ago = |min: i64| (chrono::Utc::now() - chrono::Duration::minutes(min)).to_rfc3339();
        world.post(
            "/_sandbox/apps/shop/deployments/history",
            json!({"deployments": [
                {"git_ref": world.good, "created_at": ago(40)},
                {"git_ref": world.bad, "created_at": ago(10)},
            ]}),
        );
        world.addon = world.state()["addons"][0]["id"]
            .as_str()
            .expect("addon id")
            .to_string();
        let db = format!("/_sandbox/databases/{}", world.addon);
        // An old backup opens the recovery window before the bad deploy.
        world.post(
            &format!("{db}/backups/history"),
            json!({"backups": [{"created_at": ago(60)}]}),
        );
        world.post(
            &format!("{db}/rows"),
            json!({"rows": [{"text": "before", "at": ago(30)}, {"text": "after", "at": ago(5)}]}),
        );
        world
    }

    pub fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    pub fn origin(&self) -> PathBuf {
        self.dir.path().join("origin.git")
    }

    /// Where the git hooks look for what to do (see `git_faults`).
    pub fn control(&self) -> PathBuf {
        self.dir.path().join("control")
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub fn journal_dir(&self) -> PathBuf {
        self.dir.path().join("journal")
    }

    pub fn journal_file(&self) -> PathBuf {
        self.journal_dir().join("journal.jsonl")
    }

    /// `rewind ARGS` as the person on call runs it, in the clone.
    pub fn rewind(&self, args: &[&str]) -> Rewind {
        Rewind::new(args)
            .dir(&self.work())
            .home(&self.home())
            .env("USER", "alice")
            .env("LANG", "C")
            .env("TZ", "UTC")
            .envs(GIT_DATES)
            .journal(&self.journal_dir())
            .sandbox(&self.sandbox)
    }

    pub fn get(&self, path: &str) -> Value {
        admin_get(&self.sandbox, path)
    }

    pub fn post(&self, path: &str, body: Value) -> Value {
        admin_post(&self.sandbox, path, body)
    }

    pub fn state(&self) -> Value {
        self.get("/_sandbox/apps/shop/state")
    }

    pub fn rows(&self) -> Vec<String> {
        let v = self.get(&format!("/_sandbox/databases/{}/rows", self.addon));
        v["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| r["text"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Every request the sandbox received since `since` (an index).
    pub fn requests(&self, since: u64) -> Vec<Value> {
        let all = self.get(&format!("/_sandbox/requests?since={since}"));
        all["requests"].as_array().cloned().unwrap_or_default()
    }

    pub fn request_mark(&self) -> u64 {
        self.get("/_sandbox/requests")["next_index"]
            .as_u64()
            .expect("next_index")
    }

    /// The commit of the release running now: the newest successful
    /// deployment's, as the sandbox's app URL sees it.
    pub fn running(&self) -> Option<String> {
        let state = self.state();
        let deployments = state["deployments"].as_array()?;
        deployments
            .iter()
            .rev()
            .find(|d| d["status"] == "success")
            .and_then(|d| d["git_ref"].as_str().or(d["commit"].as_str()))
            .map(|r| self.commit_of(r))
    }

    /// The deployments made during the case, as (commit, status).
    pub fn new_deployments(&self) -> Vec<(String, String)> {
        let state = self.state();
        state["deployments"]
            .as_array()
            .map(|all| {
                all.iter()
                    .skip(self.seeded_deployments)
                    .map(|d| {
                        let r = d["git_ref"].as_str().unwrap_or_default();
                        (
                            self.commit_of(r),
                            d["status"].as_str().unwrap_or_default().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A git ref of the origin (a branch, a tag, a commit) as a commit.
    fn commit_of(&self, r: &str) -> String {
        let out = rewind_test_support::git_command(&self.origin())
            .args(["rev-parse", "--verify", "--quiet"])
            .arg(format!("{r}^{{commit}}"))
            .output()
            .expect("git runs");
        let sha = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if sha.is_empty() { r.to_string() } else { sha }
    }

    /// A label for a commit: the release it is, for messages.
    pub fn label(&self, commit: &str) -> &'static str {
        if commit == self.good {
            "v1.0.0"
        } else if commit == self.bad {
            "v1.1.0"
        } else {
            "something else"
        }
    }
}

/// Waits up to `limit` for `ready`, polling; false when it never was.
pub fn wait_for(limit: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if ready() {
            return true;
        }
        // The pause between two looks at a condition.
        std::thread::sleep(Duration::from_millis(5));
    }
    ready()
}

/// Writes an executable shell script.
pub fn script(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(path.parent().expect("parent")).expect("hooks dir");
    std::fs::write(path, text).expect("write script");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}
