//! Reads a tree file: TOML syntax, then each node's fields, keeping the line
//! of everything so problems can be reported as `file:line: message`.
//!
//! It produces two views of every node: the finished `Node` when all its
//! fields are right, and a `Skeleton` (id, kind, arrows) whenever at least the
//! id is readable, so the graph checks still run on a half-broken file and
//! report everything in one go.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::fields::Fields;
use super::kinds::{ActionKind, Probe};
use super::model::{Action, Answer, Next, Node, NodeKind, Question};
use super::problem::{Collector, list};

/// What the graph checks need to know about a node.
pub(crate) struct Skeleton {
    pub id: String,
    pub line: usize,
    pub kind: SkeletonKind,
    pub answer_count: usize,
    pub edges: Vec<SkeletonEdge>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SkeletonKind {
    Question,
    Action,
    Exit,
}

impl SkeletonKind {
    pub fn name(self) -> &'static str {
        match self {
            SkeletonKind::Question => "question",
            SkeletonKind::Action => "action",
            SkeletonKind::Exit => "exit",
        }
    }
}

pub(crate) struct SkeletonEdge {
    pub target: String,
    pub line: usize,
    /// "answer `yes` of question `q1`" or "action `a3`", for messages.
    pub origin: String,
    pub from_answer: bool,
    pub is_loop: bool,
}

/// A tree file as read, before the graph checks.
pub(crate) struct Draft {
    pub entry: Option<Spanned<String>>,
    pub skeletons: Vec<Skeleton>,
    /// `None` where the node had a problem of its own.
    pub nodes: Vec<Option<Node>>,
}

const TOP_KEYS: [&str; 4] = ["entry", "question", "action", "exit"];
const QUESTION_KEYS: [&str; 4] = ["id", "text", "probe", "answer"];
const ANSWER_KEYS: [&str; 4] = ["id", "label", "next", "loop"];
const ACTION_KEYS: [&str; 6] = ["id", "text", "action", "params", "next", "next_label"];
const EXIT_KEYS: [&str; 2] = ["id", "text"];

/// Reads the file; `None` when the TOML itself is broken (the syntax errors
/// are recorded, and nothing else can be trusted).
pub(crate) fn load(c: &mut Collector<'_>) -> Option<Draft> {
    let (document, errors) = DeTable::parse_recoverable(c.source.text);
    if !errors.is_empty() {
        for error in errors {
            let offset = error.span().map_or(0, |s| s.start);
            c.at(
                offset,
                format!("invalid TOML: {}", error.message().trim_end()),
            );
        }
        return None;
    }
    let root = Fields {
        table: document.get_ref(),
        span: 0..0,
        what: "the tree".to_owned(),
    };
    root.reject_unknown_keys(c, &TOP_KEYS);
    let entry = root.string(
        c,
        "entry",
        Some("the id of the first node, e.g. entry = \"release\""),
    );
    let mut draft = Draft {
        entry,
        skeletons: Vec::new(),
        nodes: Vec::new(),
    };
    for kind in [
        SkeletonKind::Question,
        SkeletonKind::Action,
        SkeletonKind::Exit,
    ] {
        for table in array_of_tables(c, &root, kind.name(), kind.name()) {
            if let Some((skeleton, node)) = load_node(c, kind, table) {
                draft.skeletons.push(skeleton);
                draft.nodes.push(node);
            }
        }
    }
    if draft.skeletons.is_empty() {
        c.at_line(
            1,
            "the tree has no node; expected [[question]], [[action]] and [[exit]] tables",
        );
    }
    // Nodes keep the order of the file, whatever their kind.
    let mut order: Vec<usize> = (0..draft.skeletons.len()).collect();
    order.sort_by_key(|&i| draft.skeletons[i].line);
    let mut skeletons: Vec<Option<Skeleton>> = draft.skeletons.into_iter().map(Some).collect();
    let mut nodes: Vec<Option<Option<Node>>> = draft.nodes.into_iter().map(Some).collect();
    draft.skeletons = order.iter().filter_map(|&i| skeletons[i].take()).collect();
    draft.nodes = order.iter().filter_map(|&i| nodes[i].take()).collect();
    Some(draft)
}

/// The tables of `key`, written `[[header]]` in the file.
fn array_of_tables<'a, 'i>(
    c: &mut Collector<'_>,
    parent: &Fields<'a, 'i>,
    key: &str,
    header: &str,
) -> Vec<&'a Spanned<DeValue<'i>>> {
    let Some((_, value)) = parent.get(key) else {
        return Vec::new();
    };
    match value.get_ref().as_array() {
        Some(items) => items.iter().collect(),
        None => {
            c.at(
                value.span().start,
                format!(
                    "{}: `{key}` must be an array of tables, each written [[{header}]]",
                    parent.what
                ),
            );
            Vec::new()
        }
    }
}

fn load_node(
    c: &mut Collector<'_>,
    kind: SkeletonKind,
    value: &Spanned<DeValue<'_>>,
) -> Option<(Skeleton, Option<Node>)> {
    let at_line = c.line(value.span().start);
    let Some(mut fields) = Fields::new(value, format!("{} at line {at_line}", kind.name())) else {
        c.at(
            value.span().start,
            format!(
                "each {0} must be a table written [[{0}]], found {1}",
                kind.name(),
                value.get_ref().type_str()
            ),
        );
        return None;
    };
    let id = fields.string(c, "id", Some("a node id, e.g. id = \"q1\""))?;
    fields.what = format!("{} `{}`", kind.name(), id.get_ref());
    let line = c.line(id.span().start);
    let text = fields.text(c, "text", true);
    let mut skeleton = Skeleton {
        id: id.into_inner(),
        line,
        kind,
        answer_count: 0,
        edges: Vec::new(),
    };
    let node_kind = match kind {
        SkeletonKind::Question => load_question(c, &fields, &mut skeleton).map(NodeKind::Question),
        SkeletonKind::Action => load_action(c, &fields, &mut skeleton).map(NodeKind::Action),
        SkeletonKind::Exit => {
            fields.reject_unknown_keys(c, &EXIT_KEYS);
            Some(NodeKind::Exit)
        }
    };
    let node = match (text, node_kind) {
        (Some(text), Some(kind)) => Some(Node {
            id: skeleton.id.clone(),
            line,
            text,
            kind,
        }),
        _ => None,
    };
    Some((skeleton, node))
}

fn load_question(
    c: &mut Collector<'_>,
    fields: &Fields<'_, '_>,
    skeleton: &mut Skeleton,
) -> Option<Question> {
    fields.reject_unknown_keys(c, &QUESTION_KEYS);
    let mut complete = true;
    let probe = match fields.string(c, "probe", None) {
        None => None,
        Some(name) => match Probe::from_name(name.get_ref()) {
            Some(probe) => Some(probe),
            None => {
                c.at(
                    name.span().start,
                    format!(
                        "{}: unknown probe `{}`; expected one of: {}",
                        fields.what,
                        name.get_ref(),
                        list(Probe::ALL.map(Probe::name))
                    ),
                );
                complete = false;
                None
            }
        },
    };
    let mut answers = Vec::new();
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for value in array_of_tables(c, fields, "answer", "question.answer") {
        skeleton.answer_count += 1;
        let at_line = c.line(value.span().start);
        let Some(mut answer) =
            Fields::new(value, format!("{}, answer at line {at_line}", fields.what))
        else {
            c.at(
                value.span().start,
                format!(
                    "{}: each answer must be a table written [[question.answer]]",
                    fields.what
                ),
            );
            complete = false;
            continue;
        };
        answer.reject_unknown_keys(c, &ANSWER_KEYS);
        let id = answer.string(c, "id", Some("an answer id, e.g. id = \"yes\""));
        if let Some(id) = &id {
            answer.what = format!("answer `{}` of {}", id.get_ref(), fields.what);
            let line = c.line(id.span().start);
            match seen.get(id.get_ref()) {
                Some(first) => {
                    c.at_line(
                        line,
                        format!(
                            "{}: duplicate answer id `{}`, already used at line {first}; \
                             expected a different id for each answer",
                            fields.what,
                            id.get_ref()
                        ),
                    );
                    complete = false;
                }
                None => {
                    seen.insert(id.get_ref().clone(), line);
                }
            }
        }
        let label = answer.text(c, "label", true);
        let next = answer.string(c, "next", Some("the id of the node this answer leads to"));
        let is_loop = answer.bool(c, "loop").unwrap_or(false);
        if let Some(next) = &next {
            skeleton.edges.push(SkeletonEdge {
                target: next.get_ref().clone(),
                line: c.line(next.span().start),
                origin: answer.what.clone(),
                from_answer: true,
                is_loop,
            });
        }
        match (id, label, next) {
            (Some(id), Some(label), Some(next)) => answers.push(Answer {
                id: id.into_inner(),
                label,
                next: next.into_inner(),
                is_loop,
            }),
            _ => complete = false,
        }
    }
    complete.then_some(Question { probe, answers })
}

fn load_action(
    c: &mut Collector<'_>,
    fields: &Fields<'_, '_>,
    skeleton: &mut Skeleton,
) -> Option<Action> {
    fields.reject_unknown_keys(c, &ACTION_KEYS);
    let expected = list(ActionKind::ALL.map(ActionKind::name));
    let action = match fields.string(
        c,
        "action",
        Some(&format!("what to do, one of: {expected}")),
    ) {
        None => None,
        Some(name) => {
            let kind = ActionKind::from_name(name.get_ref());
            if kind.is_none() {
                c.at(
                    name.span().start,
                    format!(
                        "{}: unknown action `{}`; expected one of: {expected}",
                        fields.what,
                        name.get_ref()
                    ),
                );
            }
            kind
        }
    };
    let params = match fields.get("params") {
        None => Some(toml::Table::new()),
        Some((_, value)) => read_params(c, fields, value),
    };
    let next = fields.string(c, "next", None);
    let label = fields.text(c, "next_label", false);
    let label_given = fields.get("next_label").is_some();
    if let Some(next) = &next {
        skeleton.edges.push(SkeletonEdge {
            target: next.get_ref().clone(),
            line: c.line(next.span().start),
            origin: fields.what.clone(),
            from_answer: false,
            is_loop: false,
        });
    } else if let Some((key, _)) = fields.get("next_label") {
        c.at(
            key.span().start,
            format!(
                "{}: `next_label` without `next`; expected next = \"<node id>\" \
                 for the label to go on",
                fields.what
            ),
        );
        return None;
    }
    if label_given && label.is_none() {
        return None;
    }
    Some(Action {
        action: action?,
        params: params?,
        next: next.map(|node| Next {
            node: node.into_inner(),
            label,
        }),
    })
}

fn read_params(
    c: &mut Collector<'_>,
    fields: &Fields<'_, '_>,
    value: &Spanned<DeValue<'_>>,
) -> Option<toml::Table> {
    use serde::Deserialize;
    if !value.get_ref().is_table() {
        c.at(
            value.span().start,
            format!(
                "{}: `params` must be a table, e.g. params = {{ backup = \"latest\" }}; found {}",
                fields.what,
                value.get_ref().type_str()
            ),
        );
        return None;
    }
    match toml::Table::deserialize(toml::de::ValueDeserializer::from(value.clone())) {
        Ok(table) => Some(table),
        Err(error) => {
            c.at(
                value.span().start,
                format!("{}: unreadable `params`: {}", fields.what, error.message()),
            );
            None
        }
    }
}
