//! Secrets, with canaries: the API token, a second (wrong) token, the chat
//! webhook's URL and two database passwords are unique strings, and every
//! command runs with them, succeeding and failing (a refused token, 500s,
//! a restore that fails, a point-in-time restore that fails, `--verbose`,
//! `--json`). Then every place rewind writes or sends anything is searched
//! for them, and for the bearers and addon tokens the platform handed out
//! (read from the `Authorization` headers the sandbox received):
//!
//! - stdout and stderr of every run;
//! - every file under the world's folder (journal, reports, the request
//!   budget, downloaded backups, ticket drafts, HOME, TMPDIR, the working
//!   tree), but the files the test wrote the secrets into itself;
//! - the chat messages the sandbox's webhook received;
//! - every request the sandbox received: its path and query and JSON body
//!   must hold no secret at all; the API token may travel only in the
//!   `Authorization: Basic` header of the token exchange, a bearer or an
//!   addon token only in an `Authorization: Bearer` header, and no other
//!   header may hold a secret;
//! - the argv of every `git`, `pg_dump`, `pg_restore` and `psql` rewind
//!   started (wrappers first on `PATH` record argv and environment, then
//!   run the real program): a secret there is a leak; so is one in their
//!   environment, but the database's password in `PGPASSWORD` of
//!   `pg_restore` (or `pg_dump`, `psql`), where it belongs.
//!
//! It prints `canary: N places searched, N leaks` past the test harness's
//! capture, and fails naming each leak. It needs the PostgreSQL server
//! programs (skipped without them unless `REWIND_REQUIRE_POSTGRES=1`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use rewind_sandbox::{
    AddonSeed, AppSeed, PostgresMode, Sandbox, SandboxConfig, ScmSeed, TokenSeed,
};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::{Rewind, Run, admin_get, admin_post, git};

/// The programs rewind starts, wrapped.
const WRAPPED: [&str; 4] = ["git", "pg_dump", "pg_restore", "psql"];

struct World {
    // Declared first, dropped first: the sandbox stops its PostgreSQL
    // before the folder holding it goes.
    sandbox: Sandbox,
    dir: TempDir,
    addon: String,
    /// Every secret, with a name for the report.
    secrets: Vec<(String, String)>,
    api_token: String,
    runs: Vec<(String, Run)>,
    /// How long each run took, for the summary.
    seconds: Vec<(String, f64)>,
}

fn unique(what: &str) -> String {
    format!(
        "CANARY{what}{:x}{:x}",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    )
}

impl World {
    fn new() -> Option<World> {
        let api_token = format!("tk-us-{}", unique("api"));
        let dir = tempfile::tempdir().expect("temp dir");
        for sub in ["home", "journal", "tmp", "wrap", "tickets", "sandbox-tmp"] {
            std::fs::create_dir(dir.path().join(sub)).expect("mkdir");
        }
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
        git(dir.path(), &["clone", "--quiet", "origin.git", "work"]);
        let work = dir.path().join("work");
        for version in ["1.0.0", "1.1.0"] {
            std::fs::write(
                work.join("package.json"),
                format!("{{\"name\":\"shop\",\"version\":\"{version}\"}}\n"),
            )
            .expect("write");
            git(&work, &["add", "--all"]);
            git(
                &work,
                &[
                    "commit",
                    "--quiet",
                    "-m",
                    &format!("chore(main): release {version}"),
                ],
            );
            git(&work, &["tag", &format!("v{version}")]);
        }
        git(&work, &["push", "--quiet", "origin", "main", "--tags"]);
        let config = SandboxConfig {
            tokens: vec![TokenSeed::new(&api_token, "alice")],
            apps: vec![AppSeed {
                name: "shop".into(),
                repo: Some(dir.path().join("origin.git").display().to_string()),
                scm: Some(ScmSeed {
                    branch: "main".into(),
                    auto_deploy: false,
                }),
                addons: vec![AddonSeed {
                    provider: "scalingo-postgresql".into(),
                    plan: "postgresql-starter-512".into(),
                }],
            }],
            postgres: PostgresMode::On,
            rate_limit_per_minute: 0,
            deploy_duration: Duration::from_millis(300),
            temp_dir: Some(dir.path().join("sandbox-tmp")),
            ..SandboxConfig::default()
        };
        let sandbox = match Sandbox::start(config) {
            Ok(s) => s,
            Err(e) if std::env::var("REWIND_REQUIRE_POSTGRES").as_deref() != Ok("1") => {
                eprintln!("SKIPPED: the canary test needs the PostgreSQL server programs: {e}");
                return None;
            }
            Err(e) => panic!("REWIND_REQUIRE_POSTGRES=1 but the sandbox does not start: {e}"),
        };
        let addon = admin_get(&sandbox, "/_sandbox/apps/shop/state")["addons"][0]["id"]
            .as_str()
            .expect("addon id")
            .to_string();
        let at =
            |minutes: i64| (chrono::Utc::now() - chrono::Duration::minutes(minutes)).to_rfc3339();
        admin_post(
            &sandbox,
            "/_sandbox/apps/shop/deployments/history",
            json!({"deployments": [
                {"git_ref": "v1.0.0", "package": "shop", "version": "1.0.0", "created_at": at(100)},
                {"git_ref": "v1.1.0", "package": "shop", "version": "1.1.0", "created_at": at(30)},
            ]}),
        );
        admin_post(
            &sandbox,
            &format!("/_sandbox/databases/{addon}/rows"),
            json!({"rows": ["order 1", "order 2"]}),
        );
        let webhook_key = unique("hook");
        let webhook = format!("{}/_sandbox/webhook?key={webhook_key}", sandbox.base_url());
        std::fs::write(
            work.join("rewind.toml"),
            format!(
                "[notify]\nwebhook_url = \"{webhook}\"\n\n[[apps]]\nname = \"shop\"\npackage = \"shop\"\n\n[apps.database]\naddon = \"scalingo-postgresql\"\n"
            ),
        )
        .expect("rewind.toml");
        let database_url = sandbox.database_url("shop").expect("connection url");
        let database_password = url::Url::parse(&database_url)
            .expect("url")
            .password()
            .expect("a password")
            .to_string();
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(":{api_token}"));
        let secrets = vec![
            ("the API token".to_string(), api_token.clone()),
            ("the API token, base64".to_string(), basic),
            (
                "the wrong API token".to_string(),
                format!("tk-us-{}", unique("wrong")),
            ),
            ("the webhook's key".to_string(), webhook_key),
            ("the database password".to_string(), database_password),
            ("the wrong database password".to_string(), unique("dbpw")),
        ];
        let world = World {
            dir,
            sandbox,
            addon,
            secrets,
            api_token,
            runs: Vec::new(),
            seconds: Vec::new(),
        };
        world.wrap();
        Some(world)
    }

    fn path(&self, sub: &str) -> PathBuf {
        self.dir.path().join(sub)
    }

    fn secret(&self, name: &str) -> String {
        self.secrets
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s.clone())
            .expect("a secret of that name")
    }

    /// Scripts named after [`WRAPPED`] in `wrap/`: each writes its argv
    /// and environment to a file of its own in `children/` (children run
    /// at the same time: rewind publishes the team's journal in the
    /// background while `pg_restore` runs), then runs the real program,
    /// found on PATH once `wrap/` is taken out of it.
    fn wrap(&self) {
        use std::os::unix::fs::PermissionsExt;
        let wrap = self.path("wrap");
        let log = self.path("children");
        std::fs::create_dir_all(&log).expect("children dir");
        for name in WRAPPED {
            let script = format!(
                "#!/bin/sh\n\
                 {{ printf 'ARGV {name}'; for a in \"$@\"; do printf '\\t%s' \"$a\"; done; printf '\\n'; \
                 env | sed 's/^/ENV /'; printf 'END\\n'; }} > \"$(mktemp '{log}/{name}.XXXXXXXX')\"\n\
                 PATH=$(printf '%s' \"$PATH\" | tr ':' '\\n' | grep -vx '{wrap}' | paste -sd:)\n\
                 export PATH\n\
                 exec {name} \"$@\"\n",
                log = log.display(),
                wrap = wrap.display(),
            );
            let path = wrap.join(name);
            std::fs::write(&path, script).expect("wrapper");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
    }

    /// Forgets the requests counted against Scalingo's limit (kept beside
    /// the journal, shared by every run): fifty-odd runs within a minute
    /// would otherwise wait for the next minute.
    fn fresh_budget(&self) {
        let _ = std::fs::remove_file(self.path("journal/scalingo-requests"));
    }

    fn env_path(&self) -> String {
        let path = std::env::var("PATH").unwrap_or_default();
        format!(
            "{}:/usr/lib/postgresql/15/bin:{path}",
            self.path("wrap").display()
        )
    }

    /// Runs `rewind ARGS` in the clone with the canary token, keeps what
    /// it said, checks its exit code.
    /// Runs rewind whatever its exit code (a command whose code depends
    /// on the world, such as `doctor`).
    fn run_any(&mut self, name: &str, args: &[&str], extra: &[(&str, &str)]) -> Run {
        self.fresh_budget();
        let run = Rewind::new(args)
            .dir(&self.path("work"))
            .home(&self.path("home"))
            .journal(&self.path("journal"))
            .env("TZ", "UTC")
            .sandbox(&self.sandbox)
            .env("SCALINGO_API_TOKEN", &self.api_token)
            .env("PATH", &self.env_path())
            .env("TMPDIR", &self.path("tmp").display().to_string())
            .envs(extra.iter().copied())
            .run();
        self.runs.push((name.to_string(), clone(&run)));
        run
    }

    fn run(&mut self, name: &str, args: &[&str], extra: &[(&str, &str)], code: i32) -> Run {
        self.fresh_budget();
        let started = std::time::Instant::now();
        let run = Rewind::new(args)
            .dir(&self.path("work"))
            .home(&self.path("home"))
            .journal(&self.path("journal"))
            .env("TZ", "UTC")
            .sandbox(&self.sandbox)
            .env("SCALINGO_API_TOKEN", &self.api_token)
            .env("PATH", &self.env_path())
            .env("TMPDIR", &self.path("tmp").display().to_string())
            .envs(extra.iter().copied())
            .run();
        self.seconds
            .push((name.to_string(), started.elapsed().as_secs_f64()));
        if std::env::var_os("CANARY_VERBOSE").is_some() {
            println!(
                "== {name} ({:.1}s)\n{}\n{}",
                started.elapsed().as_secs_f64(),
                run.stdout,
                run.stderr
            );
        }
        assert_eq!(
            run.code, code,
            "{name}: rewind {args:?}\n{}\n{}",
            run.stdout, run.stderr
        );
        self.runs.push((name.to_string(), clone(&run)));
        run
    }
}

fn clone(run: &Run) -> Run {
    Run {
        code: run.code,
        stdout: run.stdout.clone(),
        stderr: run.stderr.clone(),
    }
}

/// Where a secret was found, and which.
struct Leaks {
    places: usize,
    found: Vec<String>,
}

impl Leaks {
    /// Counts `text` as one place searched for `secrets`.
    fn search(&mut self, place: &str, text: &str, secrets: &[(String, String)]) {
        self.places += 1;
        for (name, secret) in secrets {
            if text.contains(secret.as_str()) {
                self.found.push(format!("{name} in {place}"));
            }
        }
    }
}

/// Every regular file under `dir`, but those in `skip`.
fn files(dir: &Path, skip: &[PathBuf], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if skip.contains(&path) {
            continue;
        }
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => files(&path, skip, out),
            Ok(m) if m.is_file() => out.push(path),
            _ => {}
        }
    }
}

#[test]
fn hostile_canary_secrets_stay_out_of_outputs_files_requests_and_argv() {
    let Some(mut w) = World::new() else { return };
    let tickets = w.path("tickets").display().to_string();
    let backups = w.path("backups").display().to_string();

    // What succeeds.
    w.run("status", &["status"], &[], 0);
    w.run("status --json", &["status", "--json"], &[], 0);
    w.run("db status", &["db", "status"], &[], 0);
    w.run(
        "db backup",
        &["db", "backup", "--download", &backups],
        &[],
        0,
    );
    let status = w.run("db status --json", &["db", "status", "--json"], &[], 0);
    let backup = serde_json::from_str::<Value>(&status.stdout).expect("json")["backups"]
        .as_array()
        .and_then(|b| {
            b.iter()
                .find(|b| b["method"] == "manual" && b["status"] == "done")
        })
        .and_then(|b| b["id"].as_str())
        .expect("the manual backup")
        .to_string();
    w.run("tree check", &["tree", "check"], &[], 0);
    w.run(
        "status with REWIND_LOG=debug",
        &["status"],
        &[("REWIND_LOG", "debug")],
        0,
    );
    let watch = w.run_any(
        "watch --for 2s",
        &["watch", "--for", "2s"],
        &[("REWIND_WATCH_POLL_MS", "300")],
    );
    assert!(
        watch.code == 0 || watch.code == 1,
        "watch ran: {}",
        watch.stderr
    );
    let doctor = w.run_any("doctor --json --ping", &["doctor", "--json", "--ping"], &[]);
    assert!(
        doctor.code == 0 || doctor.code == 1,
        "doctor ran its checks: {}",
        doctor.stderr
    );
    w.run(
        "guide, ticket and webhook",
        &[
            "guide",
            "--answer",
            "mep=problem",
            "--answer",
            "q1=no",
            "--answer",
            "q2=no",
            "--answer",
            "q4=yes",
            "--yes",
            "--ticket-dir",
            &tickets,
        ],
        &[],
        0,
    );
    w.run(
        "rollback --dry-run",
        &["rollback", "--dry-run", "--no-db"],
        &[],
        0,
    );
    w.run(
        "rollback --yes --verbose",
        &[
            "rollback",
            "--yes",
            "--no-db",
            "--verbose",
            "--reason",
            "canary",
        ],
        &[],
        0,
    );
    w.run("hold", &["hold", "--reason", "canary"], &[], 0);
    w.run("unhold", &["unhold"], &[], 0);
    let fresh = {
        let url = w.sandbox.database_url("shop").expect("url");
        let mut fresh = url::Url::parse(&url).expect("url");
        fresh.set_path("/postgres");
        fresh.to_string()
    };
    w.run(
        "db restore --from-backup",
        &["db", "restore", "--from-backup", &backup, "--yes"],
        &[("REWIND_DATABASE_URL", &fresh)],
        0,
    );

    // What fails.
    let wrong_token = w.secret("the wrong API token");
    w.run(
        "status, token refused",
        &["status"],
        &[("SCALINGO_API_TOKEN", &wrong_token)],
        2,
    );
    w.run(
        "rollback, token refused",
        &["rollback", "--dry-run"],
        &[("SCALINGO_API_TOKEN", &wrong_token)],
        2,
    );
    admin_post(
        &w.sandbox,
        "/_sandbox/faults",
        json!({"method": "GET", "path": "/v1/apps/shop", "status": 500, "times": 20}),
    );
    w.run("status, 500s", &["status", "--json"], &[], 1);
    admin_post(
        &w.sandbox,
        &format!("/_sandbox/databases/{}/backups/fail-next", w.addon),
        Value::Null,
    );
    w.run("db backup that fails", &["db", "backup"], &[], 1);
    crate::support::admin_delete(&w.sandbox, "/_sandbox/faults");
    let wrong_url = {
        let mut url = url::Url::parse(&fresh).expect("url");
        url.set_password(Some(&w.secret("the wrong database password")))
            .expect("password");
        url.to_string()
    };
    w.run(
        "db restore into a database that refuses the password",
        &["db", "restore", "--from-backup", &backup, "--yes"],
        &[("REWIND_DATABASE_URL", &wrong_url)],
        1,
    );
    w.run(
        "db restore --database-url on the command line",
        &[
            "db",
            "restore",
            "--from-backup",
            &backup,
            "--yes",
            "--database-url",
            &wrong_url,
        ],
        &[],
        1,
    );
    admin_post(
        &w.sandbox,
        &format!("/_sandbox/databases/{}/pitr/fail-next", w.addon),
        Value::Null,
    );
    let inside_window = (chrono::Utc::now() - chrono::Duration::seconds(1)).to_rfc3339();
    w.run(
        "db restore --to, failing",
        &["db", "restore", "--to", &inside_window, "--yes"],
        &[],
        1,
    );
    w.run("init over a file", &["init"], &[], 2);

    // The journal, every incident's report and a resume of each.
    w.run("journal", &["journal"], &[], 0);
    let journal = w.run("journal --json", &["journal", "--json"], &[], 0);
    let ids: Vec<String> = serde_json::from_str::<Value>(&journal.stdout)
        .expect("json")
        .as_array()
        .expect("incidents")
        .iter()
        .filter_map(|i| i["id"].as_str().map(str::to_string))
        .collect();
    assert!(ids.len() >= 5, "{ids:?}");
    for id in &ids {
        w.run(&format!("report {id}"), &["report", id], &[], 0);
        w.run(
            &format!("report {id} --json"),
            &["report", id, "--json"],
            &[],
            0,
        );
        w.fresh_budget();
        let resume = Rewind::new(&["resume", id, "--yes", "--verbose"])
            .dir(&w.path("work"))
            .home(&w.path("home"))
            .journal(&w.path("journal"))
            .sandbox(&w.sandbox)
            .env("SCALINGO_API_TOKEN", &w.api_token)
            .env("PATH", &w.env_path())
            .env("TMPDIR", &w.path("tmp").display().to_string())
            .run();
        w.runs.push((format!("resume {id}"), resume));
    }

    // The bearers and addon tokens handed out, as rewind presented them.
    let requests = admin_get(&w.sandbox, "/_sandbox/requests")["requests"]
        .as_array()
        .cloned()
        .expect("requests");
    let mut secrets = w.secrets.clone();
    for r in &requests {
        for header in r["headers"].as_array().into_iter().flatten() {
            if header[0] == "authorization"
                && let Some(bearer) = header[1].as_str().and_then(|v| v.strip_prefix("Bearer "))
                && !secrets.iter().any(|(_, s)| s == bearer)
            {
                let kind = if r["path"].as_str().is_some_and(|p| p.starts_with("/api/")) {
                    "an addon token"
                } else {
                    "a bearer"
                };
                secrets.push((kind.to_string(), bearer.to_string()));
            }
        }
    }
    assert!(
        secrets.iter().any(|(n, _)| n == "a bearer")
            && secrets.iter().any(|(n, _)| n == "an addon token"),
        "no bearer or addon token seen in {} requests",
        requests.len()
    );

    let mut leaks = Leaks {
        places: 0,
        found: Vec::new(),
    };
    for (name, run) in &w.runs {
        leaks.search(&format!("stdout of `{name}`"), &run.stdout, &secrets);
        leaks.search(&format!("stderr of `{name}`"), &run.stderr, &secrets);
    }
    // Every file, but those the test itself wrote the secrets into.
    let skip = [
        w.path("work/.git"),
        w.path("work/rewind.toml"),
        w.path("origin.git"),
        w.path("sandbox-tmp"),
        w.path("wrap"),
        w.path("children"),
    ];
    let mut found = Vec::new();
    files(w.dir.path(), &skip, &mut found);
    // The team's journal rewind published on the origin: readable by
    // everyone with access to the repository.
    let origin = w.path("origin.git");
    let head = git(
        &origin,
        &[
            "for-each-ref",
            "--format=%(objectname)",
            "refs/rewind/journal",
        ],
    );
    assert!(
        !head.is_empty(),
        "the rollback was published to the team's journal"
    );
    for file in git(&origin, &["ls-tree", "-r", "--name-only", &head]).lines() {
        let text = git(&origin, &["cat-file", "blob", &format!("{head}:{file}")]);
        leaks.search(
            &format!("the team's journal on the origin: {file}"),
            &text,
            &secrets,
        );
    }
    let mut ticket_drafts = 0;
    let mut downloads = 0;
    for path in &found {
        let text = String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned();
        let shown = path
            .strip_prefix(w.dir.path())
            .unwrap_or(path)
            .display()
            .to_string();
        ticket_drafts += usize::from(shown.starts_with("tickets/"));
        downloads += usize::from(shown.starts_with("backups/"));
        leaks.search(&shown, &text, &secrets);
    }
    assert!(
        ticket_drafts > 0 && downloads > 0,
        "no ticket draft or download to search: {found:?}"
    );
    // What the team read in its chat.
    let messages = admin_get(&w.sandbox, "/_sandbox/webhook");
    assert!(
        messages["messages"]
            .as_array()
            .is_some_and(|m| !m.is_empty()),
        "no chat message: {messages}"
    );
    leaks.search("the chat messages", &messages.to_string(), &secrets);
    // What rewind sent the platform.
    let basic = w.secret("the API token, base64");
    for r in &requests {
        let place = format!(
            "request {} {}",
            r["method"].as_str().unwrap_or(""),
            r["path"].as_str().unwrap_or("")
        );
        leaks.search(
            &format!("{place} (path)"),
            r["path"].as_str().unwrap_or_default(),
            &secrets,
        );
        leaks.search(&format!("{place} (body)"), &r["body"].to_string(), &secrets);
        let exchange = r["path"] == "/v1/tokens/exchange";
        for header in r["headers"].as_array().into_iter().flatten() {
            let (name, value) = (
                header[0].as_str().unwrap_or(""),
                header[1].as_str().unwrap_or(""),
            );
            // Where each credential belongs: the token in the exchange's
            // Basic header, the bearer (or addon token) it gave in a
            // Bearer header, anything else nowhere.
            let allowed: Vec<(String, String)> = secrets
                .iter()
                .filter(|(n, s)| {
                    let belongs = name == "authorization"
                        && if exchange {
                            s == &basic
                        } else {
                            (n == "a bearer" || n == "an addon token")
                                && value == format!("Bearer {s}")
                        };
                    !belongs
                })
                .cloned()
                .collect();
            leaks.search(&format!("{place} (header {name})"), value, &allowed);
        }
        if exchange {
            let sent = r["headers"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|h| h[0] == "authorization" && h[1] == format!("Basic {basic}"));
            // The wrong token's exchanges carry it; the others carry ours.
            let wrong = base64::engine::general_purpose::STANDARD.encode(format!(":{wrong_token}"));
            let sent_wrong = r["headers"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|h| h[0] == "authorization" && h[1] == format!("Basic {wrong}"));
            assert!(
                sent || sent_wrong,
                "a token exchange without the token: {r}"
            );
        }
    }
    // What rewind asked of its child processes.
    let children: String = std::fs::read_dir(w.path("children"))
        .expect("children dir")
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect();
    let mut started = std::collections::BTreeMap::<String, usize>::new();
    let mut password_in_env = false;
    for record in children.split("\nEND\n").filter(|r| !r.trim().is_empty()) {
        let argv = record.lines().next().unwrap_or_default();
        let program = argv
            .strip_prefix("ARGV ")
            .and_then(|a| a.split('\t').next())
            .unwrap_or("?")
            .to_string();
        *started.entry(program.clone()).or_default() += 1;
        leaks.search(&format!("the argv of `{program}`"), argv, &secrets);
        // The environment: only a database program's PGPASSWORD may hold
        // a secret, and only the database's password.
        let environment: Vec<&str> = record
            .lines()
            .skip(1)
            .filter(|l| {
                let database = program.starts_with("pg_") || program == "psql";
                !(database && l.starts_with("ENV PGPASSWORD="))
            })
            .collect();
        leaks.search(
            &format!("the environment of `{program}` (but PGPASSWORD)"),
            &environment.join("\n"),
            &secrets,
        );
        password_in_env |= record.lines().any(|l| {
            l.starts_with("ENV PGPASSWORD=") && l.contains(&w.secret("the database password"))
        });
    }
    for program in ["git", "pg_restore"] {
        assert!(
            started.contains_key(program),
            "{program} never started: {started:?}"
        );
    }
    assert!(
        password_in_env,
        "pg_restore got the password by another way than PGPASSWORD"
    );

    let line = format!(
        "canary: {} places searched, {} leaks",
        leaks.places,
        leaks.found.len()
    );
    crate::support::shown(&line);
    let mut slowest = w.seconds.clone();
    slowest.sort_by(|a, b| b.1.total_cmp(&a.1));
    let slowest: Vec<String> = slowest
        .iter()
        .take(3)
        .map(|(name, s)| format!("{name} {s:.1}s"))
        .collect();
    crate::support::shown(&format!(
        "canary: {} runs of rewind, {} child processes; slowest: {}",
        w.runs.len(),
        started.values().sum::<usize>(),
        slowest.join(", ")
    ));
    for leak in &leaks.found {
        println!("LEAK {leak}");
    }
    assert!(leaks.found.is_empty(), "{line}: {:#?}", leaks.found);
}
