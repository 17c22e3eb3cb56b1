//! The tree as indented text for a terminal. The runbook's tree is a graph
//! (two answers lead to Q4, every action ends at the same exit), so a node
//! met a second time is referenced (`-> q4 (see above)`) rather than
//! repeated: the output stays as long as the tree, not as its paths.

use std::collections::BTreeSet;
use std::fmt::Write;

use super::words;
use crate::i18n::Lang;
use crate::tree::model::{Edge, Node, NodeKind, Tree};

pub(super) fn render(tree: &Tree, lang: Lang) -> String {
    let mut out = String::new();
    let mut seen = BTreeSet::new();
    // Depth first, with its own stack: a tree as deep as it is long does
    // not exhaust the thread's. A frame is a node still to print, or the
    // edges of a printed node from the one to look at next: the subtree
    // under one edge is printed whole before the next edge is looked at,
    // as a recursive walk would.
    let mut stack: Vec<Frame<'_>> = vec![Frame::Node(tree.entry(), String::new())];
    while let Some(frame) = stack.pop() {
        match frame {
            Frame::Node(n, prefix) => {
                seen.insert(n.id.as_str());
                let _ = writeln!(
                    out,
                    "{prefix}{}: {}{}",
                    n.id,
                    n.text.get(lang),
                    tag(n, lang)
                );
                stack.push(Frame::Edges(n.edges(), prefix, 0));
            }
            Frame::Edges(edges, prefix, i) => {
                let Some(edge) = edges.get(i).copied() else {
                    continue;
                };
                let last = i + 1 == edges.len();
                let (branch, indent) = if last {
                    ("└── ", "    ")
                } else {
                    ("├── ", "│   ")
                };
                let label = edge_label(&edge, lang);
                let next = if edge.is_loop {
                    let _ = writeln!(
                        out,
                        "{prefix}{branch}{label} -> {} ({})",
                        edge.to,
                        words::release_again(lang)
                    );
                    None
                } else if seen.contains(edge.to) {
                    let _ = writeln!(
                        out,
                        "{prefix}{branch}{label} -> {} ({})",
                        edge.to,
                        words::see_above(lang)
                    );
                    None
                } else {
                    let _ = writeln!(out, "{prefix}{branch}{label}");
                    tree.node(edge.to).map(|target| {
                        // Past a few dozen levels the indentation starts
                        // again at the margin: a tree as deep as it is long
                        // prints in as many lines, not in their square.
                        let deeper = if prefix.chars().count() >= MAX_INDENT {
                            String::new()
                        } else {
                            format!("{prefix}{indent}")
                        };
                        Frame::Node(target, deeper)
                    })
                };
                stack.push(Frame::Edges(edges, prefix, i + 1));
                stack.extend(next);
            }
        }
    }
    out
}

/// The widest indentation, in characters (32 levels).
const MAX_INDENT: usize = 4 * 32;

/// What is left to print.
enum Frame<'t> {
    Node(&'t Node, String),
    /// A printed node's arrows, and the one to look at next.
    Edges(Vec<Edge<'t>>, String, usize),
}

fn tag(n: &Node, lang: Lang) -> String {
    match &n.kind {
        NodeKind::Question(q) => q
            .probe
            .map(|p| format!("  [{}: {p}]", words::evidence(lang)))
            .unwrap_or_default(),
        NodeKind::Action(a) => format!("  [action: {}]", a.action),
        NodeKind::Exit => format!("  [{}]", words::exit(lang)),
    }
}

fn edge_label<'t>(edge: &Edge<'t>, lang: Lang) -> &'t str {
    match (edge.answer, edge.next_label) {
        (Some(answer), _) => answer.label.get(lang),
        (None, Some(label)) => label.get(lang),
        (None, None) => words::then(lang),
    }
}
