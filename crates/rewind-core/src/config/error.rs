//! What can go wrong with `rewind.toml`: not found, unreadable, or written
//! wrong, in which case every problem names the file, the line and the key,
//! and says what was expected.

use std::fmt;
use std::io;
use std::path::PathBuf;

use super::FILE_NAME;

/// One mistake in `rewind.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file as it was given or found.
    pub file: PathBuf,
    /// 1-based line of the key or value at fault.
    pub line: usize,
    /// Where in the document: `apps[0].tag_format`; empty for TOML syntax.
    pub key: String,
    /// What is wrong and what is expected instead.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.file.display(), self.line)?;
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        f.write_str(&self.message)
    }
}

/// Why no usable configuration came out of `rewind.toml`.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Discovery walked up to the repository or filesystem root in vain.
    #[error(
        "no {FILE_NAME} found: looked in {}; run `rewind init` at the repository root to create one",
        list_dirs(searched)
    )]
    NotFound {
        /// Every directory that was looked into, nearest first.
        searched: Vec<PathBuf>,
    },
    /// The file exists (or was named) but cannot be read.
    // The reason is in the message, not the cause chain: printed both
    // ways, it would be said twice.
    #[error("cannot read {}: {reason}", path.display())]
    Read { path: PathBuf, reason: io::Error },
    /// The file was read and is wrong; every problem found, sorted by line.
    #[error("{}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid { problems: Vec<Problem> },
    /// An app was asked for by a name the file does not declare.
    #[error("no app named `{name}` in {}; the apps are: {}", path.display(), available.join(", "))]
    UnknownApp {
        name: String,
        path: PathBuf,
        available: Vec<String>,
    },
    /// Several apps are declared and nothing said which one.
    #[error("{} declares several apps ({}); say which one with --app", path.display(), available.join(", "))]
    AppRequired {
        path: PathBuf,
        available: Vec<String>,
    },
}

impl ConfigError {
    /// The problems of an invalid file; empty for other errors.
    pub fn problems(&self) -> &[Problem] {
        match self {
            ConfigError::Invalid { problems } => problems,
            _ => &[],
        }
    }
}

/// `/a/b, /a` with the long middle of a deep walk elided.
fn list_dirs(dirs: &[PathBuf]) -> String {
    const SHOWN: usize = 6;
    let shown: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    if shown.len() <= SHOWN {
        return shown.join(", ");
    }
    let head = shown[..SHOWN - 1].join(", ");
    let last = &shown[shown.len() - 1];
    format!("{head}, ... (up to {last})")
}
