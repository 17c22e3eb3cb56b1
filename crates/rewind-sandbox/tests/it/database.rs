//! Sandbox tests: database.
