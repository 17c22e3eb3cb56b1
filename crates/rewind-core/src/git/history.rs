//! What lies between two commits: the commits (for "what are we rolling
//! back?") and the files that changed (migrations, lock files).

/// One commit, for a list of what a rollback removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitSubject {
    /// The full SHA.
    pub sha: String,
    /// The abbreviated SHA git chose.
    pub short_sha: String,
    /// The first line of the message.
    pub subject: String,
}

/// How a file changed between two commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeStatus {
    Added,
    Modified,
    Deleted,
}

/// A file that differs between two commits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedFile {
    pub status: ChangeStatus,
    /// The path from the repository root.
    pub path: String,
}

/// The `git log` format read by [`parse_log`]: full SHA, short SHA and
/// subject separated by NUL bytes, which a subject cannot contain.
pub(crate) const LOG_FORMAT: &str = "--format=%H%x00%h%x00%s";

pub(crate) fn parse_log(output: &str) -> Result<Vec<CommitSubject>, String> {
    output
        .lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            let mut fields = line.splitn(3, '\0');
            match (fields.next(), fields.next(), fields.next()) {
                (Some(sha), Some(short), Some(subject)) => Ok(CommitSubject {
                    sha: sha.to_string(),
                    short_sha: short.to_string(),
                    subject: subject.to_string(),
                }),
                _ => Err(format!("unexpected log line `{}`", line.replace('\0', " "))),
            }
        })
        .collect()
}

/// Reads `git diff --name-status -z --no-renames`: `status NUL path NUL`
/// pairs. A type change (file to symlink) counts as a modification.
pub(crate) fn parse_name_status(output: &str) -> Result<Vec<ChangedFile>, String> {
    let mut fields = output.split('\0').filter(|f| !f.is_empty());
    let mut files = Vec::new();
    while let Some(code) = fields.next() {
        let status = match code {
            "A" => ChangeStatus::Added,
            "M" | "T" => ChangeStatus::Modified,
            "D" => ChangeStatus::Deleted,
            other => return Err(format!("unexpected change status `{other}`")),
        };
        let path = fields
            .next()
            .ok_or_else(|| format!("change status `{code}` without a path"))?;
        files.push(ChangedFile {
            status,
            path: path.to_string(),
        });
    }
    Ok(files)
}
