//! Scalingo's live deployment stream: a WebSocket at the app's
//! `links.deployments_stream` (`wss://` on Scalingo, `ws://` in the
//! sandbox). The client speaks first with `{"type":"auth","data":{"token":
//! "<bearer>"}}`; then come `new`, `log`, `status` and `ping` frames, each
//! `{type, id, data}`, for every deployment of the app.
//!
//! Reads wait on the socket's read timeout, so a follower gets control back
//! every few hundred milliseconds to honour Ctrl-C and its deadline. The
//! bearer only ever travels inside the auth frame: no error or message
//! built here carries it.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use serde_json::{Value, json};
use tungstenite::client::IntoClientRequest;
use tungstenite::handshake::HandshakeError;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Error as WsError, Message, WebSocket};

use super::errors::{self, Subject};
use super::http::{display_url, path_of};
use super::wire::WireDeployment;
use crate::platform::{DeployStream, StreamError, StreamFrame};
use crate::platform::{Deployment, PlatformError};
use crate::secret::Secret;

/// Longest wait for the TCP connection, the TLS and WebSocket handshakes
/// and the auth frame to be written.
const OPEN_TIMEOUT: Duration = Duration::from_secs(10);

/// An open, authenticated stream.
pub(crate) struct ScalingoStream {
    socket: WebSocket<MaybeTlsStream<RestartingTcp>>,
    /// The same socket, kept to change its read timeout between reads.
    tcp: TcpStream,
}

impl std::fmt::Debug for ScalingoStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScalingoStream").finish_non_exhaustive()
    }
}

/// Connects to `url` and sends the auth frame. The caller has counted the
/// connection in the request budget.
pub(crate) fn open(
    url: &str,
    bearer: &Secret,
    subject: &Subject<'_>,
) -> Result<ScalingoStream, PlatformError> {
    let started = std::time::Instant::now();
    let opened = handshake(url, bearer, subject);
    let ms = started.elapsed().as_millis() as u64;
    let path = path_of(url);
    match &opened {
        Ok(_) => tracing::debug!(target: "http", path = %path, ms, "deployment stream opened"),
        Err(error) => {
            tracing::debug!(target: "http", path = %path, ms, %error, "deployment stream not opened");
        }
    }
    opened
}

fn handshake(
    url: &str,
    bearer: &Secret,
    subject: &Subject<'_>,
) -> Result<ScalingoStream, PlatformError> {
    let shown = display_url(url);
    let unreachable = |detail: String| PlatformError::Unreachable {
        platform: &super::INFO,
        url: shown.clone(),
        detail,
    };
    let request =
        stream_request(url).map_err(|e| unreachable(format!("not a WebSocket URL ({e})")))?;
    let uri = request.uri();
    let host = uri
        .host()
        .ok_or_else(|| unreachable("the URL has no host".into()))?
        .trim_matches(['[', ']'])
        .to_string();
    let port = uri.port_u16().unwrap_or(match uri.scheme_str() {
        Some("wss") | Some("https") => 443,
        _ => 80,
    });
    let tcp = connect(&host, port).map_err(unreachable)?;
    let timeouts = tcp
        .set_read_timeout(Some(OPEN_TIMEOUT))
        .and_then(|()| tcp.set_write_timeout(Some(OPEN_TIMEOUT)));
    let handle = timeouts
        .and_then(|()| tcp.try_clone())
        .map_err(|e| unreachable(e.to_string()))?;
    let tcp = RestartingTcp(tcp);
    let (mut socket, _) = match tungstenite::client_tls_with_config(request, tcp, None, None) {
        Ok(done) => done,
        Err(HandshakeError::Failure(WsError::Http(response))) => {
            let body = response
                .body()
                .as_deref()
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            return Err(errors::from_status(
                response.status().as_u16(),
                &body,
                &path_of(url),
                subject,
            ));
        }
        Err(HandshakeError::Failure(e)) => return Err(unreachable(e.to_string())),
        Err(HandshakeError::Interrupted(_)) => {
            return Err(unreachable("the WebSocket handshake timed out".into()));
        }
    };
    let auth = json!({ "type": "auth", "data": { "token": bearer.expose() } });
    socket
        .send(Message::text(auth.to_string()))
        .map_err(|e| unreachable(format!("sending the auth frame failed: {e}")))?;
    Ok(ScalingoStream {
        socket,
        tcp: handle,
    })
}

/// The value both official clients (Go client and CLI) send as `Origin`:
/// the stream's server is only known to accept connections that carry one,
/// and this one.
const ORIGIN: &str = "http://scalingo-cli.local/1";

/// The handshake request, with an `Origin` header.
fn stream_request(url: &str) -> Result<tungstenite::handshake::client::Request, WsError> {
    let mut request = url.into_client_request()?;
    request.headers_mut().insert(
        tungstenite::http::header::ORIGIN,
        tungstenite::http::HeaderValue::from_static(ORIGIN),
    );
    Ok(request)
}

/// A socket whose reads and writes start again when a signal interrupts
/// them. With a read timeout set, the system does not restart them by
/// itself (signal(7)), and signals are common here: Ctrl-C handlers, child
/// processes ending. Left to tungstenite, such an error would end the stream.
struct RestartingTcp(TcpStream);

impl Read for RestartingTcp {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            match self.0.read(buf) {
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }
}

impl Write for RestartingTcp {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        loop {
            match self.0.write(buf) {
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// The first address of `host` that accepts a connection.
fn connect(host: &str, port: u16) -> Result<TcpStream, String> {
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    let mut last = format!("{host} has no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, OPEN_TIMEOUT) {
            Ok(s) => return Ok(s),
            Err(e) => last = e.to_string(),
        }
    }
    Err(last)
}

impl DeployStream for ScalingoStream {
    fn next_frame(&mut self, wait: Duration) -> Result<Option<StreamFrame>, StreamError> {
        // A zero timeout means "block forever" to the socket.
        let wait = wait.max(Duration::from_millis(1));
        self.tcp
            .set_read_timeout(Some(wait))
            .map_err(|e| StreamError::Broken {
                detail: e.to_string(),
            })?;
        match self.socket.read() {
            Ok(Message::Text(text)) => Ok(parse_frame(text.as_str())),
            Ok(Message::Binary(bytes)) => {
                Ok(std::str::from_utf8(&bytes).ok().and_then(parse_frame))
            }
            // WebSocket-level pings are answered by tungstenite itself.
            Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => Ok(None),
            Ok(Message::Close(frame)) => Err(StreamError::Closed {
                reason: frame.map(|f| f.reason.to_string()),
            }),
            // Partial frames stay buffered in tungstenite: the next read
            // picks up where this one stopped.
            Err(WsError::Io(e))
                if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
            {
                Ok(None)
            }
            Err(WsError::ConnectionClosed | WsError::AlreadyClosed) => {
                Err(StreamError::Closed { reason: None })
            }
            Err(e) => Err(StreamError::Broken {
                detail: e.to_string(),
            }),
        }
    }
}

impl Drop for ScalingoStream {
    fn drop(&mut self) {
        // A polite close, best effort: the server drops dead clients anyway.
        let _ = self.tcp.set_write_timeout(Some(Duration::from_millis(200)));
        let _ = self.socket.close(None);
        let _ = self.socket.flush();
    }
}

/// Reads one text frame; `None` when it is not a JSON frame with a type.
pub(crate) fn parse_frame(text: &str) -> Option<StreamFrame> {
    let frame: Value = serde_json::from_str(text).ok()?;
    let kind = frame.get("type")?.as_str()?;
    let id = id_of(frame.get("id"));
    let data = frame.get("data").unwrap_or(&Value::Null);
    Some(match kind {
        "ping" => StreamFrame::Ping,
        "log" => StreamFrame::Log {
            id,
            content: data
                .get("content")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        },
        "status" => StreamFrame::Status {
            id,
            status: super::wire::deployment_status(data.get("status")?.as_str()?),
        },
        "new" => {
            // The documentation sends the id; Scalingo's CLI reads a whole
            // deployment object.
            let shown = data.get("deployment");
            let deployment = shown
                .filter(|d| d.is_object())
                .and_then(|d| serde_json::from_value::<WireDeployment>(d.clone()).ok())
                .map(|d| Box::new(Deployment::from(d)));
            let id = id
                .or_else(|| deployment.as_ref().map(|d| d.id.clone()))
                .or_else(|| id_of(shown));
            StreamFrame::New { id, deployment }
        }
        other => StreamFrame::Other {
            kind: other.to_string(),
        },
    })
}

/// An id written as a string or a number.
fn id_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::DeploymentStatus;

    #[test]
    fn the_stream_handshake_carries_an_origin() {
        let request =
            stream_request("wss://api.example/apps/shop/deployments/stream").expect("request");
        assert_eq!(request.headers()["origin"], ORIGIN);
        assert!(stream_request("not a url").is_err());
    }

    #[test]
    fn a_stream_that_cannot_be_reached_is_named_without_query_or_bearer() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = closed.local_addr().expect("addr");
        drop(closed);
        let url = format!("ws://{addr}/_stream/apps/shop?session=s3cret");
        let subject = Subject {
            resource: "deployment stream",
            name: "shop",
            region: "sandbox-local",
        };
        let bearer = Secret::new("bearer-value");
        match open(&url, &bearer, &subject) {
            Err(e @ PlatformError::Unreachable { .. }) => {
                let text = e.to_string();
                assert!(
                    text.contains(&format!("ws://{addr}/_stream/apps/shop")),
                    "{text}"
                );
                assert!(
                    !text.contains("s3cret") && !text.contains("bearer-value"),
                    "{text}"
                );
            }
            other => panic!("expected Unreachable, got {other:?}"),
        }
    }

    #[test]
    fn frames_are_read_as_documented_and_as_the_cli_sees_them() {
        assert_eq!(
            parse_frame(r#"{"type":"log","id":"d1","data":{"content":"-----> Build\n"}}"#),
            Some(StreamFrame::Log {
                id: Some("d1".into()),
                content: "-----> Build\n".into()
            })
        );
        assert_eq!(
            parse_frame(r#"{"type":"status","id":"d1","data":{"status":"build-error"}}"#),
            Some(StreamFrame::Status {
                id: Some("d1".into()),
                status: DeploymentStatus::BuildError
            })
        );
        assert_eq!(
            parse_frame(r#"{"type":"new","data":{"deployment":"d2"}}"#),
            Some(StreamFrame::New {
                id: Some("d2".into()),
                deployment: None
            })
        );
        let full = parse_frame(
            r#"{"type":"new","id":"d3","data":{"deployment":{"id":"d3","status":"queued","git_ref":"abc"}}}"#,
        );
        match full {
            Some(StreamFrame::New {
                id: Some(id),
                deployment: Some(d),
            }) => {
                assert_eq!(id, "d3");
                assert_eq!(d.status, DeploymentStatus::Queued);
                assert_eq!(d.git_ref.as_deref(), Some("abc"));
            }
            other => panic!("unexpected frame: {other:?}"),
        }
        assert_eq!(parse_frame(r#"{"type":"ping"}"#), Some(StreamFrame::Ping));
        assert_eq!(
            parse_frame(r#"{"type":"event","id":7}"#),
            Some(StreamFrame::Other {
                kind: "event".into()
            })
        );
        assert_eq!(parse_frame("not json"), None);
        assert_eq!(
            parse_frame(r#"{"type":"status","id":"d1","data":{}}"#),
            None
        );
    }

    /// Cases per property: 256, or `REWIND_FUZZ_CASES` for a long run
    /// (the other parsers' properties are in tests/it/fuzz.rs).
    fn fuzz_config() -> proptest::test_runner::Config {
        proptest::test_runner::Config {
            cases: std::env::var("REWIND_FUZZ_CASES")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(256),
            failure_persistence: None,
            ..proptest::test_runner::Config::default()
        }
    }

    /// JSON values of every shape, a few levels deep.
    fn any_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            ".{0,12}".prop_map(Value::String),
            prop::sample::select(vec!["log", "ping", "new", "status", "success", "id"])
                .prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(
                    prop::sample::select(vec![
                        "type",
                        "id",
                        "data",
                        "content",
                        "status",
                        "deployment",
                        "git_ref"
                    ])
                    .prop_map(str::to_string),
                    inner,
                    0..4,
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #![proptest_config(fuzz_config())]

        /// Any text the platform sends: a frame or nothing, never a panic.
        #[test]
        fn hostile_fuzz_stream_frames_text(text in ".{0,200}") {
            let _ = parse_frame(&text);
        }

        /// Any JSON, frame-shaped or not: a frame or nothing, never a panic;
        /// a log frame keeps its content as sent.
        #[test]
        fn hostile_fuzz_stream_frames_json(
            value in any_json(),
            kind in proptest::sample::select(vec!["log", "ping", "new", "status", "other"]),
            id in any_json(),
            data in any_json(),
            content in ".{0,40}",
        ) {
            let _ = parse_frame(&value.to_string());
            let frame = serde_json::json!({"type": kind, "id": id, "data": data});
            let _ = parse_frame(&frame.to_string());
            let log = serde_json::json!({"type": "log", "id": id, "data": {"content": content}});
            match parse_frame(&log.to_string()) {
                Some(StreamFrame::Log { content: read, .. }) => {
                    proptest::prop_assert_eq!(read, content)
                }
                other => proptest::prop_assert!(false, "{other:?}"),
            }
        }
    }
}
