//! Asking the person at the keyboard. The core never reads a terminal
//! itself: commands hand it a [`Prompter`]. A question with no safe default
//! fails with [`PromptError::NobodyToAsk`] when nobody can answer (no
//! terminal, no `--yes`, no scripted answer), so a script never hangs.

/// One possible answer of a choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// A stable id (`yes`, `no`, `high`), accepted as an answer too.
    pub id: String,
    /// What the person reads.
    pub label: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    #[error("rewind needs an answer to `{question}` but nobody can answer (no terminal)")]
    NobodyToAsk { question: String },
    #[error("no answer given (end of input)")]
    EndOfInput,
    #[error("interrupted (Ctrl-C) while waiting for an answer")]
    Interrupted,
    #[error("cannot read the answer")]
    Io(#[from] std::io::Error),
}

/// Asks questions and confirmations.
pub trait Prompter {
    /// Asks to pick one of `choices`; returns its index. `suggested`, when
    /// given, is shown as the evidence's suggestion, not taken silently.
    fn choose(
        &self,
        question: &str,
        choices: &[Choice],
        suggested: Option<usize>,
    ) -> Result<usize, PromptError>;

    /// Asks the person to type `expected` (an app name) to confirm an
    /// action on production. Anything else is a refusal.
    fn confirm_typed(&self, summary: &str, expected: &str) -> Result<bool, PromptError>;
}

/// The prompter of a run nobody watches: every question fails, naming it.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoPrompter;

impl Prompter for NoPrompter {
    fn choose(
        &self,
        question: &str,
        _choices: &[Choice],
        _suggested: Option<usize>,
    ) -> Result<usize, PromptError> {
        Err(PromptError::NobodyToAsk {
            question: question.to_string(),
        })
    }

    fn confirm_typed(&self, summary: &str, _expected: &str) -> Result<bool, PromptError> {
        Err(PromptError::NobodyToAsk {
            question: summary.to_string(),
        })
    }
}
