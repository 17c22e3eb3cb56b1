//! Sandbox tests: the live deployment stream, read with a plain WebSocket
//! client: the auth frame is required, then a deploy shows up as `new`,
//! `status` and `log` frames, with pings in between; the admin surface cuts
//! open streams (with or without a close frame) and refuses the next ones.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

use crate::deployments::{APP, NodeRepo, admin, config, manual_deploy};
use crate::harness::Env;

type Socket = WebSocket<MaybeTlsStream<TcpStream>>;

fn stream_url(env: &Env, bearer: &str) -> String {
    let app = env.get(bearer, &format!("/v1/apps/{APP}")).json();
    app["app"]["links"]["deployments_stream"]
        .as_str()
        .expect("deployments_stream")
        .to_string()
}

fn connect(url: &str) -> Socket {
    let (mut socket, _) = tungstenite::connect(url).expect("the stream accepts the connection");
    if let MaybeTlsStream::Plain(tcp) = socket.get_mut() {
        tcp.set_read_timeout(Some(Duration::from_millis(200)))
            .expect("read timeout");
    }
    socket
}

fn send_auth(socket: &mut Socket, token: &str) {
    let frame = json!({ "type": "auth", "data": { "token": token } });
    socket
        .send(Message::Text(frame.to_string().into()))
        .expect("send auth");
}

/// Reads frames until `done` says stop (true) or the deadline passes.
fn read_until(socket: &mut Socket, deadline: Duration, mut done: impl FnMut(&Value) -> bool) {
    let end = Instant::now() + deadline;
    while Instant::now() < end {
        match socket.read() {
            Ok(Message::Text(text)) => {
                let frame: Value = serde_json::from_str(text.as_str()).expect("frames are JSON");
                if done(&frame) {
                    return;
                }
            }
            Ok(Message::Close(frame)) => panic!("the stream closed: {frame:?}"),
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    // A signal (a child process ending elsewhere in the
                    // test binary) interrupts a read with a timeout; the
                    // system does not retry it by itself.
                    std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::Interrupted
                ) => {}
            Err(e) => panic!("stream error: {e}"),
        }
    }
    panic!("the expected frames did not arrive in {deadline:?}");
}

/// The close frame's reason, when the server closes the stream.
fn close_reason(socket: &mut Socket) -> String {
    let end = Instant::now() + Duration::from_secs(3);
    while Instant::now() < end {
        match socket.read() {
            Ok(Message::Close(Some(frame))) => return frame.reason.to_string(),
            Ok(Message::Close(None)) => return String::new(),
            Ok(other) => panic!("expected a close frame, got {other:?}"),
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    // A signal (a child process ending elsewhere in the
                    // test binary) interrupts a read with a timeout; the
                    // system does not retry it by itself.
                    std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::Interrupted
                ) => {}
            Err(e) => panic!("expected a close frame, got the error {e}"),
        }
    }
    panic!("the server did not close the stream");
}

#[test]
fn a_stream_without_a_valid_auth_frame_is_closed_with_a_reason() {
    let repo = NodeRepo::create();
    let env = Env::start(config(&repo, false));
    let bearer = env.bearer();
    let url = stream_url(&env, &bearer);
    assert!(url.starts_with("ws://127.0.0.1:"), "{url}");

    let mut wrong_token = connect(&url);
    send_auth(&mut wrong_token, "not-a-token");
    assert!(close_reason(&mut wrong_token).contains("invalid token"));

    let mut wrong_frame = connect(&url);
    wrong_frame
        .send(Message::Text(r#"{"type":"hello"}"#.into()))
        .expect("send");
    assert!(close_reason(&mut wrong_frame).contains("auth"));

    let mut api_token = connect(&url);
    send_auth(&mut api_token, env.sandbox.api_token());
    assert!(close_reason(&mut api_token).contains("invalid token"));
}

#[test]
fn an_authenticated_stream_follows_a_deploy_frame_by_frame() {
    let repo = NodeRepo::create();
    let env = Env::start(config(&repo, false));
    let bearer = env.bearer();
    let url = stream_url(&env, &bearer);
    let mut socket = connect(&url);
    send_auth(&mut socket, &bearer);

    let started = manual_deploy(&env, &bearer, "v1.1.0");
    assert_eq!(started.status, 200, "{}", started.text);
    let id = started.json()["deployment"]["id"]
        .as_str()
        .expect("id")
        .to_string();

    let mut new = None;
    let mut statuses = Vec::new();
    let mut log = String::new();
    read_until(&mut socket, Duration::from_secs(5), |frame| {
        match frame["type"].as_str() {
            Some("new") => new = Some(frame.clone()),
            Some("status") => {
                assert_eq!(frame["id"], id.as_str());
                statuses.push(frame["data"]["status"].as_str().unwrap_or("").to_string());
            }
            Some("log") => {
                assert_eq!(frame["id"], id.as_str());
                let content = frame["data"]["content"].as_str().unwrap_or("");
                assert!(content.ends_with('\n'), "{content:?}");
                log.push_str(content);
            }
            _ => {}
        }
        statuses.last().map(String::as_str) == Some("success")
    });
    let new = new.expect("a new frame");
    assert_eq!(new["id"], id.as_str());
    assert_eq!(new["data"]["deployment"]["id"], id.as_str());
    assert_eq!(new["data"]["deployment"]["status"], "queued");
    assert_eq!(new["data"]["deployment"]["git_ref"], repo.sha("v1.1.0"));
    assert_eq!(statuses, ["building", "pushing", "starting", "success"]);
    assert!(log.contains("> shop@1.1.0 prepare"), "{log}");
    let full = env.get(&bearer, &format!("/v1/apps/{APP}/deployments/{id}/output"));
    assert_eq!(full.text, log, "the stream carries the whole log, in order");
}

#[test]
fn an_authenticated_stream_is_pinged_and_sees_only_its_app() {
    let repo = NodeRepo::create();
    let mut config = config(&repo, false);
    config.apps.push(rewind_sandbox::AppSeed {
        name: "other".to_string(),
        repo: None,
        scm: None,
        addons: Vec::new(),
    });
    let env = Env::start(config);
    let reply = admin(&env, "/_sandbox/stream/ping-interval", json!({ "ms": 100 }));
    assert_eq!(reply.status, 200, "{}", reply.text);
    let bearer = env.bearer();
    let url = stream_url(&env, &bearer).replace("/shop", "/other");
    let mut socket = connect(&url);
    send_auth(&mut socket, &bearer);
    manual_deploy(&env, &bearer, "main");
    let mut pings = 0;
    read_until(&mut socket, Duration::from_secs(3), |frame| {
        assert_eq!(frame["type"], "ping", "a frame of another app: {frame}");
        pings += 1;
        pings == 4
    });
    let missing = tungstenite::connect(url.replace("/other", "/ghost"));
    assert!(missing.is_err(), "an unknown app has no stream");
}

/// A stream of app `app` (the same URL shape as `shop`'s), authenticated.
fn open_authenticated(url: &str, app: &str, bearer: &str) -> Socket {
    let mut socket = connect(&url.replace(&format!("/{APP}"), &format!("/{app}")));
    send_auth(&mut socket, bearer);
    socket
}

/// Waits for the end of a connection that was dropped: no close frame, only
/// a read that fails. Frames already on their way may come first.
fn assert_dropped(socket: &mut Socket) {
    let end = Instant::now() + Duration::from_secs(3);
    while Instant::now() < end {
        match socket.read() {
            Ok(Message::Close(frame)) => {
                panic!("expected the connection dropped, got a close frame: {frame:?}")
            }
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    // As in `read_until`: timeouts and signals are retried.
                    std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::Interrupted
                ) => {}
            Err(tungstenite::Error::Protocol(
                tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
            )) => return,
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::ConnectionAborted
                        | std::io::ErrorKind::UnexpectedEof
                ) =>
            {
                return;
            }
            Err(e) => panic!("expected the connection dropped, got the error {e}"),
        }
    }
    panic!("the stream was not cut");
}

/// Two apps, pings every 100 ms so that a live stream shows it is alive.
fn two_apps(repo: &NodeRepo) -> Env {
    let mut config = config(repo, false);
    config.apps.push(rewind_sandbox::AppSeed {
        name: "other".to_string(),
        repo: None,
        scm: None,
        addons: Vec::new(),
    });
    let env = Env::start(config);
    let reply = admin(&env, "/_sandbox/stream/ping-interval", json!({ "ms": 100 }));
    assert_eq!(reply.status, 200, "{}", reply.text);
    env
}

fn closed(reply: &crate::harness::Reply) -> u64 {
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()["closed"].as_u64().expect("closed is a count")
}

#[test]
fn disconnect_drops_the_open_streams_of_one_app_or_of_all_without_a_close_frame() {
    let repo = NodeRepo::create();
    let env = two_apps(&repo);
    let bearer = env.bearer();
    let url = stream_url(&env, &bearer);
    let mut first = open_authenticated(&url, APP, &bearer);
    let mut second = open_authenticated(&url, APP, &bearer);
    let mut other = open_authenticated(&url, "other", &bearer);
    // Authenticated and served: each stream gets its ping.
    for socket in [&mut first, &mut second, &mut other] {
        read_until(socket, Duration::from_secs(3), |f| f["type"] == "ping");
    }

    let reply = admin(&env, "/_sandbox/stream/disconnect", json!({ "app": APP }));
    assert_eq!(closed(&reply), 2);
    assert_dropped(&mut first);
    assert_dropped(&mut second);
    // The other app's stream lives on.
    read_until(&mut other, Duration::from_secs(3), |f| f["type"] == "ping");

    // No body: every stream, whatever its app.
    let everything = env
        .agent
        .post(&env.url("/_sandbox/stream/disconnect"))
        .send_empty();
    let reply = crate::harness::read(everything);
    assert_eq!(closed(&reply), 1);
    assert_dropped(&mut other);
    let reply = admin(&env, "/_sandbox/stream/disconnect", json!({}));
    assert_eq!(closed(&reply), 0, "cut streams leave the register");

    // A stream opened after the cut is served as usual.
    let mut again = open_authenticated(&url, APP, &bearer);
    manual_deploy(&env, &bearer, "main");
    read_until(&mut again, Duration::from_secs(5), |f| {
        f["type"] == "status" && f["data"]["status"] == "success"
    });
}

#[test]
fn disconnect_with_a_close_frame_says_why() {
    let repo = NodeRepo::create();
    let env = two_apps(&repo);
    let bearer = env.bearer();
    let url = stream_url(&env, &bearer);
    let mut socket = open_authenticated(&url, APP, &bearer);
    read_until(&mut socket, Duration::from_secs(3), |f| f["type"] == "ping");

    let reply = admin(
        &env,
        "/_sandbox/stream/disconnect",
        json!({ "close_frame": true }),
    );
    assert_eq!(closed(&reply), 1);
    // Pings sent just before the cut may come first.
    let end = Instant::now() + Duration::from_secs(3);
    let frame = loop {
        assert!(Instant::now() < end, "no close frame came");
        match socket.read() {
            Ok(Message::Close(Some(frame))) => break frame,
            Ok(Message::Text(_)) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::Interrupted
                ) => {}
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(frame.code, CloseCode::Away);
    let reason = frame.reason.to_string();
    assert!(reason.contains("admin route"), "{reason}");
}

#[test]
fn disconnect_refuses_unknown_apps_and_options() {
    let repo = NodeRepo::create();
    let env = two_apps(&repo);
    let reply = admin(
        &env,
        "/_sandbox/stream/disconnect",
        json!({ "app": "ghost" }),
    );
    assert_eq!(reply.status, 404, "{}", reply.text);
    let reply = admin(
        &env,
        "/_sandbox/stream/disconnect",
        json!({ "close_frame": "yes" }),
    );
    assert_eq!(reply.status, 422, "{}", reply.text);
    assert!(
        reply.json()["errors"]["close_frame"].is_array(),
        "{}",
        reply.text
    );
    let reply = admin(
        &env,
        "/_sandbox/stream/disconnect",
        json!({ "closeframe": true }),
    );
    assert_eq!(reply.status, 422, "{}", reply.text);
    assert!(reply.text.contains("not a known field"), "{}", reply.text);
    let reply = admin(&env, "/_sandbox/stream/refuse", json!({}));
    assert_eq!(reply.status, 422, "{}", reply.text);
    assert!(reply.json()["errors"]["times"].is_array(), "{}", reply.text);
}

#[test]
fn refuse_answers_the_next_connection_attempts_503_then_streams_again() {
    let repo = NodeRepo::create();
    let env = two_apps(&repo);
    let bearer = env.bearer();
    let url = stream_url(&env, &bearer);
    let reply = admin(&env, "/_sandbox/stream/refuse", json!({ "times": 2 }));
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["refuse_next"], 2);

    for attempt in 1..=2 {
        match tungstenite::connect(url.as_str()) {
            Err(tungstenite::Error::Http(response)) => {
                assert_eq!(response.status().as_u16(), 503, "attempt {attempt}");
                let body = String::from_utf8_lossy(response.body().as_deref().unwrap_or_default())
                    .to_string();
                assert!(body.contains("/_sandbox/stream/refuse"), "{body}");
            }
            Err(e) => panic!("attempt {attempt}: expected a 503, got the error {e}"),
            Ok(_) => panic!("attempt {attempt}: expected a 503, the stream was opened"),
        }
    }
    let mut socket = open_authenticated(&url, APP, &bearer);
    read_until(&mut socket, Duration::from_secs(3), |f| f["type"] == "ping");

    // Zero stops refusing what is left.
    admin(&env, "/_sandbox/stream/refuse", json!({ "times": 5 }));
    let reply = admin(&env, "/_sandbox/stream/refuse", json!({ "times": 0 }));
    assert_eq!(reply.json()["refuse_next"], 0);
    let mut socket = open_authenticated(&url, "other", &bearer);
    read_until(&mut socket, Duration::from_secs(3), |f| f["type"] == "ping");
}
