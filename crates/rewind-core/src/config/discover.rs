//! Finding `rewind.toml` the way git finds `.git`: in the current
//! directory, then each parent, stopping at the repository root (a
//! directory holding `.git`) or at the filesystem root.

use std::path::{Path, PathBuf};

use super::FILE_NAME;
use super::error::ConfigError;

/// The nearest `rewind.toml` from `start` upwards.
pub(crate) fn find(start: &Path) -> Result<PathBuf, ConfigError> {
    // Absolute, so that `..` and `.` walk real parents.
    let start = std::fs::canonicalize(start).map_err(|reason| ConfigError::Read {
        path: start.to_path_buf(),
        reason,
    })?;
    let mut searched = Vec::new();
    let mut dir = Some(start.as_path());
    while let Some(current) = dir {
        let candidate = current.join(FILE_NAME);
        if candidate.is_file() {
            return Ok(candidate);
        }
        // Something by that name that is not a readable file (a folder, a
        // link to nothing) is a mistake to name, not a missing file.
        if let Ok(meta) = std::fs::symlink_metadata(&candidate) {
            return Err(ConfigError::Read {
                reason: std::io::Error::other(not_a_file(&candidate, &meta)),
                path: candidate,
            });
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

/// What stands where `rewind.toml` should be, when it is not a file.
pub(crate) fn not_a_file(path: &Path, meta: &std::fs::Metadata) -> String {
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(path)
            .map(|t| t.display().to_string())
            .unwrap_or_else(|_| "?".to_string());
        return match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => format!(
                "it is a symbolic link to {target}, a folder, not a file; point it at the configuration file"
            ),
            Ok(_) => format!(
                "it is a symbolic link to {target}, which is not a regular file; point it at the configuration file"
            ),
            Err(_) => format!(
                "it is a symbolic link to {target}, which does not exist; point it at the configuration file or replace it with one"
            ),
        };
    }
    if meta.is_dir() {
        format!(
            "it is a folder, not a file; remove it or move the configuration file in its place (`{FILE_NAME}`)"
        )
    } else {
        "it is not a regular file; replace it with the configuration file".to_string()
    }
}
