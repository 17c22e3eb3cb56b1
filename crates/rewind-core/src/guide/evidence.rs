//! What a probe found: lines for a person, the answer the evidence points
//! to (only a suggestion: the person still decides), and the key facts for
//! the journal and the ticket.

use serde::Serialize;
use serde_json::Value;

use crate::tree::Probe;

/// The evidence behind one question.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    pub probe: &'static str,
    /// One finding per line, in the order to read them.
    pub lines: Vec<String>,
    /// The answer id the evidence points to, when it points anywhere; it
    /// is offered only when the question has such an answer.
    pub suggestion: Option<String>,
    /// Why the suggestion, in a few words.
    pub because: Option<String>,
    /// Key facts for the journal.
    pub facts: Value,
}

impl Evidence {
    pub(crate) fn new(probe: Probe) -> Self {
        Evidence {
            probe: probe.name(),
            lines: Vec::new(),
            suggestion: None,
            because: None,
            facts: Value::Null,
        }
    }

    pub(crate) fn line(&mut self, text: impl Into<String>) {
        self.lines.push(text.into());
    }

    pub(crate) fn suggest(&mut self, answer: &str, because: impl Into<String>) {
        self.suggestion = Some(answer.to_string());
        self.because = Some(because.into());
    }
}

/// A probe's result: the evidence, or why it could not be gathered (the
/// walk goes on without a suggestion).
pub type ProbeResult = Result<Evidence, String>;
