//! The live deployment stream at `app.links.deployments_stream`: a
//! WebSocket whose client must first send `{"type":"auth","data":{"token":
//! "<JWT>"}}` with a valid API bearer (else the server closes it, saying
//! why); then it receives `new`, `status` and `log` frames for every
//! deployment of the app, and a `ping` now and then. The admin surface can
//! cut open streams (with or without a close frame) and have the next
//! connection attempts refused with 503. With the `stream_requires_origin`
//! variant, a handshake without an `Origin` header is refused with 403.

use std::time::Duration;

use axum::Json;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{Path, State};
use axum::http::header::ORIGIN;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::RecvError;

use crate::api_error::ApiError;
use crate::deploy::bus::{Cut, Frame, Registration};
use crate::state::AppState;
use crate::time::now;

/// How often a stream pings its client unless the admin route says
/// otherwise.
pub const DEFAULT_PING_MS: u64 = 3000;

/// How long the server waits for the client's auth frame.
const AUTH_WAIT: Duration = Duration::from_secs(10);

/// `GET /_stream/apps/{app}` (WebSocket upgrade).
pub async fn connect(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    if state.variants().stream_requires_origin && !headers.contains_key(ORIGIN) {
        return Ok(no_origin());
    }
    // Subscribed and registered before the upgrade is answered: a client
    // that connects and then starts a deploy at once sees all of its
    // frames, and a cut ordered once the connection is answered reaches it.
    let (frames, registration, ping_ms, garbage) = {
        let mut world = state.world();
        if !world.apps.contains_key(&name) {
            return Err(ApiError::NotFound("app"));
        }
        if world.deploy.bus.take_refusal() {
            return Ok(refused());
        }
        let ping_ms = world.deploy.ping_interval_ms.unwrap_or(DEFAULT_PING_MS);
        let garbage = world.deploy.bus.take_garbage();
        let bus = &world.deploy.bus;
        (
            bus.subscribe(),
            bus.register(&name),
            ping_ms.max(1),
            garbage,
        )
    };
    let ping = Duration::from_millis(ping_ms);
    Ok(upgrade.on_upgrade(move |socket| {
        until_cut(socket, state, name, frames, registration, ping, garbage)
    }))
}

/// The answer to a connection attempt the admin surface said to refuse.
fn refused() -> Response {
    let body = json!({
        "error": "the deployment stream is unavailable (refused by the sandbox's admin route /_sandbox/stream/refuse)",
    });
    (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
}

/// The answer to a handshake without `Origin` when the variant in use
/// requires one: what a server behind an origin check answers.
fn no_origin() -> Response {
    let body = json!({
        "error": "the deployment stream refuses a connection without an Origin header",
    });
    (StatusCode::FORBIDDEN, Json(body)).into_response()
}

/// Serves the stream until it ends by itself or the admin surface cuts it.
async fn until_cut(
    mut socket: WebSocket,
    state: AppState,
    app: String,
    mut frames: Receiver<Frame>,
    mut registration: Registration,
    ping: Duration,
    garbage: bool,
) {
    let how = tokio::select! {
        how = registration.cut() => how,
        () = serve(&mut socket, &state, &app, &mut frames, ping, garbage) => return,
    };
    if how == Cut::CloseFrame {
        let close = CloseFrame {
            code: close_code::AWAY,
            reason: "stream closed by the sandbox's admin route".into(),
        };
        let _ = socket.send(Message::Close(Some(close))).await;
    }
    // Dropping the socket ends the connection: after `Cut::Drop` the client
    // gets no close frame, only the end of the connection.
}

async fn serve(
    socket: &mut WebSocket,
    state: &AppState,
    app: &str,
    frames: &mut Receiver<Frame>,
    ping_every: Duration,
    garbage: bool,
) {
    let first = tokio::time::timeout(AUTH_WAIT, socket.recv()).await;
    let verdict = match first {
        Err(_) => Err("authentication required: no auth frame received in time".to_string()),
        Ok(None) | Ok(Some(Err(_))) => return,
        Ok(Some(Ok(message))) => authenticate(state, &message),
    };
    if let Err(reason) = verdict {
        let close = CloseFrame {
            code: close_code::POLICY,
            reason: reason.into(),
        };
        let _ = socket.send(Message::Close(Some(close))).await;
        return;
    }
    if garbage {
        let text = "<html>502 Bad Gateway</html>\u{1b}]0;stream\u{7} {\"type\":";
        if socket.send(Message::Text(text.into())).await.is_err() {
            return;
        }
    }
    let mut ping = tokio::time::interval(ping_every);
    // The first tick of an interval is immediate; the first ping comes
    // after one interval.
    ping.tick().await;
    loop {
        tokio::select! {
            frame = frames.recv() => match frame {
                Ok(frame) if frame.app == app => {
                    if socket.send(Message::Text(frame.text.into())).await.is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                // A client too slow to keep up misses frames, as on the
                // real stream; it can read the log from links.output.
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            },
            _ = ping.tick() => {
                let text = r#"{"type":"ping"}"#;
                if socket.send(Message::Text(text.into())).await.is_err() {
                    return;
                }
            }
            incoming = socket.recv() => match incoming {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}

/// Checks the auth frame; the error is the reason given in the close frame.
fn authenticate(state: &AppState, message: &Message) -> Result<(), String> {
    let Message::Text(text) = message else {
        return Err("the first frame must be a text auth frame".to_string());
    };
    let frame: Value = serde_json::from_str(text.as_str())
        .map_err(|_| "the first frame must be JSON: {\"type\":\"auth\",...}".to_string())?;
    if frame.get("type").and_then(Value::as_str) != Some("auth") {
        return Err("the first frame must be {\"type\":\"auth\",\"data\":{\"token\":...}}".into());
    }
    let token = frame
        .pointer("/data/token")
        .and_then(Value::as_str)
        .ok_or("the auth frame has no data.token")?;
    let world = state.world();
    let bearer = world
        .bearers
        .get(token)
        .ok_or("invalid token: exchange the API token first")?;
    if bearer.expires_at <= now() {
        return Err("token expired".to_string());
    }
    Ok(())
}
