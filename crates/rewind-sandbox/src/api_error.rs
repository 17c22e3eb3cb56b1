//! Error answers shaped like the real API's: `{"resource","error"}` for 404,
//! `{"errors":{field:[...]}}` for 422, `{"error"}` for 401, plain text
//! `Retry later` for 429, and 501 naming the path for what the sandbox does
//! not implement (never a fake success).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug)]
pub enum ApiError {
    /// 401 with `{"error": message}`.
    Unauthorized(String),
    /// 404 with `{"resource": resource, "error": "not found"}`.
    NotFound(&'static str),
    /// 422 with `{"errors": {field: [message]}}`.
    Unprocessable(Vec<(String, String)>),
    /// 400 with `{"error", "code"}`.
    BadRequest(String),
    /// 409 with `{"error"}`.
    Conflict(String),
    /// 429 plain text, as the real API answers.
    RateLimited,
    /// 501: the sandbox does not implement this request.
    NotImplemented(String),
}

impl ApiError {
    pub fn unprocessable(field: &str, message: &str) -> Self {
        ApiError::Unprocessable(vec![(field.to_string(), message.to_string())])
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Unauthorized(msg) => (
                StatusCode::UNAUTHORIZED,
                axum::Json(json!({ "error": msg })),
            )
                .into_response(),
            ApiError::NotFound(resource) => (
                StatusCode::NOT_FOUND,
                axum::Json(json!({ "resource": resource, "error": "not found" })),
            )
                .into_response(),
            ApiError::Unprocessable(fields) => {
                let mut errors = serde_json::Map::new();
                for (field, message) in fields {
                    let entry = errors
                        .entry(field)
                        .or_insert_with(|| serde_json::Value::Array(Vec::new()));
                    if let serde_json::Value::Array(list) = entry {
                        list.push(serde_json::Value::String(message));
                    }
                }
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    axum::Json(json!({ "errors": errors })),
                )
                    .into_response()
            }
            ApiError::BadRequest(msg) => (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({ "error": msg, "code": "bad_request" })),
            )
                .into_response(),
            ApiError::Conflict(msg) => {
                (StatusCode::CONFLICT, axum::Json(json!({ "error": msg }))).into_response()
            }
            ApiError::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "Retry later").into_response(),
            ApiError::NotImplemented(path) => (
                StatusCode::NOT_IMPLEMENTED,
                axum::Json(json!({
                    "error": format!("rewind-sandbox does not implement {path}"),
                })),
            )
                .into_response(),
        }
    }
}
