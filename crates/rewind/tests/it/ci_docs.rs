//! The CI workflows in docs/ci/ are real files teams copy: each parses as
//! YAML, has the shape its CI reads (a daily schedule for the doctor; a
//! manual Rollback with inputs app, version, with-db/no-db and reason, the
//! token from the secrets, the report kept as an artifact), and every
//! `rewind ...` command in its scripts is checked against the real CLI:
//! the subcommand exists in `rewind --help`, and each flag it is given
//! appears in `rewind <subcommand> --help`, so that a renamed flag breaks
//! this test.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_yaml::Value;

use crate::support::Rewind;

fn ci_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/ci")
}

fn load(name: &str) -> Value {
    let path = ci_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{name} is not valid YAML: {e}"))
}

fn help(args: &[&str]) -> String {
    let out = Rewind::new(args).run();
    assert_eq!(out.code, 0, "rewind {args:?}: {}", out.stderr);
    out.stdout
}

/// The subcommands `rewind --help` lists.
fn subcommands() -> Vec<String> {
    let top = help(&["--help"]);
    top.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

/// `--name` options in a piece of shell: `--to` in `${VERSION:+--to "$V"}`
/// and `'--with-db'` count; `a--b` does not.
fn long_flags(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut flags = Vec::new();
    let mut i = 0;
    while let Some(at) = text[i..].find("--") {
        let start = i + at;
        let before_ok = start == 0 || !(bytes[start - 1].is_ascii_alphanumeric());
        let name: String = text[start + 2..]
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
            .collect();
        if before_ok && name.starts_with(|c: char| c.is_ascii_lowercase()) {
            flags.push(format!("--{name}"));
        }
        i = start + 2 + name.len().max(1).min(text.len() - start - 2);
    }
    flags
}

/// One `rewind` invocation in a script: its subcommand (`None` for
/// top-level options such as `--version`) and the flags given to it.
#[derive(Debug)]
struct Invocation {
    line: String,
    subcommand: Option<String>,
    flags: Vec<String>,
}

/// The `rewind` invocations of a script. A flag given through a shell
/// variable (`"$db"`) counts with the values the script assigns to it
/// (`db=--with-db`).
fn invocations(script: &str) -> Vec<Invocation> {
    let script = script.replace("\\\n", " ");
    let mut assigned: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for word in script.split(|c: char| c.is_whitespace() || c == ';') {
        if let Some((name, value)) = word.split_once("=--")
            && !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            assigned
                .entry(name.to_string())
                .or_default()
                .extend(long_flags(&format!("--{value}")));
        }
    }
    let mut found = Vec::new();
    for line in script.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        for (i, word) in words.iter().enumerate() {
            if *word != "rewind" {
                continue;
            }
            let Some(next) = words.get(i + 1) else {
                continue;
            };
            let subcommand = if next.starts_with("--") {
                None
            } else if next.chars().all(|c| c.is_ascii_lowercase()) {
                Some(next.to_string())
            } else {
                // `command -v rewind ||`, a crate name: not an invocation.
                continue;
            };
            let start = if subcommand.is_some() { i + 2 } else { i + 1 };
            let mut flags = Vec::new();
            for w in &words[start..] {
                if ["|", "||", "&&", ";", ">", ">>", "2>"].contains(w) || w.starts_with('>') {
                    break;
                }
                flags.extend(long_flags(w));
                for (name, values) in &assigned {
                    if *w == format!("\"${name}\"") || *w == format!("${name}") {
                        flags.extend(values.iter().cloned());
                    }
                }
                if w.ends_with(';') {
                    break;
                }
            }
            found.push(Invocation {
                line: line.trim().to_string(),
                subcommand,
                flags,
            });
        }
    }
    found
}

/// Every script of a GitHub workflow (`run:` of each step) or of a GitLab
/// CI file (`before_script`, `script`, `after_script` of each job), named.
fn scripts(doc: &Value) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let Some(map) = doc.as_mapping() else {
        return found;
    };
    if let Some(jobs) = doc.get("jobs").and_then(Value::as_mapping) {
        for (job, body) in jobs {
            let job = job.as_str().unwrap_or("?");
            for (i, step) in body
                .get("steps")
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
                .enumerate()
            {
                if let Some(run) = step.get("run").and_then(Value::as_str) {
                    found.push((format!("{job} step {i}"), run.to_string()));
                }
            }
        }
        return found;
    }
    for (job, body) in map {
        let job = job.as_str().unwrap_or("?");
        for key in ["before_script", "script", "after_script"] {
            if let Some(lines) = body.get(key).and_then(Value::as_sequence) {
                let text: Vec<&str> = lines.iter().filter_map(Value::as_str).collect();
                found.push((format!("{job} {key}"), text.join("\n")));
            }
        }
    }
    found
}

/// Checks every `rewind` command of `file` against the CLI; returns the
/// subcommands it runs.
fn check_commands(file: &str, doc: &Value) -> Vec<String> {
    let known = subcommands();
    assert!(known.contains(&"rollback".to_string()), "{known:?}");
    let mut helps: BTreeMap<Option<String>, String> = BTreeMap::new();
    let mut used = Vec::new();
    for (place, script) in scripts(doc) {
        for call in invocations(&script) {
            if let Some(sub) = &call.subcommand {
                used.push(sub.clone());
                if sub == "doctor" && !known.contains(sub) {
                    eprintln!(
                        "ci_docs: {file}: `rewind doctor` is not in `rewind --help` yet: its command is not checked until it is"
                    );
                    continue;
                }
                assert!(
                    known.contains(sub),
                    "{file} ({place}): `rewind {sub}` is not a subcommand of rewind: {}",
                    call.line
                );
            }
            let text =
                helps
                    .entry(call.subcommand.clone())
                    .or_insert_with(|| match &call.subcommand {
                        Some(sub) => help(&[sub, "--help"]),
                        None => help(&["--help"]),
                    });
            for flag in &call.flags {
                let listed = long_flags(text).contains(flag);
                assert!(
                    listed,
                    "{file} ({place}): `{flag}` is not an option of `rewind {}`: {}",
                    call.subcommand.as_deref().unwrap_or(""),
                    call.line
                );
            }
        }
    }
    used
}

#[test]
fn the_flag_reader_finds_what_a_shell_passes() {
    assert_eq!(
        long_flags(r#"${VERSION:+--to "$VERSION"} '--with-db' a--b --reason="x""#),
        ["--to", "--with-db", "--reason"]
    );
    let calls = invocations(
        "if [ \"$D\" = with-db ]; then db=--with-db; else db=--no-db; fi\n\
         command -v rewind || cargo install --locked --git \"$U\" rewind\n\
         rewind rollback ${A:+\"$A\"} \"$db\" --yes --json > out.json\n\
         rewind --version | grep -q x",
    );
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(calls[0].subcommand.as_deref(), Some("rollback"));
    assert_eq!(calls[0].flags, ["--with-db", "--no-db", "--yes", "--json"]);
    assert_eq!(calls[1].subcommand, None);
    assert_eq!(calls[1].flags, ["--version"]);
}

#[test]
fn the_github_doctor_workflow_runs_daily_and_its_commands_exist() {
    let doc = load("github-doctor.yml");
    let cron = doc["on"]["schedule"][0]["cron"]
        .as_str()
        .expect("a schedule");
    let fields: Vec<&str> = cron.split_whitespace().collect();
    assert_eq!(fields.len(), 5, "{cron}");
    assert_eq!(&fields[2..], ["*", "*", "*"], "every day: {cron}");
    let used = check_commands("github-doctor.yml", &doc);
    assert!(used.contains(&"doctor".to_string()), "{used:?}");
    let text = std::fs::read_to_string(ci_dir().join("github-doctor.yml")).expect("read");
    assert!(text.contains("SCALINGO_API_TOKEN: ${{ secrets.SCALINGO_API_TOKEN }}"));
}

#[test]
fn the_github_rollback_workflow_asks_its_inputs_and_keeps_the_report() {
    let doc = load("github-rollback.yml");
    assert_eq!(doc["name"], "Rollback");
    let inputs = &doc["on"]["workflow_dispatch"]["inputs"];
    for input in ["app", "version", "database", "reason"] {
        assert!(inputs.get(input).is_some(), "input {input}");
    }
    assert_eq!(inputs["reason"]["required"], true);
    let options: Vec<&str> = inputs["database"]["options"]
        .as_sequence()
        .expect("database options")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(options, ["no-db", "with-db"]);
    let used = check_commands("github-rollback.yml", &doc);
    assert!(used.contains(&"rollback".to_string()), "{used:?}");
    assert!(used.contains(&"report".to_string()), "{used:?}");
    let steps = doc["jobs"]["rollback"]["steps"]
        .as_sequence()
        .expect("steps");
    let rollback = steps
        .iter()
        .find(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("rewind rollback"))
        })
        .expect("a rollback step");
    assert_eq!(
        rollback["env"]["SCALINGO_API_TOKEN"],
        "${{ secrets.SCALINGO_API_TOKEN }}"
    );
    let run = rollback["run"].as_str().expect("run");
    for flag in ["--yes", "--with-db", "--no-db", "--reason", "--to"] {
        assert!(run.contains(flag), "{flag} in {run}");
    }
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/upload-artifact@"))
        })
        .expect("an upload-artifact step");
    assert_eq!(upload["if"], "always()");
    assert!(
        upload["with"]["path"]
            .as_str()
            .is_some_and(|p| p.contains("rollback-report.md")),
        "{upload:?}"
    );
}

#[test]
fn the_gitlab_jobs_are_the_same_two_and_their_commands_exist() {
    let doc = load("gitlab-ci.yml");
    let doctor = &doc["rewind-doctor"];
    assert_eq!(
        doctor["rules"][0]["if"], "$CI_PIPELINE_SOURCE == \"schedule\"",
        "{doctor:?}"
    );
    let rollback = &doc["rewind-rollback"];
    assert_eq!(rollback["rules"][0]["when"], "manual");
    for variable in [
        "REWIND_APP",
        "REWIND_VERSION",
        "REWIND_DATABASE",
        "REWIND_REASON",
    ] {
        assert!(
            doc["variables"].get(variable).is_some(),
            "variable {variable}"
        );
    }
    assert_eq!(
        doc["variables"]["REWIND_DATABASE"]["options"],
        serde_yaml::from_str::<Value>("[no-db, with-db]").expect("yaml")
    );
    assert_eq!(rollback["artifacts"]["when"], "always");
    assert!(
        rollback["artifacts"]["paths"]
            .as_sequence()
            .is_some_and(|p| p.iter().any(|p| p == "rollback-report.md")),
        "{rollback:?}"
    );
    let used = check_commands("gitlab-ci.yml", &doc);
    for sub in ["doctor", "rollback", "report"] {
        assert!(used.contains(&sub.to_string()), "{sub}: {used:?}");
    }
}

/// A flag rewind does not have is caught: the check is not a formality.
#[test]
fn a_renamed_flag_is_caught() {
    let doc: Value = serde_yaml::from_str(
        "jobs:\n  x:\n    steps:\n      - run: rewind rollback --yes --with-database\n",
    )
    .expect("yaml");
    let caught = std::panic::catch_unwind(|| check_commands("inline", &doc));
    assert!(caught.is_err(), "--with-database is not a rollback option");
}
