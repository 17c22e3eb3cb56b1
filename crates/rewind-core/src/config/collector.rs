//! Gathers the problems found while reading `rewind.toml`, turning byte
//! offsets into line numbers. Every problem is kept, not just the first: a
//! person fixing the file wants the whole list in one go.

use std::path::{Path, PathBuf};

use super::error::{ConfigError, Problem};
use crate::diagnostics::LineIndex;

pub(crate) struct Collector {
    lines: LineIndex,
    file: PathBuf,
    problems: Vec<Problem>,
}

impl Collector {
    pub fn new(text: &str, file: &Path) -> Self {
        Collector {
            lines: LineIndex::new(text),
            file: file.to_path_buf(),
            problems: Vec::new(),
        }
    }

    /// Records that `key` (a path such as `apps[0].region`) is wrong at
    /// byte `offset`.
    pub fn at(&mut self, offset: usize, key: &str, message: impl Into<String>) {
        let line = self.line(offset);
        self.problems.push(Problem {
            file: self.file.clone(),
            line,
            key: key.to_string(),
            message: message.into(),
        });
    }

    /// The 1-based line holding byte `offset`.
    pub fn line(&self, offset: usize) -> usize {
        self.lines.line(offset)
    }

    /// `value` when nothing went wrong, else every problem by line.
    pub fn finish<T>(mut self, value: Option<T>) -> Result<T, ConfigError> {
        match value {
            Some(value) if self.problems.is_empty() => Ok(value),
            _ => {
                // Stable: problems on one line keep the order they were found in.
                self.problems.sort_by_key(|p| p.line);
                self.problems.dedup();
                if self.problems.is_empty() {
                    // A reader that returns nothing must have said why; this
                    // keeps a bug there from passing as a valid file.
                    self.at(
                        0,
                        "",
                        "the file could not be read as a rewind configuration",
                    );
                }
                Err(ConfigError::Invalid {
                    problems: self.problems,
                })
            }
        }
    }
}
