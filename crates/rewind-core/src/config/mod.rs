//! `rewind.toml`: the apps rewind can roll back, where they run, how their
//! releases are tagged, their database, health check and feature flags.
//!
//! The file is found by walking up from the current directory
//! ([`Config::discover`]) or named ([`Config::load`]). Every mistake in it
//! is reported with the file, the line and the key, and what was expected
//! instead; unknown keys are mistakes too, because a typo must not quietly
//! fall back to a default during an incident. `rewind init` writes a first
//! version from what the repository shows ([`init`]).

mod app;
mod collector;
mod discover;
pub mod duration;
mod env;
mod error;
mod fields;
pub mod init;
mod model;
mod schema;
mod sections;
mod values;

use std::path::Path;

pub use duration::{format_duration, parse_duration};
pub use error::{ConfigError, Problem};
pub use model::*;

/// The file's name.
pub const FILE_NAME: &str = "rewind.toml";

impl Config {
    /// Reads and checks the file at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let read = |reason| ConfigError::Read {
            path: path.to_path_buf(),
            reason,
        };
        if let Ok(meta) = std::fs::metadata(path)
            && !meta.is_file()
        {
            let meta = std::fs::symlink_metadata(path).unwrap_or(meta);
            return Err(read(std::io::Error::other(discover::not_a_file(
                path, &meta,
            ))));
        }
        let bytes = std::fs::read(path).map_err(read)?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
            read(std::io::Error::other(format!(
                "line {line} is not UTF-8 text; save the file as UTF-8"
            )))
        })?;
        schema::read(&text, path)
    }

    /// Finds `rewind.toml` in `start_dir` or its parents, up to the
    /// repository root, and loads it.
    pub fn discover(start_dir: impl AsRef<Path>) -> Result<Config, ConfigError> {
        Config::load(discover::find(start_dir.as_ref())?)
    }

    /// Checks `text` as if it were the content of `path` (used for
    /// messages and to resolve relative paths).
    pub fn parse(text: &str, path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        schema::read(text, path.as_ref())
    }
}
