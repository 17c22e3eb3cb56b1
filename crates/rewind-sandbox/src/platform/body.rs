//! Reading JSON request bodies with the API's error shapes: a body that is
//! not JSON, or not the documented shape, answers 400 `{"error","code"}`
//! naming what is wrong, instead of axum's plain-text rejections.

use axum::body::Bytes;
use serde::de::DeserializeOwned;

use crate::api_error::ApiError;

/// Parses a JSON body; `None` when the body is empty.
pub fn parse_optional<T: DeserializeOwned>(bytes: &Bytes) -> Result<Option<T>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(bytes)
        .map(Some)
        .map_err(|e| ApiError::BadRequest(format!("invalid request body: {e}")))
}

/// Parses a JSON body that must be present.
pub fn parse<T: DeserializeOwned>(bytes: &Bytes, example: &str) -> Result<T, ApiError> {
    parse_optional(bytes)?
        .ok_or_else(|| ApiError::BadRequest(format!("missing request body, expected {example}")))
}
