//! One line of the journal, and incident ids.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An incident's id: `YYYYMMDD-HHMMSS-xxxx`, sortable by time and short
/// enough to type in `rewind resume ID`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IncidentId(pub String);

impl IncidentId {
    pub fn new(at: DateTime<Utc>) -> Self {
        use rand::Rng;
        let suffix: u16 = rand::rng().random();
        IncidentId(format!("{}-{suffix:04x}", at.format("%Y%m%d-%H%M%S")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IncidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a journal line records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// An incident begins: `data` holds the app, the command, the reason.
    IncidentOpened,
    /// A step is about to run.
    StepStarted,
    /// A step ended well; `data` holds its key facts.
    StepDone,
    /// A step failed; `data.error` says why.
    StepFailed,
    /// A step was found already done (resume) or not needed.
    StepSkipped,
    /// The run stopped on the user's request (Ctrl-C) or a refusal.
    Interrupted,
    /// A question of the decision tree and its answer.
    Answer,
    /// A release was marked bad: `data` holds its tag, commit and label.
    ReleaseMarkedBad,
    /// A mark was taken back (`rewind unmark`): `data` holds the tag and
    /// commit it no longer makes bad, who and why.
    ReleaseUnmarked,
    /// A dry run: the plan was shown, nothing was done.
    DryRun,
    /// A free note (a warning acknowledged, a choice made).
    Note,
    /// The incident ends: `data.outcome` says how.
    IncidentClosed,
}

/// One journal line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub incident: IncidentId,
    pub kind: EntryKind,
    /// The app the incident is about.
    pub app: String,
    /// The step's id, for step entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub data: Value,
}

/// Replaces anything that looks like a credential inside a value, as a last
/// line of defence: callers must not put secrets in the journal, and this
/// makes sure one that slipped in is not written.
pub fn scrub(value: &mut Value) {
    match value {
        Value::String(s) => {
            if let std::borrow::Cow::Owned(clean) = crate::redact::redact(s) {
                *s = clean;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(scrub),
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                let k = key.to_ascii_lowercase();
                if (k.contains("token") || k.contains("password") || k == "secret") && v.is_string()
                {
                    *v = Value::String("[redacted]".to_string());
                } else {
                    scrub(v);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_tokens_and_passwords() {
        let mut v = serde_json::json!({
            "api_token": "tk-us-abc",
            "url": "https://db-api/x?token=abc",
            "db": "postgres://user:pw@host/db",
            "nested": ["Bearer xyz", "fine"],
            "branch": "release/v1.2.0",
            "archive": "https://a.example/x.tar.gz?sha=1&private_token=p; and https://b:c@d/",
        });
        scrub(&mut v);
        // The secret goes, what tells the story stays.
        assert_eq!(v["api_token"], "[redacted]");
        assert_eq!(v["url"], "https://db-api/x?token=[redacted]");
        assert_eq!(v["db"], "postgres://[redacted]@host/db");
        assert_eq!(v["nested"][0], "Bearer [redacted]");
        assert_eq!(
            v["archive"],
            "https://a.example/x.tar.gz?sha=1&private_token=[redacted]; and https://[redacted]@d/"
        );
        assert_eq!(v["nested"][1], "fine");
        assert_eq!(v["branch"], "release/v1.2.0");
    }

    #[test]
    fn ids_sort_by_time() {
        let a = IncidentId::new(DateTime::from_timestamp(1_700_000_000, 0).expect("t"));
        let b = IncidentId::new(DateTime::from_timestamp(1_700_000_060, 0).expect("t"));
        assert!(a < b);
        assert!(a.as_str().starts_with("20231114-"));
    }
}
