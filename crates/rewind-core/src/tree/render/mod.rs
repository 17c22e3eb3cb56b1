//! Showing a tree to people: an indented text tree for the terminal, and
//! Mermaid or Graphviz DOT for documents and incident reports.

mod dot;
mod mermaid;
mod text;
mod words;

pub use mermaid::escape_label as mermaid_label;

use super::model::Tree;
use crate::i18n::Lang;

/// How to show a tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Mermaid,
    Dot,
}

/// Renders `tree` in `format`, with its texts in `lang`. The result ends
/// with a newline.
pub fn render(tree: &Tree, format: Format, lang: Lang) -> String {
    match format {
        Format::Text => text::render(tree, lang),
        Format::Mermaid => mermaid::render(tree, lang),
        Format::Dot => dot::render(tree, lang),
    }
}
