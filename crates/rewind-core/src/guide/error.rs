//! How a guided walk stops before its end for reasons other than an action
//! failing: a question nobody can answer, a refusal, a journal that cannot
//! be written.

use crate::journal::JournalError;
use crate::prompt::PromptError;

/// A question the walk waits on, with what can be answered, so that a run
/// with nobody to ask can say exactly what to pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnansweredQuestion {
    pub id: String,
    pub text: String,
    /// Answer ids, in the tree's order.
    pub answers: Vec<String>,
}

impl std::fmt::Display for UnansweredQuestion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} answers: {}",
            self.id,
            self.text,
            self.answers.join(", ")
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GuideError {
    #[error("question `{}` has no answer and nobody can answer it here", .0.id)]
    Unanswered(UnansweredQuestion),

    #[error("several feature flags could be switched off ({}) and nobody can choose here", .flags.join(", "))]
    FlagNotChosen { flags: Vec<String> },

    #[error("{what} was not confirmed: nothing was changed")]
    NotConfirmed { what: String },

    #[error(transparent)]
    Journal(#[from] JournalError),

    #[error(transparent)]
    Prompt(#[from] PromptError),
}

impl GuideError {
    /// What the user should do next.
    pub fn hints(&self) -> Vec<String> {
        match self {
            GuideError::Unanswered(q) => vec![
                format!(
                    "pass --answer {}=ANSWER (one of: {}), or run rewind guide in a terminal",
                    q.id,
                    q.answers.join(", ")
                ),
                "--answers FILE reads one `id=answer` per line".into(),
            ],
            GuideError::FlagNotChosen { flags } => vec![format!(
                "name the flag with --flag (one of: {}), or run rewind guide in a terminal",
                flags.join(", ")
            )],
            GuideError::NotConfirmed { .. } => vec![
                "run rewind guide again when ready; --yes confirms every action in a script".into(),
            ],
            GuideError::Journal(_) => vec![
                "check that the journal directory is writable, or set REWIND_JOURNAL_DIR".into(),
            ],
            GuideError::Prompt(PromptError::NobodyToAsk { .. }) => {
                vec!["run it in a terminal, or pass --yes to confirm in a script".into()]
            }
            GuideError::Prompt(PromptError::Interrupted) => vec![
                "nothing more was done; `rewind journal` shows this walk and its answers".into(),
            ],
            GuideError::Prompt(_) => Vec::new(),
        }
    }
}
