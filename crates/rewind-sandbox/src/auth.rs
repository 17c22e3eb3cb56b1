//! Authentication as the real API does it: `POST /v1/tokens/exchange` with
//! HTTP Basic auth (empty user, API token as password) answers a JWT-shaped
//! bearer carrying an `exp` claim; every other call presents
//! `Authorization: Bearer <jwt>`. `GET /v1/regions` lists one region whose
//! URLs point back at this sandbox.

use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::{Json, response::IntoResponse};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::json;

use crate::api_error::ApiError;
use crate::state::{AppState, Bearer};
use crate::time::{new_id, now};

/// The region name the sandbox answers as.
pub const REGION: &str = "sandbox-local";

/// `POST /v1/tokens/exchange`.
pub async fn exchange(
    State(state): State<AppState>,
    parts: axum::http::HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    let header = parts
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::Unauthorized("no authentication".into()))?;
    let api_token = basic_password(header)
        .ok_or_else(|| ApiError::Unauthorized("invalid authentication".into()))?;
    let seed = state
        .config
        .tokens
        .iter()
        .find(|t| t.token == api_token)
        .ok_or_else(|| ApiError::Unauthorized("invalid token".into()))?;
    let expires_at = now()
        + chrono::Duration::from_std(state.config.token_lifetime)
            .unwrap_or(chrono::Duration::hours(1));
    let jwt = make_jwt(&seed.user, expires_at.timestamp());
    state.world().bearers.insert(
        jwt.clone(),
        Bearer {
            api_token: seed.token.clone(),
            user: seed.user.clone(),
            expires_at,
        },
    );
    Ok((StatusCode::OK, Json(json!({ "token": jwt }))))
}

/// `GET /v1/regions`.
pub async fn regions(State(state): State<AppState>, _caller: Caller) -> impl IntoResponse {
    let base = &state.base_url;
    Json(json!({
        "regions": [{
            "name": REGION,
            "display_name": "rewind sandbox (127.0.0.1)",
            "api": base,
            "dashboard": base,
            "database_api": base,
            "ssh": "127.0.0.1:22",
            "default": true,
        }]
    }))
}

/// The password of a Basic `Authorization` header whose user is empty.
fn basic_password(header: &str) -> Option<String> {
    let encoded = header.strip_prefix("Basic ")?;
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    if !user.is_empty() || password.is_empty() {
        return None;
    }
    Some(password.to_string())
}

/// A JWT-shaped token: clients read its `exp` claim without checking the
/// signature, and the sandbox recognises it by its text.
pub fn make_jwt(subject: &str, exp: i64) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = json!({
        "iss": "rewind-sandbox",
        "sub": subject,
        "iat": now().timestamp(),
        "exp": exp,
        "jti": new_id(),
    });
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signature = URL_SAFE_NO_PAD.encode(new_id());
    format!("{header}.{payload}.{signature}")
}

/// The authenticated caller of an API route.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: String,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let bearer = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| ApiError::Unauthorized("no authentication token".into()))?;
        let world = state.world();
        let found = world
            .bearers
            .get(bearer)
            .ok_or_else(|| ApiError::Unauthorized("invalid token".into()))?;
        if found.expires_at <= now() {
            return Err(ApiError::Unauthorized("token expired".into()));
        }
        Ok(Caller {
            user: found.user.clone(),
        })
    }
}
