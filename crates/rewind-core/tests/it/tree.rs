//! rewind-core tests: tree. The corpus of broken tree files with the exact
//! lines reported, the built-in runbook's structure, every path through it,
//! and its renderings (the DOT ones drawn by Graphviz when it is installed;
//! `REWIND_REQUIRE_GRAPHVIZ=1` makes its absence a failure).

use std::collections::BTreeSet;
use std::path::PathBuf;

use rewind_core::tree::render::{Format, mermaid_label, render};
use rewind_core::tree::{
    ActionKind, Lang, NodeKind, Position, PresetAnswers, PresetError, Probe, RUNBOOK_NAME,
    RUNBOOK_TOML, Tree, TreeError, Walk, WalkError,
};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/trees")
        .join(name)
}

/// The problems found in a fixture, as `rewind tree check` prints them.
fn problems(name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(fixture(name)).expect("fixture is readable");
    match Tree::parse(name, &text) {
        Ok(_) => panic!("{name} should not be a valid tree"),
        Err(p) => {
            assert_eq!(p.file, name);
            p.problems.iter().map(|p| p.to_string()).collect()
        }
    }
}

/// Compares a rendering with the expected text written after `r#"` and a
/// line break, printing both in full when they differ.
fn assert_rendered(actual: &str, expected: &str) {
    let expected = expected.strip_prefix('\n').unwrap_or(expected);
    assert!(
        actual == expected,
        "rendering differs\n--- actual ---\n{actual}--- expected ---\n{expected}"
    );
}

// ---- broken trees: each kind of problem, at its line -----------------------

#[test]
fn syntax_error_is_reported_at_its_line() {
    assert_eq!(
        problems("syntax_error.toml"),
        ["syntax_error.toml:8: invalid TOML: invalid basic string, expected `\"`"]
    );
}

#[test]
fn duplicate_toml_key_is_a_syntax_error_at_its_line() {
    let text = "entry = \"a\"\n\n[[exit]]\nid = \"a\"\nid = \"b\"\n";
    let err = Tree::parse("dup.toml", text).unwrap_err();
    assert_eq!(err.problems.len(), 1, "{:?}", err.problems);
    assert_eq!(err.problems[0].line, 5);
    assert!(
        err.problems[0]
            .message
            .starts_with("invalid TOML: duplicate key"),
        "{}",
        err.problems[0].message
    );
}

#[test]
fn unknown_references_are_reported() {
    assert_eq!(
        problems("unknown_reference.toml"),
        [
            "unknown_reference.toml:1: entry `begin` is not a node of this tree; expected one of: `rollback`, `start`",
            "unknown_reference.toml:15: answer `ko` of question `start` leads to `rolback`, which is not a node of this tree; expected one of: `rollback`, `start`",
            "unknown_reference.toml:21: action `rollback` leads to `fin`, which is not a node of this tree; expected one of: `rollback`, `start`",
        ]
    );
}

#[test]
fn unreachable_nodes_are_reported() {
    assert_eq!(
        problems("unreachable.toml"),
        [
            "unreachable.toml:28: action `forgotten` cannot be reached from the entry `start`; expected an answer or a `next` leading to it, or remove it",
            "unreachable.toml:33: exit `end` cannot be reached from the entry `start`; expected an answer or a `next` leading to it, or remove it",
        ]
    );
}

#[test]
fn cycles_are_reported_except_the_marked_release_again_loop() {
    assert_eq!(
        problems("cycle.toml"),
        [
            "cycle.toml:10: answer `ok` of question `start` leads back to `start`, a cycle (start -> start); expected the tree to only go forward, except the entry's release-again answer marked `loop = true`",
            "cycle.toml:29: answer `no` of question `users` leads back to `users`, a cycle (users -> users); expected the tree to only go forward, except the entry's release-again answer marked `loop = true`",
            "cycle.toml:35: action `rollback` leads back to `start`, a cycle (start -> users -> rollback -> start); expected the tree to only go forward, except the entry's release-again answer marked `loop = true`",
        ]
    );
    // The same loop at the entry, marked, is fine.
    let tree = Tree::load(&fixture("valid_small.toml")).expect("valid tree");
    let loops: Vec<_> = tree.edges().into_iter().filter(|e| e.is_loop).collect();
    assert_eq!(loops.len(), 1);
    assert_eq!((loops[0].from, loops[0].to), ("start", "start"));
}

#[test]
fn questions_need_two_answers() {
    assert_eq!(
        problems("one_answer.toml"),
        [
            "one_answer.toml:4: question `start` has 1 answer; expected at least two [[question.answer]] tables, a question with fewer is no choice",
            "one_answer.toml:13: question `users` has 0 answers; expected at least two [[question.answer]] tables, a question with fewer is no choice",
            "one_answer.toml:17: action `rollback` cannot be reached from the entry `start`; expected an answer or a `next` leading to it, or remove it",
        ]
    );
}

#[test]
fn leaves_need_an_action() {
    assert_eq!(
        problems("leaf_without_action.toml"),
        [
            "leaf_without_action.toml:10: answer `ok` of question `start` leads straight to exit `end`, a leaf with no action; expected an action node before the exit",
            "leaf_without_action.toml:17: action `rollback`: missing `action`; expected what to do, one of: `switch_feature_off`, `warn_product_owner`, `restore_database`, `redeploy_previous`",
        ]
    );
}

#[test]
fn duplicate_ids_are_reported() {
    assert_eq!(
        problems("duplicate_ids.toml"),
        [
            "duplicate_ids.toml:13: question `start`: duplicate answer id `ko`, already used at line 8; expected a different id for each answer",
            "duplicate_ids.toml:23: duplicate node id `rollback`: already the id of the action at line 18; expected a different id for each node",
        ]
    );
}

#[test]
fn unknown_actions_probes_and_keys_are_reported() {
    assert_eq!(
        problems("unknown_names.toml"),
        [
            "unknown_names.toml:6: question `start`: unknown probe `logs`; expected one of: `bad_deploy`, `app_health`, `database`, `feature_flags`",
            "unknown_names.toml:21: action `warn`: unknown action `send_email`; expected one of: `switch_feature_off`, `warn_product_owner`, `restore_database`, `redeploy_previous`",
            "unknown_names.toml:27: action `rollback`: unknown key `nxt`; expected one of: `id`, `text`, `action`, `params`, `next`, `next_label`",
        ]
    );
}

#[test]
fn missing_french_or_english_text_is_reported() {
    assert_eq!(
        problems("missing_language.toml"),
        [
            "missing_language.toml:5: question `start`: `text` has no `en`; expected the English text as text.en = \"...\"",
            "missing_language.toml:9: answer `ok` of question `start`: `label` has no `fr`; expected the French text as label.fr = \"...\"",
            "missing_language.toml:14: answer `ko` of question `start`: `label.en` is empty; expected the English text",
            "missing_language.toml:19: action `warn`: `text` has no `en`; expected the English text as text.en = \"...\"",
            "missing_language.toml:22: action `rollback`: missing `text`; expected text = { fr = \"...\", en = \"...\" }",
        ]
    );
}

#[test]
fn every_problem_of_a_file_is_reported_not_just_the_first() {
    assert_eq!(
        problems("many_problems.toml"),
        [
            "many_problems.toml:5: question `start` has 1 answer; expected at least two [[question.answer]] tables, a question with fewer is no choice",
            "many_problems.toml:7: question `start`: unknown probe `vibes`; expected one of: `bad_deploy`, `app_health`, `database`, `feature_flags`",
            "many_problems.toml:12: answer `ok` of question `start`: `loop = true` is only allowed on an answer of the entry question that leads back to the entry (release again)",
            "many_problems.toml:12: answer `ok` of question `start` leads to `nowhere`, which is not a node of this tree; expected one of: `lonely`, `start`",
            "many_problems.toml:16: question `lonely` has 1 answer; expected at least two [[question.answer]] tables, a question with fewer is no choice",
            "many_problems.toml:16: question `lonely` cannot be reached from the entry `start`; expected an answer or a `next` leading to it, or remove it",
            "many_problems.toml:21: answer `yes` of question `lonely`: `label` has no `en`; expected the English text as label.en = \"...\"",
            "many_problems.toml:25: duplicate node id `start`: already the id of the question at line 5; expected a different id for each node",
            "many_problems.toml:27: action `start`: unknown action `panic`; expected one of: `switch_feature_off`, `warn_product_owner`, `restore_database`, `redeploy_previous`",
        ]
    );
}

#[test]
fn wrong_types_and_empty_files_are_reported() {
    let text = "entry = 3\nquestion = \"q1\"\n";
    let err = Tree::parse("types.toml", text).unwrap_err();
    let lines: Vec<String> = err.problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(
        lines,
        [
            "types.toml:1: the tree: `entry` must be a string, found integer",
            "types.toml:1: the tree has no node; expected [[question]], [[action]] and [[exit]] tables",
            "types.toml:2: the tree: `question` must be an array of tables, each written [[question]]",
        ]
    );
}

#[test]
fn an_unreadable_file_says_which_file() {
    let missing = fixture("no_such_tree.toml");
    let err = Tree::load(&missing).unwrap_err();
    assert!(matches!(err, TreeError::Read { .. }));
    assert!(err.to_string().contains("no_such_tree.toml"), "{err}");
}

#[test]
fn a_valid_file_loads_with_its_lines() {
    let tree = Tree::load(&fixture("valid_small.toml")).expect("valid tree");
    assert_eq!(tree.question_count(), 1);
    assert_eq!(tree.action_count(), 1);
    assert_eq!(tree.entry().id, "start");
    assert_eq!(tree.entry().line, 5);
    // Dotted keys work as well as inline tables.
    assert_eq!(tree.entry().text.get(Lang::Fr), "Tout va bien ?");
    assert!(tree.source_name().ends_with("valid_small.toml"));
}

// ---- the built-in runbook tree ---------------------------------------------

#[test]
fn the_runbook_tree_is_valid_and_is_the_embedded_file() {
    let parsed = Tree::parse("runbook.toml", RUNBOOK_TOML).expect("the embedded tree is valid");
    let tree = Tree::default_runbook();
    assert_eq!(tree.source_name(), RUNBOOK_NAME);
    assert_eq!(tree.question_count(), 6);
    assert_eq!(tree.action_count(), 4);
    assert_eq!(parsed.nodes().len(), tree.nodes().len());
}

#[test]
fn the_runbook_tree_has_exactly_the_runbook_structure() {
    let tree = Tree::default_runbook();
    assert_eq!(tree.entry().id, "mep");
    let edges: BTreeSet<(String, String, String, bool)> = tree
        .edges()
        .iter()
        .map(|e| {
            (
                e.from.to_owned(),
                e.answer.map_or("-".to_owned(), |a| a.id.clone()),
                e.to.to_owned(),
                e.is_loop,
            )
        })
        .collect();
    let expected: BTreeSet<(String, String, String, bool)> = [
        ("mep", "ok", "mep", true),
        ("mep", "problem", "q1", false),
        ("q1", "yes", "a1", false),
        ("q1", "no", "q2", false),
        ("q2", "yes", "q3", false),
        ("q2", "no", "q4", false),
        ("q3", "low", "a2", false),
        ("q3", "high", "q4", false),
        ("q4", "yes", "a2", false),
        ("q4", "no", "q5", false),
        ("q5", "yes", "a3", false),
        ("q5", "no", "a4", false),
        ("a1", "-", "done", false),
        ("a2", "-", "done", false),
        ("a3", "-", "a4", false),
        ("a4", "-", "done", false),
    ]
    .into_iter()
    .map(|(f, a, t, l)| (f.to_owned(), a.to_owned(), t.to_owned(), l))
    .collect();
    assert_eq!(edges, expected);

    let action = |id: &str| tree.node(id).and_then(|n| n.as_action()).expect(id);
    assert_eq!(action("a1").action, ActionKind::SwitchFeatureOff);
    assert_eq!(action("a2").action, ActionKind::WarnProductOwner);
    assert_eq!(action("a3").action, ActionKind::RestoreDatabase);
    assert_eq!(action("a4").action, ActionKind::RedeployPrevious);
    // The database is restored before the previous version goes back, and
    // only if that went well.
    let after_restore = action("a3").next.as_ref().expect("a3 goes on");
    assert_eq!(after_restore.node, "a4");
    assert!(after_restore.label.is_some());
    assert!(matches!(tree.node("done").unwrap().kind, NodeKind::Exit));

    let probe = |id: &str| tree.node(id).and_then(|n| n.as_question()).expect(id).probe;
    assert_eq!(probe("mep"), Some(Probe::BadDeploy));
    assert_eq!(probe("q1"), Some(Probe::FeatureFlags));
    assert_eq!(probe("q5"), Some(Probe::Database));
}

// ---- walking it ------------------------------------------------------------

/// Walks the runbook with `answers`, doing each action as it comes, and
/// returns the actions reached and the node the walk ends on.
fn walk_with(answers: &[&str]) -> (Vec<ActionKind>, String) {
    let tree = Tree::default_runbook();
    let mut walk = Walk::new(&tree);
    let mut answers = answers.iter();
    let mut done = Vec::new();
    loop {
        match walk.position() {
            Position::Question(node, _) => {
                let answer = answers
                    .next()
                    .unwrap_or_else(|| panic!("no answer left for {}", node.id));
                walk.answer(answer).expect("valid answer");
            }
            Position::Action(_, action) => {
                done.push(action.action);
                walk.action_done().expect("at an action");
            }
            Position::Exit(node) => {
                assert!(answers.next().is_none(), "answers left over");
                return (done, node.id.clone());
            }
            Position::Finished => return (done, "finished".to_owned()),
        }
    }
}

#[test]
fn every_path_of_the_runbook_ends_at_the_expected_actions() {
    use ActionKind::*;
    let cases: [(&[&str], &[ActionKind]); 8] = [
        (&["problem", "yes"], &[SwitchFeatureOff]),
        (&["problem", "no", "yes", "low"], &[WarnProductOwner]),
        (
            &["problem", "no", "yes", "high", "yes"],
            &[WarnProductOwner],
        ),
        (
            &["problem", "no", "yes", "high", "no", "yes"],
            &[RestoreDatabase, RedeployPrevious],
        ),
        (
            &["problem", "no", "yes", "high", "no", "no"],
            &[RedeployPrevious],
        ),
        (&["problem", "no", "no", "yes"], &[WarnProductOwner]),
        (
            &["problem", "no", "no", "no", "yes"],
            &[RestoreDatabase, RedeployPrevious],
        ),
        (&["problem", "no", "no", "no", "no"], &[RedeployPrevious]),
    ];
    for (answers, expected) in cases {
        let (actions, end) = walk_with(answers);
        assert_eq!(actions, expected, "answers {answers:?}");
        assert_eq!(end, "done", "answers {answers:?}");
    }
    // The cases above are all the paths there are.
    assert_eq!(count_paths(&Tree::default_runbook()), cases.len());
}

/// Counts the ways from the entry to an end, leaving the release-again loop
/// out (it leads back to the start, not to an end).
fn count_paths(tree: &Tree) -> usize {
    fn from(tree: &Tree, id: &str) -> usize {
        let node = tree.node(id).unwrap();
        let edges: Vec<_> = node.edges().into_iter().filter(|e| !e.is_loop).collect();
        if edges.is_empty() {
            1
        } else {
            edges.iter().map(|e| from(tree, e.to)).sum()
        }
    }
    from(tree, &tree.entry().id)
}

#[test]
fn the_walk_records_its_path_and_loops_back_when_all_is_well() {
    let tree = Tree::default_runbook();
    let mut walk = Walk::new(&tree);
    let at = walk.answer("ok").unwrap();
    assert_eq!(at.node_id(), Some("mep"), "nothing to do: release again");
    walk.answer("problem").unwrap();
    walk.answer("no").unwrap();
    walk.answer("no").unwrap();
    walk.answer("no").unwrap();
    let at = walk.answer("yes").unwrap();
    assert_eq!(at.node_id(), Some("a3"));
    let path: Vec<(&str, &str)> = walk
        .path()
        .iter()
        .map(|a| (a.question.as_str(), a.answer.as_str()))
        .collect();
    assert_eq!(
        path,
        [
            ("mep", "ok"),
            ("mep", "problem"),
            ("q1", "no"),
            ("q2", "no"),
            ("q4", "no"),
            ("q5", "yes")
        ]
    );
    let actions: Vec<&str> = walk.actions().iter().map(|n| n.id.as_str()).collect();
    assert_eq!(actions, ["a3"]);
}

#[test]
fn the_walk_refuses_what_does_not_fit_where_it_stands() {
    let tree = Tree::default_runbook();
    let mut walk = Walk::new(&tree);
    let err = walk.answer("maybe").unwrap_err();
    assert_eq!(
        err.to_string(),
        "`maybe` is not an answer to question `mep`; expected one of: `ok`, `problem`"
    );
    assert!(matches!(
        walk.action_done(),
        Err(WalkError::NotAtAction { .. })
    ));
    walk.answer("problem").unwrap();
    walk.answer("yes").unwrap();
    assert!(matches!(
        walk.answer("yes"),
        Err(WalkError::NotAtQuestion { .. })
    ));
    assert!(walk.pending_question().is_none());
}

#[test]
fn preset_answers_go_as_far_as_they_can_then_the_pending_question_lists_its_answers() {
    let tree = Tree::default_runbook();
    let preset = PresetAnswers::parse(&tree, ["mep=problem,q1=no", " q2 = yes ", "q3=high"])
        .expect("valid answers");
    let mut walk = Walk::new(&tree);
    walk.apply(&preset).unwrap();
    let pending = walk.pending_question().expect("q4 has no preset answer");
    assert_eq!(pending.id, "q4");
    assert_eq!(
        pending.text.get(Lang::En),
        "Can the problem be fixed later?"
    );
    let answers: Vec<(&str, &str)> = pending
        .answers()
        .iter()
        .map(|a| (a.id.as_str(), a.label.get(Lang::Fr)))
        .collect();
    assert_eq!(answers, [("yes", "Oui"), ("no", "Non")]);

    let more = PresetAnswers::parse(&tree, ["q4=no", "q5=no"]).unwrap();
    let at = walk.apply(&more).unwrap();
    assert_eq!(at.node_id(), Some("a4"));
}

#[test]
fn a_preset_release_again_answer_does_not_loop_forever() {
    let tree = Tree::default_runbook();
    let preset = PresetAnswers::parse(&tree, ["mep=ok"]).unwrap();
    let mut walk = Walk::new(&tree);
    let at = walk.apply(&preset).unwrap();
    assert_eq!(at.node_id(), Some("mep"));
    assert_eq!(walk.path().len(), 1);
}

#[test]
fn preset_answers_name_the_valid_choices_when_wrong() {
    let tree = Tree::default_runbook();
    let err = PresetAnswers::parse(&tree, ["q9=no"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`q9` is not a question of this tree; expected one of: `mep`, `q1`, `q2`, `q3`, `q4`, `q5`"
    );
    let err = PresetAnswers::parse(&tree, ["q3=medium"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`medium` is not an answer to question `q3`; expected one of: `low`, `high`"
    );
    let err = PresetAnswers::parse(&tree, ["a1=yes"]).unwrap_err();
    assert!(matches!(err, PresetError::UnknownQuestion { .. }), "{err}");
    let err = PresetAnswers::parse(&tree, ["q1"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`q1` is not an answer; expected question=answer, e.g. q1=no"
    );
    let err = PresetAnswers::parse(&tree, ["q1=no", "q1=yes"]).unwrap_err();
    assert!(matches!(err, PresetError::Conflict { .. }), "{err}");
}

// ---- renderings ------------------------------------------------------------

#[test]
fn runbook_as_text_in_english() {
    let text = render(&Tree::default_runbook(), Format::Text, Lang::En);
    assert_rendered(
        &text,
        r#"
mep: The release is in production: is there a problem?  [evidence: bad_deploy]
├── No problem: nothing to do, release again -> mep (release again)
└── There is a problem
    q1: Can the faulty feature be switched off?  [evidence: feature_flags]
    ├── Yes
    │   a1: Switch the feature off and open a ticket with the product owner  [action: switch_feature_off]
    │   └── then
    │       done: End of the procedure  [exit]
    └── No
        q2: Does the problem affect my users?  [evidence: app_health]
        ├── Yes
        │   q3: In what proportion?  [evidence: app_health]
        │   ├── Low
        │   │   a2: Warn the product owner and open a ticket to prioritise  [action: warn_product_owner]
        │   │   └── then -> done (see above)
        │   └── High
        │       q4: Can the problem be fixed later?
        │       ├── Yes -> a2 (see above)
        │       └── No
        │           q5: Is there a database to roll back?  [evidence: database]
        │           ├── Yes
        │           │   a3: Restore the latest database backup  [action: restore_database]
        │           │   └── If the restore went well
        │           │       a4: Put the previous version of the application back in production  [action: redeploy_previous]
        │           │       └── then -> done (see above)
        │           └── No -> a4 (see above)
        └── No -> q4 (see above)
"#,
    );
}

#[test]
fn runbook_as_text_in_french() {
    let text = render(&Tree::default_runbook(), Format::Text, Lang::Fr);
    assert_rendered(
        &text,
        r#"
mep: La mise en production est faite : y a-t-il un problème ?  [indice: bad_deploy]
├── Aucun problème : rien à faire, on remet en production -> mep (on recommence)
└── Il y a un problème
    q1: Peut-on désactiver la fonctionnalité en cause ?  [indice: feature_flags]
    ├── Oui
    │   a1: Désactiver la fonctionnalité et ouvrir un ticket auprès du product owner  [action: switch_feature_off]
    │   └── ensuite
    │       done: Fin de la procédure  [sortie]
    └── Non
        q2: Le problème touche-t-il mes utilisateurs ?  [indice: app_health]
        ├── Oui
        │   q3: Dans quelle proportion ?  [indice: app_health]
        │   ├── Faible
        │   │   a2: Prévenir le product owner et ouvrir un ticket à prioriser  [action: warn_product_owner]
        │   │   └── ensuite -> done (voir plus haut)
        │   └── Forte
        │       q4: Le problème peut-il être corrigé plus tard ?
        │       ├── Oui -> a2 (voir plus haut)
        │       └── Non
        │           q5: Y a-t-il une base de données à restaurer ?  [indice: database]
        │           ├── Oui
        │           │   a3: Restaurer la dernière sauvegarde de la base de données  [action: restore_database]
        │           │   └── Si la restauration s'est bien passée
        │           │       a4: Remettre en production la version précédente de l'application  [action: redeploy_previous]
        │           │       └── ensuite -> done (voir plus haut)
        │           └── Non -> a4 (voir plus haut)
        └── Non -> q4 (voir plus haut)
"#,
    );
}

#[test]
fn runbook_as_mermaid_in_english() {
    let text = render(&Tree::default_runbook(), Format::Mermaid, Lang::En);
    assert_rendered(
        &text,
        r#"
flowchart TD
    n_mep{"mep: The release is in production: is there a problem?"}
    n_q1{"q1: Can the faulty feature be switched off?"}
    n_q2{"q2: Does the problem affect my users?"}
    n_q3{"q3: In what proportion?"}
    n_q4{"q4: Can the problem be fixed later?"}
    n_q5{"q5: Is there a database to roll back?"}
    n_a1["a1: Switch the feature off and open a ticket with the product owner"]
    n_a2["a2: Warn the product owner and open a ticket to prioritise"]
    n_a3["a3: Restore the latest database backup"]
    n_a4["a4: Put the previous version of the application back in production"]
    n_done(["done: End of the procedure"])
    n_mep -.->|"No problem: nothing to do, release again"| n_mep
    n_mep -->|"There is a problem"| n_q1
    n_q1 -->|"Yes"| n_a1
    n_q1 -->|"No"| n_q2
    n_q2 -->|"Yes"| n_q3
    n_q2 -->|"No"| n_q4
    n_q3 -->|"Low"| n_a2
    n_q3 -->|"High"| n_q4
    n_q4 -->|"Yes"| n_a2
    n_q4 -->|"No"| n_q5
    n_q5 -->|"Yes"| n_a3
    n_q5 -->|"No"| n_a4
    n_a1 --> n_done
    n_a2 --> n_done
    n_a3 -->|"If the restore went well"| n_a4
    n_a4 --> n_done
"#,
    );
    assert_valid_mermaid(&text);
}

#[test]
fn runbook_as_mermaid_in_french() {
    let text = render(&Tree::default_runbook(), Format::Mermaid, Lang::Fr);
    assert_rendered(
        &text,
        r#"
flowchart TD
    n_mep{"mep: La mise en production est faite : y a-t-il un problème ?"}
    n_q1{"q1: Peut-on désactiver la fonctionnalité en cause ?"}
    n_q2{"q2: Le problème touche-t-il mes utilisateurs ?"}
    n_q3{"q3: Dans quelle proportion ?"}
    n_q4{"q4: Le problème peut-il être corrigé plus tard ?"}
    n_q5{"q5: Y a-t-il une base de données à restaurer ?"}
    n_a1["a1: Désactiver la fonctionnalité et ouvrir un ticket auprès du product owner"]
    n_a2["a2: Prévenir le product owner et ouvrir un ticket à prioriser"]
    n_a3["a3: Restaurer la dernière sauvegarde de la base de données"]
    n_a4["a4: Remettre en production la version précédente de l'application"]
    n_done(["done: Fin de la procédure"])
    n_mep -.->|"Aucun problème : rien à faire, on remet en production"| n_mep
    n_mep -->|"Il y a un problème"| n_q1
    n_q1 -->|"Oui"| n_a1
    n_q1 -->|"Non"| n_q2
    n_q2 -->|"Oui"| n_q3
    n_q2 -->|"Non"| n_q4
    n_q3 -->|"Faible"| n_a2
    n_q3 -->|"Forte"| n_q4
    n_q4 -->|"Oui"| n_a2
    n_q4 -->|"Non"| n_q5
    n_q5 -->|"Oui"| n_a3
    n_q5 -->|"Non"| n_a4
    n_a1 --> n_done
    n_a2 --> n_done
    n_a3 -->|"Si la restauration s'est bien passée"| n_a4
    n_a4 --> n_done
"#,
    );
    assert_valid_mermaid(&text);
}

/// The Mermaid rules the renderer relies on: after `flowchart TD`, each line
/// is a node `id{"..."}`, `id["..."]` or `id(["..."])`, or an edge
/// `id -->|"..."| id` (`-.->` for the loop); ids are plain ASCII words; no
/// label holds a raw `"`, bracket, brace, parenthesis, `|`, `<`, `>`, or `#`
/// that does not start an entity code.
fn assert_valid_mermaid(text: &str) {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("flowchart TD"));
    let is_id =
        |s: &str| s.starts_with("n_") && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let check_label = |label: &str, line: &str| {
        for ch in ['"', '[', ']', '{', '}', '(', ')', '|', '<', '>', '`'] {
            assert!(!label.contains(ch), "raw {ch:?} in label of {line:?}");
        }
        for (i, _) in label.match_indices('#') {
            let rest = &label[i + 1..];
            let end = rest
                .find(';')
                .unwrap_or_else(|| panic!("bare # in {line:?}"));
            assert!(
                end > 0 && rest[..end].chars().all(|c| c.is_ascii_alphanumeric()),
                "bad entity in {line:?}"
            );
        }
    };
    let mut ids = BTreeSet::new();
    for line in lines {
        let line = line
            .strip_prefix("    ")
            .unwrap_or_else(|| panic!("not indented: {line:?}"));
        let id_end = line
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or_else(|| panic!("only an id: {line:?}"));
        if line[id_end..].starts_with(' ') {
            let (from, rest) = line.split_at(id_end);
            let rest = &rest[1..];
            let (arrow, rest) = rest.split_once(' ').unwrap_or((rest, ""));
            let (arrow, label, to) = match arrow.split_once('|') {
                Some((arrow, label_start)) => {
                    let whole = format!("{label_start} {rest}");
                    let (label, to) = whole
                        .rsplit_once("| ")
                        .unwrap_or_else(|| panic!("unclosed edge label: {line:?}"));
                    (arrow.to_owned(), Some(label.to_owned()), to.to_owned())
                }
                None => (arrow.to_owned(), None, rest.to_owned()),
            };
            assert!(arrow == "-->" || arrow == "-.->", "arrow in {line:?}");
            assert!(ids.contains(from) && ids.contains(to.as_str()), "{line:?}");
            if let Some(label) = label {
                let inner = label
                    .strip_prefix('"')
                    .and_then(|l| l.strip_suffix('"'))
                    .unwrap_or_else(|| panic!("unquoted edge label: {line:?}"));
                check_label(inner, line);
            }
        } else {
            let (id, shape) = line
                .find(['{', '[', '('])
                .map(|i| line.split_at(i))
                .unwrap_or_else(|| panic!("no shape: {line:?}"));
            assert!(is_id(id), "bad id {id:?}");
            let inner = [("{\"", "\"}"), ("[\"", "\"]"), ("([\"", "\"])")]
                .iter()
                .find_map(|(open, close)| shape.strip_prefix(open)?.strip_suffix(close))
                .unwrap_or_else(|| panic!("bad shape: {line:?}"));
            check_label(inner, line);
            ids.insert(id.to_owned());
        }
    }
}

/// Labels that trip renderers up: quotes, brackets, braces, parentheses,
/// `#`, `&`, `<b>`, a pipe, backquotes, French quotes and accents, and ids
/// that are Mermaid keywords or clash once sanitised.
const TRICKY_TREE: &str = r##"
entry = "end"

[[question]]
id = "end"
text = { fr = "Le bouton « Payer » [v2] {beta} (50 %) casse-t-il ? #42", en = "Does \"Pay\" [v2] {beta} (50%) break? <b>#42</b> & a|b `x`" }

[[question.answer]]
id = "yes"
label = { fr = "Oui (hélas)", en = "Yes [sadly]" }
next = "o-ops"

[[question.answer]]
id = "no"
label = { fr = "Non", en = "No \"really\"" }
next = "x.y"

[[action]]
id = "o-ops"
text = { fr = "Désactiver {feature}", en = "Switch (it) off" }
action = "switch_feature_off"
next = "o_ops"

[[action]]
id = "x.y"
text = { fr = "Prévenir", en = "Warn" }
action = "warn_product_owner"
next = "o_ops"

[[exit]]
id = "o_ops"
text = { fr = "Fin", en = "End" }
"##;

#[test]
fn mermaid_labels_and_ids_survive_tricky_text() {
    let tree = Tree::parse("tricky.toml", TRICKY_TREE).expect("valid tree");
    for lang in [Lang::En, Lang::Fr] {
        let out = render(&tree, Format::Mermaid, lang);
        assert_valid_mermaid(&out);
        // `end` is a Mermaid keyword and `o`/`x` after an arrow change its
        // head: every id is prefixed, and sanitised ids stay unique.
        assert!(out.contains("    n_end{\""), "{out}");
        assert!(out.contains("    n_o_ops[\""), "{out}");
        assert!(out.contains("    n_o_ops_2([\""), "{out}");
        assert!(out.contains("    n_x_y[\""), "{out}");
    }
    let en = render(&tree, Format::Mermaid, Lang::En);
    assert!(
        en.contains(
            "n_end{\"end: Does #quot;Pay#quot; #91;v2#93; #123;beta#125; #40;50%#41; break? \
             #lt;b#gt;#35;42#lt;/b#gt; #amp; a#124;b #96;x#96;\"}"
        ),
        "{en}"
    );
    assert!(
        en.contains("n_end -->|\"No #quot;really#quot;\"| n_x_y"),
        "{en}"
    );
    // Accents and French quotes need no escaping.
    let fr = render(&tree, Format::Mermaid, Lang::Fr);
    assert!(fr.contains("Le bouton « Payer » #91;v2#93;"), "{fr}");
    assert!(fr.contains("|\"Oui #40;hélas#41;\"|"), "{fr}");

    assert_eq!(mermaid_label("a\"b"), "a#quot;b");
    assert_eq!(mermaid_label("line\nbreak"), "line break");
    assert_eq!(mermaid_label("déjà vu"), "déjà vu");
}

#[test]
fn runbook_as_dot_is_a_well_formed_digraph() {
    let tree = Tree::default_runbook();
    let dot = render(&tree, Format::Dot, Lang::En);
    let lines: Vec<&str> = dot.lines().collect();
    assert_eq!(lines.first(), Some(&"digraph decision_tree {"));
    assert_eq!(lines.last(), Some(&"}"));
    let nodes: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.contains(" [shape="))
        .collect();
    let edges: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.contains(" -> "))
        .collect();
    assert_eq!(nodes.len(), tree.nodes().len());
    assert_eq!(edges.len(), tree.edges().len());
    assert_eq!(
        nodes.iter().filter(|l| l.contains("shape=diamond")).count(),
        6
    );
    assert_eq!(nodes.iter().filter(|l| l.contains("shape=box")).count(), 4);
    assert!(edges.contains(&"    \"q5\" -> \"a3\" [label=\"Yes\"];"));
    assert!(edges.contains(&"    \"a3\" -> \"a4\" [label=\"If the restore went well\"];"));
    assert!(edges.contains(
        &"    \"mep\" -> \"mep\" [label=\"No problem: nothing to do, release again\", style=dashed];"
    ));
    for line in &lines[1..lines.len() - 1] {
        assert!(line.ends_with(';'), "{line:?}");
        assert_eq!(unescaped_quotes(line) % 2, 0, "unbalanced quotes: {line:?}");
    }
    let fr = render(&tree, Format::Dot, Lang::Fr);
    assert!(fr.contains("label=\"q5: Y a-t-il une base de données à restaurer ?\""));
}

fn unescaped_quotes(line: &str) -> usize {
    let mut count = 0;
    let mut escaped = false;
    for ch in line.chars() {
        match ch {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => count += 1,
            _ => escaped = false,
        }
    }
    count
}

/// A label with a Windows path and quotes: DOT's two escapes at once.
const BACKSLASH_TREE: &str = r#"
entry = "q"

[[question]]
id = "q"
text = { fr = "Chemin C:\\app \"prod\" ?", en = "Path C:\\app \"prod\"?" }

[[question.answer]]
id = "a"
label = { fr = "Oui", en = "Yes" }
next = "act"

[[question.answer]]
id = "b"
label = { fr = "Non", en = "No" }
next = "act"

[[action]]
id = "act"
text = { fr = "Agir", en = "Act" }
action = "redeploy_previous"
"#;

#[test]
fn dot_escapes_quotes_and_backslashes() {
    let tree = Tree::parse("dot.toml", BACKSLASH_TREE).expect("valid tree");
    let dot = render(&tree, Format::Dot, Lang::En);
    assert!(
        dot.contains(r#""q" [shape=diamond, label="q: Path C:\\app \"prod\"?"];"#),
        "{dot}"
    );
    for line in dot.lines() {
        assert_eq!(unescaped_quotes(line) % 2, 0, "unbalanced quotes: {line:?}");
    }
}

/// Graphviz reads the DOT rendering of the runbook (both languages) and of
/// the trees with tricky labels, and draws every node's and every arrow's
/// label exactly as written: escaping that Graphviz reads differently from
/// the renderer shows here, where the structural checks above cannot see it.
#[test]
fn graphviz_draws_every_label_of_the_dot_renderings() {
    let runbook = Tree::default_runbook();
    let tricky = Tree::parse("tricky.toml", TRICKY_TREE).expect("valid tree");
    let backslash = Tree::parse("dot.toml", BACKSLASH_TREE).expect("valid tree");
    let cases = [
        ("runbook", &runbook, Lang::Fr),
        ("runbook", &runbook, Lang::En),
        ("tricky.toml", &tricky, Lang::Fr),
        ("tricky.toml", &tricky, Lang::En),
        ("dot.toml", &backslash, Lang::En),
    ];
    for (name, tree, lang) in cases {
        let dot = render(tree, Format::Dot, lang);
        let Some(svg) = dot_to_svg(&dot) else { return };
        let texts = svg_texts(&svg);
        let titles = svg_elements(&svg, "title");
        for node in tree.nodes() {
            let label = format!("{}: {}", node.id, node.text.get(lang));
            assert!(
                texts.contains(&label),
                "{name} ({lang:?}): node label {label:?} not drawn; texts: {texts:#?}"
            );
            assert!(
                titles.contains(&node.id),
                "{name} ({lang:?}): node {:?} missing; titles: {titles:#?}",
                node.id
            );
        }
        for edge in tree.edges() {
            let label = match (edge.answer, edge.next_label) {
                (Some(answer), _) => answer.label.get(lang),
                (None, Some(label)) => label.get(lang),
                (None, None) => continue,
            };
            assert!(
                texts.iter().any(|t| t == label),
                "{name} ({lang:?}): arrow label {label:?} not drawn; texts: {texts:#?}"
            );
        }
        let arrows = titles.iter().filter(|t| t.contains("->")).count();
        assert_eq!(arrows, tree.edges().len(), "{name} ({lang:?}): {titles:#?}");
    }
}

/// Set in CI, where a missing Graphviz must fail rather than skip.
const REQUIRE_GRAPHVIZ: &str = "REWIND_REQUIRE_GRAPHVIZ";

/// `dot -Tsvg` with the DOT text on stdin. `None` (after saying so on
/// stderr) when Graphviz is not installed and CI does not require it.
fn dot_to_svg(dot: &str) -> Option<String> {
    use std::io::Write;
    use std::process::{Command, Stdio};

    let spawned = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                std::env::var(REQUIRE_GRAPHVIZ).as_deref() != Ok("1"),
                "Graphviz's `dot` is not on PATH and {REQUIRE_GRAPHVIZ}=1: install graphviz"
            );
            eprintln!(
                "SKIPPED: Graphviz's `dot` is not on PATH, the DOT renderings were not \
                 drawn (install graphviz, or set {REQUIRE_GRAPHVIZ}=1 to make this fail)"
            );
            return None;
        }
        Err(e) => panic!("could not run `dot -Tsvg`: {e}"),
    };
    // Written from another thread: dot may start answering before it has
    // read everything, and neither side must wait on a full pipe.
    let mut stdin = child.stdin.take().expect("dot's stdin");
    let input = dot.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("dot ran");
    writer
        .join()
        .expect("writer thread")
        .expect("DOT written to dot");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "dot -Tsvg failed ({}): {stderr}\n--- input ---\n{dot}",
        out.status
    );
    assert!(
        !stderr.contains("Warning") && !stderr.contains("Error"),
        "dot -Tsvg complained: {stderr}\n--- input ---\n{dot}"
    );
    let svg = String::from_utf8(out.stdout).expect("dot writes UTF-8 SVG");
    assert!(svg.contains("<svg"), "not an SVG:\n{svg}");
    Some(svg)
}

/// The text drawn in an SVG: the content of each `<text>` element.
fn svg_texts(svg: &str) -> Vec<String> {
    svg_elements(svg, "text")
}

/// The unescaped content of every `<tag ...>...</tag>` element of `svg`.
fn svg_elements(svg: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut found = Vec::new();
    let mut rest = svg;
    while let Some(at) = rest.find(&open) {
        rest = &rest[at + open.len()..];
        // `<title` must not match `<titles`: the tag name ends here.
        if !rest.starts_with(['>', ' ', '\n', '\t']) {
            continue;
        }
        let body = &rest[rest.find('>').expect("tag closes") + 1..];
        let end = body.find(&close).expect("element closes");
        found.push(xml_unescape(&body[..end]));
        rest = &body[end..];
    }
    found
}

/// XML character data back to text: the five named entities and numeric
/// references (Graphviz writes `-` as `&#45;`, and may write non-ASCII
/// characters as references too).
fn xml_unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest.find(';').expect("entity ends with ;");
        let entity = &rest[1..end];
        let ch = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(hex) = entity.strip_prefix("#x") {
                    u32::from_str_radix(hex, 16)
                } else if let Some(dec) = entity.strip_prefix('#') {
                    dec.parse()
                } else {
                    panic!("unknown entity &{entity}; in {text:?}")
                };
                let code = code.unwrap_or_else(|e| panic!("bad entity &{entity};: {e}"));
                char::from_u32(code).unwrap_or_else(|| panic!("bad character &{entity};"))
            }
        };
        // Graphviz keeps runs of spaces visible with no-break spaces.
        out.push(if ch == '\u{a0}' { ' ' } else { ch });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn svg_text_is_read_back_unescaped() {
    let svg = "<svg><title>a&#45;&gt;b</title><text x=\"1\">Does &quot;Pay&quot; &lt;b&gt; &amp; d&#233;j&#xE0;</text><textPath>no</textPath></svg>";
    assert_eq!(svg_elements(svg, "title"), ["a->b"]);
    assert_eq!(svg_texts(svg), ["Does \"Pay\" <b> & déjà"]);
}

#[test]
fn language_follows_the_locale_variables_in_posix_order() {
    assert_eq!(
        Lang::from_locale_vars([None, None, Some("fr_FR.UTF-8")]),
        Lang::Fr
    );
    assert_eq!(
        Lang::from_locale_vars([Some("en_US.UTF-8"), None, Some("fr_FR.UTF-8")]),
        Lang::En
    );
    assert_eq!(
        Lang::from_locale_vars([Some(""), Some("fr_CA"), Some("en_GB")]),
        Lang::Fr
    );
    assert_eq!(Lang::from_locale_vars([None, None, Some("C")]), Lang::En);
    assert_eq!(Lang::from_locale_vars([None, None, None]), Lang::En);
    assert_eq!("fr".parse::<Lang>().unwrap(), Lang::Fr);
    assert!("de".parse::<Lang>().is_err());
}

#[test]
#[should_panic(expected = "raw '(' in label")]
fn the_mermaid_check_catches_a_raw_parenthesis() {
    assert_valid_mermaid("flowchart TD\n    n_a[\"a (b)\"]\n");
}

#[test]
#[should_panic(expected = "bare # in")]
fn the_mermaid_check_catches_a_bare_hash() {
    assert_valid_mermaid("flowchart TD\n    n_a[\"ticket #42\"]\n");
}

#[test]
fn answers_written_as_a_plain_value_are_reported() {
    let text = "entry = \"q\"\n\n[[question]]\nid = \"q\"\ntext = { fr = \"Q ?\", en = \"Q?\" }\nanswer = \"yes\"\n";
    let err = Tree::parse("answers.toml", text).unwrap_err();
    let lines: Vec<String> = err.problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(
        lines,
        [
            "answers.toml:4: question `q` has 0 answers; expected at least two [[question.answer]] tables, a question with fewer is no choice",
            "answers.toml:6: question `q`: `answer` must be an array of tables, each written [[question.answer]]",
        ]
    );
}
