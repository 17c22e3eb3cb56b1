//! Versions and release tags: release-please tag formats, semver ordering,
//! the version printed in a build log, what changed between two tags, and
//! the other apps a release-please release shipped with (linked releases).

pub mod build_log;
pub mod changelog;
pub mod linked;
mod lookup;
pub mod release_please;
mod tag_format;
mod version;

pub use build_log::{find_version, strip_ansi};
pub use changelog::{ChangelogSection, parse_sections, sections_between};
pub use linked::{LinkedApp, LinkedError, LinkedReleases, linked_apps};
pub use lookup::{LookupError, NEAREST_LIMIT, find_tag, nearest};
pub use tag_format::{ReleaseTag, TagFormat, TagFormatError};
pub use version::{Identifier, Version, VersionError};
