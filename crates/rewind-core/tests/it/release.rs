//! rewind-core tests: release.
