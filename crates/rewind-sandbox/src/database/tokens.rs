//! Addon tokens: the bearer of the database API. `POST
//! /v1/apps/{app}/addons/{addon_id}/token` mints one (JWT-shaped, with an
//! `exp` claim, living `config.addon_token_lifetime`, separate from API
//! bearers), and `AddonBearer` checks it on every `/api` route.
//!
//! A token opens one database only. A missing, unknown or expired token is
//! 401 `{"error"}`; a valid token presented for another database is 403
//! `{"error","code":"forbidden"}`: the caller is authenticated, just not
//! allowed there, and a client must not treat it as "refresh the token".

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};

use crate::api_error::ApiError;
use crate::auth::make_jwt;
use crate::database::error::DbError;
use crate::state::AppState;
use crate::time::{Timestamp, now};

/// A token handed out for an addon.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AddonToken {
    pub addon_id: String,
    pub expires_at: Timestamp,
}

/// Mints and records a token for `addon_id`.
pub fn mint(state: &AppState, addon_id: &str) -> String {
    let lifetime = chrono::Duration::from_std(state.config.addon_token_lifetime)
        .unwrap_or(chrono::Duration::hours(1));
    let expires_at = now() + lifetime;
    let token = make_jwt(addon_id, expires_at.timestamp());
    let mut world = state.world();
    let tokens = &mut world.database.tokens;
    // Expired tokens can never be used again: drop them so the world (which
    // may be saved to disk) does not grow with every exchange.
    let at = now();
    tokens.retain(|_, t| t.expires_at > at);
    tokens.insert(
        token.clone(),
        AddonToken {
            addon_id: addon_id.to_string(),
            expires_at,
        },
    );
    token
}

/// The caller of a database API route: the addon its token was minted for.
#[derive(Debug, Clone)]
pub struct AddonBearer {
    pub addon_id: String,
}

impl AddonBearer {
    /// Refuses the call when the token belongs to another database.
    pub fn allow(&self, database_id: &str) -> Result<(), DbError> {
        if self.addon_id == database_id {
            Ok(())
        } else {
            Err(DbError::Forbidden(format!(
                "this addon token does not give access to database {database_id}"
            )))
        }
    }
}

impl FromRequestParts<AppState> for AddonBearer {
    type Rejection = DbError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, DbError> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::Unauthorized("no authentication token".into()))?;
        let world = state.world();
        let found = world
            .database
            .tokens
            .get(token)
            .ok_or_else(|| ApiError::Unauthorized("invalid token".into()))?;
        if found.expires_at <= now() {
            return Err(ApiError::Unauthorized("token expired".into()).into());
        }
        Ok(AddonBearer {
            addon_id: found.addon_id.clone(),
        })
    }
}
