//! Hostile text through the real binary: every place rewind prints text
//! from outside (the rollback plan, follow --verbose, the report, the
//! journal, status, guide evidence, ticket drafts, webhook messages, error
//! messages) shows escape sequences, carriage returns and bidi controls as
//! visible escapes and lets none of them act. Every test here has `hostile`
//! in its name (`cargo test hostile` runs them all).

use std::path::PathBuf;

use crate::terminal::{HOSTILE, TITLE_SHOWN, World, assert_neutralised};

#[test]
fn hostile_text_in_the_rollback_plan_is_shown_not_obeyed() {
    let world = World::new();
    let run = world.run(&["rollback", "--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_neutralised(
        "rollback plan",
        &run.stderr,
        &[
            &format!("added migrations/005_{TITLE_SHOWN}evil.sql"),
            "feat: release 1.1.0 \\u{1b}]0;title",
            "* checkout \\u{1b}]0;title",
            "\\u{d}overwritten \\u{202e}desrever\\u{202c} \\u{2066}isolated\\u{2069}\\u{200b}end",
        ],
    );
}

#[test]
fn hostile_text_through_a_rollback_its_build_log_report_journal_and_webhook() {
    let world = World::new();
    let reason = format!("checkout {HOSTILE}");
    let run = world.run(&[
        "rollback",
        "--yes",
        "--no-db",
        "--verbose",
        "--json",
        "--reason",
        &reason,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // follow --verbose: v1.0.0's build log echoes its hostile engines.node.
    assert_neutralised(
        "follow --verbose",
        &run.stderr,
        &["engines.node (package.json):  20.x \\u{1b}]0;title\\u{7}"],
    );
    assert_neutralised("rollback --json", &run.stdout, &[]);
    let id = run.json()["incident"]
        .as_str()
        .expect("incident")
        .to_string();

    let texts = world.hook.texts();
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert_neutralised(
        "webhook message",
        &texts[0],
        &["Reason: checkout \\u{1b}]0;title\\u{7}"],
    );

    let report = world.run(&["report", &id]);
    assert_eq!(report.code, 0, "{}", report.stderr);
    assert_neutralised(
        "report",
        &report.stdout,
        &[
            "checkout \\u{1b}]0;title\\u{7}",
            "feat: release 1.1.0 \\u{1b}]0;title",
            "\\u{202e}desrever",
        ],
    );
    let json = world.run(&["report", &id, "--json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    assert_neutralised("report --json", &json.stdout, &["\\u202edesrever"]);
    assert_eq!(
        json.json()["reason"],
        reason.as_str(),
        "JSON keeps the text"
    );

    let show = world.run(&["journal", "show", &id]);
    assert_eq!(show.code, 0, "{}", show.stderr);
    assert_neutralised(
        "journal show",
        &show.stdout,
        &["checkout \\u001b]0;title\\u0007", "\\u{202e}desrever"],
    );
    let list = world.run(&["journal"]);
    assert_neutralised("journal", &list.stdout, &[&id]);
}

#[test]
fn hostile_text_in_status_is_shown_not_obeyed() {
    let world = World::new();
    let run = world.run(&["status"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_neutralised(
        "status",
        &format!("{}{}", run.stdout, run.stderr),
        &["\\u{1b}]0;t\\u{7}\\u{202e}eve"],
    );
    let json = world.run(&["status", "--json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    assert_neutralised(
        "status --json",
        &json.stdout,
        &["\\u001b]0;t\\u0007\\u202eeve"],
    );
    assert!(json.json().to_string().contains("\u{202e}eve"));
}

#[test]
fn hostile_text_in_guide_evidence_ticket_drafts_and_messages() {
    let world = World::new();
    // A team's tree is outside text too: its action's words become the
    // ticket's title and the team's message.
    world.use_team_tree(&format!("Warn {HOSTILE} the owner"));
    let tickets = world.dir.path().join("tickets");
    let run = world.run(&[
        "guide",
        "--answer",
        "q5=yes",
        "--yes",
        "--lang",
        "en",
        "--ticket-dir",
        tickets.to_str().expect("path"),
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let migration = format!("migrations/005_{TITLE_SHOWN}evil.sql");
    assert_neutralised("guide evidence", &run.stderr, &[&migration]);
    assert_neutralised(
        "ticket draft shown",
        &run.stdout,
        &[&migration, "Warn \\u{1b}]0;title\\u{7}"],
    );
    let written: Vec<PathBuf> = std::fs::read_dir(&tickets)
        .expect("tickets")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(written.len(), 1, "{written:?}");
    let ticket = std::fs::read_to_string(&written[0]).expect("ticket");
    assert_neutralised("ticket draft written", &ticket, &[&migration]);
    let texts = world.hook.texts();
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert_neutralised(
        "guide's message",
        &texts[0],
        &["Warn \\u{1b}]0;title\\u{7}"],
    );
}

#[test]
fn hostile_text_echoed_in_an_error_is_shown_not_obeyed() {
    let world = World::new();
    let wanted = format!("v9 {HOSTILE}");
    let run = world.run(&["rollback", "--to", &wanted, "--dry-run"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert_neutralised("error message", &run.stderr, &["\\u{1b}]0;title\\u{7}"]);
}

#[test]
fn hostile_text_in_a_configuration_error_is_shown_not_obeyed() {
    let world = World::new();
    // A teammate's rewind.toml: the error quotes the value it refuses.
    std::fs::write(
        world.work().join("rewind.toml"),
        "[[apps]]\nname = \"shop\"\n\n[apps.database]\naddon = \"scalingo-postgresql\"\n\
         margin = \"\\u001B]0;title\\u0007\\u001B[2J\\u202Esoon\"\n",
    )
    .expect("rewind.toml");
    let run = world.run(&["status"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_neutralised(
        "configuration error",
        &run.stderr,
        &["\\u{1b}]0;title\\u{7}\\u{1b}[2J\\u{202e}soon"],
    );
}
