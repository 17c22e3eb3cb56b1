//! Versions and release tags: release-please tag formats, semver ordering,
//! the version printed in a build log, and what changed between two tags.
