//! Hostile seeds and state files for `rewind sandbox serve`: each mistake
//! ends at once with exit 2, a message that names the seed file (or the
//! state file) and what to fix, no panic, no raw escape sequence, and
//! nothing made on disk: no temporary directory, and above all no
//! `../../etc.git` outside the sandbox's directory.

use std::path::Path;

use crate::support::Rewind;

/// `(case, seed bytes, words the message must hold)`.
fn cases() -> Vec<(&'static str, Vec<u8>, Vec<&'static str>)> {
    let app = |name: &str| format!("[[apps]]\nname = \"{name}\"\n").into_bytes();
    vec![
        (
            "app name escaping upwards",
            app("../../etc"),
            vec!["../../etc", "name", "invalid"],
        ),
        (
            "app name with capitals",
            app("Shop_1"),
            vec!["Shop_1", "invalid"],
        ),
        ("blank app name", app(""), vec!["name", "blank"]),
        (
            "app name with escapes",
            app("a\\u001b[2Jb"),
            vec!["\\u{1b}", "invalid"],
        ),
        (
            "app name of 10 kB",
            app(&"a".repeat(10_000)),
            vec!["too long"],
        ),
        (
            "app name of the wrong type",
            b"[[apps]]\nname = 5\n".to_vec(),
            vec!["invalid type", "line"],
        ),
        (
            "app declared twice",
            [app("shop"), app("shop")].concat(),
            vec!["shop", "declared twice"],
        ),
        (
            "branch that is an option",
            b"[[apps]]\nname = \"shop\"\n[apps.scm]\nbranch = \"-rf\"\n".to_vec(),
            vec!["scm.branch", "shop"],
        ),
        (
            "branch escaping upwards",
            b"[[apps]]\nname = \"shop\"\n[apps.scm]\nbranch = \"../../x\"\n".to_vec(),
            vec!["scm.branch"],
        ),
        (
            "blank repo",
            b"[[apps]]\nname = \"shop\"\nrepo = \"\"\n".to_vec(),
            vec!["repo", "blank"],
        ),
        (
            "repo with a control character",
            b"[[apps]]\nname = \"shop\"\nrepo = \"/tmp/a\\u0007b\"\n".to_vec(),
            vec!["repo", "control character"],
        ),
        (
            "addon provider with spaces",
            b"[[apps]]\nname = \"shop\"\n[[apps.addons]]\nprovider = \"Scalingo PostgreSQL\"\n"
                .to_vec(),
            vec!["addons[0].provider"],
        ),
        (
            "addon without provider",
            b"[[apps]]\nname = \"shop\"\n[[apps.addons]]\nplan = \"x\"\n".to_vec(),
            vec!["provider"],
        ),
        (
            "blank token",
            b"[[tokens]]\ntoken = \"\"\n".to_vec(),
            vec!["tokens[0]", "blank"],
        ),
        (
            "token with a space",
            b"[[tokens]]\ntoken = \"tk us\"\n".to_vec(),
            vec!["tokens[0]", "space"],
        ),
        (
            "token declared twice",
            b"[[tokens]]\ntoken = \"tk-a\"\n[[tokens]]\ntoken = \"tk-a\"\n".to_vec(),
            vec!["tokens[1]", "declared twice"],
        ),
        (
            "blank user",
            b"[[tokens]]\ntoken = \"tk-a\"\nuser = \" \"\n".to_vec(),
            vec!["user", "blank"],
        ),
        (
            "token lifetime of 0",
            b"[sandbox]\ntoken_lifetime_secs = 0\n".to_vec(),
            vec!["token_lifetime_secs", "out of range"],
        ),
        (
            "deploy of three years",
            b"[sandbox]\ndeploy_duration_ms = 99999999999\n".to_vec(),
            vec!["deploy_duration_ms", "out of range"],
        ),
        (
            "negative rate limit",
            b"[sandbox]\nrate_limit_per_minute = -1\n".to_vec(),
            vec!["rate_limit_per_minute"],
        ),
        (
            "unknown key",
            b"[sandbox]\ncolour = 1\n".to_vec(),
            vec!["unknown field", "colour"],
        ),
        (
            "unknown postgres mode",
            b"[sandbox]\npostgres = \"maybe\"\n".to_vec(),
            vec!["postgres", "maybe"],
        ),
        (
            "archive status not 200 or 201",
            b"[sandbox.variants]\narchive_deploy_status = 302\n".to_vec(),
            vec!["archive_deploy_status"],
        ),
        (
            "TOML syntax error",
            b"[[apps]\nname = \"shop\"\n".to_vec(),
            vec!["line"],
        ),
        (
            "snapshot without real PostgreSQL",
            b"[sandbox]\npostgres_snapshot = \"kept\"\n".to_vec(),
            vec!["postgres_snapshot", "postgres = \"on\""],
        ),
        (
            "snapshot that is not one",
            b"[sandbox]\npostgres = \"on\"\npostgres_snapshot = \"nope\"\n".to_vec(),
            vec!["postgres_snapshot", "snapshot.json"],
        ),
        (
            "not UTF-8",
            b"[[apps]]\nname = \"sh\xffop\"\n".to_vec(),
            vec!["cannot read the seed file", "UTF-8"],
        ),
    ]
}

/// Runs `rewind sandbox serve` with the seed and checks the common promises;
/// returns stderr.
fn refused(root: &Path, seed: &Path, case: &str, words: &[&str]) -> String {
    let seed_arg = seed.display().to_string();
    let run = Rewind::new(&[
        "sandbox",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--seed",
        &seed_arg,
    ])
    .env("REWIND_SANDBOX_TMPDIR", &root.display().to_string())
    .run();
    assert_eq!(run.code, 2, "{case}: {}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{case}: {}", run.stderr);
    assert!(
        !run.stderr.contains('\u{1b}'),
        "{case}: a raw escape reached the terminal"
    );
    assert!(run.stdout.is_empty(), "{case}: {}", run.stdout);
    for word in words {
        assert!(
            run.stderr.contains(word),
            "{case}: `{word}` missing from:\n{}",
            run.stderr
        );
    }
    let made: Vec<_> = std::fs::read_dir(root).expect("root").flatten().collect();
    assert!(made.is_empty(), "{case}: made {made:?}");
    run.stderr
}

#[test]
fn hostile_seeds_are_refused_naming_the_file_and_what_to_fix() {
    let root = tempfile::tempdir().expect("tempdir");
    let seeds = tempfile::tempdir().expect("tempdir");
    let outside = root.path().parent().expect("parent").join("etc.git");
    let cases = cases();
    for (i, (case, bytes, words)) in cases.iter().enumerate() {
        let seed = seeds.path().join(format!("seed-{i}.toml"));
        std::fs::write(&seed, bytes).expect("write seed");
        let stderr = refused(root.path(), &seed, case, words);
        assert!(
            stderr.contains(&seed.display().to_string()),
            "{case}: the seed file is not named:\n{stderr}"
        );
        assert!(stderr.contains("hint:"), "{case}: no hint:\n{stderr}");
        assert!(
            !outside.exists(),
            "{case}: {} was created",
            outside.display()
        );
    }
    // A seed that is a directory, and one that does not exist.
    for (case, seed) in [
        ("seed is a directory", seeds.path().to_path_buf()),
        ("seed is missing", seeds.path().join("nope.toml")),
    ] {
        let stderr = refused(root.path(), &seed, case, &["cannot read the seed file"]);
        assert!(
            stderr.contains(&seed.display().to_string()),
            "{case}: {stderr}"
        );
    }
    eprintln!("sandbox seeds: {} hostile cases refused", cases.len() + 2);
}

#[test]
fn a_hostile_state_file_gets_a_hint_about_the_state_file() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state.json");
    for (case, text) in [
        ("not JSON", "{ this is not json".to_string()),
        ("wrong shape", r#"{"apps": 5}"#.to_string()),
    ] {
        std::fs::write(&state, &text).expect("write state");
        let state_arg = state.display().to_string();
        let run = Rewind::new(&[
            "sandbox",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--state",
            &state_arg,
        ])
        .env("REWIND_SANDBOX_TMPDIR", &root.path().display().to_string())
        .run();
        assert_eq!(run.code, 2, "{case}: {}", run.stderr);
        assert!(run.stderr.contains("state file"), "{case}: {}", run.stderr);
        assert!(run.stderr.contains("--state"), "{case}: {}", run.stderr);
        assert!(!run.stderr.contains("--listen"), "{case}: {}", run.stderr);
        assert_eq!(
            std::fs::read_to_string(&state).expect("state"),
            text,
            "{case}: the file was changed"
        );
        assert_eq!(
            std::fs::read_dir(root.path()).expect("root").count(),
            0,
            "{case}"
        );
    }
    // Where --listen is the fix, the hint says so.
    let run = Rewind::new(&["sandbox", "serve", "--listen", "0.0.0.0:0"])
        .env("REWIND_SANDBOX_TMPDIR", &root.path().display().to_string())
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--listen 127.0.0.1:0"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_hostile_state_file_cannot_name_an_app_outside_the_sandbox() {
    use rewind_sandbox::{AppSeed, Sandbox, SandboxConfig};
    let root = tempfile::tempdir().expect("tempdir");
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state.json");
    // A real state, written by a sandbox, then edited by hand.
    let sandbox = Sandbox::start(SandboxConfig {
        state_file: Some(state.clone()),
        temp_dir: Some(root.path().to_path_buf()),
        postgres: rewind_sandbox::PostgresMode::Off,
        apps: vec![AppSeed {
            name: "shop".to_string(),
            repo: None,
            scm: None,
            addons: Vec::new(),
        }],
        ..SandboxConfig::default()
    })
    .expect("sandbox starts");
    drop(sandbox);
    let text = std::fs::read_to_string(&state).expect("state");
    let hostile = text.replace("\"shop\"", "\"../../etc\"");
    assert_ne!(text, hostile, "the state names the app");
    std::fs::write(&state, &hostile).expect("write state");
    let state_arg = state.display().to_string();
    let run = Rewind::new(&[
        "sandbox",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--state",
        &state_arg,
    ])
    .env("REWIND_SANDBOX_TMPDIR", &root.path().display().to_string())
    .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    for word in ["state file", &state_arg, "../../etc", "--state"] {
        assert!(
            run.stderr.contains(word),
            "`{word}` missing:\n{}",
            run.stderr
        );
    }
    assert_eq!(std::fs::read_dir(root.path()).expect("root").count(), 0);
    assert!(
        !root
            .path()
            .parent()
            .expect("parent")
            .join("etc.git")
            .exists()
    );
    assert_eq!(std::fs::read_to_string(&state).expect("state"), hostile);
}
