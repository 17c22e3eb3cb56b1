//! The sandbox's admin surface (`/_sandbox/...`), spoken over plain HTTP:
//! the drill writes production's rows through it, as the app would, and
//! reads them back to show what a restore kept and lost. The platform
//! itself is only ever driven through the Scalingo API. Each request is
//! an `http` event for `REWIND_LOG=debug`, as the client's are.

use std::time::Instant;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::error::DrillError;

/// One row of the app's database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub at: DateTime<Utc>,
    pub text: String,
}

pub struct Admin {
    base_url: String,
    agent: ureq::Agent,
}

impl Admin {
    pub fn new(base_url: &str) -> Admin {
        Admin {
            base_url: base_url.trim_end_matches('/').to_string(),
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(std::time::Duration::from_secs(30)))
                .build()
                .into(),
        }
    }

    /// Writes rows now, as the running release would.
    pub fn write_rows(&self, addon: &str, rows: &[&str]) -> Result<Vec<Row>, DrillError> {
        let what = format!("writing rows to the database {addon}");
        let path = format!("/_sandbox/databases/{addon}/rows");
        read_rows(&what, self.send(&path, Some(json!({ "rows": rows }))))
    }

    /// Records the nightly backups production had (`created_at` each).
    pub fn seed_backups(&self, addon: &str, at: &[DateTime<Utc>]) -> Result<(), DrillError> {
        let what = format!("recording the past backups of the database {addon}");
        let list: Vec<Value> = at
            .iter()
            .map(
                |t| json!({ "created_at": t.to_rfc3339(), "status": "done", "method": "periodic" }),
            )
            .collect();
        let path = format!("/_sandbox/databases/{addon}/backups/history");
        expect_success(&what, self.send(&path, Some(json!({ "backups": list }))))
    }

    /// Every row the database holds now.
    pub fn rows(&self, addon: &str) -> Result<Vec<Row>, DrillError> {
        let what = format!("reading the rows of the database {addon}");
        let path = format!("/_sandbox/databases/{addon}/rows");
        read_rows(&what, self.send(&path, None))
    }

    /// POSTs `body` to `path`, or GETs `path` when there is none.
    fn send(
        &self,
        path: &str,
        body: Option<Value>,
    ) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
        let url = format!("{}{path}", self.base_url);
        let started = Instant::now();
        let (method, response) = match body {
            Some(body) => ("POST", self.agent.post(&url).send_json(body)),
            None => ("GET", self.agent.get(&url).call()),
        };
        let ms = started.elapsed().as_millis() as u64;
        match &response {
            Ok(r) => {
                tracing::debug!(target: "http", method, path, status = r.status().as_u16(), ms, "sandbox admin answered");
            }
            Err(error) => {
                tracing::debug!(target: "http", method, path, ms, %error, "sandbox admin: no answer");
            }
        }
        response
    }
}

fn expect_success(
    what: &str,
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<(), DrillError> {
    let fail = |detail: String| DrillError::Admin {
        what: what.to_string(),
        detail,
    };
    let mut response = response.map_err(|e| fail(e.to_string()))?;
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        let text = response.body_mut().read_to_string().unwrap_or_default();
        return Err(fail(format!("HTTP {status}: {}", text.trim())));
    }
    Ok(())
}

fn read_rows(
    what: &str,
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<Vec<Row>, DrillError> {
    let fail = |detail: String| DrillError::Admin {
        what: what.to_string(),
        detail,
    };
    let mut response = response.map_err(|e| fail(e.to_string()))?;
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .read_to_string()
        .map_err(|e| fail(e.to_string()))?;
    if !(200..300).contains(&status) {
        return Err(fail(format!("HTTP {status}: {}", text.trim())));
    }
    let body: Value = serde_json::from_str(&text).map_err(|e| fail(e.to_string()))?;
    let rows = body["rows"]
        .as_array()
        .ok_or_else(|| fail("the answer has no `rows` list".into()))?;
    rows.iter()
        .map(|r| {
            let at = r["at"]
                .as_str()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .ok_or_else(|| fail(format!("a row without a valid `at`: {r}")))?;
            Ok(Row {
                at: at.to_utc(),
                text: r["text"].as_str().unwrap_or_default().to_string(),
            })
        })
        .collect()
}
