//! The tree as a Graphviz DOT digraph: questions as diamonds, actions as
//! boxes, exits as ovals, the release-again loop dashed. Every id and label
//! is a quoted DOT string, with `\` and `"` escaped and line breaks as `\n`.

use std::fmt::Write;

use crate::i18n::Lang;
use crate::tree::model::{NodeKind, Tree};

pub(super) fn render(tree: &Tree, lang: Lang) -> String {
    let mut out = String::from("digraph decision_tree {\n");
    out.push_str("    rankdir=TB;\n");
    out.push_str("    node [fontname=\"Helvetica\"];\n");
    out.push_str("    edge [fontname=\"Helvetica\"];\n");
    for node in tree.nodes() {
        let shape = match node.kind {
            NodeKind::Question(_) => "diamond",
            NodeKind::Action(_) => "box",
            NodeKind::Exit => "oval",
        };
        let label = format!("{}: {}", node.id, node.text.get(lang));
        let _ = writeln!(
            out,
            "    {} [shape={shape}, label={}];",
            quote(&node.id),
            quote(&label)
        );
    }
    for edge in tree.edges() {
        let mut attrs = Vec::new();
        let label = match (edge.answer, edge.next_label) {
            (Some(answer), _) => Some(answer.label.get(lang).to_owned()),
            (None, Some(label)) => Some(label.get(lang).to_owned()),
            (None, None) => None,
        };
        if let Some(label) = label {
            attrs.push(format!("label={}", quote(&label)));
        }
        if edge.is_loop {
            attrs.push("style=dashed".to_owned());
        }
        let attrs = if attrs.is_empty() {
            String::new()
        } else {
            format!(" [{}]", attrs.join(", "))
        };
        let _ = writeln!(
            out,
            "    {} -> {}{attrs};",
            quote(edge.from),
            quote(edge.to)
        );
    }
    out.push_str("}\n");
    out
}

/// A DOT double-quoted string.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for ch in text.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            other => out.push(other),
        }
    }
    out.push('"');
    out
}
