//! Sandbox tests: database. Addons and addon tokens on the main API, then the
//! database API with those tokens: the database, backups (to a real `.tar.gz`
//! holding the rows of the moment), point-in-time recovery, and the errors a
//! client must be able to tell apart.

use std::io::Read;
use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use rewind_sandbox::{AddonSeed, AppSeed, PitrRestoreBody, PostgresMode, SandboxConfig};
use serde_json::{Value, json};

use crate::harness::{Env, Reply, read};

const APP: &str = "shop";

/// A sandbox with one app holding a PostgreSQL and a Redis addon. A backup or
/// restore takes half of `deploy_duration` (two steps of a quarter each).
/// The database is simulated here on purpose (fast, and the same on every
/// machine); `postgres.rs` tests the real one.
fn config() -> SandboxConfig {
    SandboxConfig {
        apps: vec![AppSeed {
            name: APP.to_string(),
            repo: None,
            scm: None,
            addons: vec![
                AddonSeed {
                    provider: "scalingo-postgresql".to_string(),
                    plan: "postgresql-starter-512".to_string(),
                },
                AddonSeed {
                    provider: "scalingo-redis".to_string(),
                    plan: "redis-sandbox".to_string(),
                },
            ],
        }],
        rate_limit_per_minute: 0,
        deploy_duration: Duration::from_millis(400),
        postgres: PostgresMode::Off,
        ..SandboxConfig::default()
    }
}

/// A started sandbox with its API bearer and both databases' ids.
struct Fixture {
    env: Env,
    bearer: String,
    pg: String,
    redis: String,
}

impl Fixture {
    fn start(config: SandboxConfig) -> Fixture {
        let env = Env::start(config);
        let bearer = env.bearer();
        let reply = env.get(&bearer, &format!("/v1/apps/{APP}/addons"));
        assert_eq!(reply.status, 200, "{}", reply.text);
        let addons = reply.json()["addons"].as_array().expect("addons").clone();
        let id_of = |provider: &str| {
            addons
                .iter()
                .find(|a| a["addon_provider"]["id"] == provider)
                .and_then(|a| a["id"].as_str())
                .unwrap_or_else(|| panic!("no {provider} addon in {addons:?}"))
                .to_string()
        };
        let (pg, redis) = (id_of("scalingo-postgresql"), id_of("scalingo-redis"));
        Fixture {
            env,
            bearer,
            pg,
            redis,
        }
    }

    fn token_reply(&self, addon_id: &str) -> Reply {
        self.env.send(
            "POST",
            &self.bearer,
            &format!("/v1/apps/{APP}/addons/{addon_id}/token"),
            None,
        )
    }

    fn token(&self, addon_id: &str) -> String {
        let reply = self.token_reply(addon_id);
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json()["addon"]["token"]
            .as_str()
            .expect("addon.token")
            .to_string()
    }

    fn admin(&self, path: &str, body: Value) -> Reply {
        self.env.send("POST", "", path, Some(body))
    }

    /// Moves the sandbox's clock forward; returns its time after the move.
    fn advance_clock(&self, ms: u32) -> DateTime<Utc> {
        let reply = self.admin("/_sandbox/clock", json!({ "advance_ms": ms }));
        assert_eq!(reply.status, 200, "{}", reply.text);
        DateTime::parse_from_rfc3339(reply.json()["clock"]["now"].as_str().expect("now"))
            .expect("a time")
            .to_utc()
    }

    fn write_rows(&self, db: &str, rows: &[&str]) {
        let reply = self.admin(
            &format!("/_sandbox/databases/{db}/rows"),
            json!({ "rows": rows }),
        );
        assert_eq!(reply.status, 201, "{}", reply.text);
    }

    fn row_texts(&self, db: &str) -> Vec<String> {
        let reply = self.env.get("", &format!("/_sandbox/databases/{db}/rows"));
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json()["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| r["text"].as_str().expect("text").to_string())
            .collect()
    }

    /// Creates a manual backup and waits for a terminal status.
    fn backup(&self, token: &str, db: &str) -> Value {
        let created = self
            .env
            .send("POST", token, &format!("/api/databases/{db}/backups"), None);
        assert_eq!(created.status, 201, "{}", created.text);
        let id = created.json()["database_backup"]["id"]
            .as_str()
            .expect("id")
            .to_string();
        self.wait_backup(token, db, &id)
    }

    fn wait_backup(&self, token: &str, db: &str, id: &str) -> Value {
        poll(|| {
            let reply = self
                .env
                .get(token, &format!("/api/databases/{db}/backups/{id}"));
            assert_eq!(reply.status, 200, "{}", reply.text);
            let backup = reply.json()["database_backup"].clone();
            matches!(backup["status"].as_str(), Some("done" | "error")).then_some(backup)
        })
    }

    fn wait_operation(&self, token: &str, db: &str, id: &str) -> Value {
        poll(|| {
            let reply = self
                .env
                .get(token, &format!("/api/databases/{db}/operations/{id}"));
            assert_eq!(reply.status, 200, "{}", reply.text);
            let operation = reply.json()["operation"].clone();
            matches!(operation["status"].as_str(), Some("finished" | "error")).then_some(operation)
        })
    }

    fn database(&self, token: &str, db: &str) -> Value {
        let reply = self.env.get(token, &format!("/api/databases/{db}"));
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json()["database"].clone()
    }

    fn events(&self) -> Vec<Value> {
        let reply = self
            .env
            .get(&self.bearer, &format!("/v1/apps/{APP}/events"));
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json()["events"].as_array().expect("events").clone()
    }
}

/// Asks `check` until it gives a value; fails after 5 s.
fn poll<T>(check: impl FnMut() -> Option<T>) -> T {
    rewind_test_support::wait_for(Duration::from_secs(5), "the sandbox", check)
}

fn example(file: &str) -> Value {
    let path = format!(
        "{}/../../tests/fixtures/scalingo-examples/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every field of the documented example is present in `ours`, with the same
/// JSON type where both are set (null stands for "optional" on either side).
fn assert_shape(example: &Value, ours: &Value, at: &str) {
    match (example, ours) {
        (Value::Null, _) | (_, Value::Null) => {}
        (Value::Object(e), Value::Object(o)) => {
            for (key, value) in e {
                let found = o
                    .get(key)
                    .unwrap_or_else(|| panic!("{at}.{key} is missing from {ours}"));
                assert_shape(value, found, &format!("{at}.{key}"));
            }
        }
        (Value::Array(e), Value::Array(o)) => {
            if let (Some(e), Some(o)) = (e.first(), o.first()) {
                assert_shape(e, o, &format!("{at}[0]"));
            }
        }
        (Value::Number(_), Value::Number(_))
        | (Value::String(_), Value::String(_))
        | (Value::Bool(_), Value::Bool(_)) => {}
        _ => panic!("{at}: {ours} does not have the type of {example}"),
    }
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn jwt_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT has three parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url claims");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

/// A plain GET without any `Authorization`, read as bytes.
fn download(env: &Env, url: &str) -> (u16, Vec<u8>) {
    let mut response = env.agent.get(url).call().expect("the sandbox answers");
    let status = response.status().as_u16();
    let bytes = response.body_mut().read_to_vec().expect("a body");
    (status, bytes)
}

/// The files of a `.tar.gz`, by name.
fn untar(bytes: &[u8]) -> Vec<(String, String)> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    let mut files = Vec::new();
    for entry in archive.entries().expect("a tar archive") {
        let mut entry = entry.expect("a tar entry");
        let name = entry.path().expect("a path").display().to_string();
        let mut text = String::new();
        entry.read_to_string(&mut text).expect("a text dump");
        files.push((name, text));
    }
    files
}

#[test]
fn addons_tokens_and_databases_have_the_documented_shape() {
    let fx = Fixture::start(config());
    let addons = fx.env.get(&fx.bearer, &format!("/v1/apps/{APP}/addons"));
    assert_shape(&example("addons-01.json"), &addons.json(), "addons-01");

    let one = fx
        .env
        .get(&fx.bearer, &format!("/v1/apps/{APP}/addons/{}", fx.pg));
    assert_eq!(one.status, 200, "{}", one.text);
    assert_shape(&example("addons-03.json"), &one.json(), "addons-03");
    assert_eq!(
        one.json()["addon"]["plan"]["name"],
        "postgresql-starter-512"
    );

    let reply = fx.token_reply(&fx.pg);
    assert_eq!(reply.status, 200, "{}", reply.text);
    let addon = &reply.json()["addon"];
    assert_eq!(addon["id"], fx.pg.as_str());
    let token = addon["token"].as_str().expect("token");
    let claims = jwt_claims(token);
    let lifetime = claims["exp"].as_i64().expect("exp") - Utc::now().timestamp();
    assert!(
        (3590..=3600).contains(&lifetime),
        "exp is {lifetime} s away"
    );

    let database = fx.env.get(token, &format!("/api/databases/{}", fx.pg));
    assert_eq!(database.status, 200, "{}", database.text);
    assert_shape(
        &example("databases-01.json"),
        &database.json(),
        "databases-01",
    );
    let database = &database.json()["database"];
    assert_eq!(database["id"], fx.pg.as_str());
    assert_eq!(database["type_name"], "postgresql");
    assert_eq!(database["app_name"], APP);
    assert_eq!(database["status"], "running");
    assert_eq!(database["current_operation_id"], Value::Null);
    assert_eq!(database["resource_id"], one.json()["addon"]["resource_id"]);

    let redis = fx.token(&fx.redis);
    assert_eq!(fx.database(&redis, &fx.redis)["type_name"], "redis");

    // Addon tokens are not API bearers, nor the other way round.
    assert_eq!(fx.env.get(token, &format!("/v1/apps/{APP}")).status, 401);
    let with_api_bearer = fx.env.get(&fx.bearer, &format!("/api/databases/{}", fx.pg));
    assert_eq!(with_api_bearer.status, 401, "{}", with_api_bearer.text);
    assert!(with_api_bearer.json()["error"].is_string());
}

#[test]
fn an_addon_token_expires_after_its_own_lifetime() {
    let fx = Fixture::start(SandboxConfig {
        addon_token_lifetime: Duration::from_secs(1),
        ..config()
    });
    let token = fx.token(&fx.pg);
    let claims = jwt_claims(&token);
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        1
    );
    let path = format!("/api/databases/{}", fx.pg);
    assert_eq!(fx.env.get(&token, &path).status, 200);

    let expired = poll(|| {
        let reply = fx.env.get(&token, &path);
        (reply.status != 200).then_some(reply)
    });
    assert_eq!(expired.status, 401, "{}", expired.text);
    assert_eq!(expired.json()["error"], "token expired");
    // The API bearer lives on: a fresh addon token works again.
    assert_eq!(fx.env.get(&fx.token(&fx.pg), &path).status, 200);

    let garbage = fx.env.get("not-a-token", &path);
    assert_eq!(garbage.status, 401);
    assert!(garbage.json()["error"].is_string());
    let none = fx.env.agent.get(&fx.env.url(&path)).call().unwrap();
    assert_eq!(none.status().as_u16(), 401);
}

#[test]
fn a_token_opens_only_its_own_database() {
    let fx = Fixture::start(config());
    let pg = fx.token(&fx.pg);
    let redis = fx.token(&fx.redis);
    let redis_backup = fx.backup(&redis, &fx.redis);
    assert_eq!(redis_backup["status"], "done");

    for path in [
        format!("/api/databases/{}", fx.redis),
        format!("/api/databases/{}/backups", fx.redis),
        format!("/api/backups/{}", redis_backup["id"].as_str().unwrap()),
    ] {
        let reply = fx.env.get(&pg, &path);
        assert_eq!(reply.status, 403, "{path}: {}", reply.text);
        assert_eq!(reply.json()["code"], "forbidden", "{path}");
        assert!(reply.json()["error"].as_str().unwrap().contains(&fx.redis));
    }
    let create = fx.env.send(
        "POST",
        &pg,
        &format!("/api/databases/{}/backups", fx.redis),
        None,
    );
    assert_eq!(create.status, 403, "{}", create.text);
}

#[test]
fn a_manual_backup_runs_to_done_and_is_listed_newest_first() {
    let fx = Fixture::start(config());
    let token = fx.token(&fx.pg);
    let history = fx.admin(
        &format!("/_sandbox/databases/{}/backups/history", fx.pg),
        json!({ "backups": [
            { "created_at": "2026-01-02T03:00:00Z" },
            { "created_at": "2026-01-01T03:00:00+01:00", "status": "error", "method": "periodic" },
        ]}),
    );
    assert_eq!(history.status, 201, "{}", history.text);

    let created = fx.env.send(
        "POST",
        &token,
        &format!("/api/databases/{}/backups", fx.pg),
        None,
    );
    assert_eq!(created.status, 201, "{}", created.text);
    assert_shape(&example("backups-02.json"), &created.json(), "backups-02");
    let scheduled = &created.json()["database_backup"];
    assert_eq!(scheduled["status"], "scheduled");
    assert_eq!(scheduled["method"], "manual");
    assert_eq!(scheduled["size"], Value::Null);
    assert_eq!(scheduled["database_id"], fx.pg.as_str());
    let id = scheduled["id"].as_str().unwrap();

    let mut seen = vec![];
    let done = poll(|| {
        let reply = fx
            .env
            .get(&token, &format!("/api/databases/{}/backups/{id}", fx.pg));
        let backup = reply.json()["database_backup"].clone();
        let status = backup["status"].as_str().unwrap().to_string();
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        (status == "done").then_some(backup)
    });
    assert!(
        seen.iter()
            .all(|s| ["scheduled", "running", "done"].contains(&s.as_str())),
        "{seen:?}"
    );
    assert!(done["size"].as_u64().unwrap() > 0, "{done}");
    assert!(done["started_at"].is_string());

    let other_path = fx.env.get(&token, &format!("/api/backups/{id}"));
    assert_eq!(other_path.status, 200, "{}", other_path.text);
    assert_eq!(other_path.json()["database_backup"], done);

    let list = fx
        .env
        .get(&token, &format!("/api/databases/{}/backups", fx.pg));
    assert_eq!(list.status, 200, "{}", list.text);
    assert_shape(&example("backups-01.json"), &list.json(), "backups-01");
    let list = list.json()["database_backups"].as_array().unwrap().clone();
    let summary: Vec<(&str, &str)> = list
        .iter()
        .map(|b| (b["method"].as_str().unwrap(), b["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        summary,
        [
            ("manual", "done"),
            ("periodic", "done"),
            ("periodic", "error")
        ]
    );
    assert_eq!(list[0]["id"], id);
    assert!(
        list[1]["name"]
            .as_str()
            .unwrap()
            .starts_with("20260102030000_")
    );
    assert!(
        list[2]["name"]
            .as_str()
            .unwrap()
            .starts_with("20260101020000_")
    );

    let event = fx
        .events()
        .into_iter()
        .find(|e| e["type"] == "database_backup_succeeded")
        .expect("a database_backup_succeeded event");
    assert_shape(
        &example("events-44.json")["type_data"],
        &event["type_data"],
        "events-44",
    );
    assert_eq!(event["type_data"]["backup_id"], id);
    assert_eq!(event["type_data"]["backup_status"], "done");
}

#[test]
fn the_archive_holds_the_rows_present_at_backup_time() {
    let fx = Fixture::start(config());
    let token = fx.token(&fx.pg);
    fx.write_rows(&fx.pg, &["order 1", "order 2"]);
    let backup = fx.backup(&token, &fx.pg);
    assert_eq!(backup["status"], "done");
    fx.write_rows(&fx.pg, &["order 3 (after the backup)"]);
    let id = backup["id"].as_str().unwrap();
    let archive_path = format!("/api/databases/{}/backups/{id}/archive", fx.pg);

    let link = fx.env.get(&token, &archive_path);
    assert_eq!(link.status, 200, "{}", link.text);
    assert_shape(&example("backups-03.json"), &link.json(), "backups-03");
    let url = link.json()["download_url"].as_str().unwrap().to_string();
    assert!(url.starts_with(&fx.env.url("/api/databases/")), "{url}");
    assert!(url.contains("?token="), "{url}");

    let (status, bytes) = download(&fx.env, &url);
    assert_eq!(status, 200);
    assert_eq!(bytes.len() as u64, backup["size"].as_u64().unwrap());
    let files = untar(&bytes);
    assert_eq!(files.len(), 1, "{files:?}");
    let (name, dump) = &files[0];
    let resource_id = fx.database(&token, &fx.pg)["resource_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(name, &format!("{}.pgsql", backup["name"].as_str().unwrap()));
    let stamp = name.split('_').next().unwrap();
    assert!(
        stamp.len() == 14 && stamp.bytes().all(|b| b.is_ascii_digit()),
        "{name}"
    );
    assert!(name.ends_with(&format!("_{resource_id}.pgsql")), "{name}");
    assert!(
        dump.contains("\torder 1\n") && dump.contains("\torder 2\n"),
        "{dump}"
    );
    assert!(!dump.contains("order 3"), "{dump}");

    // The link is used up; a new one gives the very same bytes.
    let (again, _) = download(&fx.env, &url);
    assert_eq!(again, 403);
    let fresh = fx.env.get(&token, &archive_path).json()["download_url"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(download(&fx.env, &fresh).1, bytes);
    let (forged, _) = download(&fx.env, &url.replace("token=", "token=x"));
    assert_eq!(forged, 403);

    // A backup that is not done has nothing to download yet.
    let pending = fx.env.send(
        "POST",
        &token,
        &format!("/api/databases/{}/backups", fx.pg),
        None,
    );
    let pending_id = pending.json()["database_backup"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let early = fx.env.get(
        &token,
        &format!("/api/databases/{}/backups/{pending_id}/archive", fx.pg),
    );
    assert_eq!(early.status, 409, "{}", early.text);
    assert!(
        early.json()["error"]
            .as_str()
            .unwrap()
            .contains("scheduled")
    );
}

#[test]
fn fail_next_makes_the_next_backup_end_in_error() {
    let fx = Fixture::start(config());
    let token = fx.token(&fx.pg);
    let armed = fx.admin(
        &format!("/_sandbox/databases/{}/backups/fail-next", fx.pg),
        json!({}),
    );
    assert_eq!(armed.status, 200, "{}", armed.text);

    let failed = fx.backup(&token, &fx.pg);
    assert_eq!(failed["status"], "error");
    assert_eq!(failed["size"], 0);
    let event = fx
        .events()
        .into_iter()
        .find(|e| e["type"] == "database_backup_failed")
        .expect("a database_backup_failed event");
    assert_shape(
        &example("events-45.json")["type_data"],
        &event["type_data"],
        "events-45",
    );
    assert_eq!(event["type_data"]["backup_id"], failed["id"]);
    assert_eq!(event["type_data"]["backup_status"], "error");
    let archive = fx.env.get(
        &token,
        &format!(
            "/api/databases/{}/backups/{}/archive",
            fx.pg,
            failed["id"].as_str().unwrap()
        ),
    );
    assert_eq!(archive.status, 409, "{}", archive.text);

    assert_eq!(fx.backup(&token, &fx.pg)["status"], "done");
}

#[test]
fn a_restore_loses_the_writes_made_after_the_restore_time() {
    let fx = Fixture::start(SandboxConfig {
        deploy_duration: Duration::from_millis(800),
        ..config()
    });
    let token = fx.token(&fx.pg);
    fx.write_rows(&fx.pg, &["before the release"]);
    // A second later by the sandbox's clock, and a second before the next
    // write: strictly between the two, however fast they came.
    let restore_time = fx.advance_clock(1000);
    fx.advance_clock(1000);
    fx.write_rows(&fx.pg, &["written by the bad release"]);

    let window = fx.env.get(
        &token,
        &format!("/api/databases/{}/pitr/recovery_window", fx.pg),
    );
    assert_eq!(window.status, 200, "{}", window.text);
    let window = &window.json()["recovery_window"];
    let bound = |key: &str| {
        DateTime::parse_from_rfc3339(window[key].as_str().unwrap())
            .unwrap()
            .to_utc()
    };
    assert!(bound("earliest_recoverable_at") <= restore_time);
    assert!(bound("latest_recoverable_at") >= restore_time);

    let reply = fx.env.send(
        "POST",
        &token,
        &format!("/api/databases/{}/pitr/restore", fx.pg),
        Some(json!({ "restore_time": iso(restore_time) })),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_shape(&example("databases-04.json"), &reply.json(), "databases-04");
    let operation_id = reply.json()["operation_id"].as_str().unwrap().to_string();

    let restoring = fx.database(&token, &fx.pg);
    assert_eq!(restoring["status"], "restoring");
    assert_eq!(restoring["current_operation_id"], operation_id.as_str());
    let write = fx.admin(
        &format!("/_sandbox/databases/{}/rows", fx.pg),
        json!({ "rows": ["during the restore"] }),
    );
    assert_eq!(write.status, 409, "{}", write.text);
    let again = fx.env.send(
        "POST",
        &token,
        &format!("/api/databases/{}/pitr/restore", fx.pg),
        Some(json!({ "restore_time": iso(restore_time) })),
    );
    assert_eq!(again.status, 409, "{}", again.text);

    let operation = fx.wait_operation(&token, &fx.pg, &operation_id);
    assert_eq!(operation["status"], "finished", "{operation}");
    assert_eq!(operation["type"], "pitr_restore");
    assert!(operation["finished_at"].is_string());
    assert_eq!(operation["error"], Value::Null);
    assert_eq!(fx.row_texts(&fx.pg), ["before the release"]);
    let database = fx.database(&token, &fx.pg);
    assert_eq!(database["status"], "running");
    assert_eq!(database["current_operation_id"], Value::Null);
}

#[test]
fn a_restore_can_answer_the_operation_and_fail_on_request() {
    let fx = Fixture::start(SandboxConfig {
        variants: rewind_sandbox::Variants {
            pitr_restore_body: PitrRestoreBody::Operation,
            ..Default::default()
        },
        ..config()
    });
    let token = fx.token(&fx.pg);
    fx.write_rows(&fx.pg, &["kept"]);
    let restore_time = fx.advance_clock(1000);
    fx.advance_clock(1000);
    fx.write_rows(&fx.pg, &["also kept: the restore fails"]);
    let armed = fx.admin(
        &format!("/_sandbox/databases/{}/pitr/fail-next", fx.pg),
        json!({}),
    );
    assert_eq!(armed.status, 200, "{}", armed.text);

    let reply = fx.env.send(
        "POST",
        &token,
        &format!("/api/databases/{}/pitr/restore", fx.pg),
        Some(json!({ "restore_time": iso(restore_time) })),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    let operation = &reply.json()["operation"];
    assert_eq!(operation["type"], "pitr_restore");
    assert_eq!(operation["status"], "pending");
    let id = operation["id"].as_str().unwrap();

    let ended = fx.wait_operation(&token, &fx.pg, id);
    assert_eq!(ended["status"], "error", "{ended}");
    assert!(ended["error"].as_str().unwrap().contains("unchanged"));
    assert_eq!(
        fx.row_texts(&fx.pg),
        ["kept", "also kept: the restore fails"]
    );

    // The failure was for one restore only.
    let retry = fx.env.send(
        "POST",
        &token,
        &format!("/api/databases/{}/pitr/restore", fx.pg),
        Some(json!({ "restore_time": iso(restore_time) })),
    );
    let id = retry.json()["operation"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(fx.wait_operation(&token, &fx.pg, &id)["status"], "finished");
    assert_eq!(fx.row_texts(&fx.pg), ["kept"]);
}

#[test]
fn a_restore_outside_the_window_or_on_redis_is_refused() {
    let fx = Fixture::start(config());
    let token = fx.token(&fx.pg);
    let path = format!("/api/databases/{}/pitr/restore", fx.pg);
    let future = iso(Utc::now() + chrono::Duration::hours(1));
    for body in [
        json!({ "restore_time": future }),
        json!({ "restore_time": "2000-01-01T00:00:00Z" }),
        json!({ "restore_time": "yesterday" }),
        json!({}),
    ] {
        let reply = fx.env.send("POST", &token, &path, Some(body.clone()));
        assert_eq!(reply.status, 422, "{body}: {}", reply.text);
        let messages = &reply.json()["errors"]["restore_time"];
        assert!(messages[0].is_string(), "{body}: {}", reply.text);
    }
    let outside = fx.env.send(
        "POST",
        &token,
        &path,
        Some(json!({ "restore_time": future })),
    );
    assert!(outside.text.contains("recovery window"), "{}", outside.text);

    let redis = fx.token(&fx.redis);
    for (method, path) in [
        ("POST", format!("/api/databases/{}/pitr/restore", fx.redis)),
        (
            "GET",
            format!("/api/databases/{}/pitr/recovery_window", fx.redis),
        ),
    ] {
        let body = json!({ "restore_time": iso(Utc::now()) });
        let reply = match method {
            "GET" => fx.env.get(&redis, &path),
            _ => fx.env.send(method, &redis, &path, Some(body)),
        };
        assert_eq!(reply.status, 400, "{path}: {}", reply.text);
        assert!(
            reply.json()["error"]
                .as_str()
                .unwrap()
                .contains("point-in-time recovery"),
            "{}",
            reply.text
        );
    }
}

#[test]
fn unknown_ids_answer_404_naming_the_resource() {
    let fx = Fixture::start(config());
    let token = fx.token(&fx.pg);
    let unknown = "000000000000000000000000";
    let cases = [
        (
            fx.bearer.as_str(),
            format!("/v1/apps/{APP}/addons/{unknown}"),
            "addon",
        ),
        (
            fx.bearer.as_str(),
            "/v1/apps/nope/addons".to_string(),
            "app",
        ),
        (
            token.as_str(),
            format!("/api/databases/{unknown}"),
            "database",
        ),
        (
            token.as_str(),
            format!("/api/databases/{unknown}/backups"),
            "database",
        ),
        (
            token.as_str(),
            format!("/api/databases/{}/backups/{unknown}", fx.pg),
            "backup",
        ),
        (token.as_str(), format!("/api/backups/{unknown}"), "backup"),
        (
            token.as_str(),
            format!("/api/databases/{}/backups/{unknown}/archive", fx.pg),
            "backup",
        ),
        (
            token.as_str(),
            format!("/api/databases/{}/operations/{unknown}", fx.pg),
            "operation",
        ),
        (
            "",
            format!("/_sandbox/databases/{unknown}/rows"),
            "database",
        ),
    ];
    for (bearer, path, resource) in cases {
        let reply = fx.env.get(bearer, &path);
        assert_eq!(reply.status, 404, "{path}: {}", reply.text);
        assert_eq!(
            reply.json(),
            json!({ "resource": resource, "error": "not found" }),
            "{path}"
        );
    }
    let token_for_nothing = fx.token_reply(unknown);
    assert_eq!(token_for_nothing.status, 404);
    assert_eq!(token_for_nothing.json()["resource"], "addon");
}

#[test]
fn a_restart_keeps_the_databases_and_ends_interrupted_backups_in_error() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let with_state = || SandboxConfig {
        state_file: Some(dir.path().join("state.json")),
        // Long enough that the backup below is still scheduled at the stop.
        deploy_duration: Duration::from_secs(60),
        ..config()
    };
    let fx = Fixture::start(with_state());
    let token = fx.token(&fx.pg);
    fx.write_rows(&fx.pg, &["kept across restarts"]);
    let seeded = fx.admin(
        &format!("/_sandbox/databases/{}/backups/history", fx.pg),
        json!({ "backups": [{ "created_at": iso(Utc::now()) }] }),
    );
    assert_eq!(seeded.status, 201, "{}", seeded.text);
    let interrupted = fx.env.send(
        "POST",
        &token,
        &format!("/api/databases/{}/backups", fx.pg),
        None,
    );
    assert_eq!(interrupted.status, 201, "{}", interrupted.text);
    let interrupted_id = interrupted.json()["database_backup"]["id"].clone();
    let pg = fx.pg.clone();
    fx.env.sandbox.shutdown();

    let fx = Fixture::start(with_state());
    assert_eq!(fx.pg, pg);
    assert_eq!(fx.row_texts(&pg), ["kept across restarts"]);
    // Addon tokens are kept too, as long as they live.
    let list = fx.env.get(&token, &format!("/api/databases/{pg}/backups"));
    assert_eq!(list.status, 200, "{}", list.text);
    let list = list.json()["database_backups"].as_array().unwrap().clone();
    let statuses: Vec<(&Value, &str)> = list
        .iter()
        .map(|b| (&b["id"], b["status"].as_str().unwrap()))
        .collect();
    assert_eq!(statuses[0], (&interrupted_id, "error"));
    assert_eq!(statuses[1].1, "done");
}

#[test]
fn the_backup_size_variant_announces_another_figure_than_the_archive_bytes() {
    let fx = Fixture::start(SandboxConfig {
        variants: rewind_sandbox::Variants {
            backup_size: rewind_sandbox::BackupSize::Differs,
            ..Default::default()
        },
        ..config()
    });
    let token = fx.token(&fx.pg);
    fx.write_rows(&fx.pg, &["order 1"]);
    let backup = fx.backup(&token, &fx.pg);
    assert_eq!(backup["status"], "done");
    let id = backup["id"].as_str().unwrap();
    let link = fx.env.get(
        &token,
        &format!("/api/databases/{}/backups/{id}/archive", fx.pg),
    );
    let url = link.json()["download_url"].as_str().unwrap().to_string();
    let (status, bytes) = download(&fx.env, &url);
    assert_eq!(status, 200);
    let announced = backup["size"].as_u64().unwrap();
    assert!(announced > 0);
    assert_ne!(announced, bytes.len() as u64, "{backup}");
    assert_eq!(untar(&bytes).len(), 1, "the archive itself is whole");

    // Switched back while it runs: the same backup shows its archive's size.
    let reply = read(
        fx.env
            .agent
            .put(&fx.env.url("/_sandbox/variants"))
            .send_json(json!({ "backup_size": "archive" })),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    let again = fx.wait_backup(&token, &fx.pg, id);
    assert_eq!(again["size"].as_u64().unwrap(), bytes.len() as u64);
}

#[test]
fn the_recovery_window_variant_leaves_the_times_out_and_refuses_a_restore() {
    let fx = Fixture::start(SandboxConfig {
        variants: rewind_sandbox::Variants {
            recovery_window: rewind_sandbox::RecoveryWindowForm::NoTimes,
            ..Default::default()
        },
        ..config()
    });
    let token = fx.token(&fx.pg);
    let window = fx.env.get(
        &token,
        &format!("/api/databases/{}/pitr/recovery_window", fx.pg),
    );
    assert_eq!(window.status, 200, "{}", window.text);
    assert_eq!(window.json(), json!({ "recovery_window": {} }));
    let restore = fx.env.send(
        "POST",
        &token,
        &format!("/api/databases/{}/pitr/restore", fx.pg),
        Some(json!({ "restore_time": iso(Utc::now()) })),
    );
    assert_eq!(restore.status, 422, "{}", restore.text);
    assert!(
        restore.text.contains("no point-in-time base backup"),
        "{}",
        restore.text
    );
}
