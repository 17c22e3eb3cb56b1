//! `rewind tree check|show` through the real binary: exit statuses, what is
//! printed where, the language taken from the locale.

use std::path::{Path, PathBuf};

use rewind_core::i18n::Lang;
use rewind_core::tree::Tree;
use rewind_core::tree::render::{Format, render};

use crate::support::{Rewind, Run};

/// The corpus of tree files shared with rewind-core's tests.
fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../rewind-core/tests/fixtures/trees")
}

/// Runs `rewind` from the fixtures folder, so files are named as given,
/// with no locale but the `env` pairs.
fn rewind(args: &[&str], env: &[(&str, &str)]) -> Run {
    Rewind::new(args)
        .dir(&fixtures())
        .envs(env.iter().copied())
        .run()
}

#[test]
fn check_accepts_the_built_in_tree() {
    let out = rewind(&["tree", "check"], &[]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "ok: <built-in runbook>: 6 questions, 4 actions\n", "")
    );
}

#[test]
fn check_accepts_a_valid_file() {
    let out = rewind(&["tree", "check", "valid_small.toml"], &[]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "ok: valid_small.toml: 1 question, 1 action\n", "")
    );
}

#[test]
fn check_lists_every_problem_and_exits_2() {
    let out = rewind(&["tree", "check", "unknown_reference.toml"], &[]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stdout,
        "unknown_reference.toml:1: entry `begin` is not a node of this tree; expected one of: `rollback`, `start`\n\
         unknown_reference.toml:15: answer `ko` of question `start` leads to `rolback`, which is not a node of this tree; expected one of: `rollback`, `start`\n\
         unknown_reference.toml:21: action `rollback` leads to `fin`, which is not a node of this tree; expected one of: `rollback`, `start`\n"
    );
    assert_eq!(
        out.stderr,
        "error: unknown_reference.toml: the decision tree has 3 problems\n\
         hint: the tree file format is described in docs/decision-tree.md; `rewind tree show` prints the built-in tree as an example\n"
    );
}

#[test]
fn check_reports_a_syntax_error_with_its_line() {
    let out = rewind(&["tree", "check", "syntax_error.toml"], &[]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stdout,
        "syntax_error.toml:8: invalid TOML: invalid basic string, expected `\"`\n"
    );
    assert!(
        out.stderr
            .starts_with("error: syntax_error.toml: the decision tree has 1 problem\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn check_of_a_missing_file_exits_2_and_names_it() {
    let out = rewind(&["tree", "check", "no_such_tree.toml"], &[]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.starts_with(
            "error: cannot read the decision tree file no_such_tree.toml\n  caused by: "
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("\nhint: check the path"),
        "{}",
        out.stderr
    );
}

#[test]
fn show_prints_the_built_in_tree_as_text_in_the_locale_language() {
    let tree = Tree::default_runbook();
    let english = render(&tree, Format::Text, Lang::En);
    let french = render(&tree, Format::Text, Lang::Fr);

    let out = rewind(&["tree", "show"], &[]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    assert_eq!(out.stdout, english);
    assert!(out.stdout.starts_with(
        "mep: The release is in production: is there a problem?  [evidence: bad_deploy]\n"
    ));

    let out = rewind(&["tree", "show"], &[("LANG", "fr_FR.UTF-8")]);
    assert_eq!(out.stdout, french);
    // LC_ALL comes first, then LC_MESSAGES, then LANG.
    let out = rewind(
        &["tree", "show"],
        &[("LC_ALL", "en_US.UTF-8"), ("LANG", "fr_FR.UTF-8")],
    );
    assert_eq!(out.stdout, english);
    let out = rewind(
        &["tree", "show"],
        &[("LC_MESSAGES", "fr_BE.UTF-8"), ("LANG", "C.UTF-8")],
    );
    assert_eq!(out.stdout, french);
    // --lang wins over the environment.
    let out = rewind(&["tree", "show", "--lang", "en"], &[("LC_ALL", "fr_FR")]);
    assert_eq!(out.stdout, english);
}

#[test]
fn show_prints_mermaid_and_dot() {
    let tree = Tree::default_runbook();
    let out = rewind(
        &["tree", "show", "--format", "mermaid", "--lang", "fr"],
        &[],
    );
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    assert_eq!(out.stdout, render(&tree, Format::Mermaid, Lang::Fr));
    assert!(out.stdout.starts_with(
        "flowchart TD\n    n_mep{\"mep: La mise en production est faite : y a-t-il un problème ?\"}\n"
    ));

    let out = rewind(&["tree", "show", "--format", "dot", "--lang", "en"], &[]);
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout, render(&tree, Format::Dot, Lang::En));
    assert!(out.stdout.starts_with("digraph decision_tree {\n"));
    assert!(out.stdout.ends_with("}\n"));
}

#[test]
fn show_reads_a_tree_file() {
    let out = rewind(&["tree", "show", "valid_small.toml", "--lang", "en"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let expected = [
        "start: Is everything fine?",
        "├── Yes -> start (release again)",
        "└── No",
        "    rollback: Roll back  [action: redeploy_previous]",
        "    └── then",
        "        end: The end  [exit]",
    ];
    assert_eq!(out.stdout, format!("{}\n", expected.join("\n")));
}

#[test]
fn show_of_a_broken_tree_puts_problems_on_stderr_and_exits_2() {
    let out = rewind(&["tree", "show", "duplicate_ids.toml"], &[]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "", "nothing half-drawn on stdout");
    assert_eq!(
        out.stderr,
        "duplicate_ids.toml:13: question `start`: duplicate answer id `ko`, already used at line 8; expected a different id for each answer\n\
         duplicate_ids.toml:23: duplicate node id `rollback`: already the id of the action at line 18; expected a different id for each node\n\
         error: duplicate_ids.toml: the decision tree has 2 problems\n\
         hint: the tree file format is described in docs/decision-tree.md; `rewind tree show` prints the built-in tree as an example\n"
    );
}

#[test]
fn show_rejects_an_unknown_format() {
    let out = rewind(&["tree", "show", "--format", "svg"], &[]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr
            .contains("invalid value 'svg' for '--format <FORMAT>'")
            && out.stderr.contains("[possible values: text, mermaid, dot]"),
        "{}",
        out.stderr
    );
}
