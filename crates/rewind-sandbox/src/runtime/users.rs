//! `GET /v1/users/self` on the auth API: the owner of the API token the
//! bearer was exchanged for, with the fields Scalingo's clients read (`id`,
//! `username`, `email`, `fullname`, `flags`) and the documented others.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::config::TokenSeed;
use crate::state::AppState;

/// `GET /v1/users/self`.
pub async fn current(State(state): State<AppState>, caller: Caller) -> Json<Value> {
    let seed = state
        .config
        .tokens
        .iter()
        .find(|t| t.user == caller.user)
        .cloned()
        // A bearer outlives a reloaded seed: still answer for its user.
        .unwrap_or_else(|| TokenSeed::new("", &caller.user));
    Json(json!({ "user": user_json(&seed) }))
}

/// The user object, shaped like the documentation's example.
fn user_json(seed: &TokenSeed) -> Value {
    let id = user_id(&seed.user);
    json!({
        "id": id,
        "uuid": id,
        "username": seed.user,
        "email": seed.email(),
        "fullname": seed.fullname(),
        "company": "",
        "location": "",
        "tos_accepted": true,
        "email_newsletter": false,
        "flags": {},
        "limits": {},
        "referral_url": null,
        "referral_clicks": 0,
        "created_at": "2026-01-01T00:00:00.000+00:00",
        "free_trial_started_at": null,
        "free_trial_end_time": null,
        "suspended_at": null,
        "suspension_reason": null,
    })
}

/// The `owner` of every app: the seed's first token's user.
pub fn owner_json(tokens: &[TokenSeed]) -> Value {
    let seed = tokens
        .first()
        .cloned()
        .unwrap_or_else(|| TokenSeed::new("", "sandbox-user"));
    json!({
        "id": user_id(&seed.user),
        "username": seed.user,
        "email": seed.email(),
    })
}

/// A user id shaped like the API's (`us-` and a UUID), the same for the
/// same username on every start, so that clients may keep it.
pub fn user_id(username: &str) -> String {
    // FNV-1a, twice with different offsets: stable across Rust versions,
    // unlike the standard library's hasher.
    let fnv = |offset: u64| {
        username.bytes().fold(offset, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        })
    };
    let hex = format!(
        "{:016x}{:016x}",
        fnv(0xcbf2_9ce4_8422_2325),
        fnv(0x8422_2325_cbf2_9ce4)
    );
    format!(
        "us-{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::user_id;

    #[test]
    fn a_user_id_is_stable_and_shaped_like_the_api() {
        let id = user_id("alice");
        assert_eq!(id, user_id("alice"));
        assert_ne!(id, user_id("bob"));
        assert!(id.starts_with("us-"));
        assert_eq!(id.len(), 3 + 36);
    }
}
