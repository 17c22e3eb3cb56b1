//! A commit described by the nearest tag it contains, as `git describe`
//! does: `v4.1.1+3 (abc1234)` reads "three commits after v4.1.1".

use std::fmt;

/// The nearest tag reachable from a commit, and how far the commit is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description {
    /// The tag name.
    pub tag: String,
    /// Commits between the tag and the described commit (0: on the tag).
    pub distance: u32,
    /// The described commit, abbreviated.
    pub short_sha: String,
}

impl Description {
    /// Reads `git describe --long` output: `<tag>-<distance>-g<sha>`. The
    /// tag itself may contain dashes, so the string is read from the right.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let (rest, sha) = text.trim().rsplit_once("-g")?;
        let (tag, distance) = rest.rsplit_once('-')?;
        if tag.is_empty() || sha.is_empty() || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(Description {
            tag: tag.to_string(),
            distance: distance.parse().ok()?,
            short_sha: sha.to_string(),
        })
    }
}

impl fmt::Display for Description {
    /// `v4.1.1 (abc1234)` on the tag, `v4.1.1+3 (abc1234)` after it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.tag)?;
        if self.distance > 0 {
            write!(f, "+{}", self.distance)?;
        }
        write!(f, " ({})", self.short_sha)
    }
}
