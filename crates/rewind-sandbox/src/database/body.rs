//! Reading JSON request bodies by hand, so that a malformed body gets an
//! API-shaped 400 (`{"error","code"}`) rather than axum's plain-text
//! rejection, which no Scalingo client expects.

use axum::body::Bytes;
use serde::de::DeserializeOwned;

use crate::api_error::ApiError;

/// Parses a JSON body; an empty body reads as `{}` so that optional fields
/// get their defaults and required ones get a field message.
pub fn parse<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    serde_json::from_slice(text)
        .map_err(|e| ApiError::BadRequest(format!("the request body cannot be read: {e}")))
}
