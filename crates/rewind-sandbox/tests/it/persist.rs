//! Sandbox tests: persist.
