//! Health checks against a tiny HTTP server on 127.0.0.1 that answers a
//! scripted series of statuses, and against a port nobody listens on.
//! The server is shared with the webhook tests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rewind_core::health::check;
use rewind_core::interrupt::Interrupt;

/// One request as the tiny server read it.
#[derive(Debug)]
pub struct Captured {
    pub request_line: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Captured {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A server that answers one connection per scripted `(status, body)`, in
/// order, then stops listening.
pub struct TinyServer {
    pub base: String,
    pub requests: mpsc::Receiver<Captured>,
}

pub fn serve(answers: Vec<(u16, &'static str)>) -> TinyServer {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, requests) = mpsc::channel();
    std::thread::spawn(move || {
        for (status, body) in answers {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            match answer(stream, status, body) {
                Ok(captured) => {
                    if tx.send(captured).is_err() {
                        return;
                    }
                }
                Err(e) => eprintln!("tiny server: {e}"),
            }
        }
    });
    TinyServer { base, requests }
}

fn answer(stream: TcpStream, status: u16, body: &str) -> std::io::Result<Captured> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut bytes = vec![0; length];
    reader.read_exact(&mut bytes)?;
    let mut out = stream;
    write!(
        out,
        "HTTP/1.1 {status} Whatever\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    out.flush()?;
    Ok(Captured {
        request_line: request_line.trim_end().to_string(),
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    })
}

/// A local URL on which nothing listens.
pub fn closed_port_url(path: &str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}{path}")
}

#[test]
fn a_release_that_needs_a_moment_passes_on_the_third_try() {
    let server = serve(vec![(503, "booting"), (503, "booting"), (200, "ok")]);
    let url = format!("{}/health", server.base);
    let report = check(&url, 200, 5, Duration::from_millis(50), &Interrupt::new());

    assert!(report.ok, "{report:?}");
    assert_eq!(report.attempts, 3);
    assert_eq!(report.last_status, Some(200));
    assert_eq!(report.last_error, None);
    let first = server.requests.recv().expect("a request");
    assert_eq!(first.request_line, "GET /health HTTP/1.1");
    assert_eq!(server.requests.iter().count(), 2);
}

#[test]
fn a_status_other_than_the_expected_one_fails_after_every_try() {
    let server = serve(vec![(200, "ok"), (200, "ok")]);
    let url = format!("{}/ready", server.base);
    let report = check(&url, 204, 2, Duration::from_millis(20), &Interrupt::new());

    assert!(!report.ok);
    assert_eq!(report.attempts, 2);
    assert_eq!(report.last_status, Some(200));
    assert_eq!(
        report.last_error.as_deref(),
        Some("answered HTTP 200, expected 204")
    );
}

#[test]
fn a_refused_connection_is_a_failed_check_not_a_crash() {
    let url = closed_port_url("/health?token=abc");
    let report = check(&url, 200, 2, Duration::from_millis(20), &Interrupt::new());

    assert!(!report.ok);
    assert_eq!(report.attempts, 2);
    assert_eq!(report.last_status, None);
    let error = report.last_error.expect("an error");
    assert!(error.starts_with("cannot connect"), "{error}");
    assert!(!error.contains("token=abc"), "{error}");
}

#[test]
fn ctrl_c_stops_the_checks_between_tries() {
    let server = serve(vec![(503, "down"); 3]);
    let url = format!("{}/health", server.base);
    let interrupt = Interrupt::new();
    let raiser = interrupt.clone();
    let answered = server.requests;
    std::thread::spawn(move || {
        // Once the first try is answered, the checks wait five seconds
        // before the next: Ctrl-C comes in that wait.
        if answered.recv_timeout(Duration::from_secs(10)).is_ok() {
            raiser.raise();
        }
    });
    let started = Instant::now();
    let report = check(&url, 200, 50, Duration::from_secs(5), &interrupt);

    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(!report.ok);
    assert_eq!(report.attempts, 1);
    assert_eq!(report.last_status, Some(503));
    assert_eq!(
        report.last_error.as_deref(),
        Some("interrupted before the next try")
    );
}
