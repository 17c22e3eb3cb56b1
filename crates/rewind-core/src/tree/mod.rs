//! The decision tree: model, TOML loader, validation, walk and renderers.
//!
//! A tree file (format in `docs/decision-tree.md`) is read by `loader`, its
//! shape checked by `check`, and only then becomes a `Tree`; the runbook's
//! own tree is built in (`Tree::default_runbook`). `Walk` moves through a
//! tree answer by answer; `render` shows it as text, Mermaid or DOT.

mod check;
mod fields;
mod kinds;
mod loader;
mod model;
mod parse;
mod preset;
mod problem;
pub mod render;
mod text;
mod walk;

pub use kinds::{ActionKind, Probe};
pub use model::{Action, Answer, Edge, Next, Node, NodeKind, Question, Tree};
pub use parse::{RUNBOOK_NAME, RUNBOOK_TOML};
pub use preset::{PresetAnswers, PresetError};
pub use problem::{Problem, Problems, TreeError};
pub use text::{Lang, Text, UnknownLang};
pub use walk::{Answered, PendingQuestion, Position, Walk, WalkError};
