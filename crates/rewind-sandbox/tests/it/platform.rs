//! Sandbox tests: platform.
