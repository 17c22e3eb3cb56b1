//! `rewind db restore --from-backup` end to end on the sandbox's real
//! PostgreSQL: a backup taken through the API is downloaded, extracted and
//! restored with `pg_restore` into a fresh database, which then holds the
//! backup's rows. Skipped (loudly) without the PostgreSQL server binaries,
//! unless `REWIND_REQUIRE_POSTGRES=1`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use rewind_sandbox::{AddonSeed, AppSeed, PostgresMode, Sandbox, SandboxConfig};
use serde_json::{Value, json};

use crate::support::{Rewind, Run, admin_get, admin_post};

fn sandbox() -> Option<Sandbox> {
    let config = SandboxConfig {
        apps: vec![AppSeed {
            name: "shop".into(),
            repo: None,
            scm: None,
            addons: vec![AddonSeed {
                provider: "scalingo-postgresql".into(),
                plan: "postgresql-starter-512".into(),
            }],
        }],
        postgres: PostgresMode::On,
        rate_limit_per_minute: 0,
        deploy_duration: Duration::from_millis(400),
        ..SandboxConfig::default()
    };
    match Sandbox::start(config) {
        Ok(s) => Some(s),
        Err(e) if std::env::var("REWIND_REQUIRE_POSTGRES").as_deref() != Ok("1") => {
            eprintln!("SKIPPED: db --from-backup needs the PostgreSQL server binaries: {e}");
            None
        }
        Err(e) => {
            panic!("REWIND_REQUIRE_POSTGRES=1 but the sandbox's PostgreSQL does not start: {e}")
        }
    }
}

/// psql against `url`, the password through the environment only.
fn psql(url: &str, sql: &str) -> String {
    let parsed = url::Url::parse(url).expect("url");
    let password = parsed.password().unwrap_or_default().to_string();
    let mut bare = parsed.clone();
    bare.set_password(None).expect("no password");
    let out = Command::new("psql")
        .args([
            bare.as_str(),
            "-X",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ])
        .env("PGPASSWORD", password)
        .output()
        .expect("psql");
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Runs `rewind ARGS` in `dir` (also its HOME) against `sandbox`.
fn rewind(dir: &Path, sandbox: &Sandbox, extra: &[(&str, String)], args: &[&str]) -> Run {
    Rewind::new(args)
        .dir(dir)
        .home(dir)
        .journal(&dir.join("journal"))
        .sandbox(sandbox)
        .envs(extra.iter().map(|(k, v)| (*k, v)))
        .run()
}

#[test]
fn a_backup_restored_from_its_id_into_a_fresh_database_has_its_rows() {
    let Some(sandbox) = sandbox() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("rewind.toml"),
        "[[apps]]\nname = \"shop\"\n[apps.database]\naddon = \"scalingo-postgresql\"\n",
    )
    .expect("rewind.toml");
    let state = admin_get(&sandbox, "/_sandbox/apps/shop/state");
    let addon = state["addons"][0]["id"]
        .as_str()
        .expect("addon id")
        .to_string();
    admin_post(
        &sandbox,
        &format!("/_sandbox/databases/{addon}/rows"),
        json!({"rows": ["alpha", "beta"]}),
    );

    let run = rewind(dir.path(), &sandbox, &[], &["db", "backup"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = rewind(dir.path(), &sandbox, &[], &["db", "status", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let status: Value = serde_json::from_str(&run.stdout).expect("json");
    let backup = status["backups"]
        .as_array()
        .and_then(|b| {
            b.iter()
                .find(|b| b["method"] == "manual" && b["status"] == "done")
        })
        .and_then(|b| b["id"].as_str())
        .expect("a done manual backup")
        .to_string();

    // Written after the backup: must not come back.
    admin_post(
        &sandbox,
        &format!("/_sandbox/databases/{addon}/rows"),
        json!({"rows": ["gamma"]}),
    );

    let url = sandbox.database_url("shop").expect("connection url");
    psql(&url, "CREATE DATABASE fresh");
    let mut fresh = url::Url::parse(&url).expect("url");
    fresh.set_path("/fresh");
    let run = rewind(
        dir.path(),
        &sandbox,
        &[("REWIND_DATABASE_URL", fresh.to_string())],
        &["db", "restore", "--from-backup", &backup, "--yes"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let password = url::Url::parse(&url)
        .expect("url")
        .password()
        .unwrap_or_default()
        .to_string();
    assert!(
        !password.is_empty() && !run.stderr.contains(&password),
        "the password is never printed"
    );
    let rows = psql(fresh.as_str(), "SELECT text FROM rows ORDER BY id");
    assert_eq!(rows, "alpha\nbeta");
}
