//! Walking a tree: start at the entry, answer questions, stop at each action
//! so the caller can carry it out, and end at an exit.
//!
//! The walk only decides; carrying out an action, and asking the questions,
//! are the caller's business (the `rewind guide` command).

use super::model::{Action, Answer, Node, NodeKind, Question, Tree};
use super::preset::PresetAnswers;
use super::problem::list;
use super::text::Text;

/// Where a walk stands.
#[derive(Debug, Clone, Copy)]
pub enum Position<'t> {
    /// Waiting for an answer.
    Question(&'t Node, &'t Question),
    /// Waiting for the caller to carry the action out (`action_done`).
    Action(&'t Node, &'t Action),
    /// The walk reached an exit node.
    Exit(&'t Node),
    /// The last action was done and had no `next`.
    Finished,
}

impl<'t> Position<'t> {
    /// The id of the node the walk stands on, if any.
    pub fn node_id(&self) -> Option<&'t str> {
        match self {
            Position::Question(node, _) | Position::Action(node, _) | Position::Exit(node) => {
                Some(&node.id)
            }
            Position::Finished => None,
        }
    }
}

/// A question answered on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answered {
    pub question: String,
    pub answer: String,
}

/// The question a walk waits on, with what can be answered, so that a run
/// with nobody to ask can stop and list the choices.
#[derive(Debug, Clone, Copy)]
pub struct PendingQuestion<'t> {
    pub id: &'t str,
    pub text: &'t Text,
    pub question: &'t Question,
}

impl<'t> PendingQuestion<'t> {
    pub fn answers(&self) -> &'t [Answer] {
        &self.question.answers
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalkError {
    #[error("`{answer}` is not an answer to question `{question}`; expected one of: {}", list(.valid))]
    UnknownAnswer {
        question: String,
        answer: String,
        valid: Vec<String>,
    },
    #[error("the walk is not waiting on a question (it is {at})")]
    NotAtQuestion { at: String },
    #[error("the walk is not waiting on an action to be done (it is {at})")]
    NotAtAction { at: String },
}

/// A walk through a checked tree.
#[derive(Debug, Clone)]
pub struct Walk<'t> {
    tree: &'t Tree,
    position: Position<'t>,
    path: Vec<Answered>,
    actions: Vec<&'t Node>,
}

impl<'t> Walk<'t> {
    pub fn new(tree: &'t Tree) -> Self {
        let mut walk = Walk {
            tree,
            position: Position::Finished,
            path: Vec::new(),
            actions: Vec::new(),
        };
        walk.arrive(tree.entry());
        walk
    }

    pub fn position(&self) -> Position<'t> {
        self.position
    }

    /// The questions answered so far, in order.
    pub fn path(&self) -> &[Answered] {
        &self.path
    }

    /// The action nodes reached so far, in order.
    pub fn actions(&self) -> &[&'t Node] {
        &self.actions
    }

    pub fn pending_question(&self) -> Option<PendingQuestion<'t>> {
        match self.position {
            Position::Question(node, question) => Some(PendingQuestion {
                id: &node.id,
                text: &node.text,
                question,
            }),
            _ => None,
        }
    }

    /// Answers the pending question and moves on to the node it leads to.
    pub fn answer(&mut self, answer_id: &str) -> Result<Position<'t>, WalkError> {
        let Position::Question(node, question) = self.position else {
            return Err(WalkError::NotAtQuestion {
                at: self.describe(),
            });
        };
        let Some(answer) = question.answer(answer_id) else {
            return Err(WalkError::UnknownAnswer {
                question: node.id.clone(),
                answer: answer_id.to_owned(),
                valid: question.answers.iter().map(|a| a.id.clone()).collect(),
            });
        };
        self.path.push(Answered {
            question: node.id.clone(),
            answer: answer.id.clone(),
        });
        self.arrive(self.target(&answer.next));
        Ok(self.position)
    }

    /// Marks the pending action as carried out and moves on to its `next`.
    pub fn action_done(&mut self) -> Result<Position<'t>, WalkError> {
        let Position::Action(_, action) = self.position else {
            return Err(WalkError::NotAtAction {
                at: self.describe(),
            });
        };
        match &action.next {
            Some(next) => self.arrive(self.target(&next.node)),
            None => self.position = Position::Finished,
        }
        Ok(self.position)
    }

    /// Answers, from `preset`, every question met until one has no preset
    /// answer or an action is reached. Each preset is used at most once per
    /// call, so the release-again loop cannot spin forever.
    pub fn apply(&mut self, preset: &PresetAnswers) -> Result<Position<'t>, WalkError> {
        let mut used: Vec<&str> = Vec::new();
        while let Position::Question(node, _) = self.position {
            let Some(answer) = preset.get(&node.id) else {
                break;
            };
            if used.contains(&node.id.as_str()) {
                break;
            }
            used.push(&node.id);
            self.answer(answer)?;
        }
        Ok(self.position)
    }

    fn target(&self, id: &str) -> &'t Node {
        // A checked tree has no arrow to an unknown node.
        self.tree
            .node(id)
            .unwrap_or_else(|| panic!("checked tree has no node `{id}`"))
    }

    fn arrive(&mut self, node: &'t Node) {
        self.position = match &node.kind {
            NodeKind::Question(q) => Position::Question(node, q),
            NodeKind::Action(a) => {
                self.actions.push(node);
                Position::Action(node, a)
            }
            NodeKind::Exit => Position::Exit(node),
        };
    }

    fn describe(&self) -> String {
        match self.position {
            Position::Question(node, _) => format!("at question `{}`", node.id),
            Position::Action(node, _) => format!("at action `{}`", node.id),
            Position::Exit(node) => format!("at exit `{}`", node.id),
            Position::Finished => "finished".to_owned(),
        }
    }
}
