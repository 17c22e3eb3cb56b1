//! Following deploys on the real sandbox: through its live stream (statuses
//! in order, build log lines), a failed build and its log's end, polling
//! when the stream is refused, the stream cut mid-deploy and reopened (or
//! refused again, and polling takes over), Ctrl-C (between reads, or while
//! the client waits to read again) and the deadline on a hanging deploy.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rewind_core::follow::{FollowError, FollowEvent, FollowOptions, Followed, follow};
use rewind_core::interrupt::Interrupt;
use rewind_core::platform::scalingo::Scalingo;
use rewind_core::platform::{DeploymentStatus, Platform, Wait, WaitObserver};
use rewind_sandbox::{AppSeed, SandboxConfig, ScmSeed};
use serde_json::{Value, json};

use crate::platform_env::{PlatformEnv, method_path};
use crate::repo::TestRepo;

const APP: &str = "shop";

/// The sandbox, the client and the repository the app deploys from.
struct Env {
    platform: PlatformEnv,
    client: Scalingo,
    _repo: TestRepo,
}

/// An app whose `main` is `shop@1.2.3`, deploying with `outcome` (see the
/// sandbox's `.sandbox/outcome`) over `duration`.
fn env(outcome: Option<&str>, duration: Duration) -> Env {
    let mut repo = TestRepo::new();
    if let Some(outcome) = outcome {
        repo.write(".sandbox/outcome", outcome);
    }
    repo.release("shop", "1.2.3");
    repo.push_all();
    let platform = PlatformEnv::with_config(SandboxConfig {
        apps: vec![AppSeed {
            name: APP.to_string(),
            repo: Some(repo.origin().display().to_string()),
            scm: Some(ScmSeed {
                branch: "main".to_string(),
                auto_deploy: false,
            }),
            addons: Vec::new(),
        }],
        deploy_duration: duration,
        rate_limit_per_minute: 0,
        ..SandboxConfig::default()
    })
    .expect("the sandbox starts");
    let client = platform.client_trying(2);
    Env {
        platform,
        client,
        _repo: repo,
    }
}

impl Env {
    /// Deploys `main` and returns the new deployment's id.
    fn deploy(&self) -> String {
        self.client
            .manual_deploy(APP, "main", None)
            .expect("the deploy starts")
            .id
    }

    fn admin(&self, path: &str, body: Value) -> Value {
        self.platform.admin(path, body)
    }

    /// `METHOD path` of the calls the sandbox received.
    fn received(&self) -> Vec<String> {
        self.platform.requests().iter().map(method_path).collect()
    }
}

fn fast() -> FollowOptions {
    FollowOptions {
        timeout: Duration::from_secs(20),
        poll_interval: Duration::from_millis(100),
        use_stream: true,
    }
}

/// Follows and collects every event.
fn run(
    env: &Env,
    id: &str,
    opts: &FollowOptions,
    interrupt: &Interrupt,
) -> (Result<Followed, FollowError>, Vec<FollowEvent>) {
    let mut events = Vec::new();
    let result = follow(&env.client, APP, id, opts, interrupt, &mut |e| {
        events.push(e)
    });
    (result, events)
}

fn statuses(events: &[FollowEvent]) -> Vec<DeploymentStatus> {
    events
        .iter()
        .filter_map(|e| match e {
            FollowEvent::Status(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

fn notes(events: &[FollowEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            FollowEvent::Note(n) => Some(n.clone()),
            _ => None,
        })
        .collect()
}

fn logs(events: &[FollowEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            FollowEvent::Log(l) => Some(l.clone()),
            _ => None,
        })
        .collect()
}

/// Statuses seen strictly in the order of a deployment's life.
fn assert_in_order(seen: &[DeploymentStatus]) {
    let order = [
        DeploymentStatus::Queued,
        DeploymentStatus::Building,
        DeploymentStatus::Pushing,
        DeploymentStatus::Starting,
    ];
    let rank = |s: &DeploymentStatus| order.iter().position(|o| o == s).unwrap_or(order.len());
    assert!(
        seen.windows(2).all(|w| rank(&w[0]) < rank(&w[1])),
        "statuses out of order or repeated: {seen:?}"
    );
}

#[test]
fn a_deploy_is_followed_to_success_through_the_live_stream() {
    let env = env(None, Duration::from_millis(2000));
    let id = env.deploy();
    let (result, events) = run(&env, &id, &fast(), &Interrupt::new());
    let followed = result.expect("followed to the end");

    assert!(followed.via_stream);
    assert_eq!(followed.deployment.id, id);
    assert_eq!(followed.deployment.status, DeploymentStatus::Success);
    let seen = statuses(&events);
    assert_in_order(&seen);
    // The stream shows the steps after the build: they are not skipped.
    for status in [
        DeploymentStatus::Pushing,
        DeploymentStatus::Starting,
        DeploymentStatus::Success,
    ] {
        assert!(seen.contains(&status), "{status} missing from {seen:?}");
    }
    assert_eq!(seen.last(), Some(&DeploymentStatus::Success));
    let lines = logs(&events);
    assert!(
        lines.iter().any(|l| l.trim() == "> shop@1.2.3 prepare"),
        "no prepare line in {lines:#?}; notes: {:?}",
        notes(&events)
    );
    assert!(notes(&events).is_empty(), "{:?}", notes(&events));
    assert_eq!(followed.tail.last(), lines.last());
    // The end was confirmed by reading the deployment, over HTTP.
    let reads = env
        .received()
        .iter()
        .filter(|r| *r == &format!("GET /v1/apps/{APP}/deployments/{id}"))
        .count();
    assert!(reads >= 2, "the deployment was read {reads} times");
}

#[test]
fn a_failed_build_ends_in_build_error_with_the_end_of_its_log() {
    let env = env(Some("build-error"), Duration::from_millis(1200));
    let id = env.deploy();
    let (result, events) = run(&env, &id, &fast(), &Interrupt::new());
    let followed = result.expect("followed to the end");

    assert_eq!(followed.deployment.status, DeploymentStatus::BuildError);
    assert!(followed.deployment.status.is_failure());
    assert_eq!(
        statuses(&events).last(),
        Some(&DeploymentStatus::BuildError)
    );
    assert!(followed.tail.len() > 5 && followed.tail.len() <= 40);
    let last = followed.tail.last().expect("a tail");
    assert!(last.contains("Error deploying the application"), "{last:?}");
    assert!(
        followed.tail.iter().any(|l| l.contains("error TS2322")),
        "{:#?}",
        followed.tail
    );
}

#[test]
fn when_the_stream_is_refused_rewind_polls_and_says_so() {
    let env = env(Some("build-error"), Duration::from_millis(800));
    env.admin(
        "/_sandbox/faults",
        json!({ "method": "GET", "path": format!("/_stream/apps/{APP}"), "status": 503, "times": 5 }),
    );
    let id = env.deploy();
    let (result, events) = run(&env, &id, &fast(), &Interrupt::new());
    let followed = result.expect("followed to the end by polling");

    assert!(!followed.via_stream);
    assert_eq!(followed.deployment.status, DeploymentStatus::BuildError);
    let notes = notes(&events);
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("live stream unavailable") && n.ends_with("polling every 100ms")),
        "{notes:?}"
    );
    assert!(logs(&events).is_empty(), "polling has no live log");
    assert_in_order(&statuses(&events));
    // Without the stream, the tail comes from the build log.
    let last = followed.tail.last().expect("a tail from the build log");
    assert!(last.contains("Error deploying the application"), "{last:?}");
    let received = env.received();
    let reads = received
        .iter()
        .filter(|r| *r == &format!("GET /v1/apps/{APP}/deployments/{id}"))
        .count();
    assert!(reads >= 3, "polled {reads} times: {received:#?}");
    assert!(
        received
            .iter()
            .any(|r| r.starts_with(&format!("GET /v1/apps/{APP}/deployments/{id}/output"))),
        "{received:#?}"
    );
}

#[test]
fn ctrl_c_stops_following_a_hanging_deploy_at_once_and_the_deploy_goes_on() {
    let env = env(Some("hang"), Duration::from_millis(300));
    let id = env.deploy();
    let interrupt = Interrupt::new();
    let raiser = interrupt.clone();
    let (saw_building, building) = std::sync::mpsc::channel();
    let raised_at = std::thread::spawn(move || {
        // Ctrl-C from another thread once the follower has seen the deploy
        // building, as a person would press it; the deploy hangs there.
        building
            .recv()
            .expect("the follower saw the deploy building");
        raiser.raise();
        Instant::now()
    });
    let result = follow(&env.client, APP, &id, &fast(), &interrupt, &mut |e| {
        if e == FollowEvent::Status(DeploymentStatus::Building) {
            let _ = saw_building.send(());
        }
    });
    let returned_at = Instant::now();
    let raised_at = raised_at.join().expect("the raiser");

    match result {
        Err(FollowError::Interrupted { last }) => {
            assert_eq!(last, Some(DeploymentStatus::Building));
        }
        other => panic!("expected an interruption, got {other:?}"),
    }
    let lag = returned_at.saturating_duration_since(raised_at);
    assert!(lag < Duration::from_secs(2), "took {lag:?} to stop");
    let still = env.client.deployment(APP, &id).expect("the deployment");
    assert_eq!(still.status, DeploymentStatus::Building);
}

#[test]
fn following_a_hanging_deploy_stops_at_the_deadline() {
    let env = env(Some("hang"), Duration::from_millis(300));
    let id = env.deploy();
    let opts = FollowOptions {
        timeout: Duration::from_millis(700),
        ..fast()
    };
    let started = Instant::now();
    let (result, _) = run(&env, &id, &opts, &Interrupt::new());
    let took = started.elapsed();

    match result {
        Err(e @ FollowError::TimedOut { .. }) => {
            let text = e.to_string();
            assert!(text.contains("previous release keeps running"), "{text}");
            let FollowError::TimedOut { last, waited } = e else {
                unreachable!()
            };
            assert_eq!(last, Some(DeploymentStatus::Building));
            assert!(waited >= opts.timeout, "{waited:?}");
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

#[test]
fn failed_reads_that_pass_are_notes_and_the_following_goes_on() {
    let env = env(None, Duration::from_millis(600));
    let id = env.deploy();
    // The client tries each read twice: this fails one whole read.
    env.admin(
        "/_sandbox/faults",
        json!({ "method": "GET", "path": format!("/v1/apps/{APP}/deployments/*"), "status": 503, "times": 2 }),
    );
    let opts = FollowOptions {
        use_stream: false,
        ..fast()
    };
    let (result, events) = run(&env, &id, &opts, &Interrupt::new());
    let followed = result.expect("followed to the end");

    assert!(!followed.via_stream);
    assert_eq!(followed.deployment.status, DeploymentStatus::Success);
    assert!(followed.tail.is_empty(), "a success needs no log");
    let notes = notes(&events);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].starts_with("could not read the deployment (the sandbox failed to answer"),
        "{notes:?}"
    );
    assert!(
        !env.received().iter().any(|r| r.contains("/_stream/")),
        "the stream was not asked for"
    );
}

#[test]
fn reads_that_keep_failing_end_the_following_with_the_error() {
    let env = env(Some("hang"), Duration::from_millis(300));
    let id = env.deploy();
    env.admin(
        "/_sandbox/faults",
        json!({ "method": "GET", "path": format!("/v1/apps/{APP}/deployments/*"), "status": 503, "times": 100 }),
    );
    let opts = FollowOptions {
        use_stream: false,
        ..fast()
    };
    let (result, events) = run(&env, &id, &opts, &Interrupt::new());

    match result {
        Err(FollowError::Platform(e)) => assert!(e.to_string().contains("HTTP 503"), "{e}"),
        other => panic!("expected the platform's error, got {other:?}"),
    }
    assert_eq!(notes(&events).len(), 3);
}

/// Asks `check` until it holds; panics after five seconds saying what was
/// awaited.
fn wait_for(what: &str, check: impl FnMut() -> bool) {
    rewind_test_support::wait_until(Duration::from_secs(5), what, check);
}

impl Env {
    /// The app's live stream connection attempts so far: where each stands
    /// in the request log, and the status it was answered.
    fn stream_attempts(&self) -> Vec<(usize, u64)> {
        self.platform
            .requests()
            .iter()
            .enumerate()
            .filter(|(_, r)| method_path(r) == format!("GET /_stream/apps/{APP}"))
            .map(|(i, r)| (i, r["status"].as_u64().unwrap_or(0)))
            .collect()
    }

    /// Waits until `count` stream connections have been answered with an
    /// upgrade: the sandbox registers a stream before it answers, so it can
    /// be cut from then on.
    fn wait_for_streams(&self, count: usize) {
        wait_for(&format!("{count} open live stream(s)"), || {
            let opened = self.stream_attempts();
            opened.iter().filter(|(_, status)| *status == 101).count() >= count
        });
    }

    fn wait_for_status(&self, id: &str, status: DeploymentStatus) {
        wait_for(&format!("the deployment to be {status}"), || {
            self.client
                .deployment(APP, id)
                .expect("the deployment")
                .status
                == status
        });
    }

    /// Waits until the deployment stops in `building` for good (a
    /// hang-next deploy), so that the admin route can finish it.
    fn wait_for_hanging(&self, id: &str) {
        wait_for("the deployment to hang", || {
            let state = self.platform.get(&format!("/_sandbox/apps/{APP}/state"));
            state["deployments"]
                .as_array()
                .and_then(|all| all.iter().find(|d| d["id"] == id))
                .is_some_and(|d| d["hanging"] == true)
        });
    }

    /// Cuts the app's open live streams; returns how many there were.
    fn cut_streams(&self, close_frame: bool) -> u64 {
        let reply = self.admin(
            "/_sandbox/stream/disconnect",
            json!({ "app": APP, "close_frame": close_frame }),
        );
        reply["closed"].as_u64().expect("a count of closed streams")
    }

    /// Where in the request log the deployment was last read.
    fn last_read_of(&self, id: &str) -> usize {
        let read = format!("GET /v1/apps/{APP}/deployments/{id}");
        self.platform
            .requests()
            .iter()
            .rposition(|r| method_path(r) == read)
            .expect("the deployment was read")
    }
}

#[test]
fn a_stream_dropped_mid_deploy_is_reopened_and_every_status_still_comes_in_order() {
    let env = env(None, Duration::from_millis(1600));
    let id = env.deploy();
    let (result, events) = std::thread::scope(|scope| {
        let follower = scope.spawn(|| run(&env, &id, &fast(), &Interrupt::new()));
        env.wait_for_streams(1);
        env.wait_for_status(&id, DeploymentStatus::Building);
        assert_eq!(env.cut_streams(false), 1, "one stream to cut");
        follower.join().expect("the follower")
    });
    let followed = result.expect("followed to the end");

    assert!(followed.via_stream);
    assert_eq!(followed.deployment.status, DeploymentStatus::Success);
    let seen = statuses(&events);
    assert_in_order(&seen);
    for status in [
        DeploymentStatus::Building,
        DeploymentStatus::Pushing,
        DeploymentStatus::Starting,
        DeploymentStatus::Success,
    ] {
        assert!(seen.contains(&status), "{status} missing from {seen:?}");
    }
    assert_eq!(seen.last(), Some(&DeploymentStatus::Success));
    let notes = notes(&events);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].starts_with("the live stream broke: ") && notes[0].ends_with(": reconnecting"),
        "{notes:?}"
    );
    // The app's address is logged while it starts, long after the cut:
    // only the reopened stream can have carried it.
    let lines = logs(&events);
    assert!(
        lines
            .last()
            .is_some_and(|l| l.contains("https://shop.sandbox.localhost")),
        "{lines:#?}"
    );
    let attempts = env.stream_attempts();
    assert_eq!(
        attempts.iter().map(|(_, s)| *s).collect::<Vec<_>>(),
        [101, 101]
    );
    // The end was read from the platform after the stream came back.
    assert!(env.last_read_of(&id) > attempts[1].0);
}

#[test]
fn a_stream_closed_on_a_hanging_deploy_is_reopened_and_sees_how_it_ends() {
    let env = env(None, Duration::from_millis(300));
    env.admin(
        &format!("/_sandbox/apps/{APP}/deployments/hang-next"),
        json!({}),
    );
    let id = env.deploy();
    let (result, events) = std::thread::scope(|scope| {
        let follower = scope.spawn(|| run(&env, &id, &fast(), &Interrupt::new()));
        env.wait_for_streams(1);
        env.wait_for_hanging(&id);
        assert_eq!(env.cut_streams(true), 1, "one stream to close");
        env.wait_for_streams(2);
        env.admin(
            &format!("/_sandbox/apps/{APP}/deployments/{id}/finish"),
            json!({ "status": "success" }),
        );
        follower.join().expect("the follower")
    });
    let followed = result.expect("followed to the end");

    assert!(followed.via_stream);
    assert_eq!(followed.deployment.status, DeploymentStatus::Success);
    let seen = statuses(&events);
    assert_in_order(&seen);
    assert!(seen.contains(&DeploymentStatus::Building), "{seen:?}");
    assert_eq!(seen.last(), Some(&DeploymentStatus::Success));
    assert_eq!(
        notes(&events),
        [
            "the platform closed the live stream (stream closed by the sandbox's admin route): reconnecting"
        ]
    );
    // Written when the deploy was finished by hand, after the stream was
    // reopened.
    let ended = "-----> Deployment ended through the sandbox's admin route: success";
    assert!(
        logs(&events).iter().any(|l| l == ended),
        "{:#?}",
        logs(&events)
    );
    let attempts = env.stream_attempts();
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    assert!(env.last_read_of(&id) > attempts[1].0);
}

#[test]
fn when_the_stream_is_cut_and_refused_again_polling_follows_the_deploy_to_its_end() {
    let env = env(None, Duration::from_millis(300));
    env.admin(
        &format!("/_sandbox/apps/{APP}/deployments/hang-next"),
        json!({}),
    );
    let id = env.deploy();
    let read = format!("GET /v1/apps/{APP}/deployments/{id}");
    let (result, events) = std::thread::scope(|scope| {
        let follower = scope.spawn(|| run(&env, &id, &fast(), &Interrupt::new()));
        env.wait_for_streams(1);
        env.wait_for_hanging(&id);
        env.admin("/_sandbox/stream/refuse", json!({ "times": 1 }));
        assert_eq!(env.cut_streams(false), 1, "one stream to cut");
        // Polling has begun: the deployment is read after the refusal.
        wait_for("polling after the refused reconnection", || {
            let requests = env.platform.requests();
            let refused = requests.iter().position(|r| {
                method_path(r) == format!("GET /_stream/apps/{APP}") && r["status"] == 503
            });
            refused.is_some_and(|at| requests[at..].iter().any(|r| method_path(r) == read))
        });
        env.admin(
            &format!("/_sandbox/apps/{APP}/deployments/{id}/finish"),
            json!({ "status": "crashed-error" }),
        );
        follower.join().expect("the follower")
    });
    let followed = result.expect("followed to the end by polling");

    // The stream was used until it was cut.
    assert!(followed.via_stream);
    assert_eq!(followed.deployment.status, DeploymentStatus::CrashedError);
    let seen = statuses(&events);
    assert_in_order(&seen);
    assert!(seen.contains(&DeploymentStatus::Building), "{seen:?}");
    assert_eq!(seen.last(), Some(&DeploymentStatus::CrashedError));
    let notes = notes(&events);
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(
        notes[0].starts_with("the live stream broke: ") && notes[0].ends_with(": reconnecting"),
        "{notes:?}"
    );
    assert!(
        notes[1].starts_with("live stream unavailable (")
            && notes[1].contains("503")
            && notes[1].ends_with("): polling every 100ms"),
        "{notes:?}"
    );
    // The failure's end comes from the build log, read once it was over:
    // the stream did not see it.
    let ended = "-----> Deployment ended through the sandbox's admin route: crashed-error";
    assert_eq!(followed.tail.last().map(String::as_str), Some(ended));
    assert!(!logs(&events).iter().any(|l| l == ended));
    let attempts = env.stream_attempts();
    assert_eq!(
        attempts.iter().map(|(_, s)| *s).collect::<Vec<_>>(),
        [101, 503]
    );
    let polled = env
        .received()
        .iter()
        .skip(attempts[1].0)
        .filter(|r| **r == read)
        .count();
    assert!(
        polled >= 2,
        "the deployment was read {polled} times after the refusal"
    );
    assert!(env.last_read_of(&id) > attempts[1].0);
}

/// Raises Ctrl-C as soon as the client starts waiting to read again.
struct CtrlCOnWait(Interrupt);

impl WaitObserver for CtrlCOnWait {
    fn wait_started(&self, _wait: &Wait) {
        self.0.raise();
    }
}

#[test]
fn ctrl_c_while_the_client_waits_to_read_again_interrupts_the_following() {
    let env = env(Some("hang"), Duration::from_millis(300));
    let id = env.deploy();
    let interrupt = Interrupt::new();
    // A client whose retry waits are a minute long: only Ctrl-C ends them.
    let mut settings = env.platform.settings(3);
    settings.retry.base_delay = Duration::from_secs(60);
    settings.retry.max_delay = Duration::from_secs(60);
    settings.interrupt = interrupt.clone();
    settings.waits = Arc::new(CtrlCOnWait(interrupt.clone()));
    let client = Scalingo::new(settings).expect("client");
    env.admin(
        "/_sandbox/faults",
        json!({ "method": "GET", "path": format!("/v1/apps/{APP}/deployments/*"), "status": 503 }),
    );
    let opts = FollowOptions {
        use_stream: false,
        ..fast()
    };
    let result = follow(&client, APP, &id, &opts, &interrupt, &mut |_| {});
    assert!(
        matches!(result, Err(FollowError::Interrupted { .. })),
        "{result:?}"
    );
}

/// Both official clients send an `Origin` on the deployment stream; a
/// server that refuses a handshake without one still streams to rewind.
#[test]
fn the_stream_is_used_when_the_server_refuses_a_handshake_without_an_origin() {
    let env = env(None, Duration::from_millis(1500));
    env.platform.put(
        "/_sandbox/variants",
        json!({"stream_requires_origin": true}),
    );
    let id = env.deploy();
    let (result, events) = run(&env, &id, &fast(), &Interrupt::new());
    let followed = result.expect("followed to the end");
    assert!(followed.via_stream, "notes: {:?}", notes(&events));
    assert_eq!(followed.deployment.status, DeploymentStatus::Success);
    assert!(
        notes(&events).iter().all(|n| !n.contains("stream")),
        "{:?}",
        notes(&events)
    );
}
