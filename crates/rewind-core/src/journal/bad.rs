//! Releases marked bad: the one rule that says whether a release is one of
//! them, used by `rewind status`, the guide's evidence and the rollback's
//! choice of target alike, so that the "last good" release one command
//! shows is the one another picks.
//!
//! A mark records the bad release's tag and commit. A release is bad when
//! it has the marked commit, or carries the marked tag. The tag counts on
//! its own because a tag can be moved: rewind cannot tell whether the code
//! now under a moved tag is the bad one or a fix, so it never proposes it
//! on its own (`--to TAG --force-bad` still can).

use serde_json::Value;

use crate::identify::Release;

use super::entry::EntryKind;
use super::store::{Journal, JournalError};

/// A release an incident marked bad.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadMark {
    /// The incident that marked it.
    pub incident: String,
    pub tag: Option<String>,
    pub commit: Option<String>,
    pub label: Option<String>,
}

impl BadMark {
    /// Whether a release with this tag and commit is the one marked.
    pub fn matches(&self, tag: Option<&str>, commit: Option<&str>) -> bool {
        let same = |mine: &Option<String>, theirs: Option<&str>| {
            mine.as_deref().is_some_and(|m| Some(m) == theirs)
        };
        same(&self.commit, commit) || same(&self.tag, tag)
    }
}

/// Every mark of one app, oldest first.
#[derive(Debug, Clone, Default)]
pub struct BadMarks {
    pub marks: Vec<BadMark>,
}

impl BadMarks {
    /// The marks the journal holds for `app`.
    pub fn read(journal: &Journal, app: &str) -> Result<BadMarks, JournalError> {
        let (entries, _) = journal.entries()?;
        let text = |v: &Value| v.as_str().map(str::to_string);
        let marks = entries
            .into_iter()
            .filter(|e| e.app == app && e.kind == EntryKind::ReleaseMarkedBad)
            .map(|e| BadMark {
                incident: e.incident.to_string(),
                tag: text(&e.data["tag"]),
                commit: text(&e.data["commit"]),
                label: text(&e.data["label"]),
            })
            .collect();
        Ok(BadMarks { marks })
    }

    /// The mark that makes this tag and commit bad, if any.
    pub fn find(&self, tag: Option<&str>, commit: Option<&str>) -> Option<&BadMark> {
        self.marks.iter().find(|m| m.matches(tag, commit))
    }

    pub fn is_bad(&self, release: &Release) -> bool {
        self.find(release.tag.as_deref(), release.commit.as_deref())
            .is_some()
    }

    /// Whether `incident` marked something already.
    pub fn marked_by(&self, incident: &str) -> bool {
        self.marks.iter().any(|m| m.incident == incident)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(tag: Option<&str>, commit: Option<&str>) -> BadMark {
        BadMark {
            incident: "i".into(),
            tag: tag.map(str::to_string),
            commit: commit.map(str::to_string),
            label: None,
        }
    }

    #[test]
    fn the_commit_or_the_tag_makes_a_release_bad() {
        let m = mark(Some("v1.3.0"), Some("aaa"));
        assert!(m.matches(Some("v1.3.0"), Some("aaa")));
        // The same code under another tag.
        assert!(m.matches(Some("v1.3.1"), Some("aaa")));
        // The tag moved to other code: still left out of automatic choice.
        assert!(m.matches(Some("v1.3.0"), Some("bbb")));
        assert!(m.matches(Some("v1.3.0"), None));
        assert!(!m.matches(Some("v1.2.0"), Some("bbb")));
        assert!(!m.matches(None, None));
        // A mark without a commit never matches on a missing one.
        assert!(!mark(Some("v1.3.0"), None).matches(None, None));
    }
}
