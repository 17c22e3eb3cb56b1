//! `rewind watch` through the real binary against the sandbox: a healthy
//! release ends quietly (exit 0, no incident, nothing posted); a release
//! whose app answers 503 opens an incident, posts one message with the
//! evidence and the command to run next, and exits 1; bad thresholds in
//! `[apps.watch]` and a policy that does not exist yet exit 2.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rewind_core::platform::Platform;
use rewind_core::platform::scalingo::{RequestBudget, RetryPolicy, Scalingo, ScalingoSettings};
use rewind_sandbox::{AppSeed, Sandbox, SandboxConfig, ScmSeed};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::{Rewind, admin_get, admin_post, git, journal_entries, shown};

/// The pause between rounds in these tests: 4 requests a round stay
/// within the client's budget over a few seconds of watching.
const POLL_MS: &str = "400";

struct World {
    dir: TempDir,
    sandbox: Sandbox,
    shas: Vec<String>,
}

impl World {
    /// v1.0.0 healthy; v1.1.0 answers `status_of_v2` (a `.sandbox/health`
    /// file when not 200), the head of `main`.
    fn new(status_of_v2: u16, watch_toml: &str) -> World {
        let health = (status_of_v2 != 200).then(|| status_of_v2.to_string());
        World::with_health(health.as_deref(), watch_toml)
    }

    /// The same, v1.1.0's `.sandbox/health` holding `health` (such as
    /// `503 when FEATURE_X=true`) when given.
    fn with_health(health: Option<&str>, watch_toml: &str) -> World {
        World::with_files(health, &[], watch_toml)
    }

    /// The same, v1.1.0 also adding `files_of_v2` (`(path, text)`).
    fn with_files(health: Option<&str>, files_of_v2: &[(&str, &str)], watch_toml: &str) -> World {
        let dir = tempfile::tempdir().expect("tempdir");
        let work = dir.path().join("app");
        std::fs::create_dir_all(&work).expect("app dir");
        git(&work, &["init", "--quiet", "--initial-branch=main"]);
        let mut shas = Vec::new();
        for v in ["1.0.0", "1.1.0"] {
            std::fs::write(
                work.join("package.json"),
                format!("{{\"name\":\"shop\",\"version\":\"{v}\"}}\n"),
            )
            .expect("write");
            if v == "1.1.0"
                && let Some(health) = health
            {
                std::fs::create_dir_all(work.join(".sandbox")).expect(".sandbox");
                std::fs::write(work.join(".sandbox/health"), format!("{health}\n"))
                    .expect("health file");
            }
            if v == "1.1.0" {
                for (path, text) in files_of_v2 {
                    let path = work.join(path);
                    std::fs::create_dir_all(path.parent().expect("a folder")).expect("folder");
                    std::fs::write(path, text).expect("file");
                }
            }
            git(&work, &["add", "."]);
            git(&work, &["commit", "--quiet", "-m", &format!("release {v}")]);
            git(&work, &["tag", &format!("v{v}")]);
            shas.push(git(&work, &["rev-parse", "HEAD"]));
        }
        let sandbox = Sandbox::start(SandboxConfig {
            apps: vec![AppSeed {
                name: "shop".into(),
                repo: Some(work.display().to_string()),
                scm: Some(ScmSeed {
                    branch: "main".into(),
                    auto_deploy: false,
                }),
                addons: Vec::new(),
            }],
            deploy_duration: Duration::from_millis(300),
            rate_limit_per_minute: 0,
            ..SandboxConfig::default()
        })
        .expect("sandbox");
        let base = sandbox.base_url();
        std::fs::write(
            work.join("rewind.toml"),
            format!(
                "[notify]\nwebhook_url = \"{base}/_sandbox/webhook\"\n\n\
                 [[apps]]\nname = \"shop\"\npackage = \"shop\"\n\n\
                 [apps.health_check]\nurl = \"{base}/_apps/shop/health\"\n{watch_toml}"
            ),
        )
        .expect("rewind.toml");
        World { dir, sandbox, shas }
    }

    fn work(&self) -> std::path::PathBuf {
        self.dir.path().join("app")
    }

    fn journal(&self) -> std::path::PathBuf {
        self.dir.path().join("journal")
    }

    fn client(&self) -> Scalingo {
        let vars = self.sandbox.env_vars();
        let settings = ScalingoSettings {
            retry: RetryPolicy {
                max_attempts: 2,
                base_delay: Duration::from_millis(10),
                max_delay: Duration::from_millis(50),
            },
            budget: RequestBudget::new(1000, Duration::from_secs(60)),
            ..ScalingoSettings::new("sandbox-local")
        }
        .with_env(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
        });
        Scalingo::new(settings).expect("client")
    }

    /// v1.0.0 ran before; traffic it served well; then v1.1.0 deploys
    /// (`main`), in progress when `rewind watch` starts.
    fn release(&self, client: &Scalingo) -> String {
        admin_post(
            &self.sandbox,
            "/_sandbox/apps/shop/deployments/history",
            json!({"deployments": [{"git_ref": self.shas[0], "pusher": "alice"}]}),
        );
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        for _ in 0..20 {
            let answer = agent
                .get(&format!("{}/_apps/shop/", self.sandbox.base_url()))
                .call()
                .expect("the app answers");
            assert_eq!(answer.status().as_u16(), 200, "v1.0.0 is healthy");
        }
        client
            .manual_deploy("shop", "main", None)
            .expect("v1.1.0 deploys")
            .id
    }

    fn watch(&self, args: &[&str]) -> crate::support::Run {
        let mut all = vec!["watch"];
        all.extend_from_slice(args);
        Rewind::new(&all)
            .dir(&self.work())
            .journal(&self.journal())
            .sandbox(&self.sandbox)
            .env("REWIND_WATCH_POLL_MS", POLL_MS)
            .run()
    }

    fn webhook_messages(&self) -> Vec<Value> {
        admin_get(&self.sandbox, "/_sandbox/webhook")["messages"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

fn time(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("not a time: {value}"))
}

#[test]
fn a_healthy_release_ends_quietly_with_no_incident_and_nothing_posted() {
    let world = World::new(200, "");
    let client = world.client();
    let deployment = world.release(&client);
    let mark = admin_get(&world.sandbox, "/_sandbox/requests")["next_index"].clone();

    let run = world.watch(&["shop", "--for", "3s"]);

    assert_eq!(run.code, 0, "{}", run.stderr);
    // Each round costs the API four requests (the app, its events, the
    // router metrics twice) and the app one health check; the baseline
    // two more metrics reads, which the first round, right after it, does
    // not read again (nor a round less than half a pause after the one
    // before).
    let rounds: usize = run
        .stderr
        .split(" rounds of checks")
        .next()
        .and_then(|head| head.rsplit('(').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("rounds in {}", run.stderr));
    assert!(rounds >= 2, "{}", run.stderr);
    let requests =
        admin_get(&world.sandbox, &format!("/_sandbox/requests?since={mark}"))["requests"]
            .as_array()
            .cloned()
            .expect("requests");
    let count = |matches: &dyn Fn(&str) -> bool| {
        requests
            .iter()
            .filter(|r| matches(r["path"].as_str().unwrap_or("")))
            .count()
    };
    // The last round too, when `--for` ends less than half a pause after
    // the one before.
    let router = count(&|p| p.starts_with("/v1/apps/shop/stats/router"));
    assert!(
        router % 2 == 0 && (2 * (rounds - 2) + 2..=2 * (rounds - 1) + 2).contains(&router),
        "{router} router reads for {rounds} rounds"
    );
    assert_eq!(count(&|p| p.starts_with("/v1/apps/shop/events")), rounds);
    // One more: following the deploy reads the app for its stream's URL.
    assert_eq!(count(&|p| p == "/v1/apps/shop"), rounds + 1);
    assert_eq!(count(&|p| p == "/_apps/shop/health"), rounds);
    assert!(
        run.stderr.contains(&format!(
            "quiet release: deployment {deployment} crossed no threshold in 3s"
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("following deployment"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "");
    assert!(journal_entries(&world.journal()).is_empty());
    assert!(world.webhook_messages().is_empty());
    let finished = client.deployment("shop", &deployment).expect("deployment");
    assert!(finished.status.is_success(), "{:?}", finished.status);
}

#[test]
fn a_quiet_release_posts_one_healthy_line_when_the_team_asks_for_it() {
    let world = World::new(200, "\n[apps.watch]\nhealthy_message = true\n");
    let client = world.client();
    let deployment = world.release(&client);

    let run = world.watch(&["shop", "--for", "2s"]);

    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("; the team was told the release looks healthy"),
        "{}",
        run.stderr
    );
    let messages = world.webhook_messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let text = messages[0]["text"].as_str().expect("text");
    assert!(
        text.starts_with(&format!(
            "rewind watch: shop's release looks healthy: deployment {deployment} ("
        )),
        "{text}"
    );
    assert!(text.contains("crossed no threshold in 2s"), "{text}");
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(journal_entries(&world.journal()).is_empty());
}

#[test]
fn a_release_that_answers_503_opens_an_incident_and_tells_the_team_once() {
    let world = World::new(503, "");
    let client = world.client();
    let deployment = world.release(&client);

    let run = world.watch(&["shop", "--for", "2m"]);

    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(
            "signal: the health check failed 3 times in a row (answered HTTP 503, expected 2xx)"
        ),
        "{}",
        run.stdout
    );
    // The evidence decided the entry question (the watch fired), the
    // feature flag question (none declared) and the app's health (down).
    assert!(
        run.stdout
            .contains("next: rewind guide shop --answer mep=problem --answer q1=no"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("error: shop crossed a threshold after deployment"),
        "{}",
        run.stderr
    );

    let messages = world.webhook_messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let text = messages[0]["text"].as_str().expect("the message's text");
    assert!(text.contains("signal: the health check failed"), "{text}");
    assert!(
        text.contains("next: rewind guide shop --answer mep=problem"),
        "{text}"
    );

    let journal = journal_entries(&world.journal());
    let opened: Vec<&Value> = journal
        .iter()
        .filter(|e| e["kind"] == "incident_opened")
        .collect();
    assert_eq!(opened.len(), 1, "{journal:?}");
    assert_eq!(opened[0]["data"]["command"], "watch");
    assert_eq!(opened[0]["data"]["signal"]["signal"], "health_failing");
    assert_eq!(opened[0]["data"]["deployment_id"], deployment.as_str());
    let kinds: Vec<(&str, &str)> = journal
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap_or(""),
                e["step"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("incident_opened", ""),
            ("step_started", "evidence"),
            ("step_done", "evidence"),
            ("step_started", "notify"),
            ("step_done", "notify"),
            ("incident_closed", ""),
        ]
    );

    let ended = client
        .deployment("shop", &deployment)
        .expect("deployment")
        .finished_at
        .expect("finished");
    let detection = time(&opened[0]["at"]) - ended;
    shown(&format!(
        "detection: {:.1}s from the bad deploy's end to the incident",
        detection.num_milliseconds() as f64 / 1000.0
    ));
}

/// The signal recorded in the journal's one incident.
fn journaled_signal(world: &World) -> Value {
    let journal = journal_entries(&world.journal());
    let opened: Vec<&Value> = journal
        .iter()
        .filter(|e| e["kind"] == "incident_opened")
        .collect();
    assert_eq!(opened.len(), 1, "{journal:?}");
    opened[0]["data"]["signal"].clone()
}

#[test]
fn a_5xx_share_above_the_threshold_is_a_signal_of_its_own() {
    // The health check alone would need 100 failures: the router metrics,
    // which count the checks' 503s, must be what fires.
    // Users' traffic, as the router counts it; the 5XX share judged over
    // a second (two windows) at test pace.
    let world = World::new(
        503,
        "\n[apps.watch]\nhealth_failures = 100\nerror_sustained = \"1s\"\nerror_min_requests = 5\n",
    );
    let client = world.client();
    let deployment = world.release(&client);
    let traffic = Traffic::start(&world.sandbox, Duration::from_millis(20));

    let run = world.watch(&["shop", "--for", "1m"]);
    traffic.stop();

    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let signal = journaled_signal(&world);
    assert!(
        signal["sustained_seconds"].as_u64().expect("sustained") >= 1,
        "{signal}"
    );
    let ended = client
        .deployment("shop", &deployment)
        .expect("deployment")
        .finished_at
        .expect("finished");
    let journal = journal_entries(&world.journal());
    let detection = time(&journal[0]["at"]) - ended;
    shown(&format!(
        "detection: {:.1}s from the bad deploy's end to the incident, from the router's 5XX alone (test pace: rounds 400 ms apart, sustained 1s)",
        detection.num_milliseconds() as f64 / 1000.0
    ));
    assert_eq!(signal["signal"], "error_rate", "{signal}");
    assert!(signal["ratio"].as_f64().expect("ratio") > 0.05, "{signal}");
    assert!(
        run.stdout.contains("of requests answered 5XX"),
        "{}",
        run.stdout
    );
    assert_eq!(world.webhook_messages().len(), 1);
}

#[test]
fn a_release_that_crashes_at_boot_is_noticed_by_its_crash_event() {
    // The sandbox records the crash itself when the release starts: the
    // health check (three failures needed) comes second.
    let world = World::with_health(Some("crash"), "");
    let client = world.client();
    let deployment = world.release(&client);

    let run = world.watch(&["shop", "--for", "1m"]);

    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(journaled_signal(&world)["signal"], "crash");
    assert!(
        run.stdout
            .contains("signal: the platform recorded a `crash` event"),
        "{}",
        run.stdout
    );
    let ended = client
        .deployment("shop", &deployment)
        .expect("deployment")
        .finished_at
        .expect("finished");
    let journal = journal_entries(&world.journal());
    let detection = time(&journal[0]["at"]) - ended;
    shown(&format!(
        "detection: {:.1}s from the bad deploy's end to the incident, from the crash event the sandbox recorded (test pace)",
        detection.num_milliseconds() as f64 / 1000.0
    ));
}

#[test]
fn ctrl_c_stops_the_watch_with_130_and_journals_it() {
    use std::io::BufRead;

    let world = World::new(200, "");
    let client = world.client();
    world.release(&client);
    let mut child = Rewind::new(&["watch", "shop", "--for", "10m"])
        .dir(&world.work())
        .journal(&world.journal())
        .sandbox(&world.sandbox)
        .env("REWIND_WATCH_POLL_MS", POLL_MS)
        .spawn();
    let mut stderr = std::io::BufReader::new(child.stderr.take().expect("stderr"));
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        if stderr.read_line(&mut line).expect("stderr") == 0 {
            break;
        }
        seen.push_str(&line);
        if line.starts_with("watching until") {
            let sent = std::process::Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status()
                .expect("kill");
            assert!(sent.success());
        }
    }
    let status = child.wait().expect("rewind ends");
    assert_eq!(status.code(), Some(130), "{seen}");
    assert!(seen.contains("error: interrupted while watching"), "{seen}");
    let journal = journal_entries(&world.journal());
    let kinds: Vec<&str> = journal
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        kinds,
        ["incident_opened", "interrupted", "incident_closed"],
        "{journal:?}"
    );
    assert_eq!(journal[0]["data"]["command"], "watch");
    assert_eq!(journal[2]["data"]["outcome"], "interrupted");
    assert!(world.webhook_messages().is_empty());
}

#[test]
fn bad_watch_thresholds_and_unknown_policies_exit_2() {
    let world = World::new(
        200,
        "\n[apps.watch]\nerror_factor = 3\nhealth_failures = 0\n",
    );

    let run = world.watch(&["shop", "--for", "3s"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let toml = world.work().join("rewind.toml");
    assert!(
        run.stderr.contains(&format!(
            "{}:13: apps[0].watch.health_failures: 0 is out of range; expected an integer from 1 to 100",
            toml.display()
        )),
        "{}",
        run.stderr
    );

    let run = world.watch(&["shop", "--policy", "always"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("expected one of: notify, ask, auto"),
        "{}",
        run.stderr
    );
    let fixed = std::fs::read_to_string(&toml)
        .expect("rewind.toml")
        .replace("health_failures = 0", "health_failures = 3");
    std::fs::write(&toml, fixed).expect("rewind.toml");
    let run = Rewind::new(&["watch", "shop"])
        .dir(&world.work())
        .journal(&world.journal())
        .sandbox(&world.sandbox)
        .env("REWIND_WATCH_POLL_MS", "0")
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "error: REWIND_WATCH_POLL_MS must be a number of milliseconds above zero, not `0`"
        ),
        "{}",
        run.stderr
    );
    assert!(journal_entries(&world.journal()).is_empty());
}

/// v1.1.0 answers 503 while `FEATURE_X=true`, and the flag is on: the
/// tree's path to switching it off is decided by the evidence alone.
fn flagged_world(watch_toml: &str) -> (World, Scalingo, String) {
    let world = World::with_health(
        Some("503 when FEATURE_X=true"),
        &format!(
            "\n[[apps.feature_flags]]\nname = \"FEATURE_X\"\noff_value = \"false\"\n{watch_toml}"
        ),
    );
    let client = world.client();
    client
        .set_variable("shop", "FEATURE_X", "true")
        .expect("the flag is on");
    let deployment = world.release(&client);
    (world, client, deployment)
}

fn flag_value(client: &Scalingo) -> Option<String> {
    client
        .variables("shop")
        .expect("variables")
        .into_iter()
        .find(|v| v.name == "FEATURE_X")
        .map(|v| v.value)
}

fn steps(world: &World) -> Vec<(String, String)> {
    journal_entries(&world.journal())
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap_or("").to_string(),
                e["step"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn auto_switches_an_allowed_flag_off_once_and_still_exits_1() {
    let (world, client, deployment) =
        flagged_world("\n[apps.watch]\nauto = [\"feature-flag-off\"]\n");

    let run = world.watch(&["shop", "--for", "2m", "--policy", "auto"]);

    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(flag_value(&client).as_deref(), Some("false"));
    assert!(
        run.stdout
            .contains("policy auto: rewind is carrying out `switch_feature_off` (a1) now"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("policy auto: `switch_feature_off` is done"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("`switch_feature_off` done"),
        "{}",
        run.stderr
    );
    // The app answers again once the feature is off.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let answer = agent
        .get(&format!("{}/_apps/shop/health", world.sandbox.base_url()))
        .call()
        .expect("the app answers");
    assert_eq!(answer.status().as_u16(), 200);

    let kinds = steps(&world);
    let expected: Vec<(String, String)> = [
        ("incident_opened", ""),
        ("step_started", "evidence"),
        ("step_done", "evidence"),
        ("step_started", "notify"),
        ("step_done", "notify"),
        ("step_started", "action"),
        ("step_done", "action"),
        ("step_started", "notify-outcome"),
        ("step_done", "notify-outcome"),
        ("incident_closed", ""),
    ]
    .iter()
    .map(|(k, s)| (k.to_string(), s.to_string()))
    .collect();
    assert_eq!(kinds, expected);
    let journal = journal_entries(&world.journal());
    assert_eq!(journal[0]["data"]["policy"], "auto");
    assert_eq!(journal[9]["data"]["outcome"], "acted");
    let messages = world.webhook_messages();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(
        messages[1]["text"]
            .as_str()
            .unwrap_or("")
            .contains("`switch_feature_off` on shop is done"),
        "{messages:?}"
    );

    // A rerun on the same release, the flag switched back on by someone:
    // rewind does not act twice.
    client
        .set_variable("shop", "FEATURE_X", "true")
        .expect("the flag is on again");
    let again = world.watch(&["shop", "--for", "2m", "--policy", "auto"]);
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert_eq!(flag_value(&client).as_deref(), Some("true"));
    assert!(
        again.stdout.contains(&format!(
            "policy auto did not act: incident {} already acted on deployment {deployment}",
            journal[0]["incident"].as_str().expect("incident")
        )),
        "{}",
        again.stdout
    );
}

#[test]
fn auto_without_the_teams_permission_behaves_as_notify_and_says_why() {
    let (world, client, _) = flagged_world("");

    let run = world.watch(&["shop", "--for", "2m", "--policy", "auto"]);

    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(flag_value(&client).as_deref(), Some("true"));
    assert!(
        run.stdout.contains(
            "policy auto did not act: `feature-flag-off` is not allowed in rewind.toml ([apps.watch] auto = [])"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("policy auto: nothing was changed"),
        "{}",
        run.stderr
    );
    let journal = journal_entries(&world.journal());
    assert!(
        journal
            .iter()
            .all(|e| e["kind"] != "step_started" || e["step"] != "action"),
        "{journal:?}"
    );
    assert_eq!(
        journal.last().expect("closed")["data"]["outcome"],
        "detected"
    );
    assert_eq!(world.webhook_messages().len(), 1);
}

#[test]
fn auto_never_acts_on_a_path_the_evidence_does_not_decide() {
    // No feature flag: the tree stops at a question a person answers.
    let world = World::new(
        503,
        "\n[apps.watch]\nauto = [\"feature-flag-off\", \"redeploy\"]\n",
    );
    let client = world.client();
    world.release(&client);

    let run = world.watch(&["shop", "--for", "2m", "--policy", "auto"]);

    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("policy auto did not act: the evidence does not decide the tree's whole path: it stops at question"),
        "{}",
        run.stdout
    );
    let journal = journal_entries(&world.journal());
    assert!(
        journal
            .iter()
            .all(|e| e["step"] != "action" || e["kind"] == "note"),
        "{journal:?}"
    );
}

#[test]
fn ask_without_a_terminal_behaves_as_notify_and_says_so() {
    let (world, client, _) = flagged_world("");

    let run = world.watch(&["shop", "--for", "2m", "--policy", "ask"]);

    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(flag_value(&client).as_deref(), Some("true"));
    assert!(
        run.stdout.contains(
            "policy ask: the person watching is asked to confirm `switch_feature_off` (a1)"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("policy ask: nothing was changed: no terminal to ask: behaved as notify"),
        "{}",
        run.stderr
    );
    let journal = journal_entries(&world.journal());
    let note = journal
        .iter()
        .find(|e| e["kind"] == "note" && e["step"] == "action")
        .expect("the note");
    assert_eq!(note["data"]["policy"], "ask");
}

/// The team's tree: a bad release is put back at once.
const REDEPLOY_TREE: &str = r#"
entry = "mep"
[[question]]
id = "mep"
probe = "bad_deploy"
text = { fr = "La release va bien ?", en = "Is the release fine?" }
[[question.answer]]
id = "ok"
label = { fr = "Oui", en = "Yes" }
next = "mep"
loop = true
[[question.answer]]
id = "problem"
label = { fr = "Non", en = "No" }
next = "back"
[[action]]
id = "back"
text = { fr = "Remettre la release d'avant", en = "Put the previous release back" }
action = "redeploy_previous"
next = "end"
[[exit]]
id = "end"
text = { fr = "Fini", en = "Done" }
"#;

/// The world of the redeploy tests: the team's tree, the origin.
fn redeploy_world(files_of_v2: &[(&str, &str)]) -> World {
    let world = World::with_files(
        Some("503"),
        files_of_v2,
        "\n[apps.watch]\nauto = [\"redeploy\"]\n",
    );
    let toml = world.work().join("rewind.toml");
    let text = std::fs::read_to_string(&toml).expect("rewind.toml");
    std::fs::write(&toml, format!("tree = \"tree.toml\"\n{text}")).expect("rewind.toml");
    std::fs::write(world.work().join("tree.toml"), REDEPLOY_TREE).expect("tree");
    // The rollback reads the releases from the team's origin.
    let origin = world.dir.path().join("origin.git");
    git(
        world.dir.path(),
        &["init", "--quiet", "--bare", "origin.git"],
    );
    let work = world.work();
    git(
        &work,
        &["remote", "add", "origin", &origin.display().to_string()],
    );
    git(&work, &["push", "--quiet", "origin", "main", "--tags"]);
    world
}

#[test]
fn auto_never_redeploys_over_a_migration_changed_between_the_releases() {
    let world = redeploy_world(&[(
        "migrations/002_drop_name.sql",
        "alter table items drop column name;\n",
    )]);
    let client = world.client();
    let bad = world.release(&client);

    let run = world.watch(&["shop", "--for", "2m", "--policy", "auto"]);

    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("policy auto: nothing was changed: `redeploy_previous` refused: 1 migration(s) changed between v1.0.0 and v1.1.0: a redeploy over a changed schema is a person's decision"),
        "{}",
        run.stderr
    );
    // The plan is checked before the team is told: the one message says
    // rewind did not act, and why, never that it is carrying anything out.
    let messages = world.webhook_messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let text = messages[0]["text"].as_str().expect("text");
    assert!(!text.contains("carrying out"), "{text}");
    assert!(
        text.contains(
            "policy auto did not act: `redeploy_previous` refused: 1 migration(s) changed"
        ),
        "{text}"
    );
    assert!(
        text.contains("migration added migrations/002_drop_name.sql"),
        "{text}"
    );
    let newest = client
        .deployments("shop", 1, 10)
        .expect("deployments")
        .items
        .into_iter()
        .next()
        .expect("a deployment");
    assert_eq!(newest.id, bad, "nothing was redeployed");
    let journal = journal_entries(&world.journal());
    let failed = journal
        .iter()
        .find(|e| e["kind"] == "step_failed" && e["step"] == "action")
        .expect("the refusal is journaled");
    assert_eq!(failed["data"]["stage"], "plan");
    assert!(
        journal
            .iter()
            .all(|e| !(e["kind"] == "step_started" && e["step"] == "action")),
        "{journal:?}"
    );
    assert_eq!(
        journal.last().expect("closed")["data"]["outcome"],
        "detected"
    );
}

#[test]
fn auto_redeploys_the_previous_release_when_allowed_and_the_tree_leads_there() {
    let world = redeploy_world(&[]);
    let client = world.client();
    let bad = world.release(&client);

    let run = world.watch(&["shop", "--for", "2m", "--policy", "auto"]);

    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("policy auto: `redeploy_previous` is done"),
        "{}",
        run.stderr
    );
    // v1.0.0 runs again: the newest deployment is rewind's, of its commit.
    let newest = client
        .deployments("shop", 1, 10)
        .expect("deployments")
        .items
        .into_iter()
        .next()
        .expect("a deployment");
    assert_ne!(newest.id, bad);
    assert_eq!(newest.git_ref.as_deref(), Some(world.shas[0].as_str()));
    assert!(newest.status.is_success(), "{:?}", newest.status);

    let journal = journal_entries(&world.journal());
    let watch_incident = journal[0]["incident"]
        .as_str()
        .expect("incident")
        .to_string();
    let rollback_opened: Vec<&Value> = journal
        .iter()
        .filter(|e| e["kind"] == "incident_opened" && e["data"]["command"] != "watch")
        .collect();
    assert_eq!(rollback_opened.len(), 1, "{journal:?}");
    let action_done = journal
        .iter()
        .find(|e| e["kind"] == "step_done" && e["step"] == "action")
        .expect("the action is journaled done");
    assert_eq!(
        action_done["data"]["rollback_incident"],
        rollback_opened[0]["incident"]
    );
    assert!(
        journal
            .iter()
            .any(|e| e["incident"] == watch_incident.as_str()
                && e["kind"] == "incident_closed"
                && e["data"]["outcome"] == "acted"),
        "{journal:?}"
    );
}

/// `rewind watch` with a person at the keyboard (`REWIND_INTERACTIVE=1`)
/// typing `answer`.
fn watch_typing(world: &World, answer: &str) -> crate::support::Run {
    Rewind::new(&["watch", "shop", "--for", "2m", "--policy", "ask"])
        .dir(&world.work())
        .journal(&world.journal())
        .sandbox(&world.sandbox)
        .env("REWIND_WATCH_POLL_MS", POLL_MS)
        .env("REWIND_INTERACTIVE", "1")
        .stdin(answer)
        .run()
}

#[test]
fn ask_carries_out_the_action_once_the_person_types_the_apps_name() {
    // Not allowed for auto: a person's confirmation is what counts here.
    let (world, client, _) = flagged_world("");

    let run = watch_typing(&world, "shop\n");

    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(flag_value(&client).as_deref(), Some("false"));
    assert!(
        run.stderr
            .contains("policy ask: `switch_feature_off` is done"),
        "{}",
        run.stderr
    );
    let journal = journal_entries(&world.journal());
    assert!(
        journal.iter().any(|e| e["kind"] == "note"
            && e["step"] == "action"
            && e["data"]["confirmed"] == true),
        "{journal:?}"
    );
    assert!(
        journal
            .iter()
            .any(|e| e["kind"] == "step_done" && e["step"] == "action"),
        "{journal:?}"
    );
}

#[test]
fn ask_changes_nothing_when_the_person_types_something_else() {
    let (world, client, _) = flagged_world("");

    let run = watch_typing(&world, "no\n");

    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(flag_value(&client).as_deref(), Some("true"));
    assert!(
        run.stderr
            .contains("policy ask: nothing was changed: the person did not confirm"),
        "{}",
        run.stderr
    );
}

#[test]
fn auto_is_refused_while_someone_else_holds_the_apps_lock() {
    use rewind_core::journal::{AppLock, Holder, Journal};

    let (world, client, _) = flagged_world("\n[apps.watch]\nauto = [\"feature-flag-off\"]\n");
    let journal = Journal::open(&world.journal());
    let held = AppLock::acquire(&journal, "shop", &Holder::me("carol", "rollback"))
        .expect("carol holds the lock");

    let run = world.watch(&["shop", "--for", "2m", "--policy", "auto"]);
    drop(held);

    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        flag_value(&client).as_deref(),
        Some("true"),
        "nothing changed"
    );
    assert!(
        run.stderr.contains("`switch_feature_off` failed:"),
        "{}",
        run.stderr
    );
    let entries = journal_entries(&world.journal());
    let failed = entries
        .iter()
        .find(|e| e["kind"] == "step_failed" && e["step"] == "action")
        .expect("the refusal is journaled");
    assert_eq!(failed["data"]["stage"], "lock");
    assert!(
        entries
            .iter()
            .all(|e| !(e["kind"] == "step_started" && e["step"] == "action")),
        "{entries:?}"
    );
}

/// Traffic on the app's URL from a thread, as users would send it, until
/// dropped: what the router metrics count.
struct Traffic {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<usize>>,
}

impl Traffic {
    fn start(sandbox: &Sandbox, every: Duration) -> Traffic {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let url = format!("{}/_apps/shop/", sandbox.base_url());
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into();
            let mut sent = 0;
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                if agent.get(&url).call().is_ok() {
                    sent += 1;
                }
                std::thread::sleep(every);
            }
            sent
        });
        Traffic {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops the traffic; how many requests were answered.
    fn stop(mut self) -> usize {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread
            .take()
            .map_or(0, |t| t.join().expect("the traffic thread"))
    }
}

impl Drop for Traffic {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The thresholds at test pace: the default factor, floor and health
/// failures; the 5XX share judged over a second instead of the default's
/// 45 s, from 5 requests, so that a burst of errors of a second would fire.
const TEST_PACE_WATCH: &str = "\n[apps.watch]\nerror_sustained = \"1s\"\nerror_min_requests = 5\n";

#[test]
fn twenty_healthy_releases_in_a_row_raise_no_false_alarm() {
    const RELEASES: usize = 20;
    let world = World::new(200, TEST_PACE_WATCH);
    let client = world.client();
    world.release(&client);
    let work = world.work();
    let traffic = Traffic::start(&world.sandbox, Duration::from_millis(20));
    let mut quiet = 0;
    let mut rounds = 0usize;
    for i in 0..RELEASES {
        let version = format!("1.{}.0", i + 2);
        std::fs::write(
            work.join("package.json"),
            format!("{{\"name\":\"shop\",\"version\":\"{version}\"}}\n"),
        )
        .expect("write");
        git(
            &work,
            &["commit", "--quiet", "-am", &format!("release {version}")],
        );
        git(&work, &["tag", &format!("v{version}")]);
        let deployment = client
            .manual_deploy("shop", "main", None)
            .expect("the release deploys")
            .id;
        // A journal (and so a request budget) per release: each watch
        // stands alone, as in a team's CI.
        let journal = world.dir.path().join(format!("journal-{i}"));
        let run = Rewind::new(&["watch", "shop", "--for", "1s"])
            .dir(&work)
            .journal(&journal)
            .sandbox(&world.sandbox)
            .env("REWIND_WATCH_POLL_MS", "200")
            .run();
        assert_eq!(
            run.code, 0,
            "release {version} (deployment {deployment}): a false alarm\n{}\n{}",
            run.stdout, run.stderr
        );
        assert!(
            run.stderr.contains(&format!(
                "quiet release: deployment {deployment} crossed no threshold"
            )),
            "{}",
            run.stderr
        );
        rounds += run
            .stderr
            .split(" rounds of checks")
            .next()
            .and_then(|head| head.rsplit('(').next())
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or_else(|| panic!("rounds in {}", run.stderr));
        assert!(
            journal_entries(&journal).is_empty(),
            "release {version}: an incident was journaled"
        );
        quiet += 1;
    }
    let sent = traffic.stop();
    assert!(sent > 100, "only {sent} requests of traffic");
    let posts = world.webhook_messages();
    assert!(posts.is_empty(), "{posts:?}");
    assert_eq!(quiet, RELEASES);
    shown(&format!(
        "false alarms: {} over {RELEASES} healthy releases ({rounds} rounds of checks, {sent} requests of traffic, {} webhook posts)",
        RELEASES - quiet,
        posts.len()
    ));

    // The same watch, the same traffic, a bad release: it fires, so the
    // quiet above is the releases', not a watch that cannot see.
    std::fs::create_dir_all(work.join(".sandbox")).expect(".sandbox");
    std::fs::write(work.join(".sandbox/health"), "503\n").expect("health file");
    git(&work, &["add", "."]);
    git(&work, &["commit", "--quiet", "-m", "a bad release"]);
    let traffic = Traffic::start(&world.sandbox, Duration::from_millis(20));
    client
        .manual_deploy("shop", "main", None)
        .expect("the bad release deploys");
    let journal = world.dir.path().join("journal-bad");
    let run = Rewind::new(&["watch", "shop", "--for", "30s"])
        .dir(&work)
        .journal(&journal)
        .sandbox(&world.sandbox)
        .env("REWIND_WATCH_POLL_MS", "200")
        .run();
    traffic.stop();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(world.webhook_messages().len(), 1);
}

#[test]
fn json_prints_one_document_with_the_signal_the_decision_the_action_and_the_timings() {
    // Fired, auto switched the flag off.
    let (world, _client, deployment) =
        flagged_world("\n[apps.watch]\nauto = [\"feature-flag-off\"]\n");
    let run = world.watch(&["shop", "--for", "2m", "--policy", "auto", "--json"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let doc = run.json();
    assert_eq!(doc["app"], "shop");
    assert_eq!(doc["outcome"], "fired");
    assert_eq!(doc["deployment"]["id"], deployment.as_str());
    assert_eq!(doc["signal"]["name"], "health");
    assert_eq!(doc["signal"]["data"]["signal"], "health_failing");
    assert!(doc["signal"]["description"].is_string());
    assert_eq!(doc["decision"]["policy"], "auto");
    assert_eq!(doc["decision"]["proposal"]["action"], "switch_feature_off");
    assert_eq!(doc["action"]["outcome"], "done", "{doc}");
    assert_eq!(doc["action"]["node"], "a1");
    assert!(
        doc["evidence"]["answers"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == "mep=problem")),
        "{doc}"
    );
    assert_eq!(doc["evidence"]["notified"], true);
    let journal = journal_entries(&world.journal());
    assert_eq!(doc["incident"], journal[0]["incident"]);
    assert!(
        doc["timings"]["detection_seconds"]
            .as_f64()
            .expect("seconds")
            >= 0.0
    );
    assert!(doc["timings"]["deploy_ended_at"].is_string());
    assert!(doc["timings"]["rounds"].as_u64().expect("rounds") >= 3);
    // The message's lines went to stderr.
    assert!(
        run.stderr.contains("signal: the health check failed"),
        "{}",
        run.stderr
    );

    // Quiet.
    let world = World::new(200, "");
    let client = world.client();
    world.release(&client);
    let run = world.watch(&["shop", "--for", "1s", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    assert_eq!(doc["outcome"], "quiet");
    assert!(doc["signal"].is_null() && doc["action"].is_null() && doc["incident"].is_null());
    assert_eq!(doc["decision"]["policy"], "notify");
    assert_eq!(doc["timings"]["watch_seconds"], 1);
}

/// A repository of `name` with v1.0.0 healthy and v1.1.0's
/// `.sandbox/health` holding `health_of_v2` when given; its two commits.
fn app_repo(root: &std::path::Path, name: &str, health_of_v2: Option<&str>) -> Vec<String> {
    let work = root.join(name);
    std::fs::create_dir_all(&work).expect("dir");
    git(&work, &["init", "--quiet", "--initial-branch=main"]);
    let mut shas = Vec::new();
    for v in ["1.0.0", "1.1.0"] {
        std::fs::write(
            work.join("package.json"),
            format!("{{\"name\":\"{name}\",\"version\":\"{v}\"}}\n"),
        )
        .expect("write");
        if v == "1.1.0"
            && let Some(health) = health_of_v2
        {
            std::fs::create_dir_all(work.join(".sandbox")).expect(".sandbox");
            std::fs::write(work.join(".sandbox/health"), format!("{health}\n")).expect("health");
        }
        git(&work, &["add", "."]);
        git(&work, &["commit", "--quiet", "-m", &format!("release {v}")]);
        shas.push(git(&work, &["rev-parse", "HEAD"]));
    }
    shas
}

#[test]
fn several_apps_are_watched_together_and_each_one_that_crosses_gets_its_incident() {
    let dir = tempfile::tempdir().expect("tempdir");
    // blog's release crashes at boot: its crash event fires at its first
    // round (the evidence of its incident then spends a few dozen of the
    // minute's 60 requests, which three apps would exceed here).
    let apps = [("shop", None), ("blog", Some("crash"))];
    let shas: Vec<Vec<String>> = apps
        .iter()
        .map(|(name, health)| app_repo(dir.path(), name, *health))
        .collect();
    let sandbox = Sandbox::start(SandboxConfig {
        apps: apps
            .iter()
            .map(|(name, _)| AppSeed {
                name: (*name).into(),
                repo: Some(dir.path().join(name).display().to_string()),
                scm: Some(ScmSeed {
                    branch: "main".into(),
                    auto_deploy: false,
                }),
                addons: Vec::new(),
            })
            .collect(),
        deploy_duration: Duration::from_millis(300),
        rate_limit_per_minute: 0,
        ..SandboxConfig::default()
    })
    .expect("sandbox");
    let base = sandbox.base_url().to_string();
    let mut toml = format!("[notify]\nwebhook_url = \"{base}/_sandbox/webhook\"\n");
    for (name, _) in &apps {
        toml.push_str(&format!(
            "\n[[apps]]\nname = \"{name}\"\npackage = \"{name}\"\n\n[apps.health_check]\nurl = \"{base}/_apps/{name}/health\"\n"
        ));
    }
    let work = dir.path().join("shop");
    std::fs::write(work.join("rewind.toml"), toml).expect("rewind.toml");
    let world = World {
        dir,
        sandbox,
        shas: Vec::new(),
    };
    let client = world.client();
    for ((name, _), shas) in apps.iter().zip(&shas) {
        admin_post(
            &world.sandbox,
            &format!("/_sandbox/apps/{name}/deployments/history"),
            json!({"deployments": [{"git_ref": shas[0], "pusher": "alice"}]}),
        );
        client
            .manual_deploy(name, "main", None)
            .expect("v1.1.0 deploys");
    }

    let run = Rewind::new(&["watch", "--all", "--for", "2s"])
        .dir(&work)
        .journal(&world.journal())
        .sandbox(&world.sandbox)
        .env("REWIND_WATCH_POLL_MS", "400")
        .run();

    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    // One pace for all: two apps, each one a round every 800 ms.
    assert!(
        run.stderr
            .contains("watching 2 apps together (shop, blog): one round for each every 800ms"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("1 of 2 apps crossed a threshold or could not be watched: blog"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("shop: quiet release"), "{}", run.stderr);
    assert!(
        run.stderr.contains("[blog] following deployment"),
        "{}",
        run.stderr
    );
    let journal = journal_entries(&world.journal());
    let opened: Vec<&Value> = journal
        .iter()
        .filter(|e| e["kind"] == "incident_opened")
        .collect();
    assert_eq!(opened.len(), 1, "{journal:?}");
    assert_eq!(opened[0]["app"], "blog");
    let messages = world.webhook_messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0]["text"].as_str().unwrap_or("").contains("blog"),
        "{messages:?}"
    );

    // Ask needs one person per action: one app at a time.
    let run = Rewind::new(&["watch", "shop", "blog", "--policy", "ask"])
        .dir(&work)
        .journal(&world.journal())
        .sandbox(&world.sandbox)
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
}
