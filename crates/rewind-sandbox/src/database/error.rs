//! The database API's errors: the main API's shapes (`ApiError`) plus 403
//! `{"error","code"}`, which the database API answers when a valid addon
//! token is presented for another database, or a download link is not (or no
//! longer) valid.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::api_error::ApiError;

#[derive(Debug)]
pub enum DbError {
    Api(ApiError),
    /// 403 with `{"error": message, "code": "forbidden"}`.
    Forbidden(String),
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
        }
    }
}
