//! A value that must never be shown: API tokens, bearers, addon tokens,
//! database URLs with a password, download URLs carrying a token.
//!
//! `Debug` and `Display` are redacted so that a secret cannot leak through a
//! log line, an error message or a journal entry by accident; reading the
//! value takes an explicit call to [`Secret::expose`].

use std::fmt;
use std::process::Command;

/// The variables of rewind's environment that hold a secret. Programs
/// rewind starts (`git`, and through it ssh, hooks and credential helpers;
/// `pg_restore`) get none of them: each gets only what it needs, as
/// `PGPASSWORD` for `pg_restore`.
pub const SECRET_ENV: [&str; 3] = [
    "SCALINGO_API_TOKEN",
    "REWIND_DATABASE_URL",
    "REWIND_ARCHIVE_URL_TEMPLATE",
];

/// Takes rewind's secrets ([`SECRET_ENV`]) out of a child's environment.
pub fn without_secrets(command: &mut Command) -> &mut Command {
    for name in SECRET_ENV {
        command.env_remove(name);
    }
    command
}

/// A string that prints as `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The real value, for the one place that must send it (an HTTP header,
    /// a child's environment). Never format it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new("tk-us-very-secret");
        assert_eq!(format!("{s}"), "[redacted]");
        assert!(!format!("{s:?}").contains("very-secret"));
        assert_eq!(s.expose(), "tk-us-very-secret");
    }
}
