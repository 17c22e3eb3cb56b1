//! Finding `rewind.toml` the way git finds `.git`: in the current
//! directory, then each parent, stopping at the repository root (a
//! directory holding `.git`) or at the filesystem root.

use std::path::{Path, PathBuf};

use super::FILE_NAME;
use super::error::ConfigError;

/// The nearest `rewind.toml` from `start` upwards.
pub(crate) fn find(start: &Path) -> Result<PathBuf, ConfigError> {
    // Absolute, so that `..` and `.` walk real parents.
    let start = std::fs::canonicalize(start).map_err(|source| ConfigError::Read {
        path: start.to_path_buf(),
        source,
    })?;
    let mut searched = Vec::new();
    let mut dir = Some(start.as_path());
    while let Some(current) = dir {
        let candidate = current.join(FILE_NAME);
        if candidate.is_file() {
            return Ok(candidate);
        }
        searched.push(current.to_path_buf());
        // A file above the repository belongs to something else.
        if current.join(".git").exists() {
            break;
        }
        dir = current.parent();
    }
    Err(ConfigError::NotFound { searched })
}
