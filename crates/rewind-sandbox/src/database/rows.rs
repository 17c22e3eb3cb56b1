//! Admin routes over a simulated database's contents, so that tests and
//! rehearsals can write data and check what a backup or a restore kept:
//! `GET /_sandbox/databases/{id}/rows` and `POST /_sandbox/databases/{id}/rows`
//! `{"rows": ["text", {"text": "...", "at": "<ISO-8601>"}]}` (a plain string
//! is written now; `at` back-dates a row to seed a history).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::DateTime;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api_error::ApiError;
use crate::database::body;
use crate::database::content::{Content, Row};
use crate::database::record::locate;
use crate::state::AppState;
use crate::time::{format, now};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WriteRequest {
    rows: Vec<NewRow>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NewRow {
    Text(String),
    Dated { text: String, at: String },
}

/// `GET /_sandbox/databases/{id}/rows`.
pub async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let mut world = state.world();
    let db = locate(&mut world, &id)?;
    Ok(Json(rows_json(&db.record.content)))
}

/// `POST /_sandbox/databases/{id}/rows`: 201 with every row now held.
pub async fn append(
    State(state): State<AppState>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let request: WriteRequest = body::parse(&bytes)?;
    let written_at = now();
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (i, row) in request.rows.into_iter().enumerate() {
        match row {
            NewRow::Text(text) => rows.push(Row {
                at: written_at,
                text,
            }),
            NewRow::Dated { text, at } => match DateTime::parse_from_rfc3339(&at) {
                Ok(at) => rows.push(Row {
                    at: at.to_utc(),
                    text,
                }),
                Err(e) => errors.push((
                    format!("rows[{i}].at"),
                    format!("is not an ISO-8601 date-time: {e}"),
                )),
            },
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Unprocessable(errors));
    }
    let mut world = state.world();
    let db = locate(&mut world, &id)?;
    // A database being restored is stopped: it takes no writes.
    if let Some(current) = db.record.current_operation() {
        return Err(ApiError::Conflict(format!(
            "the database is being restored (operation {}): it accepts no writes until it finishes",
            current.id
        )));
    }
    db.record.content.append(rows);
    Ok((StatusCode::CREATED, Json(rows_json(&db.record.content))))
}

fn rows_json(content: &Content) -> Value {
    let rows: Vec<Value> = content
        .rows()
        .iter()
        .map(|r| json!({ "at": format(&r.at), "text": r.text }))
        .collect();
    json!({ "rows": rows })
}
