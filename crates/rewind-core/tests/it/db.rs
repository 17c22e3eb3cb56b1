//! The database side against the sandbox: the safety backup downloaded
//! with its size and SHA-256, point-in-time plans checked against the
//! window, times read in a given zone, archives opened safely; with a real
//! PostgreSQL in the sandbox, the safety backup is a dump `pg_restore
//! --list` reads and a restore to a time between two writes keeps the
//! first only.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use chrono::{FixedOffset, SubsecRound, TimeZone, Utc};
use rewind_core::db::{
    self, DbError, DumpFormat, Poll, Target, backup_and_download, dump_format, extract_dump,
    parse_time, plan_pitr,
};
use rewind_core::interrupt::Interrupt;
use rewind_core::platform::scalingo::Scalingo;
use rewind_core::platform::{Addon, Platform, PlatformError};
use rewind_sandbox::{AddonSeed, AppSeed, PostgresMode, SandboxConfig};
use serde_json::json;

use crate::platform_env::PlatformEnv;

fn sandbox(provider: &str, postgres: PostgresMode) -> Result<PlatformEnv, String> {
    PlatformEnv::with_config(SandboxConfig {
        apps: vec![AppSeed {
            name: "shop".into(),
            repo: None,
            scm: None,
            addons: vec![AddonSeed {
                provider: provider.into(),
                plan: "starter-512".into(),
            }],
        }],
        deploy_duration: Duration::from_millis(400),
        rate_limit_per_minute: 0,
        postgres,
        ..SandboxConfig::default()
    })
}

fn db_addon(platform: &Scalingo) -> Addon {
    db::database_addon(platform, "shop", None).expect("the database addon")
}

fn poll() -> Poll {
    Poll::new(Duration::from_secs(20), Interrupt::new())
}

#[test]
fn the_safety_backup_is_downloaded_with_its_size_and_sha256() {
    let sandbox = sandbox("scalingo-postgresql", PostgresMode::Off).expect("sandbox");
    let platform = sandbox.client_trying(2);
    let addon = db_addon(&platform);
    let root = tempfile::tempdir().expect("temp dir");
    // A folder rewind makes, as `backups/<app>` beside the journal.
    let dir = root.path().join("backups").join("shop");
    let mut events = Vec::new();
    let done = backup_and_download(&platform, "shop", &addon.id, &dir, &poll(), &mut |e| {
        events.push(
            format!("{e:?}")
                .split('(')
                .next()
                .unwrap_or_default()
                .to_string(),
        )
    })
    .expect("backup");
    assert_eq!(events.first().map(String::as_str), Some("Created"));
    assert_eq!(events.last().map(String::as_str), Some("Downloading"));
    assert_eq!(done.backup.status, "done");
    let bytes = std::fs::read(&done.archive.path).expect("archive");
    assert_eq!(done.backup.size, Some(bytes.len() as u64));
    assert_eq!(done.archive.size, bytes.len() as u64);
    assert_eq!(
        db::sha256_file(&done.archive.path).expect("hash"),
        done.archive.sha256
    );
    assert!(done.archive.path.starts_with(&dir));
    // A dump holds production's personal data: the user's alone.
    use std::os::unix::fs::PermissionsExt;
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode(&done.archive.path), 0o600);
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&root.path().join("backups")), 0o700);
    let dump = extract_dump(&done.archive.path, &dir).expect("one dump file");
    assert!(dump.to_string_lossy().ends_with(".pgsql"), "{dump:?}");
    assert_eq!(dump_format(&dump).expect("format"), DumpFormat::Other);
}

#[test]
fn a_failed_download_is_tried_again_with_a_fresh_link_and_never_left_half_written() {
    let sandbox = sandbox("scalingo-postgresql", PostgresMode::Off).expect("sandbox");
    let platform = sandbox.client_trying(2);
    let addon = db_addon(&platform);
    let root = tempfile::tempdir().expect("temp dir");
    let dir = root.path().join("backups").join("shop");
    let download = "/api/databases/*/backups/*/download";
    sandbox.admin(
        "/_sandbox/faults",
        json!({"method": "GET", "path": download, "status": 500}),
    );
    sandbox.admin(
        "/_sandbox/faults",
        json!({"method": "GET", "path": download, "drop_connection": true}),
    );
    let done = backup_and_download(&platform, "shop", &addon.id, &dir, &poll(), &mut |_| {})
        .expect("the third attempt downloads");
    let statuses: Vec<u64> = sandbox
        .received("/download")
        .iter()
        .filter_map(|r| r["status"].as_u64())
        .collect();
    // 444: the sandbox's mark for a connection it dropped.
    assert_eq!(statuses, [500, 444, 200]);
    // Each attempt asked for its own single-use link.
    assert_eq!(sandbox.received("/archive").len(), 3);
    let bytes = std::fs::read(&done.archive.path).expect("archive");
    assert_eq!(done.archive.size, bytes.len() as u64);
    assert_eq!(done.backup.size, Some(bytes.len() as u64));
    // The backups folder holds the archive only; no partial folder is left.
    let listed: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(listed.len(), 1, "{listed:?}");
    let left: Vec<_> = std::fs::read_dir(root.path().join("backups"))
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left, [std::ffi::OsString::from("shop")]);

    // A download that keeps failing ends in an error naming the attempts,
    // and leaves nothing behind.
    sandbox.admin(
        "/_sandbox/faults",
        json!({"method": "GET", "path": download, "status": 503, "times": 10}),
    );
    let err = db::download_backup(
        &platform,
        "shop",
        &addon.id,
        &done.backup,
        &root.path().join("again"),
        &poll(),
    )
    .expect_err("503 every time");
    assert!(matches!(err, DbError::Download { .. }), "{err:?}");
    assert!(err.to_string().contains("tried 4 times"), "{err}");
    assert!(!root.path().join(".again.partial").exists());
    let again: Vec<_> = std::fs::read_dir(root.path().join("again"))
        .expect("dir")
        .collect();
    assert!(again.is_empty());
}

#[test]
fn plans_are_checked_against_the_window_and_the_engine() {
    let sandbox = sandbox("scalingo-postgresql", PostgresMode::Off).expect("sandbox");
    let platform = sandbox.client_trying(2);
    let addon = db_addon(&platform);
    let long_ago = Utc.with_ymd_and_hms(2001, 1, 1, 0, 0, 0).unwrap();
    match plan_pitr(&platform, "shop", &addon, Target::At { time: long_ago }) {
        Err(DbError::OutsideWindow {
            target, earliest, ..
        }) => {
            assert_eq!(target, long_ago);
            assert!(earliest > long_ago);
        }
        other => panic!("expected OutsideWindow, got {other:?}"),
    }
    let window = platform.recovery_window("shop", &addon.id).expect("window");
    let plan = plan_pitr(
        &platform,
        "shop",
        &addon,
        Target::At {
            time: window.earliest,
        },
    )
    .expect("a time inside the window");
    assert_eq!(plan.restore_to, window.earliest);
    assert!(plan.data_loss() >= chrono::Duration::zero());

    let redis = self::sandbox("scalingo-redis", PostgresMode::Off).expect("sandbox");
    let platform = redis.client_trying(2);
    let addon = db_addon(&platform);
    let e = plan_pitr(&platform, "shop", &addon, Target::At { time: Utc::now() })
        .expect_err("no PITR for Redis");
    assert!(matches!(e, DbError::NoPitr { .. }), "{e:?}");
    assert!(e.to_string().contains("PostgreSQL only"), "{e}");
}

#[test]
fn times_are_read_as_rfc_3339_or_wall_clock_in_the_zone() {
    let paris = FixedOffset::east_opt(2 * 3600).unwrap();
    let want = Utc.with_ymd_and_hms(2026, 7, 18, 14, 2, 0).unwrap();
    assert_eq!(parse_time("2026-07-18 16:02", &paris).expect("local"), want);
    assert_eq!(
        parse_time("2026-07-18T16:02:00", &paris).expect("local"),
        want
    );
    assert_eq!(
        parse_time("2026-07-18T14:02:00Z", &paris).expect("rfc"),
        want
    );
    assert_eq!(
        parse_time("2026-07-18T15:02:00+01:00", &paris).expect("rfc"),
        want
    );
    let e = parse_time("yesterday at two", &paris).expect_err("not a time");
    assert!(matches!(e, DbError::BadTime { .. }), "{e:?}");
}

#[test]
fn an_archive_must_hold_exactly_one_file_written_under_a_safe_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let make = |name: &str, files: &[(&str, &str)]| {
        let src = dir.path().join(format!("{name}-src"));
        std::fs::create_dir_all(&src).expect("dir");
        for (file, text) in files {
            std::fs::write(src.join(file), text).expect("write");
        }
        let archive = dir.path().join(format!("{name}.tar.gz"));
        let mut tar = Command::new("tar");
        tar.arg("-czf").arg(&archive).arg("-C").arg(&src);
        for (file, _) in files {
            tar.arg(file);
        }
        assert!(tar.status().expect("tar").success());
        archive
    };
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).expect("dir");
    let two = make("two", &[("a.pgsql", "a"), ("b.pgsql", "b")]);
    let e = extract_dump(&two, &out).expect_err("two files");
    assert!(e.to_string().contains("more than one file"), "{e}");
    let one = make("one", &[("x.pgsql", "PGDMP...")]);
    let dump = extract_dump(&one, &out).expect("one file");
    assert_eq!(dump, out.join("x.pgsql"));
    assert_eq!(dump_format(&dump).expect("format"), DumpFormat::Custom);
    let not_gz = dir.path().join("plain.tar.gz");
    std::fs::write(&not_gz, "not an archive").expect("write");
    assert!(matches!(
        extract_dump(&not_gz, &out),
        Err(DbError::Archive { .. })
    ));
}

/// A sandbox backed by a real PostgreSQL, or `None` (said loudly) when
/// the server programs are missing; REWIND_REQUIRE_POSTGRES=1 makes that
/// a failure.
fn real_sandbox() -> Option<PlatformEnv> {
    match sandbox("scalingo-postgresql", PostgresMode::On) {
        Ok(s) => Some(s),
        Err(e) if std::env::var("REWIND_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") => {
            panic!("a real PostgreSQL is required (REWIND_REQUIRE_POSTGRES=1): {e}")
        }
        Err(e) => {
            eprintln!(
                "SKIPPED: no real PostgreSQL for the sandbox ({e}); set REWIND_REQUIRE_POSTGRES=1 to make this fail"
            );
            None
        }
    }
}

fn pg_restore_list(archive: &Path, dir: &Path) -> String {
    let dump = extract_dump(archive, dir).expect("dump");
    assert_eq!(dump_format(&dump).expect("format"), DumpFormat::Custom);
    let out = Command::new("pg_restore")
        .arg("--list")
        .arg(&dump)
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
fn with_real_postgresql_the_safety_backup_is_a_dump_and_a_restore_keeps_earlier_writes() {
    let Some(sandbox) = real_sandbox() else {
        return;
    };
    let platform = sandbox.client_trying(2);
    let addon = db_addon(&platform);
    let rows = format!("/_sandbox/databases/{}/rows", addon.id);
    sandbox.admin(&rows, json!({"rows": ["kept"]}));
    // Restores go back to whole seconds (rounded down): the next whole
    // second after the write that stays, then a write once it is past.
    // Real PostgreSQL keeps the system's time, which only waiting moves.
    let between = (Utc::now() + chrono::Duration::seconds(1)).trunc_subsecs(0);
    rewind_test_support::wait_past(between.into());
    sandbox.admin(&rows, json!({"rows": ["lost"]}));

    let dir = tempfile::tempdir().expect("temp dir");
    let done = backup_and_download(
        &platform,
        "shop",
        &addon.id,
        dir.path(),
        &poll(),
        &mut |_| {},
    )
    .expect("safety backup");
    let list = pg_restore_list(&done.archive.path, dir.path());
    assert!(list.contains("TABLE"), "{list}");

    let plan = plan_pitr(&platform, "shop", &addon, Target::At { time: between }).expect("plan");
    let op =
        db::pitr_restore(&platform, &plan, &poll(), &mut |_| {}, &mut |_| {}).expect("restore");
    assert!(op.is_success(), "{op:?}");
    let now = sandbox.get(&rows).to_string();
    assert!(now.contains("kept") && !now.contains("lost"), "{now}");
}

/// A download server on 127.0.0.1 that announces the length of what it
/// answers and holds back the last `held` bytes of the first `cuts`
/// answers; a request with `Range: bytes=N-` gets a 206 from byte N.
/// Returns its URL and the requests' heads, in order.
fn cutting_server(
    whole: Vec<u8>,
    held: usize,
    cuts: usize,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "http://{}/archive.tar.gz",
        listener.local_addr().expect("addr")
    );
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let heads = seen.clone();
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut head = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            let from = head
                .lines()
                .find_map(|l| {
                    l.strip_prefix("range: bytes=")
                        .or(l.strip_prefix("Range: bytes="))
                })
                .and_then(|r| r.trim_end_matches('-').parse::<usize>().ok());
            heads.lock().expect("lock").push(head);
            let (status, extra, body) = match from {
                Some(from) => (
                    "206 Partial Content",
                    format!(
                        "Content-Range: bytes {from}-{}/{}\r\n",
                        whole.len() - 1,
                        whole.len()
                    ),
                    &whole[from..],
                ),
                None => ("200 OK", String::new(), &whole[..]),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
                body.len()
            );
            let sent = if n < cuts {
                &body[..body.len().saturating_sub(held)]
            } else {
                body
            };
            let _ = stream.write_all(sent);
            let _ = stream.flush();
        }
    });
    (url, seen)
}

/// A body that ends before the length its answer announced is a cut
/// download: tried again from where it stopped, never kept short.
#[test]
fn a_download_cut_short_of_its_content_length_is_resumed_not_kept() {
    let whole: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    let (url, heads) = cutting_server(whole.clone(), 600, 1);
    let root = tempfile::tempdir().expect("temp dir");
    let dest = root.path().join("backups/shop/archive.tar.gz");
    let fast = rewind_core::platform::scalingo::RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(20),
    };
    let secret = rewind_core::secret::Secret::new(url.clone());
    let archive = db::download_with(
        &mut || Ok(secret.clone()),
        &dest,
        None,
        &Interrupt::new(),
        fast,
    )
    .expect("the second attempt finishes it");
    assert_eq!(std::fs::read(&dest).expect("archive"), whole);
    assert_eq!(archive.size, 1000);
    let heads = heads.lock().expect("lock").clone();
    assert_eq!(heads.len(), 2, "{heads:?}");
    assert!(
        heads[1].to_ascii_lowercase().contains("range: bytes=400-"),
        "resumed from the 400th byte: {heads:?}"
    );

    // The last 100 bytes never come: an error naming the bytes, and
    // nothing kept.
    let (url, _) = cutting_server(whole, 100, 10);
    let secret = rewind_core::secret::Secret::new(url);
    let dest = root.path().join("again/archive.tar.gz");
    let err = db::download_with(
        &mut || Ok(secret.clone()),
        &dest,
        None,
        &Interrupt::new(),
        fast,
    )
    .expect_err("never whole");
    assert!(err.to_string().contains("tried 3 times"), "{err}");
    assert!(
        err.to_string()
            .contains("the connection broke after 900 bytes"),
        "{err}"
    );
    assert!(!dest.exists());
}

/// After an uncertain answer to "start a backup", a teammate's manual
/// backup made a minute earlier is never taken for the one rewind asked
/// for: rewind says its request did not happen instead.
#[test]
fn an_uncertain_backup_request_never_adopts_a_teammates_earlier_backup() {
    let sandbox = sandbox("scalingo-postgresql", PostgresMode::Off).expect("sandbox");
    let platform = sandbox.client_trying(2);
    let addon = db_addon(&platform);
    let a_minute_ago = (chrono::Utc::now() - chrono::Duration::seconds(60)).to_rfc3339();
    sandbox.admin(
        &format!("/_sandbox/databases/{}/backups/history", addon.id),
        json!({"backups": [{"created_at": a_minute_ago, "method": "manual"}]}),
    );
    sandbox.admin(
        "/_sandbox/faults",
        json!({"method": "POST", "path": "/api/databases/*/backups", "status": 500, "times": 1}),
    );
    let teammates = platform.backups("shop", &addon.id).expect("backups");
    assert_eq!(teammates.len(), 1);
    match platform.create_backup("shop", &addon.id) {
        Err(PlatformError::WriteNotApplied { .. }) => {}
        Ok(b) => panic!(
            "took {} (the teammate's: {}) for its own",
            b.id,
            b.id == teammates[0].id
        ),
        Err(other) => panic!("{other}"),
    }
}
