//! Sandbox tests: a real PostgreSQL behind the PostgreSQL addon. Rows
//! written through the admin surface and SQL written through the
//! connection URL land in a real cluster; a backup is a real
//! `pg_dump --format=custom` archive that `pg_restore` reads; a
//! point-in-time restore is PostgreSQL's own recovery, which loses every
//! write after the target time, tables included.
//!
//! These tests need PostgreSQL's server binaries. Without them they say so
//! and pass, unless `REWIND_REQUIRE_POSTGRES=1` (CI), where they fail.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rewind_sandbox::{AddonSeed, AppSeed, PostgresMode, Sandbox, SandboxConfig};
use serde_json::json;

use rewind_test_support::wait_for;

use crate::harness::{Env, Reply, agent};

const APP: &str = "shop";

fn config() -> SandboxConfig {
    SandboxConfig {
        apps: vec![AppSeed {
            name: APP.to_string(),
            repo: None,
            scm: None,
            addons: vec![AddonSeed {
                provider: "scalingo-postgresql".to_string(),
                plan: "postgresql-starter-512".to_string(),
            }],
        }],
        rate_limit_per_minute: 0,
        deploy_duration: Duration::from_millis(200),
        postgres: PostgresMode::On,
        ..SandboxConfig::default()
    }
}

/// A sandbox with a real PostgreSQL, the addon's database id and an addon
/// token.
struct Fixture {
    env: Env,
    db: String,
    token: String,
}

impl Fixture {
    fn start() -> Option<Fixture> {
        let env = start_env(config())?;
        let bearer = env.bearer();
        let reply = env.get(&bearer, &format!("/v1/apps/{APP}/addons"));
        assert_eq!(reply.status, 200, "{}", reply.text);
        let db = reply.json()["addons"][0]["id"]
            .as_str()
            .expect("addon id")
            .to_string();
        let reply = env.send(
            "POST",
            &bearer,
            &format!("/v1/apps/{APP}/addons/{db}/token"),
            None,
        );
        assert_eq!(reply.status, 200, "{}", reply.text);
        let token = reply.json()["addon"]["token"]
            .as_str()
            .expect("token")
            .to_string();
        Some(Fixture { env, db, token })
    }

    fn write_rows(&self, rows: &[&str]) {
        let reply = self.env.send(
            "POST",
            "",
            &format!("/_sandbox/databases/{}/rows", self.db),
            Some(json!({ "rows": rows })),
        );
        assert_eq!(reply.status, 201, "{}", reply.text);
    }

    fn row_texts(&self) -> Vec<String> {
        let reply = self
            .env
            .get("", &format!("/_sandbox/databases/{}/rows", self.db));
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json()["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| r["text"].as_str().expect("text").to_string())
            .collect()
    }

    fn url(&self) -> String {
        let reply = self
            .env
            .get("", &format!("/_sandbox/databases/{}/connection", self.db));
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json()["url"].as_str().expect("url").to_string()
    }

    fn api(&self, path: &str) -> Reply {
        self.env
            .get(&self.token, &format!("/api/databases/{}{path}", self.db))
    }

    fn restore(&self, at: DateTime<Utc>) -> Reply {
        self.env.send(
            "POST",
            &self.token,
            &format!("/api/databases/{}/pitr/restore", self.db),
            Some(json!({ "restore_time": iso(at) })),
        )
    }

    fn wait_operation(&self, id: &str) -> serde_json::Value {
        poll(30, || {
            let reply = self.api(&format!("/operations/{id}"));
            assert_eq!(reply.status, 200, "{}", reply.text);
            let operation = reply.json()["operation"].clone();
            matches!(operation["status"].as_str(), Some("finished" | "error")).then_some(operation)
        })
    }

    fn earliest(&self) -> DateTime<Utc> {
        let reply = self.api("/pitr/recovery_window");
        assert_eq!(reply.status, 200, "{}", reply.text);
        let text = reply.json()["recovery_window"]["earliest_recoverable_at"]
            .as_str()
            .expect("earliest_recoverable_at")
            .to_string();
        DateTime::parse_from_rfc3339(&text)
            .expect("an ISO-8601 time")
            .to_utc()
    }
}

/// A started sandbox, or `None` (after saying why) when the machine has no
/// PostgreSQL server and nobody requires one.
fn start_env(config: SandboxConfig) -> Option<Env> {
    match Sandbox::start(config) {
        Ok(sandbox) => Some(Env {
            sandbox,
            agent: agent(),
        }),
        Err(e) => {
            let message = e.to_string();
            let required = std::env::var("REWIND_REQUIRE_POSTGRES").as_deref() == Ok("1");
            if message.contains("server binaries") && !required {
                eprintln!(
                    "SKIPPED: this test needs PostgreSQL's server binaries: {message}\n\
                     (set REWIND_REQUIRE_POSTGRES=1 to make this a failure)"
                );
                return None;
            }
            panic!("the sandbox with PostgreSQL does not start: {message}");
        }
    }
}

/// Asks `check` until it gives a value; fails after `secs`.
fn poll<T>(secs: u64, check: impl FnMut() -> Option<T>) -> T {
    wait_for(Duration::from_secs(secs), "the sandbox", check)
}

/// Waits until the system's clock has passed `t` by PostgreSQL's
/// resolution, a microsecond, and returns the time then: what is committed
/// afterwards is dated after `t`, what was committed before is not. Real
/// PostgreSQL keeps the system's time, so the sandbox's clock cannot be
/// moved instead; the wait is one short pause of `wait_for` at most.
fn past(t: DateTime<Utc>) -> DateTime<Utc> {
    let after = t + chrono::Duration::microseconds(1);
    wait_for(Duration::from_secs(5), "the clock to move", || {
        Some(Utc::now()).filter(|now| *now > after)
    })
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Runs SQL through psql with the connection URL's parts; the password goes
/// through `PGPASSWORD`, never argv. `Err` is psql's message.
fn sql(url: &str, statement: &str) -> Result<String, String> {
    let rest = url.strip_prefix("postgres://").expect("a postgres:// URL");
    let (credentials, rest) = rest.split_once('@').expect("user:password@");
    let (user, password) = credentials.split_once(':').expect("user:password");
    let (host_port, database) = rest.split_once('/').expect("host:port/database");
    let (host, port) = host_port.split_once(':').expect("host:port");
    assert_eq!(host, "127.0.0.1", "the database listens on loopback only");
    let output = Command::new(client("psql"))
        .env_clear()
        .env("PGPASSWORD", password)
        .env("PGCONNECT_TIMEOUT", "5")
        .args(["--no-psqlrc", "--quiet", "--no-align", "--tuples-only"])
        .args(["--set", "ON_ERROR_STOP=1", "--no-password"])
        .args(["--host", host, "--port", port, "--username", user])
        .args(["--dbname", database, "--command", statement])
        .output()
        .expect("psql runs");
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).to_string())
    }
}

/// A PostgreSQL client program: on PATH, else in Debian's versioned
/// directories (newest first).
fn client(name: &str) -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dir| dir.flatten().map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    debian.sort_by_key(|p| {
        let version = p.parent().and_then(Path::file_name);
        std::cmp::Reverse(version.and_then(|v| v.to_str()?.parse::<u32>().ok()))
    });
    on_path
        .into_iter()
        .chain(debian)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("`{name}` is neither on PATH nor in /usr/lib/postgresql"))
}

#[test]
fn the_postgres_setting_is_read_from_the_seed() {
    let read = |text: &str| SandboxConfig::from_seed_str(text).map(|c| c.postgres);
    assert_eq!(read(""), Ok(PostgresMode::Auto));
    assert_eq!(read("[sandbox]\npostgres = \"off\""), Ok(PostgresMode::Off));
    assert_eq!(read("[sandbox]\npostgres = \"on\""), Ok(PostgresMode::On));
    let wrong = read("[sandbox]\npostgres = \"yes\"").expect_err("not a mode");
    assert!(wrong.contains("postgres"), "{wrong}");
}

#[test]
fn rows_and_backups_are_real_postgresql() {
    let Some(fx) = Fixture::start() else { return };
    fx.write_rows(&["order 1", "it's order 2"]);
    assert_eq!(fx.row_texts(), ["order 1", "it's order 2"]);

    let url = fx.url();
    assert_eq!(fx.env.sandbox.database_url(APP), Ok(url.clone()));
    assert_eq!(sql(&url, "select count(*) from rows"), Ok("2".to_string()));
    sql(
        &url,
        "create table customers (name text); insert into customers values ('ada')",
    )
    .expect("SQL through the connection URL");
    let port = url
        .rsplit_once(':')
        .and_then(|(_, p)| p.split_once('/'))
        .unwrap()
        .0;
    let database = fx.api("");
    assert_eq!(database.status, 200, "{}", database.text);
    assert_eq!(
        database.json()["database"]["hostname"],
        format!("127.0.0.1:{port}")
    );

    let created = fx.env.send(
        "POST",
        &fx.token,
        &format!("/api/databases/{}/backups", fx.db),
        None,
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json()["database_backup"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let backup = poll(15, || {
        let reply = fx.api(&format!("/backups/{id}"));
        assert_eq!(reply.status, 200, "{}", reply.text);
        let backup = reply.json()["database_backup"].clone();
        matches!(backup["status"].as_str(), Some("done" | "error")).then_some(backup)
    });
    assert_eq!(backup["status"], "done", "{backup}");

    let link = fx.api(&format!("/backups/{id}/archive"));
    assert_eq!(link.status, 200, "{}", link.text);
    let download_url = link.json()["download_url"]
        .as_str()
        .expect("download_url")
        .to_string();
    let mut response = fx.env.agent.get(&download_url).call().expect("a download");
    assert_eq!(response.status().as_u16(), 200);
    let bytes = response.body_mut().read_to_vec().expect("the archive");
    assert_eq!(backup["size"], json!(bytes.len()), "size is the download's");

    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
    let mut files = Vec::new();
    for entry in archive.entries().expect("a tar.gz") {
        let mut entry = entry.expect("an entry");
        let name = entry.path().expect("a name").display().to_string();
        let mut dump = Vec::new();
        entry.read_to_end(&mut dump).expect("the dump");
        files.push((name, dump));
    }
    assert_eq!(files.len(), 1, "one dump file in the archive");
    let (name, dump) = &files[0];
    assert!(name.ends_with(".pgsql") && !name.contains('/'), "{name}");
    assert!(dump.starts_with(b"PGDMP"), "a pg_dump custom archive");

    let dir = tempfile::tempdir().expect("a temp dir");
    let file = dir.path().join(name);
    std::fs::write(&file, dump).expect("the dump is written");
    let list = Command::new(client("pg_restore"))
        .arg("--list")
        .arg(&file)
        .output()
        .expect("pg_restore runs");
    let listing = String::from_utf8_lossy(&list.stdout);
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    assert!(listing.contains("TABLE public rows"), "{listing}");
    assert!(listing.contains("TABLE public customers"), "{listing}");
    let data = Command::new(client("pg_restore"))
        .args(["--data-only", "--table", "rows", "--file", "-"])
        .arg(&file)
        .output()
        .expect("pg_restore runs");
    let data = String::from_utf8_lossy(&data.stdout);
    assert!(
        data.contains("order 1") && data.contains("it's order 2"),
        "{data}"
    );
}

#[test]
fn a_restore_loses_every_write_after_the_target_time() {
    let Some(fx) = Fixture::start() else { return };
    // Real PostgreSQL keeps the system's time: the sandbox's clock stays.
    let refused = fx.env.send(
        "POST",
        "",
        "/_sandbox/clock",
        Some(json!({ "advance_ms": 1000 })),
    );
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert!(refused.text.contains("real PostgreSQL"), "{}", refused.text);
    let url = fx.url();
    fx.write_rows(&["early 1", "early 2"]);
    sql(
        &url,
        "create table early_table (x int); insert into early_table values (1)",
    )
    .expect("early SQL");
    let target = past(Utc::now());
    past(target);
    fx.write_rows(&["late"]);
    sql(
        &url,
        "create table late_table (x int); insert into late_table values (2)",
    )
    .expect("late SQL");
    let earliest_before = fx.earliest();
    assert!(earliest_before < target);

    let reply = fx.restore(target);
    assert_eq!(reply.status, 201, "{}", reply.text);
    let operation_id = reply.json()["operation_id"]
        .as_str()
        .expect("operation_id")
        .to_string();
    let operation = fx.wait_operation(&operation_id);
    assert_eq!(operation["status"], "finished", "{operation}");

    assert_eq!(fx.row_texts(), ["early 1", "early 2"]);
    assert_eq!(fx.url(), url, "the connection URL stays the same");
    assert_eq!(sql(&url, "select x from early_table"), Ok("1".to_string()));
    assert_eq!(
        sql(&url, "select to_regclass('late_table') is null"),
        Ok("t".to_string()),
        "the table created after the target is gone"
    );
    assert_eq!(fx.api("").json()["database"]["status"], "running");
    // The cluster is on a new timeline: it can be written and recovered
    // again, from a new base backup.
    fx.write_rows(&["after the restore"]);
    assert!(fx.earliest() > target);
}

#[test]
fn a_restore_before_the_window_is_refused_and_the_cluster_stops_with_the_sandbox() {
    let Some(fx) = Fixture::start() else { return };
    let earliest = fx.earliest();
    let reply = fx.restore(earliest - chrono::Duration::seconds(1));
    assert_eq!(reply.status, 422, "{}", reply.text);
    let message = reply.json()["errors"]["restore_time"][0].clone();
    assert!(
        message
            .as_str()
            .is_some_and(|m| m.contains("recovery window")),
        "{message}"
    );

    // The earliest moment as shown (to the millisecond) is recoverable.
    let reply = fx.restore(earliest);
    assert_eq!(reply.status, 201, "{}", reply.text);
    let operation_id = reply.json()["operation_id"]
        .as_str()
        .expect("operation_id")
        .to_string();
    let operation = fx.wait_operation(&operation_id);
    assert_eq!(operation["status"], "finished", "{operation}");

    let url = fx.url();
    assert_eq!(sql(&url, "select 1"), Ok("1".to_string()));
    drop(fx);
    let refused = sql(&url, "select 1").expect_err("the server is stopped");
    assert!(
        refused.contains("refused") || refused.contains("could not connect"),
        "{refused}"
    );
}

#[test]
fn an_addon_added_later_starts_the_cluster_and_past_backups_keep_past_rows() {
    let Some(env) = start_env(SandboxConfig {
        apps: Vec::new(),
        ..config()
    }) else {
        return;
    };
    let reply = env.send(
        "POST",
        "",
        "/_sandbox/apps",
        Some(json!({
            "name": "late-shop",
            "addons": [{ "provider": "scalingo-postgresql", "plan": "postgresql-starter-512" }],
        })),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    let state = env.get("", "/_sandbox/apps/late-shop/state");
    let db = state.json()["addons"][0]["id"]
        .as_str()
        .expect("addon id")
        .to_string();

    // The first write starts the cluster.
    let old = iso(Utc::now() - chrono::Duration::seconds(120));
    let reply = env.send(
        "POST",
        "",
        &format!("/_sandbox/databases/{db}/rows"),
        Some(json!({ "rows": [{ "text": "old order", "at": old }, "new order"] })),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    let texts: Vec<String> = reply.json()["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["text"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(texts, ["old order", "new order"]);
    let url = env
        .sandbox
        .database_url("late-shop")
        .expect("a connection URL");
    assert_eq!(sql(&url, "select count(*) from rows"), Ok("2".to_string()));

    // A backup seeded a minute ago holds the rows written before it.
    let seeded = env.send(
        "POST",
        "",
        &format!("/_sandbox/databases/{db}/backups/history"),
        Some(json!({ "backups": [{ "created_at": iso(Utc::now() - chrono::Duration::seconds(60)) }] })),
    );
    assert_eq!(seeded.status, 201, "{}", seeded.text);
    let backup = seeded.json()["database_backups"][0].clone();
    assert_eq!(backup["status"], "done", "{backup}");
    let bearer = env.bearer();
    let token = env.send(
        "POST",
        &bearer,
        &format!("/v1/apps/late-shop/addons/{db}/token"),
        None,
    );
    let token = token.json()["addon"]["token"]
        .as_str()
        .expect("token")
        .to_string();
    let link = env.get(
        &token,
        &format!(
            "/api/databases/{db}/backups/{}/archive",
            backup["id"].as_str().unwrap()
        ),
    );
    assert_eq!(link.status, 200, "{}", link.text);
    let url = link.json()["download_url"]
        .as_str()
        .expect("url")
        .to_string();
    let bytes = env
        .agent
        .get(&url)
        .call()
        .expect("a download")
        .body_mut()
        .read_to_vec()
        .expect("the archive");
    let data = restored_rows(&bytes);
    assert!(data.contains("old order"), "{data}");
    assert!(!data.contains("new order"), "{data}");
}

/// The `rows` data of the single dump inside a backup archive, as
/// `pg_restore` prints it.
fn restored_rows(archive: &[u8]) -> String {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(archive));
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut dumps = Vec::new();
    for entry in archive.entries().expect("a tar.gz") {
        let mut entry = entry.expect("an entry");
        let path = dir
            .path()
            .join(entry.path().expect("a name").file_name().expect("a file"));
        entry.unpack(&path).expect("unpacked");
        dumps.push(path);
    }
    assert_eq!(dumps.len(), 1, "one dump file in the archive");
    let out = Command::new(client("pg_restore"))
        .args(["--data-only", "--table", "rows", "--file", "-"])
        .arg(&dumps[0])
        .output()
        .expect("pg_restore runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_real_database_reports_the_postgresql_version_that_runs() {
    let Some(fx) = Fixture::start() else { return };
    let shown = fx.api("").json()["database"]["readable_version"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    // The server that answers, asked over its own connection.
    let running = sql(&fx.url(), "SHOW server_version").expect("psql");
    let running = running.split_whitespace().next().unwrap_or_default();
    assert!(!running.is_empty());
    assert!(
        shown.starts_with(&format!("{running}.")) || shown.starts_with(&format!("{running}-")),
        "the API says {shown}, the server runs {running}"
    );
}
