//! The one error type commands return: what happened, why (the cause chain),
//! and what to do next (hints), with the exit code that says which kind of
//! failure it was.
//!
//! Exit codes: 0 success; 1 the operation failed; 2 usage or configuration
//! error; 3 refused by a safety check or aborted by the user; 130
//! interrupted.

use std::error::Error as StdError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The operation failed (exit 1).
    Failed,
    /// Bad usage or configuration (exit 2).
    Config,
    /// Refused by a safety check or aborted by the user (exit 3).
    Refused,
    /// Interrupted (exit 130).
    Interrupted,
}

#[derive(Debug)]
pub struct CliError {
    pub kind: ErrorKind,
    pub error: Box<dyn StdError + Send + Sync>,
    pub hints: Vec<String>,
}

impl CliError {
    pub fn new(kind: ErrorKind, error: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        CliError {
            kind,
            error: error.into(),
            hints: Vec::new(),
        }
    }

    pub fn failed(error: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self::new(ErrorKind::Failed, error)
    }

    pub fn config(error: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self::new(ErrorKind::Config, error)
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    pub fn exit_code(&self) -> u8 {
        match self.kind {
            ErrorKind::Failed => 1,
            ErrorKind::Config => 2,
            ErrorKind::Refused => 3,
            ErrorKind::Interrupted => 130,
        }
    }

    /// Prints `error: ...`, each cause as `  caused by: ...`, then the hints.
    /// Shown even with `--quiet`, neutralised like every line (an error may
    /// echo a tag name or a configuration value).
    pub fn print(&self) {
        errln!("error: {}", self.error);
        let mut source = self.error.source();
        while let Some(cause) = source {
            errln!("  caused by: {cause}");
            source = cause.source();
        }
        for hint in &self.hints {
            errln!("hint: {hint}");
        }
    }
}

impl From<rewind_core::config::ConfigError> for CliError {
    fn from(e: rewind_core::config::ConfigError) -> Self {
        use rewind_core::config::ConfigError;
        let hint = match &e {
            ConfigError::NotFound { .. } => Some("or pass --config PATH"),
            ConfigError::Invalid { .. } => {
                Some("fix the lines above; docs/configuration.md describes every key")
            }
            ConfigError::AppRequired { .. } | ConfigError::UnknownApp { .. } => {
                Some("name one of the apps listed above")
            }
            ConfigError::Read { reason, .. } if reason.kind() == std::io::ErrorKind::NotFound => {
                Some(
                    "check the path given to --config or REWIND_CONFIG; without either, rewind looks for rewind.toml from the current directory up to the repository root",
                )
            }
            ConfigError::Read { .. } => None,
        };
        let err = CliError::config(e);
        match hint {
            Some(h) => err.hint(h),
            None => err,
        }
    }
}

impl From<rewind_core::platform::PlatformError> for CliError {
    fn from(e: rewind_core::platform::PlatformError) -> Self {
        use rewind_core::platform::PlatformError as P;
        let kind = match &e {
            P::MissingToken { .. }
            | P::InvalidToken { .. }
            | P::InvalidUrl { .. }
            | P::OtpRequired { .. }
            | P::UnknownRegion { .. } => ErrorKind::Config,
            P::NotFound { resource, .. } if resource == "app" => ErrorKind::Config,
            P::Interrupted { .. } => ErrorKind::Interrupted,
            _ => ErrorKind::Failed,
        };
        let hints = e.hints();
        let mut err = CliError::new(kind, e);
        err.hints = hints;
        err
    }
}

impl From<rewind_core::git::GitError> for CliError {
    fn from(e: rewind_core::git::GitError) -> Self {
        CliError::failed(e)
    }
}

impl From<rewind_core::journal::JournalError> for CliError {
    fn from(e: rewind_core::journal::JournalError) -> Self {
        use rewind_core::journal::JournalError as J;
        match &e {
            _ if e.is_bad_id() => CliError::new(ErrorKind::Config, e)
                .hint("`rewind journal` lists the incidents with their ids"),
            J::Read { .. } => CliError::failed(e).hint(
                "check that the journal file can be read, or point REWIND_JOURNAL_DIR at another directory",
            ),
            _ => CliError::failed(e)
                .hint("check that the journal directory is writable, or set REWIND_JOURNAL_DIR"),
        }
    }
}

impl From<rewind_core::prompt::PromptError> for CliError {
    fn from(e: rewind_core::prompt::PromptError) -> Self {
        use rewind_core::prompt::PromptError;
        match e {
            PromptError::NobodyToAsk { .. } => CliError::new(ErrorKind::Refused, e)
                .hint("run it in a terminal, or pass --yes to confirm in a script"),
            PromptError::EndOfInput => CliError::new(ErrorKind::Refused, e),
            PromptError::Interrupted => CliError::new(ErrorKind::Interrupted, e)
                .hint("nothing more was done; `rewind journal` shows what was done before"),
            PromptError::Io(_) => CliError::failed(e),
        }
    }
}

impl From<rewind_core::db::DbError> for CliError {
    fn from(e: rewind_core::db::DbError) -> Self {
        use rewind_core::db::{DbError, DbErrorKind};
        if let DbError::Platform(p) = e {
            return CliError::from(p);
        }
        let kind = match e.kind() {
            DbErrorKind::Failed => ErrorKind::Failed,
            DbErrorKind::Usage => ErrorKind::Config,
            DbErrorKind::Interrupted => ErrorKind::Interrupted,
            DbErrorKind::Refused => ErrorKind::Refused,
        };
        let hints = e.hints();
        let mut err = CliError::new(kind, e);
        err.hints = hints;
        err
    }
}

impl From<rewind_core::guide::GuideError> for CliError {
    fn from(e: rewind_core::guide::GuideError) -> Self {
        use rewind_core::guide::GuideError as G;
        use rewind_core::prompt::PromptError;
        let kind = match &e {
            G::Unanswered(_) | G::FlagNotChosen { .. } => ErrorKind::Config,
            G::Prompt(PromptError::Interrupted) => ErrorKind::Interrupted,
            G::NotConfirmed { .. } | G::Prompt(_) => ErrorKind::Refused,
            G::Journal(_) => ErrorKind::Failed,
        };
        let hints = e.hints();
        let mut err = CliError::new(kind, e);
        err.hints = hints;
        err
    }
}

impl From<rewind_core::config::init::InitError> for CliError {
    fn from(error: rewind_core::config::init::InitError) -> Self {
        use rewind_core::config::init::InitError as I;
        match error {
            I::Exists { .. } => {
                CliError::config(error).hint("pass --force to replace it, or edit it by hand")
            }
            I::NotARepository { .. } => CliError::config(error)
                .hint("run `rewind init` inside the app's git repository, or pass --dir"),
            I::BadAppName(_) => CliError::config(error)
                .hint("pass the name shown in the Scalingo dashboard, e.g. --app my-app"),
            I::SeveralApps { .. } => CliError::config(error)
                .hint("run it without --app, then set each app's name in rewind.toml"),
            I::ReleasePlease { .. } => CliError::config(error)
                .hint("fix the JSON file, or move it aside to write a configuration without it"),
            I::Git(_) | I::Read { .. } | I::Write { .. } | I::Generated(_) => {
                CliError::failed(error)
            }
        }
    }
}
