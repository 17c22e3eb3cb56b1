//! The checks on the shape of the tree: every arrow lands on a node, every
//! node can be reached, nothing loops back except the release-again answer
//! at the entry, every question is a real choice, and no path ends without
//! an action.

use std::collections::{BTreeMap, BTreeSet};

use super::loader::{Draft, Skeleton, SkeletonKind};
use super::problem::{Collector, list};

pub(crate) fn check(c: &mut Collector<'_>, draft: &Draft) {
    let mut by_id: BTreeMap<&str, &Skeleton> = BTreeMap::new();
    for skeleton in &draft.skeletons {
        match by_id.get(skeleton.id.as_str()) {
            Some(first) => c.at_line(
                skeleton.line,
                format!(
                    "duplicate node id `{}`: already the id of the {} at line {}; \
                     expected a different id for each node",
                    skeleton.id,
                    first.kind.name(),
                    first.line
                ),
            ),
            None => {
                by_id.insert(&skeleton.id, skeleton);
            }
        }
    }
    let known = list(by_id.keys());

    let entry = draft.entry.as_ref().and_then(|entry| {
        let found = by_id.get(entry.get_ref().as_str()).copied();
        match found {
            None => c.at(
                entry.span().start,
                format!(
                    "entry `{}` is not a node of this tree; expected one of: {known}",
                    entry.get_ref()
                ),
            ),
            Some(node) if node.kind == SkeletonKind::Exit => c.at(
                entry.span().start,
                format!(
                    "entry `{}` is an exit, so the tree does nothing; \
                     expected a question or an action",
                    entry.get_ref()
                ),
            ),
            Some(_) => {}
        }
        found
    });

    for skeleton in &draft.skeletons {
        if skeleton.kind == SkeletonKind::Question && skeleton.answer_count < 2 {
            c.at_line(
                skeleton.line,
                format!(
                    "question `{}` has {} answer{}; expected at least two \
                     [[question.answer]] tables, a question with fewer is no choice",
                    skeleton.id,
                    skeleton.answer_count,
                    if skeleton.answer_count == 1 { "" } else { "s" }
                ),
            );
        }
        for edge in &skeleton.edges {
            let is_release_again =
                entry.is_some_and(|e| e.id == skeleton.id) && edge.target == skeleton.id;
            if edge.is_loop && !is_release_again {
                c.at_line(
                    edge.line,
                    format!(
                        "{}: `loop = true` is only allowed on an answer of the entry \
                         question that leads back to the entry (release again)",
                        edge.origin
                    ),
                );
            }
            match by_id.get(edge.target.as_str()) {
                None => c.at_line(
                    edge.line,
                    format!(
                        "{} leads to `{}`, which is not a node of this tree; \
                         expected one of: {known}",
                        edge.origin, edge.target
                    ),
                ),
                Some(target) if edge.from_answer && target.kind == SkeletonKind::Exit => c.at_line(
                    edge.line,
                    format!(
                        "{} leads straight to exit `{}`, a leaf with no action; \
                             expected an action node before the exit",
                        edge.origin, edge.target
                    ),
                ),
                Some(_) => {}
            }
        }
    }

    if let Some(entry) = entry {
        report_unreachable(c, &by_id, entry, &draft.skeletons);
    }
    report_cycles(c, &by_id, &draft.skeletons);
}

fn report_unreachable(
    c: &mut Collector<'_>,
    by_id: &BTreeMap<&str, &Skeleton>,
    entry: &Skeleton,
    skeletons: &[Skeleton],
) {
    let mut reached: BTreeSet<&str> = BTreeSet::from([entry.id.as_str()]);
    let mut queue = vec![entry];
    while let Some(node) = queue.pop() {
        for edge in &node.edges {
            if let Some(target) = by_id.get(edge.target.as_str())
                && reached.insert(&target.id)
            {
                queue.push(target);
            }
        }
    }
    for skeleton in skeletons {
        if !reached.contains(skeleton.id.as_str()) {
            c.at_line(
                skeleton.line,
                format!(
                    "{} `{}` cannot be reached from the entry `{}`; expected an answer \
                     or a `next` leading to it, or remove it",
                    skeleton.kind.name(),
                    skeleton.id,
                    entry.id
                ),
            );
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mark {
    InProgress,
    Done,
}

/// Depth-first search; an arrow to a node still on the stack closes a cycle.
/// Arrows marked `loop` are left out: they are either the allowed
/// release-again loop or already reported as misplaced.
fn report_cycles(c: &mut Collector<'_>, by_id: &BTreeMap<&str, &Skeleton>, skeletons: &[Skeleton]) {
    let mut marks: BTreeMap<&str, Mark> = BTreeMap::new();
    for skeleton in skeletons {
        if !marks.contains_key(skeleton.id.as_str()) {
            let mut stack = Vec::new();
            visit(c, by_id, skeleton, &mut marks, &mut stack);
        }
    }
}

fn visit<'a>(
    c: &mut Collector<'_>,
    by_id: &BTreeMap<&str, &'a Skeleton>,
    node: &'a Skeleton,
    marks: &mut BTreeMap<&'a str, Mark>,
    stack: &mut Vec<&'a str>,
) {
    marks.insert(&node.id, Mark::InProgress);
    stack.push(&node.id);
    for edge in node.edges.iter().filter(|e| !e.is_loop) {
        let Some(target) = by_id.get(edge.target.as_str()) else {
            continue;
        };
        match marks.get(target.id.as_str()) {
            Some(Mark::InProgress) => {
                let start = stack.iter().position(|&id| id == target.id).unwrap_or(0);
                let mut cycle: Vec<&str> = stack[start..].to_vec();
                cycle.push(&target.id);
                c.at_line(
                    edge.line,
                    format!(
                        "{} leads back to `{}`, a cycle ({}); expected the tree to only \
                         go forward, except the entry's release-again answer marked \
                         `loop = true`",
                        edge.origin,
                        target.id,
                        cycle.join(" -> ")
                    ),
                );
            }
            Some(Mark::Done) => {}
            None => visit(c, by_id, target, marks, stack),
        }
    }
    stack.pop();
    marks.insert(&node.id, Mark::Done);
}
