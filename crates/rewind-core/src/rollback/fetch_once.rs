//! The one git of a rollback of several apps, shared by the threads that
//! plan each app: each app's plan fetches its remote's tags, and several
//! `git fetch --tags` of one remote at once in one repository would race
//! for the same refs (and ask the remote the same thing several times).
//! The first fetch of a remote is made, the others wait for it and reuse
//! it. Apps deployed from one tag share its branch `release/<tag>`: the
//! branch is created and pushed by one app at a time, and an app that finds
//! it made already at the commit it wants takes it as done. Every other
//! call goes straight to the wrapped git.

use std::collections::HashSet;
use std::sync::Mutex;

use crate::git::{CasOutcome, ChangedFile, CommitSubject, Description, Git, GitError, TagIndex};

pub(crate) struct FetchOnce<'g> {
    inner: &'g (dyn Git + Sync),
    fetched: Mutex<HashSet<String>>,
    /// Held while a branch is created or pushed.
    writing: Mutex<()>,
}

impl<'g> FetchOnce<'g> {
    pub fn new(inner: &'g (dyn Git + Sync)) -> Self {
        FetchOnce {
            inner,
            fetched: Mutex::new(HashSet::new()),
            writing: Mutex::new(()),
        }
    }
}

impl Git for FetchOnce<'_> {
    fn fetch_tags(&self, remote: &str) -> Result<(), GitError> {
        // Held while fetching: a second thread waits for the first fetch
        // rather than starting its own. A fetch that failed is not
        // remembered, so the next caller tries again (and says why).
        let mut fetched = self.fetched.lock().unwrap_or_else(|e| e.into_inner());
        if fetched.contains(remote) {
            return Ok(());
        }
        self.inner.fetch_tags(remote)?;
        fetched.insert(remote.to_string());
        Ok(())
    }
    fn tag_index(&self) -> Result<TagIndex, GitError> {
        self.inner.tag_index()
    }
    fn commit_exists(&self, sha: &str) -> Result<bool, GitError> {
        self.inner.commit_exists(sha)
    }
    fn resolve_commit(&self, rev: &str) -> Result<String, GitError> {
        self.inner.resolve_commit(rev)
    }
    fn describe(&self, sha: &str, glob: Option<&str>) -> Result<Option<Description>, GitError> {
        self.inner.describe(sha, glob)
    }
    fn create_branch(&self, name: &str, commit: &str) -> Result<(), GitError> {
        let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        // Made a moment ago by another app's step, at the same commit.
        if self.inner.branch_commit(name)?.as_deref() == Some(commit) {
            return Ok(());
        }
        self.inner.create_branch(name, commit)
    }
    fn branch_commit(&self, name: &str) -> Result<Option<String>, GitError> {
        self.inner.branch_commit(name)
    }
    fn push_branch(&self, remote: &str, branch: &str) -> Result<(), GitError> {
        let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        self.inner.push_branch(remote, branch)
    }
    fn remote_branch_commit(&self, remote: &str, branch: &str) -> Result<Option<String>, GitError> {
        self.inner.remote_branch_commit(remote, branch)
    }
    fn remote_refs(&self, remote: &str) -> Result<Vec<(String, String)>, GitError> {
        self.inner.remote_refs(remote)
    }
    fn push_dry_run(&self, remote: &str, commit: &str, branch: &str) -> Result<(), GitError> {
        self.inner.push_dry_run(remote, commit, branch)
    }
    fn force_push_commit(
        &self,
        remote_url: &str,
        sha: &str,
        refname: &str,
    ) -> Result<(), GitError> {
        self.inner.force_push_commit(remote_url, sha, refname)
    }
    fn log_subjects(&self, from: &str, to: &str) -> Result<Vec<CommitSubject>, GitError> {
        self.inner.log_subjects(from, to)
    }
    fn changed_files(
        &self,
        from: &str,
        to: &str,
        pathspecs: &[&str],
    ) -> Result<Vec<ChangedFile>, GitError> {
        self.inner.changed_files(from, to, pathspecs)
    }
    fn show_file(&self, rev: &str, path: &str) -> Result<Option<String>, GitError> {
        self.inner.show_file(rev, path)
    }
    fn remote_url(&self, name: &str) -> Result<String, GitError> {
        self.inner.remote_url(name)
    }
    fn current_branch(&self) -> Result<Option<String>, GitError> {
        self.inner.current_branch()
    }
    fn is_dirty(&self) -> Result<bool, GitError> {
        self.inner.is_dirty()
    }
    fn record_commit(
        &self,
        message: &str,
        name: &str,
        parent: Option<&str>,
    ) -> Result<String, GitError> {
        self.inner.record_commit(message, name, parent)
    }
    fn remote_ref(&self, remote: &str, refname: &str) -> Result<Option<String>, GitError> {
        self.inner.remote_ref(remote, refname)
    }
    fn fetch_record(
        &self,
        remote: &str,
        refname: &str,
    ) -> Result<Option<(String, String)>, GitError> {
        self.inner.fetch_record(remote, refname)
    }
    fn push_cas(
        &self,
        remote: &str,
        refname: &str,
        expected: Option<&str>,
        new: Option<&str>,
    ) -> Result<CasOutcome, GitError> {
        self.inner.push_cas(remote, refname, expected, new)
    }
}
