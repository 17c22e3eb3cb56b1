//! What a migration does to the data an older release expects, from the
//! safest to the worst: additive, unknown, destructive or rewriting. The
//! order matters: a file or a release is as bad as its worst statement.

use serde::Serialize;

/// How a change affects going back to the previous release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Only adds (tables, nullable columns, indexes, views, types,
    /// extensions, rows): the previous release still runs on it.
    Additive,
    /// rewind cannot tell (procedural code, ORM files, unknown statements).
    Unknown,
    /// Drops, renames, retypes or rewrites: the previous release may break
    /// on it, and going back means restoring the database.
    Destructive,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Additive => "additive",
            Class::Unknown => "unknown",
            Class::Destructive => "destructive",
        }
    }
}

impl std::fmt::Display for Class {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a statement or a call got its class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// The 1-based line in the file.
    pub line: usize,
    /// What it does, in words: "drops column users.email".
    pub what: String,
    /// The statement or call, shortened for display.
    pub source: String,
}

/// The text of a statement, cut to what fits on a line.
pub(crate) fn shorten(text: &str) -> String {
    const MAX: usize = 100;
    if text.chars().count() <= MAX {
        return text.to_string();
    }
    let cut: String = text.chars().take(MAX - 1).collect();
    format!("{cut}…")
}
