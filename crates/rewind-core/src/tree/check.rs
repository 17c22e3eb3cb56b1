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
/// release-again loop or already reported as misplaced. The search keeps
/// its own stack, so a tree as deep as it is long (a chain of thousands of
/// questions) is checked without exhausting the thread's.
fn report_cycles(c: &mut Collector<'_>, by_id: &BTreeMap<&str, &Skeleton>, skeletons: &[Skeleton]) {
    let mut marks: BTreeMap<&str, Mark> = BTreeMap::new();
    // Where each node in progress sits on the path, to name a cycle.
    let mut on_path: BTreeMap<&str, usize> = BTreeMap::new();
    for root in skeletons {
        if marks.contains_key(root.id.as_str()) {
            continue;
        }
        // (node, index of the next edge to look at)
        let mut stack: Vec<(&Skeleton, usize)> = vec![(root, 0)];
        marks.insert(&root.id, Mark::InProgress);
        on_path.insert(&root.id, 0);
        while let Some((node, next)) = stack.last_mut() {
            let node: &Skeleton = node;
            let edge = node.edges.get(*next);
            *next += 1;
            let Some(edge) = edge else {
                marks.insert(&node.id, Mark::Done);
                on_path.remove(node.id.as_str());
                stack.pop();
                continue;
            };
            if edge.is_loop {
                continue;
            }
            let Some(target) = by_id.get(edge.target.as_str()).copied() else {
                continue;
            };
            match marks.get(target.id.as_str()) {
                Some(Mark::InProgress) => {
                    let start = on_path.get(target.id.as_str()).copied().unwrap_or(0);
                    let mut cycle: Vec<&str> =
                        stack[start..].iter().map(|(n, _)| n.id.as_str()).collect();
                    cycle.push(&target.id);
                    c.at_line(
                        edge.line,
                        format!(
                            "{} leads back to `{}`, a cycle ({}); expected the tree to only \
                             go forward, except the entry's release-again answer marked \
                             `loop = true`",
                            edge.origin,
                            target.id,
                            super::problem::path(&cycle)
                        ),
                    );
                }
                Some(Mark::Done) => {}
                None => {
                    marks.insert(&target.id, Mark::InProgress);
                    on_path.insert(&target.id, stack.len());
                    stack.push((target, 0));
                }
            }
        }
    }
}
