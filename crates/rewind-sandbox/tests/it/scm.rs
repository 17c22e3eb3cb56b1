//! Sandbox tests: scm.
