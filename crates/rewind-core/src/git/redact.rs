//! Removes credentials from what git says before it reaches an error
//! message: `https://user:token@host/app.git` becomes
//! `https://[redacted]@host/app.git` ([`crate::redact`] does it for all).

/// The text with every credential redacted.
pub fn redact_credentials(text: &str) -> String {
    crate::redact::redact(text).into_owned()
}
