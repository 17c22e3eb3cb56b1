//! `rewind completions SHELL` and `rewind man`: generated from the same
//! definitions as `--help`, so they name every subcommand, at every level.
//! The subcommands expected are read from `--help` itself; the bash script
//! is run in bash, the way a person's shell runs it.

use std::process::Command;

use crate::support::{Rewind, Run};

fn rewind(args: &[&str]) -> Run {
    let run = Rewind::new(args).run();
    assert_eq!(run.code, 0, "rewind {}: {}", args.join(" "), run.stderr);
    run
}

/// The subcommands `rewind PATH --help` lists (`help` included: clap adds
/// it, and the completions and the man page name it too).
fn subcommands(path: &[&str]) -> Vec<String> {
    let mut args = path.to_vec();
    args.push("--help");
    let help = rewind(&args).stdout;
    let Some((_, listed)) = help.split_once("Commands:\n") else {
        return Vec::new();
    };
    listed
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// Every command path with subcommands of its own, with them:
/// `[] -> [db, drill, ...]`, `[db] -> [status, backup, ...]`.
fn command_tree() -> Vec<(Vec<String>, Vec<String>)> {
    let mut tree = Vec::new();
    let mut todo: Vec<Vec<String>> = vec![Vec::new()];
    while let Some(path) = todo.pop() {
        let words: Vec<&str> = path.iter().map(String::as_str).collect();
        let subs = subcommands(&words);
        if subs.is_empty() {
            continue;
        }
        for sub in subs.iter().filter(|s| *s != "help") {
            let mut deeper = path.clone();
            deeper.push(sub.clone());
            todo.push(deeper);
        }
        tree.push((path, subs));
    }
    tree
}

#[test]
fn bash_completes_every_subcommand_at_every_level() {
    let tree = command_tree();
    let top = &tree
        .iter()
        .find(|(p, _)| p.is_empty())
        .expect("top level")
        .1;
    for expected in ["rollback", "status", "db", "completions", "man"] {
        assert!(top.iter().any(|s| s == expected), "{top:?}");
    }
    assert!(
        tree.len() >= 4,
        "db, sandbox and tree have subcommands: {tree:?}"
    );

    let script = rewind(&["completions", "bash"]).stdout;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("rewind.bash");
    std::fs::write(&file, &script).expect("write the script");
    for (path, subs) in &tree {
        // What bash offers after `rewind PATH <Tab>`.
        let words: Vec<String> = ["rewind".to_string()]
            .into_iter()
            .chain(path.iter().cloned())
            .chain([String::new()])
            .map(|w| format!("'{w}'"))
            .collect();
        let previous = path.last().map_or("rewind", String::as_str);
        let probe = format!(
            "source '{}' && COMP_WORDS=({}) && COMP_CWORD={} && _rewind rewind '' '{previous}' && printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            file.display(),
            words.join(" "),
            path.len() + 1,
        );
        let out = Command::new("bash")
            .args(["--norc", "--noprofile", "-c", &probe])
            .env_clear()
            .output()
            .expect("bash");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let offered = String::from_utf8_lossy(&out.stdout);
        let offered: Vec<&str> = offered.lines().collect();
        for sub in subs {
            assert!(
                offered.contains(&sub.as_str()),
                "`rewind {} <Tab>` does not offer {sub}: {offered:?}",
                path.join(" ")
            );
        }
    }
}

#[test]
fn every_shell_gets_a_script_for_rewind() {
    let marks = [
        ("bash", "complete -F _rewind"),
        ("zsh", "#compdef rewind"),
        ("fish", "complete -c rewind"),
        (
            "powershell",
            "Register-ArgumentCompleter -Native -CommandName 'rewind'",
        ),
    ];
    for (shell, mark) in marks {
        let script = rewind(&["completions", shell]).stdout;
        assert!(script.contains(mark), "{shell}: {script}");
        for sub in ["rollback", "status", "completions", "man"] {
            assert!(script.contains(sub), "{shell} lacks {sub}");
        }
    }
    let run = Rewind::new(&["completions", "tcsh"]).run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("[possible values: bash, zsh, fish, powershell]"),
        "{}",
        run.stderr
    );
}

/// Where groff is installed (man's own formatter), the page is formatted
/// with every warning on, and must give none.
fn groff_reads(name: &str, page: &str) {
    use std::io::Write;
    let Ok(mut groff) = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    else {
        return;
    };
    groff
        .stdin
        .take()
        .expect("stdin")
        .write_all(page.as_bytes())
        .expect("write to groff");
    let out = groff.wait_with_output().expect("groff");
    assert!(out.status.success(), "{name}: groff failed");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "",
        "{name}: groff warns"
    );
}

/// `\-` is roff's hyphen; `\fB`... its fonts.
fn unescape(roff: &str) -> String {
    roff.replace("\\-", "-")
        .replace("\\fB", "")
        .replace("\\fR", "")
        .replace("\\fI", "")
}

#[test]
fn the_man_pages_are_roff_and_name_every_subcommand() {
    for (path, subs) in command_tree() {
        let mut args = vec!["man"];
        args.extend(path.iter().map(String::as_str));
        let page = rewind(&args).stdout;
        let name = ["rewind"]
            .into_iter()
            .chain(path.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join("-");
        // A roff page: a title, then sections, every request a known macro
        // or text; no line a terminal would act on.
        let title = page.lines().find(|l| l.starts_with(".TH ")).expect(".TH");
        assert_eq!(
            unescape(title),
            format!(".TH {name} 1  \"rewind {}\" ", env!("CARGO_PKG_VERSION"))
        );
        for section in [".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS", ".SH SUBCOMMANDS"] {
            assert!(page.lines().any(|l| l == section), "{name}: no {section}");
        }
        for line in page.lines().filter(|l| l.starts_with('.')) {
            let request = line[1..].split_whitespace().next().unwrap_or("");
            assert!(
                ["TH", "SH", "TP", "RS", "RE", "IP", "PP", "br", "ie", "el"].contains(&request),
                "{name}: unknown request {line}"
            );
        }
        assert!(!page.contains('\x1b'), "{name}");
        groff_reads(&name, &page);
        let listed = unescape(&page[page.find(".SH SUBCOMMANDS").expect("section")..]);
        for sub in subs {
            assert!(
                listed.contains(&format!("{name}-{sub}(1)")),
                "{name} does not name {sub}: {listed}"
            );
        }
    }
    // A subcommand's page names its full command line in its synopsis.
    let page = unescape(&rewind(&["man", "db", "restore"]).stdout);
    assert!(page.contains("rewind db restore ["), "{page}");
    let run = Rewind::new(&["man", "db", "nope"]).run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "error: `rewind db` has no subcommand `nope`\nhint: one of: status, backup, restore\n"
    );
}
