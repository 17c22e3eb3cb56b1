//! Property tests of every parser that reads outside data: build logs, tag
//! formats and names, versions, durations, `rewind.toml`, decision trees,
//! migration files, the journal, and the two filters every shown line goes
//! through (the neutraliser and the redactor). Each property says at least
//! "never panics, and either parses or returns a typed error"; round trips
//! and invariants where the parser has them. Deployment-stream frames are
//! read by a crate-private parser: its property lives beside it, in
//! `platform/scalingo/stream.rs`.
//!
//! Runs 256 cases per property; `REWIND_FUZZ_CASES` raises that for a long
//! run (docs/reliability.md).

use std::io::Cursor;

use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use rewind_core::config::{Config, format_duration, parse_duration};
use rewind_core::journal::Journal;
use rewind_core::migrations::{Class, Language, classify_code, classify_sql, statements};
use rewind_core::redact::redact;
use rewind_core::release::{TagFormat, Version, find_version};
use rewind_core::text::{
    Piece, is_unsafe, neutralise, neutralise_keeping_colours, neutralise_line, pieces,
    strip_escapes,
};
use rewind_core::tree::{RUNBOOK_TOML, Tree};
use serde_json::json;

/// Cases per property: 256 in a normal run, `REWIND_FUZZ_CASES` for a long
/// one.
fn config() -> ProptestConfig {
    let cases = std::env::var("REWIND_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        // A failure becomes a named unit test beside its parser instead of
        // a regressions file.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text that leans on what breaks parsers and terminals: escapes, controls,
/// bidi overrides, quotes, separators, multi-byte characters, digits.
fn hostile_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => any::<char>().prop_map(String::from),
        3 => "[a-zA-Z0-9 ._/@:=&?#-]{1,6}",
        1 => Just("\u{1b}[".to_string()),
        1 => Just("\u{1b}]0;".to_string()),
        1 => Just("\u{1b}P".to_string()),
        1 => Just("\u{9b}".to_string()),
        1 => Just("\u{7}".to_string()),
        1 => Just("\r".to_string()),
        1 => Just("\r\n".to_string()),
        1 => Just("\n".to_string()),
        1 => Just("\u{202e}".to_string()),
        1 => Just("\u{2066}".to_string()),
        1 => Just("m".to_string()),
        1 => Just(";".to_string()),
        1 => Just("\"".to_string()),
        1 => Just("'".to_string()),
        1 => Just("{version}".to_string()),
        1 => Just("{component}".to_string()),
        1 => Just("é".to_string()),
        1 => Just("👨\u{200d}👩".to_string()),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|p| p.concat())
}

/// A valid semver 2.0.0 string, as a person or a tool writes one.
fn version_text() -> impl Strategy<Value = String> {
    let number = "(0|[1-9][0-9]{0,18})";
    let pre = "(0|[1-9][0-9]{0,5}|[0-9A-Za-z-]{0,4}[A-Za-z-][0-9A-Za-z-]{0,4})";
    let build = "[0-9A-Za-z-]{1,6}";
    proptest::string::string_regex(&format!(
        "{number}\\.{number}\\.{number}(-{pre}(\\.{pre}){{0,2}})?(\\+{build}(\\.{build}){{0,2}})?"
    ))
    .expect("a valid regex")
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn hostile_fuzz_versions(input in prop_oneof![hostile_text(), version_text(), "[0-9.+-]{0,30}"]) {
        // Typed error or a version that writes back to itself.
        if let Ok(version) = Version::parse(&input) {
            let written = version.to_string();
            prop_assert_eq!(&written, &input);
            prop_assert_eq!(Version::parse(&written).ok(), Some(version));
        }
    }

    #[test]
    fn hostile_fuzz_valid_versions_round_trip(input in version_text()) {
        let version = Version::parse(&input).expect("a valid semver");
        prop_assert_eq!(version.to_string(), input);
    }

    #[test]
    fn hostile_fuzz_build_log_lines(
        bytes in prop::collection::vec(any::<u8>(), 0..2048),
        package in prop_oneof![Just("shop".to_string()), "[@a-z/.-]{0,12}", hostile_text()],
    ) {
        // Any bytes, any package name: a version or none, never a panic.
        let found = find_version(Cursor::new(&bytes), &package);
        prop_assert!(found.is_ok());
    }

    #[test]
    fn hostile_fuzz_build_log_finds_the_version_among_noise(
        before in prop::collection::vec("[^>\n\r]{0,80}", 0..20),
        after in prop::collection::vec(hostile_text(), 0..5),
        version in version_text(),
        colour in any::<bool>(),
        ending in prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
    ) {
        let mut log = String::new();
        for line in &before {
            log.push_str(line);
            log.push_str(ending);
        }
        let (on, off) = if colour { ("\u{1b}[1m", "\u{1b}[0m") } else { ("", "") };
        log.push_str(&format!("{on}> @acme/shop@{version} prepare{off}{ending}"));
        for line in &after {
            log.push_str(line);
        }
        let found = find_version(Cursor::new(log.as_bytes()), "@acme/shop").expect("in memory");
        prop_assert_eq!(found, Some(Version::parse(&version).expect("valid")));
    }

    #[test]
    fn hostile_fuzz_tag_formats(template in hostile_text(), tag in hostile_text()) {
        // Either a typed error, or a format whose every accepted tag writes
        // back to the same name.
        if let Ok(format) = TagFormat::parse(&template) {
            prop_assert_eq!(format.template(), template.as_str());
            let _ = format.glob();
            if let Some(release) = format.parse_tag(&tag) {
                let rebuilt = format
                    .format(&release.version, release.component.as_deref())
                    .expect("a parsed tag has every part");
                prop_assert_eq!(rebuilt, tag);
            }
        } else {
            prop_assert!(!TagFormat::parse(&template).unwrap_err().to_string().is_empty());
        }
    }

    #[test]
    fn hostile_fuzz_tag_names_round_trip(
        prefix in "[a-z/]{0,5}",
                // The separator after `{component}` is one a version cannot hold:
        // with `-`, `a-0.0.0-0.0.0` reads two ways.
        component in prop::option::of(("[a-z]{1,8}", "[/@]", "[a-z]{0,2}")),
        suffix in prop::option::of("_[a-z]{0,3}"),
        version in version_text(),
    ) {
        let mut template = prefix;
        if let Some((_, sep, lit)) = &component {
            template.push_str(&format!("{{component}}{sep}{lit}"));
        }
        template.push_str("{version}");
        template.push_str(suffix.as_deref().unwrap_or(""));
        let format = TagFormat::parse(&template).expect("a valid template");
        let version = Version::parse(&version).expect("valid");
        let name = component.as_ref().map(|(name, _, _)| name.as_str());
        let tag = format.format(&version, name).expect("component given");
        let release = format.parse_tag(&tag).expect("a tag it wrote");
        prop_assert_eq!(&release.version, &version);
        prop_assert_eq!(release.component.as_deref(), name);
        prop_assert_eq!(release.name, tag);
    }

    #[test]
    fn hostile_fuzz_durations(input in prop_oneof![hostile_text(), "[0-9hms ]{0,24}"]) {
        if let Some(duration) = parse_duration(&input) {
            // What rewind writes back reads as the same duration when it
            // fits the units a person writes.
            if u32::try_from(duration.as_millis()).is_ok() {
                prop_assert_eq!(parse_duration(&format_duration(duration)), Some(duration));
            }
        }
    }

    #[test]
    fn hostile_fuzz_durations_round_trip(millis in any::<u32>()) {
        let duration = std::time::Duration::from_millis(u64::from(millis));
        prop_assert_eq!(parse_duration(&format_duration(duration)), Some(duration));
    }

    #[test]
    fn hostile_fuzz_config_text(text in hostile_text()) {
        // A typed error naming the file, never a panic. (Messages may
        // carry the raw value: the binary neutralises every line it prints.)
        if let Err(e) = Config::parse(&text, "rewind.toml") {
            prop_assert!(e.to_string().contains("rewind.toml"), "{e}");
        }
    }

    #[test]
    fn hostile_fuzz_config_values(
        key in prop::sample::select(vec![
            "name", "platform", "region", "remote", "tag_format", "component", "package",
            "webhook_url", "margin", "addon", "migrations", "url", "retries", "interval",
            "token", "tree",
        ]),
        section in prop::sample::select(vec!["", "[apps.database]\n", "[apps.health_check]\n", "[notify]\n"]),
        value in prop_oneof![
            hostile_text().prop_map(|t| toml_string(&t)),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<f64>().prop_map(|n| format!("{n:?}")),
            Just("true".to_string()),
            Just("[]".to_string()),
            Just("{}".to_string()),
            "[0-9]{1,12}(ms|s|m|h)".prop_map(|d| toml_string(&d)),
            hostile_text().prop_map(|t| format!("[{}]", toml_string(&t))),
        ],
    ) {
        let text = format!("[[apps]]\nname = \"shop\"\n{section}{key} = {value}\n");
        if let Err(e) = Config::parse(&text, "rewind.toml") {
            prop_assert!(e.to_string().contains("rewind.toml"), "{e}");
        }
    }

    #[test]
    fn hostile_fuzz_tree_text(text in hostile_text()) {
        // Typed problems or a tree, never a panic.
        let _ = Tree::parse("tree.toml", &text);
    }

    #[test]
    fn hostile_fuzz_tree_edits(
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0..4u8, hostile_text()), 1..6),
    ) {
        // The team's runbook with lines dropped, repeated or rewritten:
        // dangling references, duplicate ids, cycles, broken TOML.
        let mut lines: Vec<String> = RUNBOOK_TOML.lines().map(str::to_string).collect();
        for (at, op, text) in edits {
            let i = at.index(lines.len());
            match op {
                0 => { lines.remove(i); }
                1 => { let line = lines[i].clone(); lines.insert(i, line); }
                2 => lines[i] = text,
                _ => { let j = (i + 7) % lines.len(); lines.swap(i, j); }
            }
            if lines.is_empty() {
                break;
            }
        }
        let _ = Tree::parse("tree.toml", &lines.join("\n"));
    }

    #[test]
    fn hostile_fuzz_sql_migrations(sql in prop_oneof![hostile_text(), sql_text()]) {
        let line_count = sql.split('\n').count();
        let (_, reasons) = classify_sql(&sql);
        for reason in &reasons {
            prop_assert!(reason.line >= 1 && reason.line <= line_count, "{reason:?}");
        }
        for statement in statements(&sql) {
            prop_assert!(statement.line >= 1 && statement.line <= line_count);
        }
    }

    #[test]
    fn hostile_fuzz_sql_class_is_the_worst_statement(
        picked in prop::collection::vec(prop::sample::select(KNOWN_SQL.to_vec()), 1..8),
    ) {
        let sql = picked.iter().map(|(s, _)| *s).collect::<Vec<_>>().join(";\n");
        let worst = picked.iter().map(|(_, c)| *c).max().expect("one at least");
        prop_assert_eq!(classify_sql(&sql).0, worst, "{}", sql);
    }

    #[test]
    fn hostile_fuzz_code_migrations(
        source in prop_oneof![hostile_text(), code_text()],
        ruby in any::<bool>(),
    ) {
        let language = if ruby { Language::Ruby } else { Language::JavaScript };
        let line_count = source.split('\n').count();
        let (_, reasons) = classify_code(&source, language);
        for reason in &reasons {
            prop_assert!(reason.line >= 1 && reason.line <= line_count, "{reason:?}");
        }
    }

    #[test]
    fn hostile_fuzz_journal_reader(
        garbage in prop::collection::vec(
            prop_oneof![
                prop::collection::vec(any::<u8>(), 0..200),
                hostile_text().prop_map(String::into_bytes),
                journal_line_cut(),
            ],
            0..8,
        ),
        prefix in hostile_text(),
    ) {
        // Whatever a crash or a hand edit left in the journal, reading it
        // gives entries and a report, and rewind can still write to it.
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("journal.jsonl");
        let bytes: Vec<u8> = garbage.join(&b'\n');
        std::fs::write(&path, &bytes).expect("write journal");
        let journal = Journal::open(dir.path());
        journal.entries().expect("a readable file");
        journal.incidents().expect("a readable file");
        let _ = journal.incident(&prefix);
        let id = journal.begin("shop", json!({"command": "rollback"})).expect("append");
        let (entries, _) = journal.entries().expect("a readable file");
        prop_assert_eq!(&entries.last().expect("the new entry").incident, &id);
        let incident = journal.incident(&id.to_string()).expect("the new incident");
        prop_assert_eq!(incident.id, id);
    }

    #[test]
    fn hostile_fuzz_neutraliser(text in hostile_text()) {
        let shown = neutralise(&text);
        prop_assert!(!shown.chars().any(is_unsafe), "{shown:?}");
        let again = neutralise(&shown).into_owned();
        prop_assert_eq!(again.as_str(), shown.as_ref());
        let line = neutralise_line(&text);
        prop_assert!(!line.chars().any(|c| is_unsafe(c) || c == '\n'), "{line:?}");
        let stripped = strip_escapes(&text);
        prop_assert!(!stripped.chars().any(is_unsafe), "{stripped:?}");
        // With colours kept, the only sequences left are plain colours.
        let coloured = neutralise_keeping_colours(&text);
        for piece in pieces(&coloured) {
            match piece {
                Piece::Text(t) => prop_assert!(!t.chars().any(is_unsafe), "{coloured:?}"),
                Piece::Escape(e) => prop_assert!(e.is_plain_sgr(), "{coloured:?}"),
                Piece::Control(c) => prop_assert!(false, "control {c:?} in {coloured:?}"),
            }
        }
    }

    #[test]
    fn hostile_fuzz_redactor(
        before in hostile_text(),
        after in hostile_text(),
        secret in "[A-Za-z0-9_.-]{1,24}",
        shape in 0..6u8,
    ) {
        let canary = format!("CANARY{secret}");
        let planted = match shape {
            0 => format!("tk-us-{canary}"),
            1 => format!("token={canary}"),
            2 => format!("https://x/a?private_token={canary}&b=1"),
            3 => format!("https://user:{canary}@host/app.git"),
            4 => format!("Bearer {canary}"),
            _ => format!("X-Amz-Signature={canary}"),
        };
        let text = format!("{before} {planted} {after}");
        let once = redact(&text);
        prop_assert!(!once.contains(&canary), "{once:?}");
        let twice = redact(&once).into_owned();
        prop_assert_eq!(twice.as_str(), once.as_ref());
        let any = redact(&before);
        let twice = redact(&any).into_owned();
        prop_assert_eq!(twice.as_str(), any.as_ref());
        for (at, _) in any.match_indices("tk-us-") {
            let rest = &any[at + "tk-us-".len()..];
            prop_assert!(
                rest.starts_with("[redacted]")
                    || !rest.starts_with(|c: char| c.is_ascii_alphanumeric()),
                "{any:?}"
            );
        }
    }
}

/// Statements whose class is known, for the "worst statement" property.
const KNOWN_SQL: [(&str, Class); 10] = [
    ("CREATE TABLE t (id int)", Class::Additive),
    ("ALTER TABLE t ADD COLUMN c text", Class::Additive),
    ("CREATE INDEX i ON t (c)", Class::Additive),
    ("INSERT INTO t VALUES (1)", Class::Additive),
    ("DROP TABLE t", Class::Destructive),
    ("ALTER TABLE t DROP COLUMN c", Class::Destructive),
    ("ALTER TABLE t RENAME COLUMN a TO b", Class::Destructive),
    ("TRUNCATE t", Class::Destructive),
    ("DO $$ BEGIN PERFORM 1; END $$", Class::Unknown),
    ("DELETE FROM t", Class::Destructive),
];

fn sql_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        prop::sample::select(vec![
            "DROP", "TABLE", "ALTER", "COLUMN", "CREATE", "INDEX", "RENAME", "TO", "ADD", "DO",
            "$$", "$tag$", "'", "\"", "--", "/*", "*/", ";", "\n", " ", "(", ")", "E'\\'", "users",
            "IF", "EXISTS", "NOT", "NULL", "TYPE", "USING",
        ])
        .prop_map(str::to_string),
        "[a-z_ ]{1,5}",
    ];
    prop::collection::vec(piece, 0..40).prop_map(|p| p.join(" "))
}

fn code_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        prop::sample::select(vec![
            "knex.schema.dropTable(",
            "queryInterface.removeColumn(",
            "remove_column",
            "drop_table",
            "rename_column",
            "execute(",
            "`",
            "'",
            "\"",
            "//",
            "#",
            "/*",
            "*/",
            "=begin",
            "=end",
            "\n",
            "(",
            ")",
            ";",
            "do",
            "end",
            "def up",
            "def down",
            "<<~SQL",
            "SQL",
            "DROP TABLE x",
        ])
        .prop_map(str::to_string),
        "[a-z_ ]{1,5}",
    ];
    prop::collection::vec(piece, 0..40).prop_map(|p| p.join(" "))
}

/// A real journal line cut short at some point, as a crash leaves it.
fn journal_line_cut() -> impl Strategy<Value = Vec<u8>> {
    let line = json!({
        "at": "2026-01-02T03:04:05Z",
        "incident": "20260102-030405-ab12",
        "kind": "incident_opened",
        "app": "shop",
        "data": {"command": "rollback", "reason": "5xx"},
    })
    .to_string();
    (0..=line.len()).prop_map(move |cut| line.as_bytes()[..cut].to_vec())
}

/// `text` as a TOML basic string.
fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}
