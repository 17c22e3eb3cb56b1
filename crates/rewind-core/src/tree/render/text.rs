//! The tree as indented text for a terminal. The runbook's tree is a graph
//! (two answers lead to Q4, every action ends at the same exit), so a node
//! met a second time is referenced (`-> q4 (see above)`) rather than
//! repeated: the output stays as long as the tree, not as its paths.

use std::collections::BTreeSet;
use std::fmt::Write;

use super::words;
use crate::tree::model::{Edge, Node, NodeKind, Tree};
use crate::tree::text::Lang;

pub(super) fn render(tree: &Tree, lang: Lang) -> String {
    let mut out = String::new();
    let mut seen = BTreeSet::new();
    node(tree, tree.entry(), lang, "", &mut seen, &mut out);
    out
}

fn node<'t>(
    tree: &'t Tree,
    n: &'t Node,
    lang: Lang,
    prefix: &str,
    seen: &mut BTreeSet<&'t str>,
    out: &mut String,
) {
    seen.insert(&n.id);
    let tag = match &n.kind {
        NodeKind::Question(q) => q
            .probe
            .map(|p| format!("  [{}: {p}]", words::evidence(lang)))
            .unwrap_or_default(),
        NodeKind::Action(a) => format!("  [action: {}]", a.action),
        NodeKind::Exit => format!("  [{}]", words::exit(lang)),
    };
    let _ = writeln!(out, "{prefix}{}: {}{tag}", n.id, n.text.get(lang));
    let edges = n.edges();
    for (i, edge) in edges.iter().enumerate() {
        let last = i + 1 == edges.len();
        let (branch, indent) = if last {
            ("└── ", "    ")
        } else {
            ("├── ", "│   ")
        };
        let label = edge_label(edge, lang);
        if edge.is_loop {
            let _ = writeln!(
                out,
                "{prefix}{branch}{label} -> {} ({})",
                edge.to,
                words::release_again(lang)
            );
        } else if seen.contains(edge.to) {
            let _ = writeln!(
                out,
                "{prefix}{branch}{label} -> {} ({})",
                edge.to,
                words::see_above(lang)
            );
        } else {
            let _ = writeln!(out, "{prefix}{branch}{label}");
            if let Some(target) = tree.node(edge.to) {
                node(tree, target, lang, &format!("{prefix}{indent}"), seen, out);
            }
        }
    }
}

fn edge_label<'t>(edge: &Edge<'t>, lang: Lang) -> &'t str {
    match (edge.answer, edge.next_label) {
        (Some(answer), _) => answer.label.get(lang),
        (None, Some(label)) => label.get(lang),
        (None, None) => words::then(lang),
    }
}
