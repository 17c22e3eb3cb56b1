//! The team's chat, for the drill: a webhook listener on 127.0.0.1 that
//! keeps the `text` of every message posted to it, so the drill can show
//! and check what the team was told. It answers each post with 200 and
//! stops with the drill (dropping it stops accepting).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Longest body the listener reads: chat messages are short.
const MAX_BODY: usize = 256 * 1024;

pub struct Listener {
    url: String,
    messages: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl Listener {
    /// Starts listening on a free port of 127.0.0.1.
    pub fn start() -> std::io::Result<Listener> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        // Non-blocking accept, so that the thread notices the stop flag.
        listener.set_nonblocking(true)?;
        let url = format!("http://{}/hooks/team", listener.local_addr()?);
        let messages = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (kept, stopping) = (messages.clone(), stop.clone());
        std::thread::Builder::new()
            .name("rewind-drill-webhook".into())
            .spawn(move || {
                while !stopping.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            if let Some(text) = serve(stream) {
                                kept.lock().unwrap_or_else(|e| e.into_inner()).push(text);
                            }
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(20)),
                    }
                }
            })?;
        Ok(Listener {
            url,
            messages,
            stop,
        })
    }

    /// Where to post.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The messages received so far, oldest first.
    pub fn messages(&self) -> Vec<String> {
        self.messages
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Reads one request and answers it; the message's `text` (or the whole
/// body when it is not JSON with a `text`).
fn serve(stream: TcpStream) -> Option<String> {
    stream.set_nonblocking(false).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut reader = BufReader::new(stream);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length.min(MAX_BODY)];
    reader.read_exact(&mut body).ok()?;
    let mut stream = reader.into_inner();
    let _ =
        stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
    let body = String::from_utf8_lossy(&body).into_owned();
    let text = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["text"].as_str().map(str::to_string));
    Some(text.unwrap_or(body))
}
