//! Answers given in advance (`q1=no,q4=yes`), checked against a tree so a
//! typo is caught before the walk starts rather than in the middle of it.

use super::model::Tree;
use super::problem::list;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PresetAnswers {
    pairs: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PresetError {
    #[error("`{item}` is not an answer; expected question=answer, e.g. q1=no")]
    Malformed { item: String },
    #[error("`{question}` is not a question of this tree; expected one of: {}", list(.valid))]
    UnknownQuestion {
        question: String,
        valid: Vec<String>,
    },
    #[error("`{answer}` is not an answer to question `{question}`; expected one of: {}", list(.valid))]
    UnknownAnswer {
        question: String,
        answer: String,
        valid: Vec<String>,
    },
    #[error(
        "question `{question}` is answered twice (`{first}` and `{second}`); expected one answer"
    )]
    Conflict {
        question: String,
        first: String,
        second: String,
    },
}

impl PresetAnswers {
    /// Reads `question=answer` pairs; each item may hold several separated
    /// by commas. Every question and answer must exist in `tree`.
    pub fn parse(
        tree: &Tree,
        items: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> Result<Self, PresetError> {
        let mut preset = PresetAnswers::default();
        for item in items {
            for pair in item.as_ref().split(',').map(str::trim) {
                if pair.is_empty() {
                    continue;
                }
                let Some((question, answer)) = pair.split_once('=') else {
                    return Err(PresetError::Malformed {
                        item: pair.to_owned(),
                    });
                };
                let (question, answer) = (question.trim(), answer.trim());
                if question.is_empty() || answer.is_empty() {
                    return Err(PresetError::Malformed {
                        item: pair.to_owned(),
                    });
                }
                preset.insert(tree, question, answer)?;
            }
        }
        Ok(preset)
    }

    fn insert(&mut self, tree: &Tree, question: &str, answer: &str) -> Result<(), PresetError> {
        let Some(q) = tree.node(question).and_then(|n| n.as_question()) else {
            return Err(PresetError::UnknownQuestion {
                question: question.to_owned(),
                valid: tree.question_ids().into_iter().map(str::to_owned).collect(),
            });
        };
        if q.answer(answer).is_none() {
            return Err(PresetError::UnknownAnswer {
                question: question.to_owned(),
                answer: answer.to_owned(),
                valid: q.answers.iter().map(|a| a.id.clone()).collect(),
            });
        }
        match self.get(question) {
            Some(first) if first != answer => Err(PresetError::Conflict {
                question: question.to_owned(),
                first: first.to_owned(),
                second: answer.to_owned(),
            }),
            Some(_) => Ok(()),
            None => {
                self.pairs.push((question.to_owned(), answer.to_owned()));
                Ok(())
            }
        }
    }

    /// The preset answer to `question`, if any.
    pub fn get(&self, question: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(q, _)| q == question)
            .map(|(_, a)| a.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}
