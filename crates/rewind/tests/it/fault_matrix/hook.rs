//! The team's chat webhook, played by a local listener that the matrix
//! can break: the notify step talks to it, not to Scalingo, so the
//! sandbox's fault rules cannot reach it. Each fault applies to the next
//! message only; messages are counted so a case can tell how many times
//! the team was told.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the webhook does with the next message.
#[derive(Debug, Clone, Copy)]
pub enum HookFault {
    Status(u16),
    /// Reads the message, then closes without answering.
    Drop,
    /// Answers 200 only after this long (beyond notify's own timeout, a
    /// timeout; shorter, a slow chat server to kill rewind in).
    Slow(Duration),
    /// Answers 200 with a body that is not what anyone expects.
    Malformed,
}

#[derive(Default)]
struct Inner {
    faults: Vec<HookFault>,
    messages: Vec<String>,
    /// A message is being answered (for the kill cases).
    busy: bool,
}

pub struct Hook {
    url: String,
    addr: std::net::SocketAddr,
    inner: Arc<Mutex<Inner>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Hook {
    pub fn start() -> Hook {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let inner = Arc::new(Mutex::new(Inner::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (inner, stop) = (inner.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        answer(stream, &inner);
                    }
                }
            })
        };
        Hook {
            url: format!("http://{addr}/hooks/team"),
            addr,
            inner,
            stop,
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn fail_next(&self, fault: HookFault) {
        self.inner.lock().expect("lock").faults.push(fault);
    }

    /// Takes back the faults not used yet.
    pub fn clear(&self) {
        self.inner.lock().expect("lock").faults.clear();
    }

    pub fn messages(&self) -> usize {
        self.inner.lock().expect("lock").messages.len()
    }

    pub fn busy(&self) -> bool {
        self.inner.lock().expect("lock").busy
    }
}

fn answer(stream: TcpStream, inner: &Mutex<Inner>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let fault = {
        let mut inner = inner.lock().expect("lock");
        inner.busy = true;
        inner
            .messages
            .push(String::from_utf8_lossy(&body).into_owned());
        (!inner.faults.is_empty()).then(|| inner.faults.remove(0))
    };
    let mut stream = reader.into_inner();
    let reply: &[u8] = match fault {
        None => b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
        Some(HookFault::Status(429)) => {
            b"HTTP/1.1 429 Too Many Requests\r\ncontent-length: 11\r\n\r\nRetry later"
        }
        Some(HookFault::Status(503)) => {
            b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 11\r\n\r\nunavailable"
        }
        Some(HookFault::Status(_)) => {
            b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 5\r\n\r\nerror"
        }
        Some(HookFault::Drop) => b"",
        Some(HookFault::Slow(d)) => {
            // The fault itself: a webhook that answers late.
            std::thread::sleep(d);
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"
        }
        Some(HookFault::Malformed) => b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\n{\"ok\": tr",
    };
    let _ = stream.write_all(reply);
    inner.lock().expect("lock").busy = false;
}

impl Drop for Hook {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the listener so that it sees the stop.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
