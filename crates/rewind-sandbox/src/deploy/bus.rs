//! The channel between running deployments and the live streams: one
//! broadcast channel for the whole sandbox, each frame tagged with its app,
//! already rendered in the stream's wire format (`{type, id, data}`).

use serde_json::{Value, json};
use tokio::sync::broadcast;

/// Frames a slow stream may fall behind by before it skips some; a deploy
/// writes a few dozen, so this only matters for a stuck client.
const CAPACITY: usize = 4096;

/// One frame for the streams of one app.
#[derive(Debug, Clone)]
pub struct Frame {
    pub app: String,
    pub text: String,
}

#[derive(Debug)]
pub struct Bus {
    sender: broadcast::Sender<Frame>,
}

impl Default for Bus {
    fn default() -> Self {
        let (sender, _) = broadcast::channel(CAPACITY);
        Bus { sender }
    }
}

impl Bus {
    pub fn subscribe(&self) -> broadcast::Receiver<Frame> {
        self.sender.subscribe()
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
