//! Sandbox tests: admin.
