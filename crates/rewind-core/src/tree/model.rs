//! The decision tree once loaded and checked: nodes (questions, actions,
//! exits) and the edges between them.
//!
//! A `Tree` only exists after validation, so its users (the walk, the
//! renderers, the guide) can follow any `next` without checking it again.

use std::collections::BTreeMap;

use super::kinds::{ActionKind, Probe};
use super::text::Text;

/// A checked decision tree.
#[derive(Debug, Clone)]
pub struct Tree {
    pub(crate) source_name: String,
    pub(crate) entry: String,
    pub(crate) nodes: Vec<Node>,
    pub(crate) index: BTreeMap<String, usize>,
}

/// One node of the tree, where it was written, and what it is.
#[derive(Debug, Clone)]
pub struct Node {
    pub id: String,
    /// The line of the node's `id` in its file, to point people at it.
    pub line: usize,
    pub text: Text,
    pub kind: NodeKind,
}

#[derive(Debug, Clone)]
pub enum NodeKind {
    Question(Question),
    Action(Action),
    Exit,
}

/// A question the on-call engineer answers.
#[derive(Debug, Clone)]
pub struct Question {
    /// The evidence worth gathering before answering.
    pub probe: Option<Probe>,
    pub answers: Vec<Answer>,
}

#[derive(Debug, Clone)]
pub struct Answer {
    pub id: String,
    pub label: Text,
    pub next: String,
    /// The one allowed way back: from the entry question to itself, when the
    /// release went fine and the next one can go out.
    pub is_loop: bool,
}

/// Something rewind does.
#[derive(Debug, Clone)]
pub struct Action {
    pub action: ActionKind,
    /// Free-form settings handed to the action (which backup, which flag...).
    pub params: toml::Table,
    /// Where to go once the action is done; `None` ends the walk.
    pub next: Option<Next>,
}

#[derive(Debug, Clone)]
pub struct Next {
    pub node: String,
    /// Why the walk goes on, e.g. "if that went well".
    pub label: Option<Text>,
}

/// One arrow of the tree, for renderers and for anyone checking its shape.
#[derive(Debug, Clone, Copy)]
pub struct Edge<'t> {
    pub from: &'t str,
    pub to: &'t str,
    /// The answer that takes this arrow, when it leaves a question.
    pub answer: Option<&'t Answer>,
    /// The label of an action's `next`, when it has one.
    pub next_label: Option<&'t Text>,
    pub is_loop: bool,
}

impl Tree {
    /// The file the tree came from, as given when it was loaded.
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    pub fn entry(&self) -> &Node {
        // Validation guarantees the entry exists.
        &self.nodes[self.index[&self.entry]]
    }

    pub fn node(&self, id: &str) -> Option<&Node> {
        self.index.get(id).map(|&i| &self.nodes[i])
    }

    /// All nodes, in the order of the file.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    pub fn question_count(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::Question(_)))
            .count()
    }

    pub fn action_count(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::Action(_)))
            .count()
    }

    /// The ids of the questions, in the order of the file.
    pub fn question_ids(&self) -> Vec<&str> {
        self.nodes
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::Question(_)))
            .map(|n| n.id.as_str())
            .collect()
    }

    /// Every arrow of the tree, node by node in the order of the file.
    pub fn edges(&self) -> Vec<Edge<'_>> {
        self.nodes.iter().flat_map(|node| node.edges()).collect()
    }
}

impl Node {
    pub fn as_question(&self) -> Option<&Question> {
        match &self.kind {
            NodeKind::Question(q) => Some(q),
            _ => None,
        }
    }

    pub fn as_action(&self) -> Option<&Action> {
        match &self.kind {
            NodeKind::Action(a) => Some(a),
            _ => None,
        }
    }

    /// The arrows leaving this node.
    pub fn edges(&self) -> Vec<Edge<'_>> {
        match &self.kind {
            NodeKind::Question(q) => q
                .answers
                .iter()
                .map(|answer| Edge {
                    from: &self.id,
                    to: &answer.next,
                    answer: Some(answer),
                    next_label: None,
                    is_loop: answer.is_loop,
                })
                .collect(),
            NodeKind::Action(Action {
                next: Some(next), ..
            }) => vec![Edge {
                from: &self.id,
                to: &next.node,
                answer: None,
                next_label: next.label.as_ref(),
                is_loop: false,
            }],
            NodeKind::Action(_) | NodeKind::Exit => Vec::new(),
        }
    }
}

impl Question {
    pub fn answer(&self, id: &str) -> Option<&Answer> {
        self.answers.iter().find(|a| a.id == id)
    }
}
