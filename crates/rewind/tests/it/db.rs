//! `rewind db status|backup|restore` through the real binary against the
//! sandbox: what is printed, exit statuses, the journal, the rows the
//! sandbox keeps, and the requests it received (a refused or dry run sends
//! no write). With PostgreSQL's programs installed, `--from-file` restores
//! a real `pg_dump` archive into a throwaway cluster.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use rewind_sandbox::{AddonSeed, AppSeed, PostgresMode, Sandbox, SandboxConfig};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::{
    Rewind, Run, admin_get, admin_post, admin_put, git, journal_entries, step_data, steps,
};

/// A sandbox with app `shop` and its database addon, and a repository
/// holding the rewind.toml that names it.
struct World {
    sandbox: Sandbox,
    dir: TempDir,
    addon: String,
}

impl World {
    /// The simulated database: rows can be back-dated, so a restore to
    /// "before the deploy" has history to cut.
    fn new(provider: &str) -> World {
        World::with_postgres(provider, PostgresMode::Off)
    }

    fn with_postgres(provider: &str, postgres: PostgresMode) -> World {
        let sandbox = Sandbox::start(SandboxConfig {
            apps: vec![AppSeed {
                name: "shop".into(),
                repo: None,
                scm: None,
                addons: vec![AddonSeed {
                    provider: provider.into(),
                    plan: "starter-512".into(),
                }],
            }],
            // A backup or a restore takes half of this.
            deploy_duration: Duration::from_millis(400),
            rate_limit_per_minute: 0,
            postgres,
            ..SandboxConfig::default()
        })
        .expect("sandbox starts");
        let dir = tempfile::tempdir().expect("temp dir");
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(&repo).expect("repo dir");
        git(&repo, &["init", "--quiet", "--initial-branch=main"]);
        std::fs::write(
            repo.join("rewind.toml"),
            "[[apps]]\nname = \"shop\"\n\n[apps.database]\naddon = \"".to_string()
                + provider
                + "\"\nmargin = \"1m\"\n",
        )
        .expect("write rewind.toml");
        git(&repo, &["add", "rewind.toml"]);
        git(&repo, &["commit", "--quiet", "-m", "rewind"]);
        let state = admin_get(&sandbox, "/_sandbox/apps/shop/state");
        let addon = state["addons"][0]["id"]
            .as_str()
            .expect("addon id")
            .to_string();
        World {
            sandbox,
            dir,
            addon,
        }
    }

    fn repo(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    fn journal_dir(&self) -> PathBuf {
        self.dir.path().join("journal")
    }

    fn rewind(&self, args: &[&str]) -> Run {
        self.rewind_with(args, &[])
    }

    fn rewind_with(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        Rewind::new(args)
            .dir(&self.repo())
            .home(self.dir.path())
            .journal(&self.journal_dir())
            .env("TZ", "UTC")
            .sandbox(&self.sandbox)
            .envs(env.iter().copied())
            .run()
    }

    fn get(&self, path: &str) -> Value {
        admin_get(&self.sandbox, path)
    }

    fn post(&self, path: &str, body: Value) -> Value {
        admin_post(&self.sandbox, path, body)
    }

    /// Posts to `/_sandbox/databases/ADDON/WHAT`.
    fn db_post(&self, what: &str, body: Value) -> Value {
        self.post(&format!("/_sandbox/databases/{}/{what}", self.addon), body)
    }

    fn rows(&self) -> Vec<String> {
        self.get(&format!("/_sandbox/databases/{}/rows", self.addon))["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| r["text"].as_str().expect("text").to_string())
            .collect()
    }

    /// The index of the next request the sandbox will receive.
    fn request_mark(&self) -> u64 {
        self.get("/_sandbox/requests")["next_index"]
            .as_u64()
            .expect("next_index")
    }

    /// `METHOD path` of every request since `mark`.
    fn requests_since(&self, mark: u64) -> Vec<String> {
        self.get(&format!("/_sandbox/requests?since={mark}"))["requests"]
            .as_array()
            .expect("requests")
            .iter()
            .map(|r| {
                format!(
                    "{} {}",
                    r["method"].as_str().unwrap_or(""),
                    r["path"].as_str().unwrap_or("")
                )
            })
            .filter(|r| !r.contains("/_sandbox/"))
            .collect()
    }

    fn journal(&self) -> Vec<Value> {
        journal_entries(&self.journal_dir())
    }

    /// History that makes a point-in-time restore meaningful: a backup two
    /// hours ago (the window opens there), a row written before the bad
    /// deploy and one after it, and the bad deploy 30 minutes ago.
    fn seed_history(&self) {
        let at =
            |minutes: i64| (chrono::Utc::now() - chrono::Duration::minutes(minutes)).to_rfc3339();
        self.db_post(
            "backups/history",
            json!({"backups": [{"created_at": at(120)}]}),
        );
        self.db_post(
            "rows",
            json!({"rows": [{"text": "before", "at": at(90)}, {"text": "after", "at": at(10)}]}),
        );
        self.post(
            "/_sandbox/apps/shop/deployments/history",
            json!({"deployments": [
                {"git_ref": "v1.0.0", "package": "shop", "version": "1.0.0", "created_at": at(100)},
                {"git_ref": "v2.0.0", "package": "shop", "version": "2.0.0", "created_at": at(30)},
            ]}),
        );
    }
}

fn sha256_of(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum");
    String::from_utf8(out.stdout).expect("utf-8")[..64].to_string()
}

#[test]
fn status_shows_the_addon_backups_and_window() {
    let world = World::new("scalingo-postgresql");
    world.seed_history();
    let out = world.rewind(&["db", "status", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let status: Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(status["addon"]["id"], world.addon.as_str());
    assert_eq!(status["addon"]["provider_id"], "scalingo-postgresql");
    assert_eq!(status["database"]["type_name"], "postgresql");
    assert_eq!(status["backups"].as_array().map(Vec::len), Some(1));
    assert_eq!(status["backups"][0]["method"], "periodic");
    assert!(
        status["recovery_window"]["earliest"].is_string(),
        "{status}"
    );

    let text = world.rewind(&["db", "status"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(
        text.stdout.contains("point-in-time window: from"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("periodic done"), "{}", text.stdout);
}

#[test]
fn backup_downloads_the_archive_and_journals_its_size_and_sha256() {
    let world = World::new("scalingo-postgresql");
    world.db_post("rows", json!({"rows": ["hello"]}));
    let dir = world.dir.path().join("downloads");
    let out = world.rewind(&["db", "backup", "--download", dir.to_str().expect("utf-8")]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("download dir")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let archive = &files[0];
    assert!(archive.to_string_lossy().ends_with(".tar.gz"));
    let bytes = std::fs::read(archive).expect("archive");
    assert_eq!(&bytes[..2], &[0x1f, 0x8b], "a gzip file");
    let journal = world.journal();
    let done = step_data(&journal, "step_done");
    assert_eq!(done.len(), 1);
    let (step, data) = done[0];
    assert_eq!(step, "backup");
    assert_eq!(data["size"], bytes.len() as u64);
    assert_eq!(data["sha256"], sha256_of(archive).as_str());
    assert_eq!(data["path"], archive.to_str().expect("utf-8"));
    assert!(out.stdout.contains(&sha256_of(archive)), "{}", out.stdout);
    // The download URL carries a token: it is never shown or journaled.
    let all = format!("{}{}{journal:?}", out.stdout, out.stderr);
    assert!(!all.contains("token="), "{all}");
}

#[test]
fn a_backup_ending_in_error_fails_with_exit_1() {
    let world = World::new("scalingo-postgresql");
    world.db_post("backups/fail-next", Value::Null);
    let dir = world.dir.path().join("downloads");
    let out = world.rewind(&["db", "backup", "--download", dir.to_str().expect("utf-8")]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("ended in `error`"), "{}", out.stderr);
    assert_eq!(steps(&world.journal(), "step_failed").len(), 1);
}

#[test]
fn restore_before_the_bad_deploy_takes_a_safety_backup_then_loses_later_writes() {
    let world = World::new("scalingo-postgresql");
    world.seed_history();
    let mark = world.request_mark();
    let out = world.rewind(&["db", "restore", "--before-deploy", "--yes"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("every write between") && out.stderr.contains("about 31 minutes"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("the database stops during the restore"),
        "{}",
        out.stderr
    );
    assert_eq!(world.rows(), ["before"]);
    let writes: Vec<String> = world
        .requests_since(mark)
        .into_iter()
        .filter(|r| r.starts_with("POST /api/"))
        .map(|r| r.replace(&world.addon, "ID"))
        .collect();
    assert_eq!(
        writes,
        [
            "POST /api/databases/ID/backups",
            "POST /api/databases/ID/pitr/restore"
        ]
    );
    let journal = world.journal();
    let done = steps(&journal, "step_done");
    assert_eq!(done, ["safety-backup", "pitr-restore"]);
    let (_, safety) = step_data(&journal, "step_done")[0];
    let archive = PathBuf::from(safety["path"].as_str().expect("path"));
    assert_eq!(safety["sha256"], sha256_of(&archive).as_str());
    assert_eq!(
        journal.last().expect("closed")["data"]["outcome"],
        "succeeded"
    );
}

#[test]
fn a_time_outside_the_window_exits_2_naming_the_window() {
    let world = World::new("scalingo-postgresql");
    let mark = world.request_mark();
    let out = world.rewind(&["db", "restore", "--to", "2001-01-01 10:00", "--yes"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "2001-01-01 10:00:00 UTC is outside the database's recovery window, which goes from"
        ),
        "{}",
        out.stderr
    );
    assert!(
        !world
            .requests_since(mark)
            .iter()
            .any(|r| r.contains("/backups") && r.starts_with("POST"))
    );
}

#[test]
fn when_the_safety_backup_fails_nothing_is_restored() {
    let world = World::new("scalingo-postgresql");
    world.seed_history();
    world.db_post("backups/fail-next", Value::Null);
    let mark = world.request_mark();
    let out = world.rewind(&["db", "restore", "--before-deploy", "--yes"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains("the safety backup failed"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("nothing was restored"),
        "{}",
        out.stderr
    );
    assert!(
        !world
            .requests_since(mark)
            .iter()
            .any(|r| r.contains("pitr/restore"))
    );
    assert_eq!(world.rows(), ["before", "after"]);
}

#[test]
fn a_restore_operation_ending_in_error_exits_1() {
    let world = World::new("scalingo-postgresql");
    world.seed_history();
    world.db_post("pitr/fail-next", Value::Null);
    let out = world.rewind(&["db", "restore", "--before-deploy", "--yes"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("ended in `error`"), "{}", out.stderr);
    assert_eq!(world.rows(), ["before", "after"]);
    let journal = world.journal();
    let failed = steps(&journal, "step_failed");
    assert_eq!(failed, ["pitr-restore"]);
}

#[test]
fn point_in_time_is_refused_for_an_addon_that_is_not_postgresql() {
    let world = World::new("scalingo-redis");
    let out = world.rewind(&["db", "restore", "--to", "2026-01-01T00:00:00Z", "--yes"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("point-in-time restore is not available")
            && out.stderr.contains("scalingo-redis"),
        "{}",
        out.stderr
    );
    let status = world.rewind(&["db", "status"]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert!(
        status.stdout.contains("not available for scalingo-redis"),
        "{}",
        status.stdout
    );
}

#[test]
fn dry_run_and_missing_confirmation_send_no_write() {
    let world = World::new("scalingo-postgresql");
    world.seed_history();
    let is_write = |r: &String| r.starts_with("POST /api/");

    let mark = world.request_mark();
    let out = world.rewind(&["db", "restore", "--before-deploy", "--dry-run"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("dry run: nothing was changed"),
        "{}",
        out.stderr
    );
    assert!(!world.requests_since(mark).iter().any(is_write));

    let mark = world.request_mark();
    let out = world.rewind(&["db", "restore", "--before-deploy"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stderr.contains("--yes"), "{}", out.stderr);
    assert!(!world.requests_since(mark).iter().any(is_write));
    assert_eq!(world.rows(), ["before", "after"]);
}

#[test]
fn dump_restore_without_pg_restore_names_the_package_and_hides_the_password() {
    let world = World::new("scalingo-postgresql");
    let empty = world.dir.path().join("empty-bin");
    std::fs::create_dir_all(&empty).expect("dir");
    let out = world.rewind_with(
        &["db", "restore", "--from-file", "backup.tar.gz", "--yes"],
        &[
            ("PATH", empty.to_str().expect("utf-8")),
            (
                "REWIND_DATABASE_URL",
                "postgres://shop:hunter2@127.0.0.1:1/shop",
            ),
        ],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("pg_restore is not installed"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("apt-get install postgresql-client"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("brew install libpq"), "{}", out.stderr);
    assert!(!out.stderr.contains("hunter2"), "{}", out.stderr);
}

mod postgres {
    //! A throwaway PostgreSQL cluster, run as `nobody` when the tests run
    //! as root (PostgreSQL refuses root).

    use super::*;

    pub struct Cluster {
        pub dir: TempDir,
        pub port: u16,
        bin: PathBuf,
        as_nobody: bool,
    }

    pub const PASSWORD: &str = "s3cret-pw";

    fn bin_dir() -> Option<PathBuf> {
        let which = Command::new("pg_config").arg("--bindir").output().ok();
        let from_config = which
            .filter(|o| o.status.success())
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
        from_config
            .into_iter()
            .chain(
                std::fs::read_dir("/usr/lib/postgresql")
                    .ok()
                    .into_iter()
                    .flatten()
                    .filter_map(|e| e.ok())
                    .map(|e| e.path().join("bin")),
            )
            .find(|d| d.join("initdb").exists() && d.join("pg_ctl").exists())
    }

    /// A running cluster, or `None` (said loudly) when PostgreSQL's server
    /// programs are missing; with REWIND_REQUIRE_POSTGRES=1 that fails.
    pub fn start() -> Option<Cluster> {
        let Some(bin) = bin_dir() else {
            if std::env::var("REWIND_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                panic!("PostgreSQL's initdb/pg_ctl are required (REWIND_REQUIRE_POSTGRES=1)");
            }
            eprintln!(
                "SKIPPED: PostgreSQL server programs not found; set REWIND_REQUIRE_POSTGRES=1 to make this fail"
            );
            return None;
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let as_nobody = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| o.stdout == b"0\n")
            .unwrap_or(false);
        if as_nobody {
            let ok = Command::new("chown")
                .args(["-R", "nobody"])
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(ok.success());
        }
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
            l.local_addr().expect("addr").port()
        };
        let cluster = Cluster {
            dir,
            port,
            bin,
            as_nobody,
        };
        let pwfile = cluster.dir.path().join("pw");
        std::fs::write(&pwfile, PASSWORD).expect("pw file");
        if as_nobody {
            Command::new("chown")
                .arg("nobody")
                .arg(&pwfile)
                .status()
                .expect("chown");
        }
        let data = cluster.dir.path().join("data");
        cluster.run(
            "initdb",
            &[
                "-U",
                "postgres",
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--no-sync",
                &format!("--pwfile={}", pwfile.display()),
                "-D",
                data.to_str().expect("utf-8"),
            ],
        );
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            port,
            cluster.dir.path().display()
        );
        cluster.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().expect("utf-8"),
                "-o",
                &opts,
                "-w",
                "-l",
                cluster.dir.path().join("log").to_str().expect("utf-8"),
                "start",
            ],
        );
        Some(cluster)
    }

    impl Cluster {
        pub fn run(&self, program: &str, args: &[&str]) -> String {
            let exe = self.bin.join(program);
            let mut command = if self.as_nobody {
                let mut c = Command::new("setpriv");
                c.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"])
                    .arg(&exe);
                c
            } else {
                Command::new(&exe)
            };
            let out = command
                .args(args)
                .current_dir(self.dir.path())
                .env("PGPASSWORD", PASSWORD)
                .env("HOME", self.dir.path())
                .output()
                .expect("run a PostgreSQL program");
            assert!(
                out.status.success(),
                "{program} {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).into_owned()
        }

        pub fn url(&self, db: &str) -> String {
            format!(
                "postgres://postgres:{PASSWORD}@127.0.0.1:{}/{db}",
                self.port
            )
        }

        pub fn psql(&self, db: &str, sql: &str) -> String {
            self.run(
                "psql",
                &[
                    "-X",
                    "-q",
                    "-A",
                    "-t",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &self.port.to_string(),
                    "-U",
                    "postgres",
                    "-d",
                    db,
                    "-c",
                    sql,
                ],
            )
        }
    }

    impl Drop for Cluster {
        fn drop(&mut self) {
            let data = self.dir.path().join("data");
            let exe = self.bin.join("pg_ctl");
            let mut command = if self.as_nobody {
                let mut c = Command::new("setpriv");
                c.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"])
                    .arg(&exe);
                c
            } else {
                Command::new(&exe)
            };
            let _ = command
                .args(["-D"])
                .arg(&data)
                .args(["-m", "immediate", "stop"])
                .output();
        }
    }
}

#[test]
fn from_file_restores_a_real_dump_and_a_wrong_url_hides_the_password() {
    let Some(pg) = postgres::start() else { return };
    let world = World::new("scalingo-postgresql");
    pg.psql("postgres", "CREATE DATABASE source");
    pg.psql("postgres", "CREATE DATABASE target");
    pg.psql("source", "CREATE TABLE orders (id int primary key, item text); INSERT INTO orders VALUES (1, 'tea'), (2, 'cake')");
    let dump = pg.dir.path().join("source.pgsql");
    pg.run(
        "pg_dump",
        &[
            "-Fc",
            "-h",
            "127.0.0.1",
            "-p",
            &pg.port.to_string(),
            "-U",
            "postgres",
            "-d",
            "source",
            "-f",
            dump.to_str().expect("utf-8"),
        ],
    );
    // A Scalingo backup archive: a .tar.gz holding the one dump file.
    let archive = world.dir.path().join("backup.tar.gz");
    let tar = Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(pg.dir.path())
        .arg("source.pgsql")
        .status()
        .expect("tar");
    assert!(tar.success());

    let out = world.rewind_with(
        &[
            "db",
            "restore",
            "--from-file",
            archive.to_str().expect("utf-8"),
            "--yes",
        ],
        &[("REWIND_DATABASE_URL", &pg.url("target"))],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        pg.psql("target", "SELECT id, item FROM orders ORDER BY id"),
        "1|tea\n2|cake\n"
    );
    let journal = format!("{:?}", world.journal());
    assert!(!journal.contains(postgres::PASSWORD), "{journal}");

    let wrong = pg.url("target").replace(postgres::PASSWORD, "wrong-pw");
    let out = world.rewind_with(
        &[
            "db",
            "restore",
            "--from-file",
            archive.to_str().expect("utf-8"),
            "--yes",
        ],
        &[("REWIND_DATABASE_URL", &wrong)],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("pg_restore failed"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("127.0.0.1:{}/target", pg.port)),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("wrong-pw"), "{}", out.stderr);
}

/// Nothing in Scalingo's sources says a backup's `size` is its archive's
/// byte count: an archive that reads whole is kept, with both sizes and
/// its SHA-256 journaled, and a warning.
#[test]
fn a_backup_whose_announced_size_differs_is_kept_with_both_sizes_and_a_warning() {
    let world = World::new("scalingo-postgresql");
    admin_put(
        &world.sandbox,
        "/_sandbox/variants",
        json!({"backup_size": "differs"}),
    );
    world.db_post("rows", json!({"rows": ["hello"]}));
    let dir = world.dir.path().join("downloads");
    let out = world.rewind(&["db", "backup", "--download", dir.to_str().expect("utf-8")]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("download dir")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 1, "the archive is kept: {files:?}");
    let size = std::fs::metadata(&files[0]).expect("archive").len();
    let journal = world.journal();
    let done = step_data(&journal, "step_done");
    assert_eq!(done.len(), 1, "{journal:?}");
    let data = done[0].1;
    assert_eq!(data["size"], size);
    assert_eq!(data["sha256"], sha256_of(&files[0]).as_str());
    let announced = data["announced_size"].as_u64().expect("announced_size");
    assert_ne!(announced, size);
    assert!(
        out.stderr.contains(&format!(
            "warning: backup {} is {size} bytes, but Scalingo announced {announced}; the archive reads whole to its end, so it is kept (sha256 {})",
            data["backup_id"].as_str().expect("id"),
            sha256_of(&files[0])
        )),
        "{}",
        out.stderr
    );
    // Only one download: a kept archive is not fetched again.
    let downloads = world
        .requests_since(0)
        .iter()
        .filter(|r| r.contains("/download"))
        .count();
    assert_eq!(downloads, 1);
}

/// Go's client makes the recovery window's times optional: without them
/// there is no window yet, which `db status` says, and it goes on.
#[test]
fn db_status_says_no_recovery_window_yet_when_its_times_are_absent() {
    let world = World::new("scalingo-postgresql");
    world.seed_history();
    admin_put(
        &world.sandbox,
        "/_sandbox/variants",
        json!({"recovery_window": "no_times"}),
    );
    let text = world.rewind(&["db", "status"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(
        text.stdout.contains(&format!(
            "addon {} has no point-in-time recovery window yet (no point-in-time base backup)",
            world.addon
        )),
        "{}",
        text.stdout
    );
    assert!(!text.stdout.contains("point-in-time window: from"));
    assert!(text.stdout.contains("periodic done"), "{}", text.stdout);
    let json = world.rewind(&["db", "status", "--json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let status: Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(status["recovery_window"], Value::Null);
    assert!(
        status["recovery_window_note"]
            .as_str()
            .is_some_and(|n| n.contains("no point-in-time recovery window yet")),
        "{status}"
    );
}
