//! rewind-core tests: tree.
