//! Turning a tree file into a checked `Tree`, and the built-in runbook tree.

use std::collections::BTreeMap;
use std::path::Path;

use super::check::check;
use super::loader::load;
use super::model::Tree;
use super::problem::{Collector, Problems, TreeError};

/// The runbook's tree, as a tree file: it is also the worked example of the
/// format documented in `docs/decision-tree.md`.
pub const RUNBOOK_TOML: &str = include_str!("runbook.toml");

/// The name the built-in tree goes by in messages.
pub const RUNBOOK_NAME: &str = "<built-in runbook>";

impl Tree {
    /// Reads and checks a tree file; `source_name` is how problems name it.
    pub fn parse(source_name: &str, text: &str) -> Result<Tree, Problems> {
        let mut c = Collector::new(source_name, text);
        let draft = load(&mut c);
        if let Some(draft) = &draft {
            check(&mut c, draft);
        }
        c.into_result()?;
        // Only broken TOML leaves no draft, and that is a problem reported
        // above; with no problem, every node is complete too.
        let Some(draft) = draft else {
            unreachable!("a tree file with no problem always has a draft");
        };
        let nodes: Vec<_> = draft.nodes.into_iter().flatten().collect();
        let index: BTreeMap<String, usize> = nodes
            .iter()
            .enumerate()
            .map(|(i, node)| (node.id.clone(), i))
            .collect();
        Ok(Tree {
            source_name: source_name.to_owned(),
            entry: draft.entry.map(|e| e.into_inner()).unwrap_or_default(),
            nodes,
            index,
        })
    }

    /// Reads and checks the tree file at `path`.
    pub fn load(path: &Path) -> Result<Tree, TreeError> {
        let text = std::fs::read_to_string(path).map_err(|source| TreeError::Read {
            path: path.to_owned(),
            source,
        })?;
        Ok(Tree::parse(&path.display().to_string(), &text)?)
    }

    /// The team's runbook tree, built in.
    pub fn default_runbook() -> Tree {
        // The embedded file is checked by the tests; a broken one is a bug in
        // rewind itself, not something a user can fix.
        match Tree::parse(RUNBOOK_NAME, RUNBOOK_TOML) {
            Ok(tree) => tree,
            Err(problems) => panic!(
                "the built-in runbook tree is invalid: {:?}",
                problems.problems
            ),
        }
    }
}
