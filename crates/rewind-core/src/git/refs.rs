//! rewind's own refs on the team's git remote (`refs/rewind/...`): small
//! commits that carry a message and no files, written without touching the
//! working tree, and compare-and-swap pushes, so that two people pushing at
//! the same instant never both win.

use std::process::Command;

use super::GitCli;
use super::error::{GitError, check_arg};

/// The empty tree every rewind record commit points at: the data lives in
/// the commit message.
const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/// How a compare-and-swap push ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CasOutcome {
    /// The remote ref moved from the expected value to the new one.
    Done,
    /// The remote ref was not at the expected value: someone else wrote it
    /// first. Nothing changed.
    Moved,
    /// The remote refused the update for its own reasons (a hook, a
    /// protection rule, refs outside `refs/heads` not allowed): `detail`
    /// is its word for it.
    Refused { detail: String },
}

/// Writes a commit with no files whose message is `message`, authored
/// by `name`, and returns its SHA. Only the object database changes:
/// no branch, no index, no working tree.
pub(super) fn record_commit(
    git: &GitCli,
    message: &str,
    name: &str,
    parent: Option<&str>,
) -> Result<String, GitError> {
    // The empty tree exists in every repository's eyes, but not always
    // as an object on disk: write it (idempotent).
    git.run(&["hash-object", "-w", "-t", "tree", "/dev/null"])?;
    commit_tree(git, EMPTY_TREE, message, name, parent, |_| {})
}

/// `git commit-tree`: a commit of `tree` with `message`, authored by
/// `name`, after `parent` when given. `adjust` may set more of the
/// command's environment (an index file).
pub(crate) fn commit_tree(
    git: &GitCli,
    tree: &str,
    message: &str,
    name: &str,
    parent: Option<&str>,
    adjust: impl FnOnce(&mut Command),
) -> Result<String, GitError> {
    check_arg("tree", tree)?;
    let mut args = vec!["commit-tree", tree, "-m", message];
    if let Some(parent) = parent {
        check_arg("commit", parent)?;
        args.extend(["-p", parent]);
    }
    let name = identity_name(name);
    let finished = git.run_with(&args, |command: &mut Command| {
        // Never fails for want of a configured identity, and never
        // takes the user's e-mail to a shared ref.
        command
            .env("GIT_AUTHOR_NAME", &name)
            .env("GIT_AUTHOR_EMAIL", "rewind@localhost")
            .env("GIT_COMMITTER_NAME", &name)
            .env("GIT_COMMITTER_EMAIL", "rewind@localhost");
        adjust(command);
    })?;
    if finished.code != Some(0) {
        return Err(finished.into_error());
    }
    let sha = finished.stdout_text()?.trim().to_string();
    if sha.len() < 40 || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(GitError::Unreadable {
            command: "git commit-tree".into(),
            detail: "no commit id".into(),
        });
    }
    Ok(sha)
}

/// The commit `refname` points at on `remote`, if it exists.
pub(super) fn remote_ref(
    git: &GitCli,
    remote: &str,
    refname: &str,
) -> Result<Option<String>, GitError> {
    check_arg("remote", remote)?;
    check_arg("ref name", refname)?;
    let output = git.run_text(&["ls-remote", remote, refname])?;
    Ok(output.lines().find_map(|line| {
        let (sha, name) = line.split_once('\t')?;
        (name == refname).then(|| sha.to_string())
    }))
}

/// Fetches `refname` from `remote` (into no local ref) and returns its
/// commit and message; `None` when the remote has no such ref.
pub(super) fn fetch_record(
    git: &GitCli,
    remote: &str,
    refname: &str,
) -> Result<Option<(String, String)>, GitError> {
    let Some(sha) = remote_ref(git, remote, refname)? else {
        return Ok(None);
    };
    if !has_object(git, &sha)? {
        let fetched = git.run_any(&["fetch", "--quiet", "--no-tags", remote, refname])?;
        if fetched.code != Some(0) {
            // Gone between the two reads: released meanwhile.
            if remote_ref(git, remote, refname)?.is_none() {
                return Ok(None);
            }
            return Err(fetched.into_error());
        }
    }
    let message = commit_message(git, &sha)?;
    Ok(Some((sha, message)))
}

/// The message of commit `sha`.
pub(super) fn commit_message(git: &GitCli, sha: &str) -> Result<String, GitError> {
    check_arg("commit", sha)?;
    let text = git.run_text(&["log", "-1", "--format=%B", sha, "--"])?;
    Ok(text)
}

pub(crate) fn has_object(git: &GitCli, sha: &str) -> Result<bool, GitError> {
    check_arg("commit", sha)?;
    let spec = format!("{sha}^{{commit}}");
    let finished = git.run_any(&["cat-file", "-e", &spec])?;
    Ok(finished.code == Some(0))
}

/// Moves `refname` on `remote` from `expected` (`None`: must not
/// exist) to `new` (`None`: delete it), atomically: the remote checks
/// the old value under its own lock, so of two people pushing at once
/// exactly one wins. An unreachable remote is an error.
pub(super) fn push_cas(
    git: &GitCli,
    remote: &str,
    refname: &str,
    expected: Option<&str>,
    new: Option<&str>,
) -> Result<CasOutcome, GitError> {
    check_arg("remote", remote)?;
    check_arg("ref name", refname)?;
    let lease = format!("--force-with-lease={refname}:{}", expected.unwrap_or(""));
    let refspec = format!("{}:{refname}", new.unwrap_or(""));
    let args = [
        "push",
        "--porcelain",
        "--no-verify",
        &lease,
        remote,
        &refspec,
    ];
    let finished = git.run_any(&args)?;
    let stdout = String::from_utf8_lossy(&finished.stdout).into_owned();
    let line = stdout
        .lines()
        .find(|l| l.split('\t').nth(1).is_some_and(|s| s.ends_with(refname)));
    match (finished.code, line) {
        (Some(0), Some(_)) => Ok(CasOutcome::Done),
        (_, Some(line)) => {
            let flag = line.chars().next().unwrap_or('!');
            let summary = line.split('\t').nth(2).unwrap_or_default().to_string();
            if flag != '!' {
                return Ok(CasOutcome::Done);
            }
            if summary.starts_with("[rejected]") {
                return Ok(CasOutcome::Moved);
            }
            // A remote rejection is either a rule of the host or the
            // loser of a race whose check happened on the remote:
            // look at the ref to tell which.
            let now = remote_ref(git, remote, refname)?;
            if now.as_deref() != expected && now.as_deref() != new {
                return Ok(CasOutcome::Moved);
            }
            Ok(CasOutcome::Refused {
                detail: summary
                    .trim_start_matches("[remote rejected]")
                    .trim()
                    .trim_matches(|c| c == '(' || c == ')')
                    .to_string(),
            })
        }
        _ => Err(finished.into_error()),
    }
}

/// A person's name as a commit author: git refuses some characters.
fn identity_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .filter(|c| !matches!(c, '<' | '>' | '\n' | '\r' | '\0'))
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() {
        "rewind".to_string()
    } else {
        cleaned.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::Git;
    use rewind_test_support::git;
    use std::path::Path;

    fn clone(root: &Path, name: &str) -> GitCli {
        let dir = root.join(name);
        git(
            root,
            &[
                "clone",
                "--quiet",
                root.join("remote.git").to_str().unwrap(),
                name,
            ],
        );
        crate::git::test_cli(dir)
    }

    #[test]
    fn a_ref_is_taken_once_moved_only_from_its_value_and_read_from_another_clone() {
        let root = tempfile::tempdir().expect("tempdir");
        git(root.path(), &["init", "--quiet", "--bare", "remote.git"]);
        let a = clone(root.path(), "a");
        let b = clone(root.path(), "b");
        let name = "refs/rewind/locks/shop";

        let first = a
            .record_commit("held by alice", "alice", None)
            .expect("commit");
        assert_eq!(
            a.push_cas("origin", name, None, Some(&first))
                .expect("push"),
            CasOutcome::Done
        );
        let second = b
            .record_commit("held by bob", "bob <b>", None)
            .expect("commit");
        assert_eq!(
            b.push_cas("origin", name, None, Some(&second))
                .expect("push"),
            CasOutcome::Moved,
            "the ref exists: bob does not take it"
        );
        let (sha, message) = b
            .fetch_record("origin", name)
            .expect("read")
            .expect("a ref");
        assert_eq!(sha, first);
        assert_eq!(message.trim(), "held by alice");
        // Deleting needs the value one holds.
        assert_eq!(
            b.push_cas("origin", name, Some(&second), None)
                .expect("push"),
            CasOutcome::Moved
        );
        assert_eq!(
            a.push_cas("origin", name, Some(&first), None)
                .expect("push"),
            CasOutcome::Done
        );
        assert_eq!(b.remote_ref("origin", name).expect("read"), None);
        assert_eq!(b.fetch_record("origin", name).expect("read"), None);
        // A working tree and an index untouched: nothing to commit.
        let status = std::process::Command::new("git")
            .args(["status", "--porcelain"])
            .current_dir(a.repo())
            .output()
            .expect("git status");
        assert!(status.stdout.is_empty());
    }

    #[test]
    fn an_unreachable_remote_is_an_error_and_a_host_rule_a_refusal() {
        let root = tempfile::tempdir().expect("tempdir");
        git(root.path(), &["init", "--quiet", "--bare", "remote.git"]);
        let a = clone(root.path(), "a");
        let sha = a.record_commit("x", "", None).expect("commit");
        let missing = root.path().join("nowhere.git");
        assert!(
            a.push_cas(missing.to_str().unwrap(), "refs/rewind/x", None, Some(&sha))
                .is_err()
        );
        // A host that refuses refs outside refs/heads, as some do.
        let hook = root.path().join("remote.git/hooks/update");
        std::fs::write(
            &hook,
            "#!/bin/sh\ncase \"$1\" in refs/heads/*) exit 0;; esac\necho 'custom refs are not allowed' >&2\nexit 1\n",
        )
        .expect("hook");
        std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
        match a
            .push_cas("origin", "refs/rewind/x", None, Some(&sha))
            .expect("push runs")
        {
            CasOutcome::Refused { detail } => assert!(detail.contains("hook"), "{detail}"),
            other => panic!("{other:?}"),
        }
    }
}
