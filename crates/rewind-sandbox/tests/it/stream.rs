//! Sandbox tests: stream.
