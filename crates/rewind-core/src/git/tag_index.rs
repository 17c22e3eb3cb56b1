//! Every tag of a repository with the commit it points at, loaded in one
//! `git for-each-ref` call, so "which tags are on this deployed commit?" is
//! a map lookup instead of one git process per deployment.

use std::collections::BTreeMap;

/// The format given to `git for-each-ref`: the tag object, its type, and
/// the fully peeled object (empty for lightweight tags) with its type.
pub(crate) const FOR_EACH_REF_FORMAT: &str =
    "--format=%(objectname) %(objecttype) %(*objectname) %(*objecttype) %(refname:strip=2)";

/// Tags and the commits they name, both ways.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagIndex {
    by_commit: BTreeMap<String, Vec<String>>,
    by_tag: BTreeMap<String, String>,
    /// Tags that name a tree or a blob, with that kind: left out, but
    /// named when someone asks for one of them.
    not_on_a_commit: BTreeMap<String, String>,
}

impl TagIndex {
    /// Builds an index from `(tag, commit)` pairs (for callers' tests and
    /// other sources of tags).
    pub fn from_pairs<T, C>(pairs: impl IntoIterator<Item = (T, C)>) -> Self
    where
        T: Into<String>,
        C: Into<String>,
    {
        let mut index = TagIndex::default();
        for (tag, commit) in pairs {
            index.insert(tag.into(), commit.into());
        }
        index
    }

    fn insert(&mut self, tag: String, commit: String) {
        let commit = commit.to_ascii_lowercase();
        let tags = self.by_commit.entry(commit.clone()).or_default();
        tags.push(tag.clone());
        tags.sort();
        self.by_tag.insert(tag, commit);
    }

    /// Reads `git for-each-ref` output in [`FOR_EACH_REF_FORMAT`]. Tags
    /// on trees or blobs are left out: they cannot be deployed.
    pub(crate) fn parse(output: &str) -> Result<Self, String> {
        let mut index = TagIndex::default();
        for line in output.lines().filter(|l| !l.is_empty()) {
            let fields: Vec<&str> = line.splitn(5, ' ').collect();
            let [object, kind, peeled, peeled_kind, name] = fields.as_slice() else {
                return Err(format!("unexpected line `{line}`"));
            };
            let commit = match (*kind, *peeled_kind) {
                ("commit", _) => object,
                ("tag", "commit") => peeled,
                ("tag", other) | (other, _) => {
                    index
                        .not_on_a_commit
                        .insert(name.to_string(), other.to_string());
                    continue;
                }
            };
            index.insert(name.to_string(), commit.to_string());
        }
        Ok(index)
    }

    /// The tags on `commit` (a full SHA, any case), sorted by name.
    pub fn tags_at(&self, commit: &str) -> &[String] {
        self.by_commit
            .get(&commit.to_ascii_lowercase())
            .map_or(&[], Vec::as_slice)
    }

    /// The commit a tag points at (peeled through annotated tags).
    pub fn commit_of(&self, tag: &str) -> Option<&str> {
        self.by_tag.get(tag).map(String::as_str)
    }

    /// What a tag left out of the index names instead of a commit (`tree`,
    /// `blob`), if it is one.
    pub fn kind_of_non_commit(&self, tag: &str) -> Option<&str> {
        self.not_on_a_commit.get(tag).map(String::as_str)
    }

    /// Every tag name, sorted by name.
    pub fn tag_names(&self) -> impl Iterator<Item = &str> {
        self.by_tag.keys().map(String::as_str)
    }

    /// How many tags the index holds.
    pub fn len(&self) -> usize {
        self.by_tag.len()
    }

    /// True when the repository has no tag on a commit.
    pub fn is_empty(&self) -> bool {
        self.by_tag.is_empty()
    }
}
