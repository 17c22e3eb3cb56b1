//! What git says about the repository `rewind init` runs in: its root,
//! its remotes and its tags.

use std::path::{Path, PathBuf};

use super::InitError;
use crate::git::{Git, GitCli};

pub struct RepoFacts {
    /// The working tree's top directory.
    pub root: PathBuf,
    /// Remote names in git's order.
    pub remotes: Vec<String>,
    /// Every tag name.
    pub tags: Vec<String>,
}

pub fn inspect(dir: &Path) -> Result<RepoFacts, InitError> {
    let toplevel = GitCli::new(dir)
        .run_text(&["rev-parse", "--show-toplevel"])
        .map_err(|source| InitError::NotARepository {
            dir: dir.to_path_buf(),
            source,
        })?;
    let root = PathBuf::from(toplevel);
    let git = GitCli::new(&root);
    let remotes = git
        .run_text(&["remote"])?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let tags = git.tag_index()?.tag_names().map(str::to_string).collect();
    Ok(RepoFacts {
        root,
        remotes,
        tags,
    })
}
