//! [`Git`] for [`GitCli`]: each operation is one or two git commands whose
//! output is read by the parsers next to the types they produce.

use super::Git;
use super::cli::{GitCli, command_line};
use super::describe::Description;
use super::error::{GitError, check_arg};
use super::history::{self, ChangedFile, CommitSubject};
use super::tag_index::{self, TagIndex};

impl Git for GitCli {
    fn record_commit(
        &self,
        message: &str,
        name: &str,
        parent: Option<&str>,
    ) -> Result<String, GitError> {
        super::refs::record_commit(self, message, name, parent)
    }

    fn remote_ref(&self, remote: &str, refname: &str) -> Result<Option<String>, GitError> {
        super::refs::remote_ref(self, remote, refname)
    }

    fn fetch_record(
        &self,
        remote: &str,
        refname: &str,
    ) -> Result<Option<(String, String)>, GitError> {
        super::refs::fetch_record(self, remote, refname)
    }

    fn push_cas(
        &self,
        remote: &str,
        refname: &str,
        expected: Option<&str>,
        new: Option<&str>,
    ) -> Result<super::CasOutcome, GitError> {
        super::refs::push_cas(self, remote, refname, expected, new)
    }

    fn fetch_tags(&self, remote: &str) -> Result<(), GitError> {
        check_arg("remote", remote)?;
        self.run(&["fetch", "--prune", "--tags", remote]).map(drop)
    }

    fn tag_index(&self) -> Result<TagIndex, GitError> {
        let args = ["for-each-ref", tag_index::FOR_EACH_REF_FORMAT, "refs/tags"];
        let output = self.run_text(&args)?;
        TagIndex::parse(&output).map_err(|detail| unreadable(&args, detail))
    }

    fn commit_exists(&self, sha: &str) -> Result<bool, GitError> {
        if sha.is_empty() || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(false);
        }
        Ok(self.verify(&format!("{sha}^{{commit}}"))?.is_some())
    }

    fn resolve_commit(&self, rev: &str) -> Result<String, GitError> {
        check_arg("revision", rev)?;
        let peeled = format!("{rev}^{{commit}}");
        self.run_text(&["rev-parse", "--verify", "--end-of-options", &peeled])
    }

    fn describe(&self, sha: &str, glob: Option<&str>) -> Result<Option<Description>, GitError> {
        check_arg("commit", sha)?;
        let mut args = vec!["describe", "--tags", "--long", "--abbrev=7"];
        if let Some(glob) = glob {
            args.extend(["--match", glob]);
        }
        args.push(sha);
        // English messages, so "no tag" can be told from a real failure.
        let finished = self.run_with(&args, |command| {
            command.env("LC_ALL", "C").env_remove("LANGUAGE");
        })?;
        if finished.code != Some(0) {
            let error = finished.into_error();
            let no_tag = error.stderr().is_some_and(|stderr| {
                stderr.contains("No names found") || stderr.contains("No tags can describe")
            });
            return if no_tag { Ok(None) } else { Err(error) };
        }
        let text = finished.stdout_text()?;
        Description::parse(&text)
            .map(Some)
            .ok_or_else(|| unreadable(&args, format!("unexpected description `{}`", text.trim())))
    }

    fn create_branch(&self, name: &str, commit: &str) -> Result<(), GitError> {
        check_arg("branch name", name)?;
        check_arg("commit", commit)?;
        let peeled = format!("{commit}^{{commit}}");
        self.run(&["branch", "--no-track", name, &peeled]).map(drop)
    }

    fn branch_commit(&self, name: &str) -> Result<Option<String>, GitError> {
        check_arg("branch name", name)?;
        self.verify(&format!("refs/heads/{name}^{{commit}}"))
    }

    fn push_branch(&self, remote: &str, branch: &str) -> Result<(), GitError> {
        check_arg("remote", remote)?;
        check_arg("branch name", branch)?;
        let refspec = format!("refs/heads/{branch}:refs/heads/{branch}");
        self.run(&["push", remote, &refspec]).map(drop)
    }

    fn remote_branch_commit(&self, remote: &str, branch: &str) -> Result<Option<String>, GitError> {
        check_arg("remote", remote)?;
        check_arg("branch name", branch)?;
        let refname = format!("refs/heads/{branch}");
        let output = self.run_text(&["ls-remote", remote, &refname])?;
        Ok(output.lines().find_map(|line| {
            let (sha, name) = line.split_once('\t')?;
            (name == refname).then(|| sha.to_string())
        }))
    }

    fn remote_refs(&self, remote: &str) -> Result<Vec<(String, String)>, GitError> {
        check_arg("remote", remote)?;
        let output = self.run_text(&["ls-remote", "--heads", "--tags", remote])?;
        Ok(output
            .lines()
            .filter_map(|line| {
                let (sha, name) = line.split_once('\t')?;
                Some((sha.to_string(), name.to_string()))
            })
            .collect())
    }

    fn push_dry_run(&self, remote: &str, commit: &str, branch: &str) -> Result<(), GitError> {
        check_arg("remote", remote)?;
        check_arg("commit", commit)?;
        check_arg("branch name", branch)?;
        let refspec = format!("{commit}:refs/heads/{branch}");
        self.run(&[
            "push",
            "--dry-run",
            "--porcelain",
            "--no-verify",
            remote,
            &refspec,
        ])
        .map(drop)
    }

    fn force_push_commit(
        &self,
        remote_url: &str,
        sha: &str,
        refname: &str,
    ) -> Result<(), GitError> {
        check_arg("remote URL", remote_url)?;
        check_arg("commit", sha)?;
        check_arg("ref name", refname)?;
        let refspec = format!("{sha}:{refname}");
        self.run(&["push", "--force", remote_url, &refspec])
            .map(drop)
    }

    fn log_subjects(&self, from: &str, to: &str) -> Result<Vec<CommitSubject>, GitError> {
        check_arg("revision", from)?;
        check_arg("revision", to)?;
        let range = format!("{from}..{to}");
        let args = [
            "-c",
            "log.showSignature=false",
            "log",
            "--no-color",
            history::LOG_FORMAT,
            &range,
            "--",
        ];
        let output = self.run_text(&args)?;
        history::parse_log(&output).map_err(|detail| unreadable(&args, detail))
    }

    fn changed_files(
        &self,
        from: &str,
        to: &str,
        pathspecs: &[&str],
    ) -> Result<Vec<ChangedFile>, GitError> {
        check_arg("revision", from)?;
        check_arg("revision", to)?;
        let mut args = vec![
            "diff",
            "--name-status",
            "-z",
            "--no-renames",
            "--no-color",
            "--no-ext-diff",
            from,
            to,
            "--",
        ];
        args.extend_from_slice(pathspecs);
        let output = self.run_text(&args)?;
        history::parse_name_status(&output).map_err(|detail| unreadable(&args, detail))
    }

    fn show_file(&self, rev: &str, path: &str) -> Result<Option<String>, GitError> {
        let commit = self.resolve_commit(rev)?;
        let Some(blob) = self.verify(&format!("{commit}:{path}"))? else {
            return Ok(None);
        };
        let args = ["cat-file", "blob", blob.as_str()];
        let content = self.run(&args)?;
        String::from_utf8(content)
            .map(Some)
            .map_err(|_| unreadable(&args, format!("`{path}` at {rev} is not UTF-8 text")))
    }

    fn remote_url(&self, name: &str) -> Result<String, GitError> {
        check_arg("remote", name)?;
        let cached = self
            .remote_urls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned();
        if let Some(url) = cached {
            return Ok(url);
        }
        let url = self.run_text(&["remote", "get-url", name])?;
        self.remote_urls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_string(), url.clone());
        Ok(url)
    }

    fn current_branch(&self) -> Result<Option<String>, GitError> {
        let finished = self.run_any(&["symbolic-ref", "--quiet", "--short", "HEAD"])?;
        match finished.code {
            Some(0) => Ok(Some(finished.stdout_text()?.trim_end().to_string())),
            // Exit 1 with --quiet: HEAD is detached.
            Some(1) => Ok(None),
            _ => Err(finished.into_error()),
        }
    }

    fn is_dirty(&self) -> Result<bool, GitError> {
        // No optional locks: asking must not rewrite the user's index.
        let finished = self.run_with(&["status", "--porcelain", "-z"], |command| {
            command.env("GIT_OPTIONAL_LOCKS", "0");
        })?;
        if finished.code != Some(0) {
            return Err(finished.into_error());
        }
        Ok(!finished.stdout.is_empty())
    }
}

impl GitCli {
    /// `git rev-parse --verify --quiet`: the object id, or `None` when the
    /// name resolves to nothing (exit 1).
    fn verify(&self, name: &str) -> Result<Option<String>, GitError> {
        let finished =
            self.run_any(&["rev-parse", "--verify", "--quiet", "--end-of-options", name])?;
        match finished.code {
            Some(0) => Ok(Some(finished.stdout_text()?.trim_end().to_string())),
            Some(1) => Ok(None),
            _ => Err(finished.into_error()),
        }
    }
}

fn unreadable(args: &[&str], detail: String) -> GitError {
    GitError::Unreadable {
        command: command_line(args),
        detail,
    }
}
