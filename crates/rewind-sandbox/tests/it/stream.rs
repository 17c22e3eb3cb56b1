//! Sandbox tests: the live deployment stream, read with a plain WebSocket
//! client: the auth frame is required, then a deploy shows up as `new`,
//! `status` and `log` frames, with pings in between.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
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
