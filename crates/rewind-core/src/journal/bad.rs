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
        let mut marks: Vec<BadMark> = Vec::new();
        for e in entries.into_iter().filter(|e| e.app == app) {
            match e.kind {
                EntryKind::ReleaseMarkedBad => marks.push(BadMark {
                    incident: e.incident.to_string(),
                    tag: text(&e.data["tag"]),
                    commit: text(&e.data["commit"]),
                    label: text(&e.data["label"]),
                }),
                // Taken back: every mark of that release until then goes
                // (a later mark counts again).
                EntryKind::ReleaseUnmarked => {
                    let tag = text(&e.data["tag"]);
                    let commit = text(&e.data["commit"]);
                    marks.retain(|m| !m.matches(tag.as_deref(), commit.as_deref()));
                }
                _ => {}
            }
        }
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

    /// Takes back the marks of the release with `tag` and `commit`:
    /// journaled as an incident of its own saying who did it and why.
    /// Returns that incident and the marks taken back (none: nothing was
    /// written).
    #[allow(clippy::too_many_arguments)]
    pub fn unmark(
        &self,
        journal: &Journal,
        app: &str,
        tag: Option<&str>,
        commit: Option<&str>,
        label: &str,
        by: &str,
        reason: &str,
    ) -> Result<Option<(crate::journal::IncidentId, Vec<BadMark>)>, JournalError> {
        let taken: Vec<BadMark> = self
            .marks
            .iter()
            .filter(|m| m.matches(tag, commit))
            .cloned()
            .collect();
        if taken.is_empty() {
            return Ok(None);
        }
        let incident = journal.begin(
            app,
            serde_json::json!({
                "command": "unmark",
                "user": by,
                "reason": reason,
                "release": label,
                "marked_by": taken.iter().map(|m| m.incident.clone()).collect::<Vec<_>>(),
            }),
        )?;
        journal.record(
            &incident,
            app,
            EntryKind::ReleaseUnmarked,
            None,
            serde_json::json!({
                "tag": tag,
                "commit": commit,
                "label": label,
                "by": by,
                "reason": reason,
            }),
        )?;
        journal.record(
            &incident,
            app,
            EntryKind::IncidentClosed,
            None,
            serde_json::json!({ "outcome": "succeeded" }),
        )?;
        Ok(Some((incident, taken)))
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
    fn an_unmark_takes_back_the_marks_before_it_and_a_later_mark_counts_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::open(dir.path());
        let mark_bad = |tag: &str, commit: &str| {
            let id = journal.begin("shop", serde_json::json!({})).expect("begin");
            journal
                .record(
                    &id,
                    "shop",
                    EntryKind::ReleaseMarkedBad,
                    None,
                    serde_json::json!({"tag": tag, "commit": commit, "label": tag}),
                )
                .expect("mark");
        };
        mark_bad("v1.3.0", "ccc");
        mark_bad("v1.2.0", "bbb");
        let marks = BadMarks::read(&journal, "shop").expect("read");
        assert!(marks.find(Some("v1.3.0"), Some("ccc")).is_some());
        let (_, taken) = marks
            .unmark(
                &journal,
                "shop",
                Some("v1.3.0"),
                Some("ccc"),
                "v1.3.0",
                "bob",
                "false alarm",
            )
            .expect("unmark")
            .expect("a mark taken back");
        assert_eq!(taken.len(), 1);
        let marks = BadMarks::read(&journal, "shop").expect("read");
        assert!(marks.find(Some("v1.3.0"), Some("ccc")).is_none());
        assert!(
            marks.find(Some("v1.2.0"), Some("bbb")).is_some(),
            "others stay"
        );
        // Nothing to take back: nothing written.
        let before = journal.incidents().expect("read").len();
        assert!(
            marks
                .unmark(&journal, "shop", Some("v9.9.9"), None, "v9.9.9", "bob", "x")
                .expect("unmark")
                .is_none()
        );
        assert_eq!(journal.incidents().expect("read").len(), before);
        mark_bad("v1.3.0", "ccc");
        assert!(
            BadMarks::read(&journal, "shop")
                .expect("read")
                .find(Some("v1.3.0"), None)
                .is_some()
        );
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
