//! `rewind status` through the real binary, against the sandbox and a real
//! repository: what a person sees, the JSON schema, and every bad input
//! ending in a clear message and the right exit status.

use std::path::Path;
use std::time::Duration;

use rewind_sandbox::{AppSeed, Sandbox, SandboxConfig, ScmSeed};
use serde_json::{Value, json};

use crate::support::{
    Rewind, Run, admin_delete, admin_get, admin_post, admin_put, git, sandbox_env,
};

/// A repository with releases v1.0.0..v1.2.0 of package `shop` and a
/// rewind.toml for app `shop`; returns it and the SHAs by version.
fn repo() -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let work = dir.path();
    git(work, &["init", "--quiet", "--initial-branch=main"]);
    let mut shas = Vec::new();
    for v in ["1.0.0", "1.1.0", "1.2.0"] {
        std::fs::write(
            work.join("package.json"),
            format!("{{\"name\":\"shop\",\"version\":\"{v}\"}}\n"),
        )
        .expect("write");
        git(work, &["add", "."]);
        git(work, &["commit", "--quiet", "-m", &format!("release {v}")]);
        git(work, &["tag", &format!("v{v}")]);
        shas.push(git(work, &["rev-parse", "HEAD"]));
    }
    std::fs::write(
        work.join("rewind.toml"),
        "[[apps]]\nname = \"shop\"\npackage = \"shop\"\n",
    )
    .expect("toml");
    (dir, shas)
}

fn sandbox(repo: &Path) -> Sandbox {
    Sandbox::start(SandboxConfig {
        apps: vec![AppSeed {
            name: "shop".into(),
            repo: Some(repo.display().to_string()),
            scm: Some(ScmSeed {
                branch: "main".into(),
                auto_deploy: true,
            }),
            addons: Vec::new(),
        }],
        deploy_duration: Duration::from_millis(200),
        rate_limit_per_minute: 0,
        ..SandboxConfig::default()
    })
    .expect("sandbox")
}

/// Runs `rewind ARGS` in `dir` with `env`, journaling under `dir`.
fn rewind(dir: &Path, env: &[(String, String)], args: &[&str]) -> Run {
    Rewind::new(args)
        .dir(dir)
        .journal(&dir.join(".test-journal"))
        .envs(env.iter().map(|(k, v)| (k, v)))
        .run()
}

fn deployed(sandbox: &Sandbox, shas: &[String]) {
    admin_post(
        sandbox,
        "/_sandbox/apps/shop/deployments/history",
        json!({"deployments": [
            {"git_ref": shas[0], "created_at": "2026-11-20T10:00:00Z", "pusher": "alice"},
            {"git_ref": shas[1], "created_at": "2026-11-21T10:00:00Z", "pusher": "bob"},
            {"git_ref": shas[2], "created_at": "2026-11-22T10:00:00Z", "status": "build-error"},
            {"git_ref": shas[2], "created_at": "2026-11-22T10:30:00Z", "pusher": "carol"},
        ]}),
    );
}

#[test]
fn status_shows_what_runs_what_ran_and_the_last_good_release() {
    let (dir, shas) = repo();
    let sandbox = sandbox(dir.path());
    deployed(&sandbox, &shas);
    let run = rewind(dir.path(), &sandbox_env(&sandbox), &["status"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = &run.stdout;
    assert!(
        out.contains("now running   v1.2.0 (tag) since 2026-11-22"),
        "{out}"
    );
    assert!(
        out.contains("last good     v1.1.0 (tag), deployed 2026-11-21 10:00 UTC"),
        "{out}"
    );
    assert!(out.contains("auto-deploy   on for branch main"), "{out}");
    assert!(out.contains("database      none"), "{out}");
    let rows: Vec<&str> = out.lines().filter(|l| l.starts_with("  2026-")).collect();
    assert_eq!(rows.len(), 4, "{out}");
    assert!(
        rows[1].contains("build-error") && rows[1].contains("v1.2.0"),
        "{}",
        rows[1]
    );
    assert!(
        rows[3].contains("alice") && rows[3].contains("v1.0.0") && rows[3].ends_with("tag"),
        "{}",
        rows[3]
    );
    assert!(!out.contains('\x1b'), "no colour when not on a terminal");
}

#[test]
fn status_json_has_a_stable_schema_on_stdout() {
    let (dir, shas) = repo();
    let sandbox = sandbox(dir.path());
    deployed(&sandbox, &shas);
    let run = rewind(
        dir.path(),
        &sandbox_env(&sandbox),
        &["status", "--json", "--limit", "2"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    assert_eq!(v["app"]["name"], "shop");
    assert_eq!(v["situation"]["current"]["release"]["label"], "v1.2.0");
    assert_eq!(v["situation"]["current"]["release"]["source"], "tag");
    assert_eq!(v["situation"]["current"]["release"]["version"], "1.2.0");
    assert_eq!(v["situation"]["last_good"]["release"]["tag"], "v1.1.0");
    assert_eq!(v["situation"]["recent"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        v["situation"]["recent"][1]["deployment"]["status"],
        "build-error"
    );
    assert_eq!(v["scm_link"]["auto_deploy_enabled"], true);
    assert_eq!(v["build_logs_read"], 0);
    assert!(!run.stdout.contains("tk-us-"), "no token in the output");
}

#[test]
fn an_empty_history_and_a_repository_without_tags_are_not_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    git(dir.path(), &["init", "--quiet", "--initial-branch=main"]);
    std::fs::write(
        dir.path().join("rewind.toml"),
        "[[apps]]\nname = \"shop\"\n",
    )
    .expect("toml");
    std::fs::write(
        dir.path().join("package.json"),
        "{\"name\":\"shop\",\"version\":\"0.1.0\"}",
    )
    .expect("pkg");
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "--quiet", "-m", "first"]);
    let sandbox = sandbox(dir.path());
    let run = rewind(dir.path(), &sandbox_env(&sandbox), &["status"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("now running   nothing: no successful deployment yet"),
        "{}",
        run.stdout
    );
    let sha = git(dir.path(), &["rev-parse", "HEAD"]);
    admin_post(
        &sandbox,
        "/_sandbox/apps/shop/deployments/history",
        json!({"deployments": [{"git_ref": sha}]}),
    );
    let run = rewind(dir.path(), &sandbox_env(&sandbox), &["status"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("(untagged) (nearest tag)"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_tag_format_that_matches_nothing_falls_back_on_nearest_descriptions() {
    let (dir, shas) = repo();
    std::fs::write(
        dir.path().join("rewind.toml"),
        "[[apps]]\nname = \"shop\"\npackage = \"shop\"\ntag_format = \"{component}-v{version}\"\ncomponent = \"etl\"\n",
    )
    .expect("toml");
    let sandbox = sandbox(dir.path());
    deployed(&sandbox, &shas);
    let run = rewind(dir.path(), &sandbox_env(&sandbox), &["status"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        !run.stdout.contains("(tag)"),
        "no tag matches etl-v*: {}",
        run.stdout
    );
}

#[test]
fn bad_inputs_end_with_a_message_a_hint_and_the_right_exit_status() {
    let (dir, shas) = repo();
    let sandbox = sandbox(dir.path());
    deployed(&sandbox, &shas);
    let env = sandbox_env(&sandbox);
    let without = |name: &str| -> Vec<(String, String)> {
        env.iter().filter(|(k, _)| k != name).cloned().collect()
    };
    let with = |name: &str, value: &str| -> Vec<(String, String)> {
        let mut e = without(name);
        e.push((name.to_string(), value.to_string()));
        e
    };

    let run = rewind(dir.path(), &without("SCALINGO_API_TOKEN"), &["status"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("error: no Scalingo API token"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("hint: then export it: export SCALINGO_API_TOKEN="),
        "{}",
        run.stderr
    );

    let run = rewind(
        dir.path(),
        &with("SCALINGO_API_TOKEN", "tk-us-wrong"),
        &["status"],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("Scalingo refused the API token"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("tk-us-wrong"),
        "the token is never printed"
    );

    std::fs::write(
        dir.path().join("rewind.toml"),
        "[[apps]]\nname = \"nope\"\n",
    )
    .expect("toml");
    let run = rewind(dir.path(), &env, &["status"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("app `nope` was not found (region osc-fr1)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("hint: check the app name and the region"),
        "{}",
        run.stderr
    );

    // The region from the environment wins over the file's, and the
    // message names the one that was used.
    let run = rewind(
        dir.path(),
        &with("SCALINGO_REGION", "osc-secnum-fr1"),
        &["status"],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("(region osc-secnum-fr1)"),
        "{}",
        run.stderr
    );

    // Without URL overrides the region is looked up in /v1/regions: an
    // unknown one lists those that exist.
    let mut env_region = without("SCALINGO_API_URL");
    env_region.retain(|(k, _)| k != "SCALINGO_DB_URL");
    env_region.push(("SCALINGO_REGION".into(), "mars-1".into()));
    let run = rewind(dir.path(), &env_region, &["status"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("unknown region `mars-1`; available regions: sandbox-local"),
        "{}",
        run.stderr
    );

    std::fs::write(
        dir.path().join("rewind.toml"),
        "[[apps]]\nname = \"shop\"\npackage = \"shop\"\n",
    )
    .expect("toml");
    admin_post(
        &sandbox,
        "/_sandbox/faults",
        json!({"path": "/v1/apps/shop", "malformed_body": true, "times": 4}),
    );
    // A malformed answer is a failed read, asked again; four in a row fail.
    let run = rewind(dir.path(), &env, &["status"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("the sandbox's answer to /v1/apps/shop could not be read"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("Scalingo's side"), "{}", run.stderr);

    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let down = format!("http://127.0.0.1:{port}");
    let mut env_down = without("SCALINGO_AUTH_URL");
    env_down.push(("SCALINGO_AUTH_URL".into(), down.clone()));
    let run = rewind(dir.path(), &env_down, &["status"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("cannot reach {down}/v1/tokens/exchange")),
        "{}",
        run.stderr
    );

    let elsewhere = tempfile::tempdir().expect("tempdir");
    let run = rewind(elsewhere.path(), &env, &["status"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("no rewind.toml found"),
        "{}",
        run.stderr
    );
}

#[test]
fn several_apps_give_one_line_each() {
    let (dir, shas) = repo();
    std::fs::write(
        dir.path().join("rewind.toml"),
        "[[apps]]\nname = \"shop\"\npackage = \"shop\"\n\n[[apps]]\nname = \"shop-admin\"\n",
    )
    .expect("toml");
    let sandbox = sandbox(dir.path());
    deployed(&sandbox, &shas);
    admin_post(&sandbox, "/_sandbox/apps", json!({"name": "shop-admin"}));
    let run = rewind(dir.path(), &sandbox_env(&sandbox), &["status"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    assert!(
        lines[0].starts_with("shop  running  runs v1.2.0 since"),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].contains("last good v1.1.0; auto-deploy on"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("shop-admin") && lines[1].contains("nothing deployed yet"),
        "{}",
        lines[1]
    );
}

#[test]
fn a_hold_shows_in_the_status_until_unhold() {
    let (dir, shas) = repo();
    let sandbox = sandbox(dir.path());
    deployed(&sandbox, &shas);
    let env = sandbox_env(&sandbox);
    let run = rewind(dir.path(), &env, &["hold", "--reason", "bad release"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = rewind(dir.path(), &env, &["status"]);
    assert!(
        run.stdout
            .contains("hold          auto-deploy held by rewind since"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("`rewind unhold shop` restores it"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("auto-deploy   off (branch main)"),
        "{}",
        run.stdout
    );
    let run = rewind(dir.path(), &env, &["unhold"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = rewind(dir.path(), &env, &["status"]);
    assert!(!run.stdout.contains("held by rewind"), "{}", run.stdout);
    assert!(
        run.stdout.contains("auto-deploy   on for branch main"),
        "{}",
        run.stdout
    );
}

#[test]
fn the_database_shows_its_backups_and_point_in_time_window() {
    let (dir, shas) = repo();
    let sandbox = Sandbox::start(SandboxConfig {
        apps: vec![AppSeed {
            name: "shop".into(),
            repo: Some(dir.path().display().to_string()),
            scm: None,
            addons: vec![rewind_sandbox::AddonSeed {
                provider: "scalingo-postgresql".into(),
                plan: "postgresql-starter-512".into(),
            }],
        }],
        postgres: rewind_sandbox::PostgresMode::Off,
        rate_limit_per_minute: 0,
        ..SandboxConfig::default()
    })
    .expect("sandbox");
    deployed(&sandbox, &shas);
    let state = admin_get(&sandbox, "/_sandbox/apps/shop/state");
    let addon = state["addons"][0]["id"]
        .as_str()
        .expect("addon")
        .to_string();
    admin_post(
        &sandbox,
        &format!("/_sandbox/databases/{addon}/backups/history"),
        json!({"backups": [{"created_at": "2026-11-25T02:00:00Z", "status": "done", "method": "periodic"}]}),
    );
    let run = rewind(dir.path(), &sandbox_env(&sandbox), &["status"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = &run.stdout;
    assert!(
        out.contains("database      scalingo-postgresql postgresql-starter-512 (running)"),
        "{out}"
    );
    assert!(out.contains("point-in-time window "), "{out}");
    assert!(
        out.contains("backup 2026-11-25 02:00 periodic done"),
        "{out}"
    );
    assert!(out.contains("auto-deploy   no SCM link"), "{out}");
}

#[test]
fn a_part_that_could_not_be_read_says_so_and_is_never_shown_as_absent() {
    let (dir, shas) = repo();
    let sandbox = Sandbox::start(SandboxConfig {
        apps: vec![AppSeed {
            name: "shop".into(),
            repo: Some(dir.path().display().to_string()),
            scm: Some(ScmSeed {
                branch: "main".into(),
                auto_deploy: true,
            }),
            addons: vec![rewind_sandbox::AddonSeed {
                provider: "scalingo-postgresql".into(),
                plan: "postgresql-starter-512".into(),
            }],
        }],
        postgres: rewind_sandbox::PostgresMode::Off,
        rate_limit_per_minute: 0,
        ..SandboxConfig::default()
    })
    .expect("sandbox");
    deployed(&sandbox, &shas);
    // Every attempt of the two reads fails (rewind tries a read 4 times).
    for path in ["/v1/apps/shop/scm_repo_link", "/v1/apps/shop/addons"] {
        admin_post(
            &sandbox,
            "/_sandbox/faults",
            json!({"method": "GET", "path": path, "status": 500, "times": 4}),
        );
    }
    let run = rewind(dir.path(), &sandbox_env(&sandbox), &["status"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = &run.stdout;
    assert!(
        out.contains("  auto-deploy   could not read: the sandbox failed to answer /v1/apps/shop/scm_repo_link (HTTP 500"),
        "{out}"
    );
    assert!(
        out.contains("  database      could not read: the sandbox failed to answer /v1/apps/shop/addons (HTTP 500"),
        "{out}"
    );
    assert!(!out.contains("no SCM link"), "{out}");
    assert!(!out.contains("database      none"), "{out}");
    assert!(!out.contains("scalingostatus"), "{out}");
    // Without a terminal, each retry is one line on stderr.
    assert_eq!(
        run.stderr.matches("asking again (attempt 2 of 4)").count(),
        2,
        "{}",
        run.stderr
    );

    // In JSON: the part is null and its `_error` says why.
    let addon = admin_get(&sandbox, "/_sandbox/apps/shop/state")["addons"][0]["id"]
        .as_str()
        .expect("addon")
        .to_string();
    admin_post(
        &sandbox,
        "/_sandbox/faults",
        json!({"method": "GET", "path": format!("/api/databases/{addon}/backups"), "malformed_body": true, "times": 4}),
    );
    let run = rewind(dir.path(), &sandbox_env(&sandbox), &["status", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    assert_eq!(v["scm_link_error"], Value::Null);
    assert_eq!(v["scm_link"]["auto_deploy_enabled"], true);
    assert_eq!(v["database_error"], Value::Null);
    assert_eq!(v["database"]["backups"], json!([]));
    let why = v["database"]["backups_error"].as_str().expect("an error");
    assert!(
        why.starts_with("the sandbox's answer to /api/databases/"),
        "{why}"
    );
    assert_eq!(v["database"]["database_error"], Value::Null);

    // In text: the backups line says it could not read them, not "no backups".
    admin_post(
        &sandbox,
        "/_sandbox/faults",
        json!({"method": "GET", "path": format!("/api/databases/{addon}/backups"), "status": 503, "times": 4}),
    );
    let run = rewind(dir.path(), &sandbox_env(&sandbox), &["status"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(&format!(
            "                backups  could not read: the sandbox failed to answer /api/databases/{addon}/backups (HTTP 503"
        )),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("no backups"), "{}", run.stdout);
}

#[test]
fn successive_runs_share_one_request_budget_beside_the_journal() {
    let (dir, shas) = repo();
    let sandbox = sandbox(dir.path());
    deployed(&sandbox, &shas);
    for _ in 0..3 {
        let run = rewind(dir.path(), &sandbox_env(&sandbox), &["status"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    // Every request of the three processes is counted in one file, so
    // that the next run knows what the minute has already spent.
    let budget = std::fs::read_to_string(dir.path().join(".test-journal/scalingo-requests"))
        .expect("the budget file beside the journal");
    let counted = budget.lines().filter(|l| !l.starts_with('#')).count();
    let received = admin_get(&sandbox, "/_sandbox/requests")["requests"]
        .as_array()
        .map(Vec::len)
        .unwrap_or_default();
    assert!(received > 6, "{received}");
    assert_eq!(counted, received, "{budget}");
}

#[test]
fn a_rate_limit_is_waited_out_in_view_and_ctrl_c_ends_the_wait_with_exit_130() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let (dir, shas) = repo();
    let sandbox = sandbox(dir.path());
    deployed(&sandbox, &shas);
    admin_post(
        &sandbox,
        "/_sandbox/faults",
        json!({"method": "GET", "path": "/v1/apps/shop", "status": 429, "times": 1000}),
    );
    let home = tempfile::tempdir().expect("home");
    let mut child = Command::new(env!("CARGO_BIN_EXE_rewind"))
        .arg("status")
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("REWIND_JOURNAL_DIR", dir.path().join(".test-journal"))
        .envs(crate::support::GIT_ENV)
        .envs(sandbox_env(&sandbox))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rewind runs");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut seen = String::new();
    // Without a terminal, the wait is one line; then Ctrl-C.
    loop {
        let mut line = String::new();
        if stderr.read_line(&mut line).expect("stderr") == 0 {
            break;
        }
        seen.push_str(&line);
        if line.contains("waiting it out") {
            let sent = Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status()
                .expect("kill");
            assert!(sent.success());
        }
    }
    let status = child.wait().expect("rewind ends");
    assert_eq!(status.code(), Some(130), "{seen}");
    assert!(
        seen.contains("note: the sandbox's rate limit answered `too many requests` for /v1/apps/shop; waiting it out: waiting "),
        "{seen}"
    );
    assert!(
        seen.contains("interrupted while waiting out the rate limit for /v1/apps/shop"),
        "{seen}"
    );
    // One request was refused, and none was sent while rewind waited.
    let sent = admin_get(&sandbox, "/_sandbox/requests")["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .filter(|r| r["path"] == "/v1/apps/shop")
        .count();
    assert_eq!(sent, 1, "{seen}");
}

/// Deployments of commits the repository does not hold, whose build logs
/// name the release (`shop@1.0.0`, then `shop@1.1.0`); their ids, oldest
/// first.
fn deployed_unknown_commits(sandbox: &Sandbox) -> Vec<String> {
    let answer = admin_post(
        sandbox,
        "/_sandbox/apps/shop/deployments/history",
        json!({"deployments": [
            {"git_ref": "0123456789abcdef0123456789abcdef01234567", "package": "shop",
             "version": "1.0.0", "created_at": "2026-11-20T10:00:00Z"},
            {"git_ref": "89abcdef0123456789abcdef0123456789abcdef", "package": "shop",
             "version": "1.1.0", "created_at": "2026-11-21T10:00:00Z"},
        ]}),
    );
    answer["deployments"]
        .as_array()
        .expect("deployments")
        .iter()
        .map(|d| d["id"].as_str().expect("id").to_string())
        .collect()
}

/// `METHOD path -> status` of every request the sandbox received, then
/// forgets them.
fn received(sandbox: &Sandbox) -> Vec<String> {
    let requests = admin_get(sandbox, "/_sandbox/requests")["requests"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    admin_delete(sandbox, "/_sandbox/requests");
    requests
        .iter()
        .map(|r| format!("{} {} -> {}", r["method"], r["path"], r["status"]).replace('"', ""))
        .collect()
}

/// The documented list example has no `links`: the build log is then
/// found through the single deployment, or at its documented path.
#[test]
fn build_logs_are_found_when_deployments_come_without_links() {
    let (dir, _) = repo();
    let sandbox = sandbox(dir.path());
    let ids = deployed_unknown_commits(&sandbox);
    let newest = &ids[1];
    for links in ["single", "none"] {
        admin_put(
            &sandbox,
            "/_sandbox/variants",
            json!({"deployment_links": links}),
        );
        admin_delete(&sandbox, "/_sandbox/requests");
        let run = rewind(dir.path(), &sandbox_env(&sandbox), &["status", "--json"]);
        assert_eq!(run.code, 0, "{links}: {}", run.stderr);
        let v = run.json();
        let current = &v["situation"]["current"]["release"];
        assert_eq!(current["label"], "v1.1.0", "{links}: {v}");
        assert_eq!(current["source"], "build_log", "{links}: {v}");
        let seen = received(&sandbox);
        let single = format!("GET /v1/apps/shop/deployments/{newest} -> 200");
        let output = format!("GET /v1/apps/shop/deployments/{newest}/output -> 200");
        let at = |wanted: &str| seen.iter().position(|r| r == wanted);
        assert!(
            at(&single).is_some() && at(&single) < at(&output),
            "{links}: the single deployment is read, then its log: {seen:#?}"
        );
    }
}

/// The build-log route may redirect: up to 3 redirects are followed, and
/// the bearer goes only to the API's own host (the signed URL on the other
/// host refuses one with 400).
#[test]
fn build_log_redirects_are_followed_up_to_three_and_the_bearer_stays_home() {
    let (dir, _) = repo();
    let sandbox = sandbox(dir.path());
    let ids = deployed_unknown_commits(&sandbox);
    admin_put(
        &sandbox,
        "/_sandbox/variants",
        json!({"build_log_redirects": 3, "build_log_redirect_host": "other"}),
    );
    admin_delete(&sandbox, "/_sandbox/requests");
    let run = rewind(dir.path(), &sandbox_env(&sandbox), &["status", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.json();
    assert_eq!(
        v["situation"]["current"]["release"]["label"], "v1.1.0",
        "{v}"
    );
    assert_eq!(v["situation"]["current"]["release"]["source"], "build_log");
    let seen = received(&sandbox);
    assert!(
        seen.contains(&format!("GET /_logs/shop/{} -> 200", ids[1])),
        "the signed URL served the log, without a bearer: {seen:#?}"
    );
    assert!(
        !seen
            .iter()
            .any(|r| r.starts_with("GET /_logs/") && r.ends_with("400")),
        "{seen:#?}"
    );

    // One redirect more than rewind follows: the release is unknown, said
    // why, and status still ends well.
    admin_put(
        &sandbox,
        "/_sandbox/variants",
        json!({"build_log_redirects": 4, "build_log_redirect_host": "same"}),
    );
    let run = rewind(dir.path(), &sandbox_env(&sandbox), &["status", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.json();
    let current = &v["situation"]["current"]["release"];
    assert_eq!(current["source"], "unknown", "{v}");
    assert!(
        current["note"]
            .as_str()
            .is_some_and(|n| n.contains("more than 3 redirects")),
        "{v}"
    );
}

#[test]
fn status_goes_on_when_the_recovery_window_has_no_times() {
    let (dir, shas) = repo();
    let sandbox = Sandbox::start(SandboxConfig {
        apps: vec![AppSeed {
            name: "shop".into(),
            repo: Some(dir.path().display().to_string()),
            scm: None,
            addons: vec![rewind_sandbox::AddonSeed {
                provider: "scalingo-postgresql".into(),
                plan: "postgresql-starter-512".into(),
            }],
        }],
        postgres: rewind_sandbox::PostgresMode::Off,
        rate_limit_per_minute: 0,
        variants: rewind_sandbox::Variants {
            recovery_window: rewind_sandbox::RecoveryWindowForm::NoTimes,
            ..rewind_sandbox::Variants::default()
        },
        ..SandboxConfig::default()
    })
    .expect("sandbox");
    deployed(&sandbox, &shas);
    let run = rewind(dir.path(), &sandbox_env(&sandbox), &["status"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = &run.stdout;
    assert!(
        out.contains("no point-in-time recovery window yet (no point-in-time base backup)"),
        "{out}"
    );
    assert!(!out.contains("could not read"), "{out}");
    assert!(out.contains("last good     v1.1.0 (tag)"), "{out}");
}
