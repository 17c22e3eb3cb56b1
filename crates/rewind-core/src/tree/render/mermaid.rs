//! The tree as a Mermaid flowchart (`flowchart TD`): questions as decisions
//! `{...}`, actions as boxes `[...]`, exits as stadiums `([...])`.
//!
//! Mermaid's rules, followed here: every label is quoted, a `"` inside is
//! written `#quot;`, and characters with a meaning of their own (shape
//! brackets, `|` around edge labels, `#` that starts an entity, `<` `>` `&`
//! read as HTML, a backtick that starts a markdown string) are written as
//! entity codes, so no text can break a shape. Ids get a prefix, because
//! words such as `end` are keywords and ids starting with `o` or `x` after an
//! arrow change the arrow's head.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use crate::i18n::Lang;
use crate::tree::model::{NodeKind, Tree};

pub(super) fn render(tree: &Tree, lang: Lang) -> String {
    let ids = mermaid_ids(tree);
    let mut out = String::from("flowchart TD\n");
    for node in tree.nodes() {
        let label = escape_label(&format!("{}: {}", node.id, node.text.get(lang)));
        let id = &ids[node.id.as_str()];
        let _ = match &node.kind {
            NodeKind::Question(_) => writeln!(out, "    {id}{{\"{label}\"}}"),
            NodeKind::Action(_) => writeln!(out, "    {id}[\"{label}\"]"),
            NodeKind::Exit => writeln!(out, "    {id}([\"{label}\"])"),
        };
    }
    for edge in tree.edges() {
        let (from, to) = (&ids[edge.from], &ids[edge.to]);
        let label = match (edge.answer, edge.next_label) {
            (Some(answer), _) => Some(answer.label.get(lang).to_owned()),
            (None, Some(label)) => Some(label.get(lang).to_owned()),
            (None, None) => None,
        };
        let arrow = if edge.is_loop { "-.->" } else { "-->" };
        let _ = match label {
            Some(label) => writeln!(out, "    {from} {arrow}|\"{}\"| {to}", escape_label(&label)),
            None => writeln!(out, "    {from} {arrow} {to}"),
        };
    }
    out
}

/// A Mermaid id for each node id: `n_` then the id with anything but ASCII
/// letters, digits and `_` replaced by `_`, made unique with a suffix.
fn mermaid_ids(tree: &Tree) -> BTreeMap<&str, String> {
    let mut taken = BTreeSet::new();
    let mut ids = BTreeMap::new();
    for node in tree.nodes() {
        let base: String = node
            .id
            .chars()
            .map(|ch| if ch.is_ascii_alphanumeric() { ch } else { '_' })
            .collect();
        let base = format!("n_{base}");
        let mut id = base.clone();
        let mut n = 2;
        while !taken.insert(id.clone()) {
            id = format!("{base}_{n}");
            n += 1;
        }
        ids.insert(node.id.as_str(), id);
    }
    ids
}

/// Text made safe inside a quoted Mermaid label.
pub fn escape_label(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '&' => out.push_str("#amp;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '[' => out.push_str("#91;"),
            ']' => out.push_str("#93;"),
            '{' => out.push_str("#123;"),
            '}' => out.push_str("#125;"),
            '(' => out.push_str("#40;"),
            ')' => out.push_str("#41;"),
            '|' => out.push_str("#124;"),
            '`' => out.push_str("#96;"),
            '\n' | '\r' | '\t' => out.push(' '),
            other => out.push(other),
        }
    }
    out
}
