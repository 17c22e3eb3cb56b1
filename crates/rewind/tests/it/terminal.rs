//! What rewind does to the terminal, through the real binary: a closed
//! stdout ends a read command quietly and never stops a rollback half-way,
//! and text from outside (a commit subject, a changelog section, a tag
//! message, a migration file name, a build log, a deployment's pusher, a
//! team's tree, `--reason`) carrying escape sequences, carriage returns and
//! bidi controls is shown neutralised in every place rewind prints it.
//!
//! This file holds the world both kinds of tests share and the closed-pipe
//! tests; `hostile.rs` holds the tests of hostile text.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rewind_sandbox::{AddonSeed, AppSeed, PostgresMode, Sandbox, SandboxConfig, ScmSeed};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::{GIT_DATES, Rewind, Run, admin_get, admin_post, git, journal_entries};

/// Everything a hostile text can carry: a window title (OSC 0), a cursor
/// move and a line erase (the destructive-migration warning above would
/// vanish), an OSC 8 link, a screen clear, a carriage return that
/// overwrites the line, a bidi override and an isolate, a zero width space.
pub(crate) const HOSTILE: &str = "\u{1b}]0;title\u{7}\u{1b}[1A\u{1b}[2K\
    \u{1b}]8;;http://evil.invalid/\u{1b}\\link\u{1b}]8;;\u{1b}\\ \u{1b}[2J\
    \roverwritten \u{202e}desrever\u{202c} \u{2066}isolated\u{2069}\u{200b}end";

/// The migration file name of the report that found the problem.
const MIGRATION: &str = "005_\u{1b}]0;title\u{7}\u{1b}[1A\u{1b}[2Kevil.sql";

/// Characters that must never reach the output as they are.
const RAW: [char; 12] = [
    '\u{1b}', '\u{7}', '\r', '\u{9b}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}',
    '\u{2066}', '\u{2069}', '\u{200b}',
];

/// How the title sequence reads once neutralised (docs/reliability.md).
pub(crate) const TITLE_SHOWN: &str = "\\u{1b}]0;title\\u{7}\\u{1b}[1A\\u{1b}[2K";

/// `text` (what rewind printed at `place`) holds none of [`RAW`] and each
/// of the `shown` forms.
pub(crate) fn assert_neutralised(place: &str, text: &str, shown: &[&str]) {
    if let Some(c) = text.chars().find(|c| RAW.contains(c)) {
        panic!("{place}: raw {c:?} reached the output:\n{text:?}");
    }
    for wanted in shown {
        assert!(
            text.contains(wanted),
            "{place}: missing {wanted:?} in\n{text}"
        );
    }
}

/// Chat messages a local webhook received (their JSON bodies).
#[derive(Clone, Default)]
pub(crate) struct Hook(Arc<Mutex<Vec<String>>>);

impl Hook {
    fn start() -> (Hook, String) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/hooks/team", listener.local_addr().expect("addr"));
        let hook = Hook::default();
        let received = hook.0.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream);
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                received
                    .lock()
                    .expect("lock")
                    .push(String::from_utf8_lossy(&body).into_owned());
                let _ = reader
                    .into_inner()
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
            }
        });
        (hook, url)
    }

    /// The `text` of each message received.
    pub(crate) fn texts(&self) -> Vec<String> {
        let bodies = self.0.lock().expect("lock").clone();
        bodies
            .iter()
            .map(|b| {
                let body: Value = serde_json::from_str(b).expect("a JSON body");
                body["text"].as_str().expect("text").to_string()
            })
            .collect()
    }
}

/// A repository whose v1.1.0 carries [`HOSTILE`] in its commit subject,
/// changelog and tag message and adds the [`MIGRATION`] file; v1.0.0's
/// `engines.node` is hostile too, so every build log of it is. A sandbox
/// where both were deployed (v1.1.0 pushed by a hostile user name), with a
/// database addon (simulated), and a webhook.
pub(crate) struct World {
    pub(crate) dir: TempDir,
    pub(crate) sandbox: Sandbox,
    pub(crate) hook: Hook,
}

impl World {
    pub(crate) fn new() -> World {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir(root.join("home")).expect("home");
        git(
            root,
            &[
                "init",
                "--quiet",
                "--bare",
                "--initial-branch=main",
                "origin.git",
            ],
        );
        git(root, &["clone", "--quiet", "origin.git", "work"]);
        let work = root.join("work");
        std::fs::create_dir_all(work.join("migrations")).expect("migrations");
        std::fs::create_dir_all(work.join(".sandbox")).expect(".sandbox");
        std::fs::write(work.join(".sandbox/outcome"), "success").expect("outcome");
        let mut changelog = String::from("# Changelog\n\n");
        let releases = [
            (
                "1.0.0",
                "001_items.sql",
                "create table items (id int, name text);\n",
            ),
            ("1.1.0", MIGRATION, "alter table items drop column name;\n"),
        ];
        for (version, file, sql) in releases {
            let package = json!({
                "name": "shop",
                "version": version,
                "engines": { "node": format!("20.x {HOSTILE}") },
            });
            std::fs::write(work.join("package.json"), package.to_string()).expect("package");
            std::fs::write(work.join("migrations").join(file), sql).expect("sql");
            changelog = changelog.replacen(
                "# Changelog\n\n",
                &format!(
                    "# Changelog\n\n## [{version}](https://example.invalid/compare/v{version}) (2024-03-01)\n\n\
                     ### Features\n\n* checkout {HOSTILE} ({version})\n\n"
                ),
                1,
            );
            std::fs::write(work.join("CHANGELOG.md"), &changelog).expect("changelog");
            git(&work, &["add", "--all"]);
            git(
                &work,
                &[
                    "commit",
                    "--quiet",
                    "--cleanup=verbatim",
                    "-m",
                    &format!("feat: release {version} {HOSTILE}"),
                ],
            );
            git(
                &work,
                &[
                    "tag",
                    "-a",
                    &format!("v{version}"),
                    "-m",
                    &format!("release {HOSTILE}"),
                ],
            );
        }
        git(&work, &["push", "--quiet", "origin", "main", "--tags"]);
        let (hook, hook_url) = Hook::start();
        std::fs::write(
            work.join("rewind.toml"),
            format!(
                "[notify]\nwebhook_url = \"{hook_url}\"\n\n[[apps]]\nname = \"shop\"\npackage = \"shop\"\n\n\
                 [apps.database]\naddon = \"scalingo-postgresql\"\nmargin = \"1s\"\nmigrations = [\"migrations\"]\n"
            ),
        )
        .expect("rewind.toml");
        let sandbox = Sandbox::start(SandboxConfig {
            apps: vec![AppSeed {
                name: "shop".into(),
                repo: Some(root.join("origin.git").display().to_string()),
                scm: Some(ScmSeed {
                    branch: "main".into(),
                    auto_deploy: false,
                }),
                addons: vec![AddonSeed {
                    provider: "scalingo-postgresql".into(),
                    plan: "postgresql-starter-512".into(),
                }],
            }],
            // Long enough that the build log's first lines (the hostile
            // engines.node among them) come after rewind has connected
            // to the live stream, even on a busy machine: follow shows
            // the lines that arrive once it is connected.
            deploy_duration: Duration::from_millis(2000),
            rate_limit_per_minute: 0,
            postgres: PostgresMode::Off,
            ..SandboxConfig::default()
        })
        .expect("sandbox");
        let world = World { dir, sandbox, hook };
        let ago = |min: i64| (chrono::Utc::now() - chrono::Duration::minutes(min)).to_rfc3339();
        admin_post(
            &world.sandbox,
            "/_sandbox/apps/shop/deployments/history",
            json!({"deployments": [
                {"git_ref": "v1.0.0", "created_at": ago(40)},
                {"git_ref": "v1.1.0", "created_at": ago(10), "pusher": "\u{1b}]0;t\u{7}\u{202e}eve"},
            ]}),
        );
        let state = admin_get(&world.sandbox, "/_sandbox/apps/shop/state");
        let addon = state["addons"][0]["id"].as_str().expect("addon id");
        admin_post(
            &world.sandbox,
            &format!("/_sandbox/databases/{addon}/backups/history"),
            json!({"backups": [{"created_at": ago(60)}]}),
        );
        world
    }

    pub(crate) fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    pub(crate) fn journal_dir(&self) -> PathBuf {
        self.dir.path().join("journal")
    }

    pub(crate) fn rewind(&self, args: &[&str]) -> Rewind {
        Rewind::new(args)
            .dir(&self.work())
            .home(&self.dir.path().join("home"))
            .env("USER", "alice")
            .envs(GIT_DATES)
            .journal(&self.journal_dir())
            .sandbox(&self.sandbox)
    }

    pub(crate) fn run(&self, args: &[&str]) -> Run {
        self.rewind(args).run()
    }

    /// Manual deploys the platform accepted.
    pub(crate) fn deploys(&self) -> usize {
        let all = admin_get(&self.sandbox, "/_sandbox/requests");
        all["requests"]
            .as_array()
            .map(|requests| {
                requests
                    .iter()
                    .filter(|r| {
                        r["method"] == "POST"
                            && r["path"]
                                .as_str()
                                .is_some_and(|p| p.ends_with("/manual_deploy"))
                            && r["status"] == 200
                    })
                    .count()
            })
            .unwrap_or_default()
    }

    /// Points rewind.toml at a team tree of one question (the database
    /// probe, which lists migration files) leading to a warning with a
    /// ticket, whose action says `action_text`.
    pub(crate) fn use_team_tree(&self, action_text: &str) {
        std::fs::write(
            self.work().join("team-tree.toml"),
            format!(
                "entry = \"q5\"\n\n\
                 [[question]]\nid = \"q5\"\ntext = {{ fr = \"Base ?\", en = \"Is there a database to roll back?\" }}\nprobe = \"database\"\n\n\
                 [[question.answer]]\nid = \"yes\"\nlabel = {{ fr = \"Oui\", en = \"Yes\" }}\nnext = \"a2\"\n\n\
                 [[question.answer]]\nid = \"no\"\nlabel = {{ fr = \"Non\", en = \"No\" }}\nnext = \"a2\"\n\n\
                 [[action]]\nid = \"a2\"\ntext = {{ fr = \"Prévenir\", en = \"{}\" }}\n\
                 action = \"warn_product_owner\"\nparams = {{ ticket = \"to_prioritise\" }}\nnext = \"done\"\n\n\
                 [[exit]]\nid = \"done\"\ntext = {{ fr = \"Fin\", en = \"End\" }}\n",
                toml_escape(action_text)
            ),
        )
        .expect("tree");
        let config = std::fs::read_to_string(self.work().join("rewind.toml")).expect("config");
        std::fs::write(
            self.work().join("rewind.toml"),
            format!("tree = \"team-tree.toml\"\n{config}"),
        )
        .expect("config");
    }

    /// A dry run's incident, for the commands that read one.
    fn dry_run_incident(&self) -> String {
        let run = self.run(&["rollback", "--dry-run", "--json", "--no-db"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.json()["incident"]
            .as_str()
            .expect("incident")
            .to_string()
    }
}

#[test]
fn a_closed_stdout_ends_every_read_command_quietly() {
    let world = World::new();
    let id = world.dry_run_incident();
    let commands: [&[&str]; 11] = [
        &["status"],
        &["status", "--json"],
        &["journal"],
        &["journal", "--json"],
        &["journal", "show", &id],
        &["journal", "show", &id, "--json"],
        &["report", &id],
        &["report", &id, "--json"],
        &["db", "status"],
        &["db", "status", "--json"],
        &["rollback", "--dry-run", "--json", "--no-db"],
    ];
    for args in commands {
        let run = world.rewind(args).run_closed(true, false);
        assert_eq!(
            run.code, 0,
            "rewind {args:?} with a closed stdout:\n{}",
            run.stderr
        );
        assert!(
            !run.stderr.contains("panicked") && !run.stderr.contains("Broken pipe"),
            "rewind {args:?}:\n{}",
            run.stderr
        );
    }
}

#[test]
fn a_closed_stdout_leaves_the_sandbox_serving() {
    let dir = tempfile::tempdir().expect("tempdir");
    let seed = dir.path().join("seed.toml");
    std::fs::write(&seed, "[sandbox]\npostgres = \"off\"\n").expect("seed");
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let mut child = Command::new(env!("CARGO_BIN_EXE_rewind"))
        .args(["sandbox", "serve", "--seed"])
        .arg(&seed)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .spawn()
        .expect("rewind sandbox serve runs");
    let mut said = String::new();
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    while !said.contains("press Ctrl-C to stop") {
        let mut line = String::new();
        if stderr.read_line(&mut line).expect("stderr") == 0 {
            break;
        }
        said.push_str(&line);
    }
    // The exports could not be printed; the server still answers.
    let still_running = child.try_wait().expect("try_wait").is_none();
    let url = said
        .lines()
        .find_map(|l| l.strip_prefix("rewind sandbox listening on "))
        .map(str::to_string);
    let answered = url.as_deref().is_some_and(|url| {
        ureq::get(&format!("{url}/v1/apps"))
            .config()
            .http_status_as_error(false)
            .build()
            .call()
            .is_ok()
    });
    // Stopped the way a person stops it (it serves until interrupted).
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let _ = child.wait();
    assert!(still_running, "the sandbox stopped:\n{said}");
    assert!(!said.contains("panicked"), "{said}");
    assert!(answered, "the sandbox does not answer:\n{said}");
}

#[test]
fn a_rollback_with_both_outputs_closed_still_deploys_verifies_and_journals() {
    let world = World::new();
    let run = world
        .rewind(&["rollback", "--yes", "--no-db", "--verbose", "--json"])
        .run_closed(true, true);
    assert_eq!(run.code, 0, "the rollback did not end well");
    assert_eq!(world.deploys(), 1);
    let journal = journal_entries(&world.journal_dir());
    let done: Vec<&str> = journal
        .iter()
        .filter(|e| e["kind"] == "step_done")
        .filter_map(|e| e["step"].as_str())
        .collect();
    for step in ["deploy", "follow", "verify", "notify", "mark-bad"] {
        assert!(done.contains(&step), "{step} not done: {done:?}");
    }
    let closed = journal
        .iter()
        .find(|e| e["kind"] == "incident_closed")
        .expect("the incident is closed");
    assert_eq!(closed["data"]["outcome"], "succeeded", "{closed}");
    let state = admin_get(&world.sandbox, "/_sandbox/apps/shop/state");
    let newest = state["deployments"]
        .as_array()
        .and_then(|d| {
            d.iter()
                .max_by_key(|d| d["created_at"].as_str().map(str::to_string))
        })
        .expect("deployments");
    let good = git(&world.work(), &["rev-parse", "v1.0.0^{commit}"]);
    assert_eq!(newest["git_ref"], good.as_str(), "{newest}");
    assert_eq!(newest["status"], "success", "{newest}");
}

#[test]
fn colour_follows_the_flag_and_the_environment() {
    let world = World::new();
    let coloured = |run: &Run| {
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stdout.contains("\u{1b}[")
    };
    assert!(!coloured(&world.run(&["status"])), "a pipe gets no colour");
    assert!(coloured(&world.run(&["status", "--color", "always"])));
    let forced = world.rewind(&["status"]).env("CLICOLOR_FORCE", "1").run();
    assert!(coloured(&forced), "CLICOLOR_FORCE=1");
    let refused = world
        .rewind(&["status"])
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .run();
    assert!(!coloured(&refused), "NO_COLOR wins");
    let never = world
        .rewind(&["status", "--color", "never"])
        .env("CLICOLOR_FORCE", "1")
        .run();
    assert!(!coloured(&never), "--color never");
}

/// `rewind status > file` from a terminal (a pseudo-terminal made by
/// util-linux's `script`): the terminal gets colours, the file none.
#[test]
fn colour_is_decided_for_each_stream_on_a_terminal() {
    let world = World::new();
    let file = world.dir.path().join("status.txt");
    let in_a_terminal = |shell: &str| {
        let mut command = Command::new("script");
        command
            .args(["-qec", shell, "/dev/null"])
            .current_dir(world.work())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", world.dir.path().join("home"))
            .env("TERM", "xterm-256color")
            .env("USER", "alice")
            .env("REWIND_JOURNAL_DIR", world.journal_dir())
            .envs(crate::support::GIT_ENV)
            .envs(world.sandbox.env_vars())
            .stdin(Stdio::null());
        let out = command.output().expect("script runs");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let rewind = env!("CARGO_BIN_EXE_rewind");
    let on_screen = in_a_terminal(&format!("'{rewind}' status"));
    assert!(
        on_screen.contains("\u{1b}[32m"),
        "a terminal gets colours: {on_screen:?}"
    );
    for off in ["NO_COLOR=1", "CLICOLOR=0"] {
        let plain = in_a_terminal(&format!("{off} '{rewind}' status"));
        assert!(plain.contains("now running"), "{plain:?}");
        assert!(!plain.contains('\u{1b}'), "{off} on a terminal: {plain:?}");
    }
    in_a_terminal(&format!("'{rewind}' status > '{}'", file.display()));
    let written = std::fs::read_to_string(&file).expect("status.txt");
    assert!(written.contains("now running"), "{written}");
    assert!(
        !written.contains('\u{1b}'),
        "escape codes in the file: {written:?}"
    );
}

#[test]
fn quiet_keeps_data_warnings_and_errors() {
    let world = World::new();
    let run = world.run(&["rollback", "--dry-run", "--json", "--quiet"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["dry_run"], true);
    assert!(!run.stderr.contains("Rollback of shop"), "{}", run.stderr);
    assert!(!run.stderr.contains("fetching tags"), "{}", run.stderr);
    assert!(run.stderr.contains("warning:"), "{}", run.stderr);
    let failed = world.run(&["rollback", "--to", "9.9.9", "--dry-run", "-q"]);
    assert_ne!(failed.code, 0);
    assert!(failed.stderr.contains("error:"), "{}", failed.stderr);
}

/// The ticket draft is printed on stdout before the team is warned: a
/// closed stdout must not stop the guide there.
#[test]
fn a_guide_with_its_stdout_closed_still_warns_the_team() {
    let world = World::new();
    world.use_team_tree("Warn the owner");
    let tickets = world.dir.path().join("tickets");
    let run = world
        .rewind(&[
            "guide",
            "--answer",
            "q5=yes",
            "--yes",
            "--lang",
            "en",
            "--ticket-dir",
            tickets.to_str().expect("path"),
        ])
        .run_closed(true, false);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(
        run.stderr.contains("note: stdout is closed"),
        "the person is told: {}",
        run.stderr
    );
    let texts = world.hook.texts();
    assert_eq!(texts.len(), 1, "the team was not warned: {}", run.stderr);
    let closed = journal_entries(&world.journal_dir())
        .into_iter()
        .find(|e| e["kind"] == "incident_closed")
        .expect("the guide's incident is closed");
    assert_eq!(closed["data"]["outcome"], "succeeded", "{closed}");
}

/// `text` inside a TOML basic string.
fn toml_escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '"' => "\\\"".to_string(),
            '\\' => "\\\\".to_string(),
            c if c.is_control() => format!("\\u{:04X}", u32::from(c)),
            c => c.to_string(),
        })
        .collect()
}

/// Every write goes through `src/output.rs`: a `println!` elsewhere would
/// bring back the panic on a closed pipe, colour decided for the wrong
/// stream, and raw escape sequences. A stream named without a call
/// counts too: a writer handed to a library (a log subscriber's
/// `with_writer(std::io::stderr)`) would write around the layer.
#[test]
fn every_write_of_the_binary_goes_through_the_output_layer() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut dirs = vec![src.clone()];
    let mut found = Vec::new();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("src").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|x| x != "rs") || path == src.join("output.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("source");
            for (n, line) in text.lines().enumerate() {
                let code = line.trim_start();
                if code.starts_with("//") {
                    continue;
                }
                let writes = ["print!(", "println!(", "io::stdout", "io::stderr"];
                if writes.iter().any(|w| code.contains(w)) {
                    found.push(format!("{}:{}: {code}", path.display(), n + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "write through outln!/msgln!/errln! (src/output.rs) instead:\n{}",
        found.join("\n")
    );
}
