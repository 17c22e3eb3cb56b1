//! Admin routes over a database's contents, so that tests and rehearsals
//! can write data and check what a backup or a restore kept:
//! `GET /_sandbox/databases/{id}/rows` and `POST /_sandbox/databases/{id}/rows`
//! `{"rows": ["text", {"text": "...", "at": "<ISO-8601>"}]}` (a plain string
//! is written now; `at` back-dates a row to seed a history). With a real
//! PostgreSQL the rows are those of the database's `rows(text, at)` table.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::DateTime;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api_error::ApiError;
use crate::database::body;
use crate::database::content::{Row, Store};
use crate::database::error::DbError;
use crate::database::real::blocking;
use crate::database::record::locate;
use crate::state::AppState;
use crate::time::{Timestamp, format, now};

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
) -> Result<Json<Value>, DbError> {
    let real = {
        let mut world = state.world();
        let db = locate(&mut world, &id)?;
        let restoring = db.record.current_operation().map(|o| o.id.clone());
        match db.record.content.open(db.backend) {
            Store::Simulated(simulated) => return Ok(Json(rows_json(simulated.rows()))),
            // The server is stopped during a restore.
            Store::Real(_) if restoring.is_some() => {
                return Err(ApiError::Conflict(format!(
                    "the database is being restored (operation {}): its rows can be read once it finishes",
                    restoring.unwrap_or_default()
                ))
                .into());
            }
            Store::Real(real) => real,
        }
    };
    let rows = blocking(move || real.rows()).await?;
    Ok(Json(rows_json(&rows)))
}

/// `POST /_sandbox/databases/{id}/rows`: 201 with every row now held.
pub async fn append(
    State(state): State<AppState>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<Value>), DbError> {
    let request: WriteRequest = body::parse(&bytes)?;
    let mut rows: Vec<(Option<Timestamp>, String)> = Vec::new();
    let mut errors = Vec::new();
    for (i, row) in request.rows.into_iter().enumerate() {
        match row {
            NewRow::Text(text) => rows.push((None, text)),
            NewRow::Dated { text, at } => match DateTime::parse_from_rfc3339(&at) {
                Ok(at) => rows.push((Some(at.to_utc()), text)),
                Err(e) => errors.push((
                    format!("rows[{i}].at"),
                    format!("is not an ISO-8601 date-time: {e}"),
                )),
            },
        }
    }
    for (i, (_, text)) in rows.iter().enumerate() {
        if text.contains('\0') {
            errors.push((
                format!("rows[{i}].text"),
                "cannot hold a NUL character".to_string(),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Unprocessable(errors).into());
    }
    let real = {
        let mut world = state.world();
        let db = locate(&mut world, &id)?;
        // A database being restored is stopped: it takes no writes.
        if let Some(current) = db.record.current_operation() {
            return Err(ApiError::Conflict(format!(
                "the database is being restored (operation {}): it accepts no writes until it finishes",
                current.id
            ))
            .into());
        }
        match db.record.content.open(db.backend) {
            Store::Simulated(simulated) => {
                let written_at = now();
                simulated.append(
                    rows.into_iter()
                        .map(|(at, text)| Row {
                            at: at.unwrap_or(written_at),
                            text,
                        })
                        .collect(),
                );
                return Ok((StatusCode::CREATED, Json(rows_json(simulated.rows()))));
            }
            Store::Real(real) => real,
        }
    };
    let held = blocking(move || {
        real.append(&rows)?;
        real.rows()
    })
    .await?;
    Ok((StatusCode::CREATED, Json(rows_json(&held))))
}

fn rows_json(rows: &[Row]) -> Value {
    let rows: Vec<Value> = rows
        .iter()
        .map(|r| json!({ "at": format(&r.at), "text": r.text }))
        .collect();
    json!({ "rows": rows })
}
