//! What is wrong with a tree file, each problem at its `file:line`, and the
//! error that carries all of them at once.
//!
//! A tree is usually fixed in one sitting, so the loader reports every
//! problem it can find instead of stopping at the first.

use std::fmt;
use std::path::PathBuf;

use crate::diagnostics::LineIndex;

/// One problem in a tree file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// Every problem found in a tree file, sorted by line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problems {
    pub file: String,
    pub problems: Vec<Problem>,
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.problems.len();
        write!(
            f,
            "{}: the decision tree has {count} problem{}",
            self.file,
            if count == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for Problems {}

/// Why a tree file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    #[error("cannot read the decision tree file {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Invalid(#[from] Problems),
}

/// The text of a tree file, to turn byte offsets into line numbers.
pub(crate) struct Source<'s> {
    pub name: &'s str,
    pub text: &'s str,
    lines: LineIndex,
}

impl Source<'_> {
    pub fn line(&self, offset: usize) -> usize {
        self.lines.line(offset)
    }
}

/// Collects problems as the loader and the checks find them.
pub(crate) struct Collector<'s> {
    pub source: Source<'s>,
    pub problems: Vec<Problem>,
}

impl<'s> Collector<'s> {
    pub fn new(name: &'s str, text: &'s str) -> Self {
        Collector {
            source: Source {
                name,
                text,
                lines: LineIndex::new(text),
            },
            problems: Vec::new(),
        }
    }

    /// Records a problem at the line holding byte `offset`.
    pub fn at(&mut self, offset: usize, message: impl Into<String>) {
        let line = self.source.line(offset);
        self.at_line(line, message);
    }

    pub fn at_line(&mut self, line: usize, message: impl Into<String>) {
        self.problems.push(Problem {
            file: self.source.name.to_owned(),
            line,
            message: message.into(),
        });
    }

    pub fn line(&self, offset: usize) -> usize {
        self.source.line(offset)
    }

    pub fn into_result(mut self) -> Result<(), Problems> {
        if self.problems.is_empty() {
            return Ok(());
        }
        // Stable sort: problems on one line keep the order they were found in.
        self.problems.sort_by_key(|p| p.line);
        self.problems.dedup();
        Err(Problems {
            file: self.source.name.to_owned(),
            problems: self.problems,
        })
    }
}

pub(crate) use crate::diagnostics::name_list as list;

/// `a -> b -> c`, cut in the middle when long: a cycle through thousands of
/// nodes is named by its ends.
pub(crate) fn path(ids: &[&str]) -> String {
    const ENDS: usize = 5;
    if ids.len() <= 2 * ENDS + 1 {
        return ids.join(" -> ");
    }
    format!(
        "{} -> ... {} more ... -> {}",
        ids[..ENDS].join(" -> "),
        ids.len() - 2 * ENDS,
        ids[ids.len() - ENDS..].join(" -> ")
    )
}
