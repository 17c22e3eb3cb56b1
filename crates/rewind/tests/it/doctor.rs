//! `rewind doctor` through the real binary, on the drill's workspace (a
//! bare origin with release-please's history, a clone holding the
//! rewind.toml `rewind init` writes) and the sandbox: all `ok` when
//! everything is in place, then one problem injected at a time (in the
//! sandbox's state, the configuration, git or PATH), each giving exactly
//! one `FAIL` or `warn` line that names it, and the exit status. Doctor
//! makes no changing request, writes nothing, and its JSON has the
//! documented shape.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rewind_drill::{ConfigSettings, Workspace};
use rewind_sandbox::{AddonSeed, AppSeed, PostgresMode, Sandbox, SandboxConfig, ScmSeed};
use serde_json::{Value, json};

use crate::support::{Rewind, Run, admin_get, admin_post, git, sandbox_env};

/// What can be changed before the sandbox starts.
struct Options {
    scm: bool,
    /// The SCM link points at a copy of origin elsewhere.
    linked_to_fork: bool,
    plan: &'static str,
    token_lifetime: Duration,
    /// Versions deployed, oldest first.
    deployed: &'static [&'static str],
    /// Finished periodic backups, in hours before now.
    backups_hours_ago: &'static [i64],
    /// The version the local PostgreSQL tools print, per tool.
    tool_versions: [&'static str; 3],
}

impl Default for Options {
    fn default() -> Self {
        Options {
            scm: true,
            linked_to_fork: false,
            plan: "postgresql-starter-512",
            token_lifetime: Duration::from_secs(3600),
            deployed: &["1.0.0", "1.1.0", "1.2.0"],
            backups_hours_ago: &[20, 44, 68],
            tool_versions: ["17.2", "17.2", "17.2"],
        }
    }
}

struct Setup {
    ws: Workspace,
    sandbox: Sandbox,
    /// Holds the PostgreSQL client tools' stand-ins.
    tools: tempfile::TempDir,
}

fn setup(o: Options) -> Setup {
    let ws = Workspace::create(None).expect("workspace");
    let linked = if o.linked_to_fork {
        let elsewhere = ws.root.join("elsewhere");
        std::fs::create_dir_all(&elsewhere).expect("mkdir");
        git(
            &elsewhere,
            &[
                "clone",
                "--quiet",
                "--bare",
                &ws.origin.display().to_string(),
                "shop-fork.git",
            ],
        );
        elsewhere.join("shop-fork.git")
    } else {
        ws.origin.clone()
    };
    let sandbox = Sandbox::start(SandboxConfig {
        apps: vec![AppSeed {
            name: "shop".into(),
            repo: Some(linked.display().to_string()),
            scm: o.scm.then(|| ScmSeed {
                branch: "main".into(),
                auto_deploy: true,
            }),
            addons: vec![AddonSeed {
                provider: "scalingo-postgresql".into(),
                plan: o.plan.into(),
            }],
        }],
        token_lifetime: o.token_lifetime,
        deploy_duration: Duration::from_millis(200),
        rate_limit_per_minute: 0,
        postgres: PostgresMode::Off,
        ..SandboxConfig::default()
    })
    .expect("sandbox");
    let base = sandbox.base_url().trim_end_matches('/').to_string();
    ws.write_config(&ConfigSettings {
        sandbox_url: base.clone(),
        webhook_url: format!("{base}/_sandbox/webhook"),
        margin: Duration::from_secs(60),
        health_interval: Duration::from_millis(200),
    })
    .expect("rewind.toml");
    let now = chrono::Utc::now();
    let deployments: Vec<Value> = o
        .deployed
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let back = i64::try_from(o.deployed.len() - i).expect("small");
            json!({
                "git_ref": ws.commit(v).expect("release"),
                "created_at": (now - chrono::Duration::days(back)).to_rfc3339(),
                "pusher": "alice",
            })
        })
        .collect();
    admin_post(
        &sandbox,
        "/_sandbox/apps/shop/deployments/history",
        json!({ "deployments": deployments }),
    );
    let backups: Vec<Value> = o
        .backups_hours_ago
        .iter()
        .map(|h| {
            json!({
                "created_at": (now - chrono::Duration::hours(*h)).to_rfc3339(),
                "status": "done",
                "method": "periodic",
            })
        })
        .collect();
    let addon = addon_id(&sandbox);
    admin_post(
        &sandbox,
        &format!("/_sandbox/databases/{addon}/backups/history"),
        json!({ "backups": backups }),
    );
    let tools = tempfile::tempdir().expect("tools dir");
    for (tool, version) in ["pg_dump", "pg_restore", "psql"]
        .iter()
        .zip(o.tool_versions)
    {
        write_script(
            &tools.path().join(tool),
            &format!("#!/bin/sh\necho '{tool} (PostgreSQL) {version}'\n"),
        );
    }
    Setup { ws, sandbox, tools }
}

fn addon_id(sandbox: &Sandbox) -> String {
    let state = admin_get(sandbox, "/_sandbox/apps/shop/state");
    state["addons"][0]["id"]
        .as_str()
        .expect("addon id")
        .to_string()
}

fn write_script(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).expect("script");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

impl Setup {
    fn config_path(&self) -> PathBuf {
        self.ws.clone.join("rewind.toml")
    }

    /// Rewrites rewind.toml with `edit`.
    fn edit_config(&self, edit: impl FnOnce(String) -> String) {
        let text = std::fs::read_to_string(self.config_path()).expect("read");
        std::fs::write(self.config_path(), edit(text)).expect("write");
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &sandbox_env(&self.sandbox))
    }

    /// Runs with `env` instead of the sandbox's variables.
    fn run_env(&self, args: &[&str], env: &[(String, String)]) -> Run {
        self.command(args, env).run()
    }

    fn command(&self, args: &[&str], env: &[(String, String)]) -> Rewind {
        let path = format!(
            "{}:{}",
            self.tools.path().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut all = vec!["doctor"];
        all.extend_from_slice(args);
        Rewind::new(&all)
            .dir(&self.ws.clone)
            .journal(&self.ws.journal_dir)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("PATH", &path)
    }
}

/// The `FAIL` and `warn` lines.
fn problems(run: &Run) -> Vec<&str> {
    run.stdout
        .lines()
        .filter(|l| l.starts_with("FAIL") || l.starts_with("warn"))
        .collect()
}

/// Exactly one problem line, at `level`, for check `id`; exit `code`.
fn assert_one(run: &Run, level: &str, id: &str, code: i32) {
    let found = problems(run);
    assert_eq!(
        found.len(),
        1,
        "one problem expected:\n{}\n{}",
        run.stdout,
        run.stderr
    );
    let line = found[0];
    assert!(
        line.starts_with(level) && line.contains(&format!(" {id} ")),
        "{level} {id} expected, got: {line}\n{}",
        run.stdout
    );
    assert_eq!(run.code, code, "{}\n{}", run.stdout, run.stderr);
}

#[test]
fn a_healthy_workspace_is_all_ok() {
    let s = setup(Options::default());
    let run = s.run(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(problems(&run).is_empty(), "{}", run.stdout);
    for id in [
        "config",
        "tree",
        "token",
        "user",
        "shop/region",
        "shop/app",
        "shop/scm.link",
        "shop/scm.repository",
        "shop/scm.auto_deploy",
        "shop/git.remote",
        "shop/git.tags",
        "shop/git.push",
        "shop/method.archive",
        "shop/method.git_push",
        "shop/history.identified",
        "shop/history.last_good",
        "shop/db.addon",
        "shop/db.pitr",
        "shop/db.backup",
        "shop/db.tools",
        "shop/health",
        "shop/webhook",
    ] {
        assert!(
            run.stdout
                .lines()
                .any(|l| l.starts_with("ok ") && l.contains(&format!(" {id} "))),
            "no ok line for {id}:\n{}",
            run.stdout
        );
    }
    let out = &run.stdout;
    assert!(out.contains("the newest is v1.3.0"), "{out}");
    assert!(out.contains("v1.1.0 (tag)"), "{out}");
    assert!(out.contains("the token belongs to sandbox-user"), "{out}");
    assert!(out.contains("a rollback switches it off first"), "{out}");
    assert!(out.contains("pg_restore 17.2"), "{out}");
    let summary = out.lines().last().expect("summary");
    assert!(
        summary.starts_with("summary: 23 ok, 0 warn, 0 FAIL, 0 skipped;"),
        "{summary}"
    );
    assert!(!out.contains("tk-us-"), "no token in the output");
    // A reader that stops early (`rewind doctor | head -3`) ends a read.
    for args in [&[][..], &["--json"][..]] {
        let run = s
            .command(args, &sandbox_env(&s.sandbox))
            .run_closed(true, false);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
}

#[test]
fn an_app_without_scm_link_fails_scm_link() {
    let s = setup(Options {
        scm: false,
        ..Options::default()
    });
    let run = s.run(&[]);
    assert_one(&run, "FAIL", "shop/scm.link", 1);
    assert!(run.stdout.contains("--method archive"), "{}", run.stdout);
    assert!(
        run.stderr.contains("error: 1 check(s) failed"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_scm_link_to_another_repository_fails_scm_repository() {
    let s = setup(Options {
        linked_to_fork: true,
        ..Options::default()
    });
    let run = s.run(&[]);
    assert_one(&run, "FAIL", "shop/scm.repository", 1);
    assert!(run.stdout.contains("elsewhere/shop-fork"), "{}", run.stdout);
}

#[test]
fn a_tag_format_no_tag_matches_fails_git_tags() {
    let s = setup(Options::default());
    s.edit_config(|t| {
        let replaced = t
            .lines()
            .map(|l| {
                if l.starts_with("tag_format") {
                    "tag_format = \"shop-v{version}\"".to_string()
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        assert_ne!(replaced, t, "init wrote a tag_format line");
        replaced + "\n"
    });
    let run = s.run(&[]);
    assert_one(&run, "FAIL", "shop/git.tags", 1);
    assert!(
        run.stdout
            .contains("no tag on `origin` matches `shop-v{version}`"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("such as v1.0.0"), "{}", run.stdout);
}

#[test]
fn build_logs_without_versions_warn_about_history() {
    let s = setup(Options::default());
    // A teammate's commit, pushed to origin but not fetched here, built
    // from a package.json with no version (as yarn builds print none).
    let mate = s.ws.root.join("mate");
    git(
        &s.ws.root,
        &[
            "clone",
            "--quiet",
            &s.ws.origin.display().to_string(),
            "mate",
        ],
    );
    std::fs::write(mate.join("package.json"), "{\"name\":\"shop\"}\n").expect("write");
    git(&mate, &["commit", "--quiet", "-am", "build with yarn"]);
    git(
        &mate,
        &["push", "--quiet", "origin", "HEAD:refs/heads/yarn"],
    );
    let sha = git(&mate, &["rev-parse", "HEAD"]);
    admin_post(
        &s.sandbox,
        "/_sandbox/apps/shop/deployments/history",
        json!({"deployments": [{"git_ref": sha, "pusher": "bob"}]}),
    );
    let run = s.run(&[]);
    assert_one(&run, "warn", "shop/history.identified", 0);
    assert!(
        run.stdout
            .contains("1 of the last 4 deployment(s) could not be identified: no `shop@version` line in the build log (1)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("yarn and pnpm print none"),
        "{}",
        run.stdout
    );
}

#[test]
fn an_archive_url_template_is_tried_for_the_newest_tag() {
    let s = setup(Options::default());
    let archives = tempfile::tempdir().expect("archives");
    std::fs::write(archives.path().join("v1.3.0.tar.gz"), b"archive").expect("archive");
    let mut env = sandbox_env(&s.sandbox);
    env.push((
        "REWIND_ARCHIVE_URL_TEMPLATE".into(),
        format!("file://{}/{{tag}}.tar.gz", archives.path().display()),
    ));
    let run = s.run_env(&[], &env);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(problems(&run).is_empty(), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("the URL in REWIND_ARCHIVE_URL_TEMPLATE answers for v1.3.0"),
        "{}",
        run.stdout
    );
    // A URL that answers 404: the fallback would fail on the night.
    let base = s.sandbox.base_url().trim_end_matches('/').to_string();
    env.pop();
    env.push((
        "REWIND_ARCHIVE_URL_TEMPLATE".into(),
        format!("{base}/archives/{{tag}}.tar.gz?token=secret-token"),
    ));
    let run = s.run_env(&[], &env);
    assert_one(&run, "warn", "shop/method.archive", 0);
    assert!(!run.stdout.contains("secret-token"), "{}", run.stdout);
}

#[test]
fn a_plan_without_point_in_time_recovery_fails_db_pitr() {
    let s = setup(Options {
        plan: "postgresql-sandbox",
        ..Options::default()
    });
    let run = s.run(&[]);
    assert_one(&run, "FAIL", "shop/db.pitr", 1);
    assert!(
        run.stdout
            .contains("the plan postgresql-sandbox offers no point-in-time recovery"),
        "{}",
        run.stdout
    );
}

#[test]
fn no_backup_for_three_days_fails_db_backup() {
    let s = setup(Options {
        backups_hours_ago: &[80, 104],
        ..Options::default()
    });
    let run = s.run(&[]);
    assert_one(&run, "FAIL", "shop/db.backup", 1);
    assert!(run.stdout.contains("3 days ago"), "{}", run.stdout);
}

#[test]
fn a_backup_two_days_old_is_a_warning() {
    let s = setup(Options {
        backups_hours_ago: &[50],
        ..Options::default()
    });
    let run = s.run(&[]);
    assert_one(&run, "warn", "shop/db.backup", 0);
    assert!(
        run.stdout.contains("summary: 22 ok, 1 warn, 0 FAIL"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_local_pg_restore_older_than_the_server_fails_db_tools() {
    let s = setup(Options {
        tool_versions: ["17.2", "12.4", "17.2"],
        ..Options::default()
    });
    let run = s.run(&[]);
    assert_one(&run, "FAIL", "shop/db.tools", 1);
    assert!(
        run.stdout
            .contains("pg_restore 12.4 is older than the server's PostgreSQL 16"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("apt install postgresql-client-16"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_health_check_answering_503_fails_health() {
    let s = setup(Options {
        deployed: &["1.0.0", "1.1.0", "1.2.0", "1.3.0"],
        ..Options::default()
    });
    // v1.3.0 answers 503 while its feature is on.
    set_variable(&s.sandbox, "FEATURE_NEW_PRICING", "true");
    let run = s.run(&[]);
    assert_one(&run, "FAIL", "shop/health", 1);
    assert!(
        run.stdout.contains("answers 503, expected 200"),
        "{}",
        run.stdout
    );
}

fn set_variable(sandbox: &Sandbox, name: &str, value: &str) {
    use rewind_core::platform::Platform;
    use rewind_core::platform::scalingo::{Scalingo, ScalingoSettings};
    let vars = sandbox.env_vars();
    let settings = ScalingoSettings::new("osc-fr1").with_env(|k| {
        vars.iter()
            .find(|(name, _)| *name == k)
            .map(|(_, v)| v.clone())
    });
    Scalingo::new(settings)
        .expect("client")
        .set_variable("shop", name, value)
        .expect("variable set");
}

#[test]
fn an_expired_token_fails_token_and_asks_nothing_more_of_the_platform() {
    let s = setup(Options {
        token_lifetime: Duration::ZERO,
        ..Options::default()
    });
    let run = s.run(&[]);
    assert_one(&run, "FAIL", "token", 1);
    assert!(
        run.stdout.contains("the bearer expired at"),
        "{}",
        run.stdout
    );
    for id in [
        "user",
        "shop/app",
        "shop/scm.link",
        "shop/method.git_push",
        "shop/db.addon",
    ] {
        assert!(
            run.stdout
                .lines()
                .any(|l| l.starts_with("skip") && l.contains(&format!(" {id} "))),
            "{id} skipped:\n{}",
            run.stdout
        );
    }
}

#[test]
fn a_refused_or_missing_token_fails_token() {
    let s = setup(Options::default());
    let mut env = sandbox_env(&s.sandbox);
    for (k, v) in &mut env {
        if k == "SCALINGO_API_TOKEN" {
            *v = "tk-us-revoked".to_string();
        }
    }
    let run = s.run_env(&[], &env);
    assert_one(&run, "FAIL", "token", 1);
    assert!(
        run.stdout.contains("Scalingo refused the API token"),
        "{}",
        run.stdout
    );
    env.retain(|(k, _)| k != "SCALINGO_API_TOKEN");
    let run = s.run_env(&[], &env);
    assert_one(&run, "FAIL", "token", 1);
    assert!(
        run.stdout.contains("no Scalingo API token"),
        "{}",
        run.stdout
    );
}

#[test]
fn the_region_resolves_from_the_region_list_or_fails_region() {
    let s = setup(Options::default());
    // Without the URLs, the client asks the region list for its endpoints.
    let mut env = sandbox_env(&s.sandbox);
    env.retain(|(k, _)| k != "SCALINGO_API_URL" && k != "SCALINGO_DB_URL");
    let run = s.run_env(&[], &env);
    assert_one(&run, "FAIL", "shop/region", 1);
    assert!(
        run.stdout
            .contains("unknown region `osc-fr1`; available regions: sandbox-local"),
        "{}",
        run.stdout
    );
    s.edit_config(|t| t.replacen("region = \"osc-fr1\"", "region = \"sandbox-local\"", 1));
    let run = s.run_env(&[], &env);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(problems(&run).is_empty(), "{}", run.stdout);
    assert!(
        run.stdout.contains(&format!(
            "sandbox-local: API {base}, database API {base}",
            base = s.sandbox.base_url().trim_end_matches('/')
        )),
        "{}",
        run.stdout
    );
}

#[test]
fn an_unknown_app_fails_app() {
    let s = setup(Options::default());
    s.edit_config(|t| t.replacen("name = \"shop\"", "name = \"shop-typo\"", 1));
    let run = s.run(&[]);
    assert_one(&run, "FAIL", "shop-typo/app", 1);
    assert!(
        run.stdout
            .contains("add this token's user as a collaborator"),
        "{}",
        run.stdout
    );
}

#[test]
fn an_unreachable_remote_fails_git_remote_and_tags_come_from_the_clone() {
    let s = setup(Options::default());
    // Same owner and name as the SCM link, on a port nothing listens on.
    let url = format!("git://127.0.0.1:1{}", s.ws.origin.display());
    git(&s.ws.clone, &["remote", "set-url", "origin", &url]);
    let run = s.run(&[]);
    assert_one(&run, "FAIL", "shop/git.remote", 1);
    assert!(
        run.stdout
            .contains("in the local repository (the remote did not answer)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("skip") && l.contains(" shop/git.push ")),
        "{}",
        run.stdout
    );
}

#[test]
fn a_broken_tree_file_fails_tree() {
    let s = setup(Options::default());
    std::fs::write(s.ws.clone.join("tree.toml"), "[[questions]]\nid = \n").expect("tree");
    s.edit_config(|t| format!("tree = \"tree.toml\"\n{t}"));
    let run = s.run(&[]);
    assert_one(&run, "FAIL", "tree", 1);
    assert!(run.stdout.contains("tree.toml has"), "{}", run.stdout);
    assert!(run.stdout.contains("rewind tree check"), "{}", run.stdout);
}

#[test]
fn a_configuration_that_does_not_load_or_an_unknown_app_is_exit_2() {
    let s = setup(Options::default());
    let run = s.run(&["shop"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let run = s.run(&["nope"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("nope"), "{}", run.stderr);
    s.edit_config(|t| format!("{t}\n[[apps]]\nname = 3\n"));
    let run = s.run(&[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

/// Every ref of a repository and its working tree's state.
fn git_state(dir: &Path) -> String {
    let refs = git(dir, &["for-each-ref", "--format=%(refname) %(objectname)"]);
    let status = if dir.join(".git").exists() {
        git(dir, &["status", "--porcelain", "--untracked-files=all"])
    } else {
        String::new()
    };
    format!("{refs}\n--\n{status}")
}

#[test]
fn doctor_changes_nothing_and_counts_its_requests() {
    let s = setup(Options::default());
    let before_clone = git_state(&s.ws.clone);
    let before_origin = git_state(&s.ws.origin);
    let since = admin_get(&s.sandbox, "/_sandbox/requests")["requests"]
        .as_array()
        .map_or(0, Vec::len);
    let run = s.run(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let log = admin_get(&s.sandbox, &format!("/_sandbox/requests?since={since}"));
    let requests = log["requests"].as_array().expect("request log");
    let api: Vec<&Value> = requests
        .iter()
        .filter(|r| {
            let path = r["path"].as_str().unwrap_or("");
            path.starts_with("/v1/") || path.starts_with("/api/")
        })
        .collect();
    for r in &api {
        let method = r["method"].as_str().unwrap_or("");
        let path = r["path"].as_str().unwrap_or("");
        let exchange = path == "/v1/tokens/exchange"
            || (path.starts_with("/v1/apps/shop/addons/") && path.ends_with("/token"));
        assert!(
            method == "GET" || (method == "POST" && exchange),
            "a changing request: {method} {path}"
        );
    }
    let summary = run.stdout.lines().last().expect("summary");
    assert!(
        summary.ends_with(&format!("; {} request(s) to the platform", api.len())),
        "{summary} vs {} API requests in the sandbox's log",
        api.len()
    );
    assert!(api.len() <= 20, "{} requests", api.len());
    assert_eq!(
        git_state(&s.ws.clone),
        before_clone,
        "the clone is untouched"
    );
    assert_eq!(
        git_state(&s.ws.origin),
        before_origin,
        "the remote is untouched"
    );
    assert!(
        crate::support::journal_entries(&s.ws.journal_dir).is_empty(),
        "no journal entry"
    );
    // Beside the journal, only the request budget every rewind run shares.
    let files: Vec<String> = std::fs::read_dir(&s.ws.journal_dir)
        .expect("journal dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        files
            .iter()
            .all(|f| f == rewind_core::platform::scalingo::BUDGET_FILE),
        "{files:?}"
    );
    let hook = admin_get(&s.sandbox, "/_sandbox/webhook");
    assert_eq!(
        hook["messages"].as_array().map(Vec::len),
        Some(0),
        "no message without --ping: {hook}"
    );
}

#[test]
fn ping_posts_one_test_message_to_the_webhook() {
    let s = setup(Options::default());
    let run = s.run(&["--ping"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("took a test message"), "{}", run.stdout);
    let hook = admin_get(&s.sandbox, "/_sandbox/webhook");
    let messages = hook["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 1, "{hook}");
    assert!(
        messages[0]
            .to_string()
            .contains("rewind doctor: a test message for shop"),
        "{hook}"
    );
}

#[test]
fn json_output_follows_the_documented_schema() {
    let s = setup(Options {
        scm: false,
        ..Options::default()
    });
    let run = s.run(&["--json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let v = run.json();
    assert_eq!(v["schema"], 1);
    assert_eq!(v["ok"], false);
    assert!(v["requests"].as_u64().is_some_and(|n| n > 0), "{v}");
    let checks = v["checks"].as_array().expect("checks");
    let mut counts = json!({"ok": 0, "warn": 0, "fail": 0, "skip": 0});
    for c in checks {
        let mut keys: Vec<&String> = c.as_object().expect("object").keys().collect();
        keys.sort();
        assert_eq!(keys, ["app", "detail", "fix", "id", "level"], "{c}");
        let level = c["level"].as_str().expect("level");
        counts[level] = json!(counts[level].as_u64().expect("known level") + 1);
        assert!(c["id"].as_str().is_some_and(|s| !s.is_empty()), "{c}");
        assert!(c["detail"].as_str().is_some_and(|s| !s.is_empty()), "{c}");
        assert!(c["app"].is_null() || c["app"] == "shop", "{c}");
        assert_eq!(
            c["fix"].is_string(),
            level == "warn" || level == "fail",
            "a fix exactly for warnings and failures: {c}"
        );
    }
    assert_eq!(v["summary"], counts);
    let failed: Vec<&Value> = checks.iter().filter(|c| c["level"] == "fail").collect();
    assert_eq!(failed.len(), 1, "{v}");
    assert_eq!(failed[0]["id"], "scm.link");
    assert_eq!(failed[0]["app"], "shop");
}

#[test]
fn several_apps_share_one_account_check_and_app_names_choose_them() {
    let s = setup(Options::default());
    admin_post(
        &s.sandbox,
        "/_sandbox/apps",
        json!({
            "name": "shop-eu",
            "repo": s.ws.origin.display().to_string(),
            "scm": {"branch": "main", "auto_deploy": false},
        }),
    );
    s.edit_config(|t| format!("{t}\n[[apps]]\nname = \"shop-eu\"\npackage = \"shop\"\n"));
    let run = s.run(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let out = &run.stdout;
    assert_eq!(
        out.lines()
            .filter(|l| l.split_whitespace().nth(1) == Some("token"))
            .count(),
        1,
        "{out}"
    );
    assert!(out.contains("loads: 2 app(s) (shop, shop-eu)"), "{out}");
    assert!(
        out.lines().any(|l| l.starts_with("ok ")
            && l.contains(" shop-eu/scm.auto_deploy ")
            && l.contains("off (branch main)")),
        "{out}"
    );
    // The new app has no deployment and no health check: warnings only.
    let found = problems(&run);
    assert_eq!(found.len(), 2, "{out}");
    assert!(found[0].contains(" shop-eu/history.identified "), "{out}");
    assert!(found[1].contains(" shop-eu/health "), "{out}");
    let run = s.run(&["shop-eu"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains(" shop/"), "{}", run.stdout);
    assert!(run.stdout.contains(" shop-eu/app "), "{}", run.stdout);
}
