//! The figures an on-call engineer is judged by, measured from the alert:
//! how long until the decision (the first action of the tree planned),
//! how long until the platform accepted the redeploy, and the whole drill.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use rewind_core::guide::{ActionReport, AnswerSource, Narrator, ProbeResult, TicketDraft};
use rewind_core::journal::Journal;
use rewind_core::tree::{Answer, Node, Probe};

/// Forwards everything to the narrator the caller shows, and notes when
/// the decision was made.
pub struct Timed<'n> {
    inner: &'n mut dyn Narrator,
    pub decided_at: Option<DateTime<Utc>>,
}

impl<'n> Timed<'n> {
    pub fn new(inner: &'n mut dyn Narrator) -> Self {
        Timed {
            inner,
            decided_at: None,
        }
    }
}

impl Narrator for Timed<'_> {
    fn question(&mut self, node: &Node) {
        self.inner.question(node);
    }

    fn evidence(&mut self, probe: Probe, result: &ProbeResult) {
        self.inner.evidence(probe, result);
    }

    fn answered(&mut self, node: &Node, answer: &Answer, source: AnswerSource) {
        self.inner.answered(node, answer, source);
    }

    fn plan(&mut self, node: &Node, lines: &[String]) {
        // The walk plans an action once every question on the way is
        // answered: that is the decision.
        self.decided_at.get_or_insert_with(Utc::now);
        self.inner.plan(node, lines);
    }

    fn progress(&mut self, line: &str) {
        self.inner.progress(line);
    }

    fn action_ended(&mut self, node: &Node, report: &ActionReport) {
        self.inner.action_ended(node, report);
    }

    fn ticket(&mut self, draft: &TicketDraft) {
        self.inner.ticket(draft);
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Timings {
    /// From the alert to the decision.
    pub to_decision_ms: Option<u64>,
    /// From the alert to the platform accepting the redeploy.
    pub to_deploy_accepted_ms: Option<u64>,
    /// The whole drill.
    pub total_ms: u64,
    /// The watch scenario: from the bad deploy's end to the incident
    /// `rewind watch` opened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detection_ms: Option<u64>,
    /// The watch scenario: from the bad deploy's end to its action done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_action_ms: Option<u64>,
}

impl Timings {
    pub fn measure(
        alert_at: DateTime<Utc>,
        decided_at: Option<DateTime<Utc>>,
        journal: &Journal,
        rollback_incident: Option<&str>,
        total: Duration,
    ) -> Timings {
        let since = |t: DateTime<Utc>| (t - alert_at).num_milliseconds().max(0) as u64;
        // The rollback's `deploy` step ends when the platform has accepted
        // the deployment; the journal holds the time.
        let accepted = rollback_incident
            .and_then(|id| journal.incident(id).ok())
            .and_then(|incident| incident.step("deploy").and_then(|s| s.ended_at));
        Timings {
            to_decision_ms: decided_at.map(since),
            to_deploy_accepted_ms: accepted.map(since),
            total_ms: total.as_millis() as u64,
            detection_ms: None,
            to_action_ms: None,
        }
    }
}
