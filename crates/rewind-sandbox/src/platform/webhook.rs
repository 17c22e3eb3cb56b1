//! A chat webhook that answers, for rehearsals: `POST /_sandbox/webhook`
//! takes any body a team's chat would (rewind's notify step, its ticket
//! warnings), answers 200 and keeps it; `GET /_sandbox/webhook` lists what
//! it received (`{"messages": [...]}`), oldest first. The drill's replay
//! points rewind.toml's `webhook_url` here, since the drill's own listener
//! is gone by then.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use serde_json::{Value, json};

use crate::state::AppState;

/// Messages kept at most: a rehearsal sends a handful.
const MAX_MESSAGES: usize = 1000;

/// `POST /_sandbox/webhook`.
pub async fn receive(State(state): State<AppState>, body: Bytes) -> Json<Value> {
    let message = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    let mut world = state.world();
    let kept = &mut world.platform.webhook_messages;
    if kept.len() < MAX_MESSAGES {
        kept.push(message);
    }
    Json(json!({ "ok": true }))
}

/// `GET /_sandbox/webhook`.
pub async fn list(State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "messages": state.world().platform.webhook_messages.clone() }))
}
