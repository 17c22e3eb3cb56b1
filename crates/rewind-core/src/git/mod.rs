//! The git CLI behind a small trait: fetch tags, resolve tags and commits,
//! create and push a `release/<tag>` branch without touching the working
//! tree.
//!
//! [`Git`] is what the rest of rewind calls, so that plans can be tested
//! with a fake; [`GitCli`] runs the real `git` executable, which uses the
//! user's own configuration and credentials for fetch and push.

mod cli;
mod cli_ops;
mod describe;
mod error;
mod history;
mod redact;
pub(crate) mod refs;
mod tag_index;

pub use cli::{DEFAULT_GIT_TIMEOUT, GitCli, exit_of, log_ran};
pub use describe::Description;
pub use error::{GitError, STDERR_LINES};
pub use history::{ChangeStatus, ChangedFile, CommitSubject};
pub use redact::redact_credentials;
pub use refs::CasOutcome;
pub use tag_index::TagIndex;

/// A commit's SHA abbreviated for people: its first seven characters, as
/// `git log --oneline` shows them. Cut on a character, never inside one, so
/// that a malformed SHA from the platform cannot make rewind panic; shorter
/// text is returned whole.
pub fn short_sha(sha: &str) -> &str {
    crate::text::prefix(sha, 7)
}

/// A [`GitCli`] on `dir` with none of the person's git configuration and
/// no identity: what the unit tests that run real git hand to rewind.
#[cfg(test)]
pub(crate) fn test_cli(dir: impl Into<std::path::PathBuf>) -> GitCli {
    rewind_test_support::GIT_NO_CONFIG
        .iter()
        .fold(GitCli::new(dir), |cli, (key, value)| cli.env(key, value))
}

/// The git operations rewind needs. Revisions are anything git accepts
/// (`v4.1.1`, a SHA, `HEAD~2`); commits come back as full SHAs. `Sync`:
/// independent git commands of one operation run at once, from threads of
/// its own.
pub trait Git: Sync {
    /// `git fetch --prune --tags <remote>`: every tag of the remote, with
    /// its branches. Stale remote-tracking branches are pruned; local tags
    /// never are (git does not prune tags fetched by `--tags`), so a tag the
    /// user made locally survives.
    fn fetch_tags(&self, remote: &str) -> Result<(), GitError>;

    /// Every tag with the commit it points at, annotated or lightweight.
    fn tag_index(&self) -> Result<TagIndex, GitError>;

    /// Whether `sha` names a commit in this repository. Anything that is
    /// not hexadecimal (an archive deploy's label) is simply `false`.
    fn commit_exists(&self, sha: &str) -> Result<bool, GitError>;

    /// The full SHA of the commit `rev` names; an error (with git's
    /// stderr) when it names none.
    fn resolve_commit(&self, rev: &str) -> Result<String, GitError>;

    /// The nearest tag reachable from `sha` (only tags matching `glob`
    /// when given), or `None` when no tag is reachable.
    fn describe(&self, sha: &str, glob: Option<&str>) -> Result<Option<Description>, GitError>;

    /// Creates branch `name` at `commit` without checking it out.
    fn create_branch(&self, name: &str, commit: &str) -> Result<(), GitError>;

    /// The commit local branch `name` points at, if it exists.
    fn branch_commit(&self, name: &str) -> Result<Option<String>, GitError>;

    /// Pushes local branch `branch` to the branch of the same name on
    /// `remote` (never forced).
    fn push_branch(&self, remote: &str, branch: &str) -> Result<(), GitError>;

    /// The commit `branch` points at on `remote` (`git ls-remote`).
    fn remote_branch_commit(&self, remote: &str, branch: &str) -> Result<Option<String>, GitError>;

    /// Every branch and tag of `remote` with its commit (`git ls-remote
    /// --heads --tags`), as `(sha, refname)`: whether the remote answers,
    /// and what it holds, without fetching anything.
    fn remote_refs(&self, remote: &str) -> Result<Vec<(String, String)>, GitError>;

    /// Whether pushing `commit` as branch `branch` to `remote` would be
    /// accepted, without pushing (`git push --dry-run`): the remote is
    /// asked for its refs with push credentials, nothing is sent or
    /// written, locally or there.
    fn push_dry_run(&self, remote: &str, commit: &str, branch: &str) -> Result<(), GitError>;

    /// Force-pushes `sha` to `refname` at `remote_url` (a platform's git
    /// endpoint, e.g. `refs/heads/master`).
    fn force_push_commit(&self, remote_url: &str, sha: &str, refname: &str)
    -> Result<(), GitError>;

    /// Commits reachable from `to` but not from `from`, newest first.
    fn log_subjects(&self, from: &str, to: &str) -> Result<Vec<CommitSubject>, GitError>;

    /// Files added, modified or deleted from `from` to `to`, limited to
    /// `pathspecs` when not empty.
    fn changed_files(
        &self,
        from: &str,
        to: &str,
        pathspecs: &[&str],
    ) -> Result<Vec<ChangedFile>, GitError>;

    /// The content of `path` at `rev`; `None` when the file does not exist
    /// there (an unknown `rev` is an error).
    fn show_file(&self, rev: &str, path: &str) -> Result<Option<String>, GitError>;

    /// The URL of remote `name`. It may hold credentials: redact it (see
    /// [`redact_credentials`]) before showing it.
    fn remote_url(&self, name: &str) -> Result<String, GitError>;

    /// The checked-out branch, `None` on a detached HEAD.
    fn current_branch(&self) -> Result<Option<String>, GitError>;

    /// Whether the working tree or index has changes or untracked files.
    fn is_dirty(&self) -> Result<bool, GitError>;

    /// Writes a commit with no files whose message is `message`, authored
    /// by `name` (after `parent` when given), and returns its SHA. Only
    /// the object database changes: no branch, no index, no working tree.
    fn record_commit(
        &self,
        message: &str,
        name: &str,
        parent: Option<&str>,
    ) -> Result<String, GitError>;

    /// The commit `refname` points at on `remote`, if it exists.
    fn remote_ref(&self, remote: &str, refname: &str) -> Result<Option<String>, GitError>;

    /// Fetches `refname` from `remote` (into no local ref) and returns its
    /// commit and that commit's message; `None` when there is no such ref.
    fn fetch_record(
        &self,
        remote: &str,
        refname: &str,
    ) -> Result<Option<(String, String)>, GitError>;

    /// Moves `refname` on `remote` from `expected` (`None`: must not
    /// exist) to `new` (`None`: delete it), atomically: of two people
    /// pushing at once, exactly one wins. An unreachable remote is an
    /// error; a rule of the host that refuses the ref is
    /// [`CasOutcome::Refused`].
    fn push_cas(
        &self,
        remote: &str,
        refname: &str,
        expected: Option<&str>,
        new: Option<&str>,
    ) -> Result<CasOutcome, GitError>;
}
