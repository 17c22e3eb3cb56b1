//! An incident as the journal tells it: when it opened, for which app, its
//! steps with their last known state, and how it ended (or that it did
//! not: an interrupted run to resume).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::entry::{Entry, EntryKind, IncidentId};

/// Where a step stands according to the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    /// Started and never reported done: it may or may not have happened.
    Started,
    Done,
    Failed,
    Skipped,
}

impl StepState {
    /// The word people read for it.
    pub fn label(self) -> &'static str {
        match self {
            StepState::Started => "started, end not recorded",
            StepState::Done => "done",
            StepState::Failed => "failed",
            StepState::Skipped => "skipped",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    pub id: String,
    pub state: StepState,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    /// The key facts of the step's last entry.
    pub data: Value,
}

/// How an incident stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "outcome")]
pub enum IncidentState {
    /// Steps are recorded and no end: running now, or cut short.
    Open,
    /// Stopped by Ctrl-C or a refusal; can be resumed.
    Interrupted,
    /// Ended, with its outcome (`succeeded`, `failed`, `dry-run`...).
    Closed(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct Incident {
    pub id: IncidentId,
    pub app: String,
    pub opened_at: DateTime<Utc>,
    /// The `data` of the opening entry (command, reason, user...).
    pub opening: Value,
    pub steps: Vec<StepRecord>,
    pub state: IncidentState,
    pub closed_at: Option<DateTime<Utc>>,
    /// Every entry, in order.
    pub entries: Vec<Entry>,
}

impl Incident {
    /// Groups entries by incident, in order of opening. Entries of an
    /// incident whose opening line was lost are kept under a synthetic
    /// opening at their first entry. An incident about several apps (a
    /// rollback of several apps at once: its opening entries name them
    /// under `apps`) comes out as one part per app, each with the same id
    /// and only that app's entries: every reader that asks about one app
    /// (its unfinished rollbacks, its restores, its bad marks) sees the
    /// part about it as it would see a rollback of that app alone.
    pub fn group(entries: Vec<Entry>) -> Vec<Incident> {
        let whole = Self::group_by_id(entries);
        if !whole.iter().any(Incident::is_several_apps) {
            return whole;
        }
        let mut out = Vec::with_capacity(whole.len());
        for incident in whole {
            if !incident.is_several_apps() {
                out.push(incident);
                continue;
            }
            let mut apps: Vec<String> = Vec::new();
            for entry in &incident.entries {
                if !apps.contains(&entry.app) {
                    apps.push(entry.app.clone());
                }
            }
            for app in apps {
                let own: Vec<Entry> = incident
                    .entries
                    .iter()
                    .filter(|e| e.app == app)
                    .cloned()
                    .collect();
                out.extend(Self::group_by_id(own));
            }
        }
        out
    }

    /// The apps of an incident about several apps (its opening's `apps`),
    /// empty for an incident about one.
    pub fn apps(&self) -> Vec<String> {
        self.opening["apps"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|a| a.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Part of an incident about several apps.
    pub fn is_several_apps(&self) -> bool {
        self.opening["apps"].is_array()
    }

    fn group_by_id(entries: Vec<Entry>) -> Vec<Incident> {
        let mut incidents: Vec<Incident> = Vec::new();
        // Where each incident is in `incidents`: one pass over the journal,
        // however many incidents it holds.
        let mut index: HashMap<IncidentId, usize> = HashMap::new();
        for entry in entries {
            let pos = index.get(&entry.incident).copied();
            let incident = match pos {
                Some(p) => &mut incidents[p],
                None => {
                    index.insert(entry.incident.clone(), incidents.len());
                    incidents.push(Incident {
                        id: entry.incident.clone(),
                        app: entry.app.clone(),
                        opened_at: entry.at,
                        opening: Value::Null,
                        steps: Vec::new(),
                        state: IncidentState::Open,
                        closed_at: None,
                        entries: Vec::new(),
                    });
                    incidents.last_mut().expect("just pushed")
                }
            };
            incident.apply(&entry);
            incident.entries.push(entry);
        }
        incidents
    }

    fn apply(&mut self, entry: &Entry) {
        match entry.kind {
            EntryKind::IncidentOpened => {
                self.opened_at = entry.at;
                self.opening = entry.data.clone();
            }
            EntryKind::StepStarted => {
                let id = entry.step.clone().unwrap_or_default();
                self.steps.retain(|s| s.id != id);
                self.steps.push(StepRecord {
                    id,
                    state: StepState::Started,
                    started_at: Some(entry.at),
                    ended_at: None,
                    data: entry.data.clone(),
                });
                self.state = IncidentState::Open;
            }
            EntryKind::StepDone | EntryKind::StepFailed | EntryKind::StepSkipped => {
                let state = match entry.kind {
                    EntryKind::StepDone => StepState::Done,
                    EntryKind::StepFailed => StepState::Failed,
                    _ => StepState::Skipped,
                };
                let id = entry.step.clone().unwrap_or_default();
                match self.steps.iter_mut().find(|s| s.id == id) {
                    Some(step) => {
                        step.state = state;
                        step.ended_at = Some(entry.at);
                        step.data = entry.data.clone();
                    }
                    None => self.steps.push(StepRecord {
                        id,
                        state,
                        started_at: None,
                        ended_at: Some(entry.at),
                        data: entry.data.clone(),
                    }),
                }
            }
            EntryKind::Interrupted => self.state = IncidentState::Interrupted,
            EntryKind::IncidentClosed => {
                let outcome = entry.data["outcome"]
                    .as_str()
                    .unwrap_or("closed")
                    .to_string();
                self.state = IncidentState::Closed(outcome);
                self.closed_at = Some(entry.at);
            }
            EntryKind::DryRun => {
                // A dry run is recorded as one line: it opens and closes
                // the incident, and its data tells what it was about.
                if self.opening.is_null() {
                    self.opening = entry.data.clone();
                }
                self.state = IncidentState::Closed("dry-run".to_string());
                self.closed_at = Some(entry.at);
            }
            EntryKind::Answer
            | EntryKind::ReleaseMarkedBad
            | EntryKind::ReleaseUnmarked
            | EntryKind::Note => {}
        }
    }

    /// The step's record, if the journal has one.
    pub fn step(&self, id: &str) -> Option<&StepRecord> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// Not closed: running now, cut short or interrupted.
    pub fn is_unfinished(&self) -> bool {
        !matches!(self.state, IncidentState::Closed(_))
    }
}
