//! A value that must never be shown: API tokens, bearers, addon tokens,
//! database URLs with a password, download URLs carrying a token.
//!
//! `Debug` and `Display` are redacted so that a secret cannot leak through a
//! log line, an error message or a journal entry by accident; reading the
//! value takes an explicit call to [`Secret::expose`].

use std::fmt;

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
