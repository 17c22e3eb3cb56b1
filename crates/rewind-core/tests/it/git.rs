//! rewind-core tests: git.
