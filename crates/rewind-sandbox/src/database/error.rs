//! The database API's errors: the main API's shapes (`ApiError`) plus 403
//! `{"error","code"}`, which the database API answers when a valid addon
//! token is presented for another database, or a download link is not (or no
//! longer) valid; and 500 `{"error"}` when the real PostgreSQL behind a
//! database fails (with PostgreSQL's own message).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::api_error::ApiError;

#[derive(Debug)]
pub enum DbError {
    Api(ApiError),
    /// 403 with `{"error": message, "code": "forbidden"}`.
    Forbidden(String),
    /// 500 with `{"error": message}`.
    Server(String),
}

impl From<ApiError> for DbError {
    fn from(e: ApiError) -> Self {
        DbError::Api(e)
    }
}

impl IntoResponse for DbError {
    fn into_response(self) -> Response {
        match self {
            DbError::Api(e) => e.into_response(),
            DbError::Forbidden(msg) => (
                StatusCode::FORBIDDEN,
                axum::Json(json!({ "error": msg, "code": "forbidden" })),
            )
                .into_response(),
            DbError::Server(msg) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                axum::Json(json!({ "error": msg })),
            )
                .into_response(),
        }
    }
}
