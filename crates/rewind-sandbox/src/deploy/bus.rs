//! The channel between running deployments and the live streams: one
//! broadcast channel for the whole sandbox, each frame tagged with its app,
//! already rendered in the stream's wire format (`{type, id, data}`). It
//! also keeps the register of open streams, so that the admin surface can
//! cut them at once (as a proxy or a platform restart would) and refuse
//! the next connections, to test how clients get the stream back.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Value, json};
use tokio::sync::{broadcast, oneshot};

/// Frames a slow stream may fall behind by before it skips some; a deploy
/// writes a few dozen, so this only matters for a stuck client.
const CAPACITY: usize = 4096;

/// One frame for the streams of one app.
#[derive(Debug, Clone)]
pub struct Frame {
    pub app: String,
    pub text: String,
}

/// How an open stream is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// The connection is dropped without a close frame, as when a network
    /// path dies: the client learns it from a read that fails.
    Drop,
    /// The server says goodbye with a close frame first.
    CloseFrame,
}

#[derive(Debug)]
pub struct Bus {
    sender: broadcast::Sender<Frame>,
    open: Arc<Mutex<OpenStreams>>,
    /// Stream connection attempts still to be refused.
    refusals: u32,
    /// Streams still to receive a frame that is not JSON once logged in.
    garbage: u32,
}

/// The streams open now, each with the way to cut it.
#[derive(Debug, Default)]
struct OpenStreams {
    next: u64,
    by_id: BTreeMap<u64, (String, oneshot::Sender<Cut>)>,
}

/// An open stream's place in the register: it leaves the register when
/// dropped, whichever way the stream ends.
#[derive(Debug)]
pub struct Registration {
    id: u64,
    open: Arc<Mutex<OpenStreams>>,
    cut: oneshot::Receiver<Cut>,
}

impl Registration {
    /// Waits until the admin surface cuts this stream. Safe to call again
    /// after being cancelled (in a `select!`) as long as it has not
    /// returned.
    pub async fn cut(&mut self) -> Cut {
        match (&mut self.cut).await {
            Ok(how) => how,
            // The sender only goes away by being used or with the register
            // itself, which this registration keeps alive: never cut.
            Err(_) => std::future::pending().await,
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        lock(&self.open).by_id.remove(&self.id);
    }
}

/// A poisoned register is still consistent: each change is one insert or
/// removal.
fn lock(open: &Mutex<OpenStreams>) -> std::sync::MutexGuard<'_, OpenStreams> {
    open.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Default for Bus {
    fn default() -> Self {
        let (sender, _) = broadcast::channel(CAPACITY);
        Bus {
            sender,
            open: Arc::default(),
            refusals: 0,
            garbage: 0,
        }
    }
}

impl Bus {
    pub fn subscribe(&self) -> broadcast::Receiver<Frame> {
        self.sender.subscribe()
    }

    /// Enters a stream of `app` in the register of open streams.
    pub fn register(&self, app: &str) -> Registration {
        let (sender, cut) = oneshot::channel();
        let mut open = lock(&self.open);
        let id = open.next;
        open.next += 1;
        open.by_id.insert(id, (app.to_string(), sender));
        Registration {
            id,
            open: Arc::clone(&self.open),
            cut,
        }
    }

    /// Cuts every open stream (of `app` only, when given); returns how many.
    pub fn cut(&self, app: Option<&str>, how: Cut) -> usize {
        let mut open = lock(&self.open);
        let chosen: Vec<u64> = open
            .by_id
            .iter()
            .filter(|(_, (of, _))| app.is_none_or(|a| a == of))
            .map(|(id, _)| *id)
            .collect();
        let mut closed = 0;
        for id in chosen {
            // A stream whose task has already ended is not counted.
            if let Some((_, sender)) = open.by_id.remove(&id)
                && sender.send(how).is_ok()
            {
                closed += 1;
            }
        }
        closed
    }

    /// The next `times` stream connection attempts are refused.
    pub fn refuse_next(&mut self, times: u32) {
        self.refusals = times;
    }

    /// Whether this connection attempt is to be refused (and counts it).
    pub fn take_refusal(&mut self) -> bool {
        if self.refusals == 0 {
            return false;
        }
        self.refusals -= 1;
        true
    }

    /// The next `times` streams receive a text frame that is not JSON
    /// right after their auth frame is accepted.
    pub fn garbage_next(&mut self, times: u32) {
        self.garbage = times;
    }

    /// Whether this stream is to receive the frame that is not JSON (and
    /// counts it).
    pub fn take_garbage(&mut self) -> bool {
        if self.garbage == 0 {
            return false;
        }
        self.garbage -= 1;
        true
    }

    /// A deployment was created; `deployment` is its full JSON object.
    pub fn new_deployment(&self, app: &str, id: &str, deployment: &Value) {
        self.send(
            app,
            json!({ "type": "new", "id": id, "data": { "deployment": deployment } }),
        );
    }

    /// One line of a deployment's build log, without its newline.
    pub fn log(&self, app: &str, id: &str, line: &str) {
        self.send(
            app,
            json!({ "type": "log", "id": id, "data": { "content": format!("{line}\n") } }),
        );
    }

    pub fn status(&self, app: &str, id: &str, status: &str) {
        self.send(
            app,
            json!({ "type": "status", "id": id, "data": { "status": status } }),
        );
    }

    fn send(&self, app: &str, frame: Value) {
        // No stream listening is the common case, not an error.
        let _ = self.sender.send(Frame {
            app: app.to_string(),
            text: frame.to_string(),
        });
    }
}
