//! What the caller is told while the guide walks: each question, the
//! evidence behind it, how it was answered, each action's plan, progress
//! and outcome, and the ticket drafts. Every method has a default, so a
//! caller implements only what it shows.

use crate::tree::{Answer, Node, Probe};

use super::actions::ActionReport;
use super::evidence::ProbeResult;
use super::ticket::TicketDraft;

/// Where an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerSource {
    /// `--answer` or `--answers FILE`.
    Preset,
    /// The person, through the prompter.
    Prompt,
}

impl AnswerSource {
    pub fn as_str(self) -> &'static str {
        match self {
            AnswerSource::Preset => "preset",
            AnswerSource::Prompt => "prompt",
        }
    }
}

pub trait Narrator {
    /// The walk reached a question (before its evidence is gathered).
    fn question(&mut self, node: &Node) {
        let _ = node;
    }
    /// A probe's findings, or why it failed.
    fn evidence(&mut self, probe: Probe, result: &ProbeResult) {
        let _ = (probe, result);
    }
    /// One app's findings, when the guide walks for several apps.
    fn app_evidence(&mut self, app: &str, probe: Probe, result: &ProbeResult) {
        let _ = app;
        self.evidence(probe, result);
    }
    fn answered(&mut self, node: &Node, answer: &Answer, source: AnswerSource) {
        let _ = (node, answer, source);
    }
    /// An action is about to be confirmed: what it will do, line by line.
    fn plan(&mut self, node: &Node, lines: &[String]) {
        let _ = (node, lines);
    }
    /// Something happened while an action ran.
    fn progress(&mut self, line: &str) {
        let _ = line;
    }
    fn action_ended(&mut self, node: &Node, report: &ActionReport) {
        let _ = (node, report);
    }
    /// A ticket draft was written.
    fn ticket(&mut self, draft: &TicketDraft) {
        let _ = draft;
    }
}

/// A narrator nobody reads.
impl Narrator for () {}
