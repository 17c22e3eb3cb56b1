//! The bad-input table: rewind.toml files, decision trees, command-line
//! arguments, tags and refs, API answers (the sandbox's fault injection),
//! journals and sandbox seeds that are wrong in every way a teammate, a
//! tool or a platform can make them wrong. Every case states its exit code
//! (2 usage or configuration, 1 a failed operation, 3 refused, 0 when
//! rewind reads around the damage and says so) and the words its message
//! must hold (the file, line, key or flag, and what to do); the run must
//! not panic, and must change nothing: no file written outside the
//! journal directory (the repository and HOME are compared before and
//! after), no ref created in the repository or on its remote, no request
//! to the sandbox that could change the platform.
//!
//! It prints one line past the test harness's capture:
//! `bad inputs: N tried, N panics, N unclear, N changed` ("unclear": the
//! exit code is not the documented one, a word is missing, or an error
//! put data on stdout), and fails listing every bad case.
//! `BAD_INPUTS_ONLY=tree/` (comma-separated pieces of case names) runs
//! only the matching cases.

mod cases;

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rewind_sandbox::{AddonSeed, AppSeed, PostgresMode, Sandbox, SandboxConfig, ScmSeed};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::{Rewind, Run, admin_delete, admin_get, admin_post, finish, git};

/// Worlds, each with its own sandbox and repository, working through the
/// cases at once.
const THREADS: usize = 3;

/// Longest a case may run: past it, rewind hangs, which is a defect.
const HANG: Duration = Duration::from_secs(60);

/// The rewind.toml every case starts from (a case may replace it).
pub const BASE_TOML: &str = "[[apps]]\nname = \"shop\"\npackage = \"shop\"\n\n[apps.database]\naddon = \"scalingo-postgresql\"\nmargin = \"1m\"\n";

/// Something a case does to its world before the run (and undoes after).
pub type Act = Box<dyn Fn(&World) + Send + Sync>;

/// One bad input.
pub struct Case {
    pub name: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Files written in the repository (relative paths) before the run,
    /// removed after it (rewind.toml is put back as it was).
    pub files: Vec<(String, Vec<u8>)>,
    /// The journal's content before the run (`journal.jsonl`).
    pub journal: Option<Vec<u8>>,
    pub setup: Option<Act>,
    pub undo: Option<Act>,
    pub code: i32,
    /// Words stderr must hold.
    pub words: Vec<String>,
    /// The command's data is the list of problems (`tree check`): stdout
    /// may hold it, and the words may be there.
    pub reports_on_stdout: bool,
}

impl Case {
    pub fn new(name: &str, args: &[&str], code: i32, words: &[&str]) -> Case {
        Case {
            name: name.to_string(),
            args: args.iter().map(|a| a.to_string()).collect(),
            env: Vec::new(),
            files: Vec::new(),
            journal: None,
            setup: None,
            undo: None,
            code,
            words: words.iter().map(|w| w.to_string()).collect(),
            reports_on_stdout: false,
        }
    }

    pub fn reports_on_stdout(mut self) -> Case {
        self.reports_on_stdout = true;
        self
    }

    pub fn file(mut self, path: &str, content: impl Into<Vec<u8>>) -> Case {
        self.files.push((path.to_string(), content.into()));
        self
    }

    pub fn toml(self, content: impl Into<Vec<u8>>) -> Case {
        self.file("rewind.toml", content)
    }

    pub fn env(mut self, name: &str, value: &str) -> Case {
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    pub fn journal(mut self, content: impl Into<Vec<u8>>) -> Case {
        self.journal = Some(content.into());
        self
    }

    pub fn setup(mut self, act: impl Fn(&World) + Send + Sync + 'static) -> Case {
        self.setup = Some(Box::new(act));
        self
    }

    pub fn undo(mut self, act: impl Fn(&World) + Send + Sync + 'static) -> Case {
        self.undo = Some(Box::new(act));
        self
    }

    /// A fault the sandbox answers with for this run (`POST /_sandbox/faults`).
    pub fn fault(self, rule: Value) -> Case {
        self.setup(move |w| {
            admin_post(&w.sandbox, "/_sandbox/faults", rule.clone());
        })
    }
}

/// A sandbox with app `shop` (a simulated PostgreSQL addon, two finished
/// deployments of v1.0.0 then v1.1.0), a bare origin with those tags, its
/// clone holding rewind.toml, a HOME and a journal directory.
pub struct World {
    // Declared first, dropped first: the sandbox stops before the folder
    // holding its temporary files goes.
    pub sandbox: Sandbox,
    pub dir: TempDir,
}

impl World {
    pub fn new() -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        for sub in ["home", "journal", "sandbox-tmp"] {
            std::fs::create_dir(dir.path().join(sub)).expect("mkdir");
        }
        git(
            dir.path(),
            &[
                "init",
                "--quiet",
                "--bare",
                "--initial-branch=main",
                "origin.git",
            ],
        );
        git(dir.path(), &["clone", "--quiet", "origin.git", "work"]);
        let work = dir.path().join("work");
        for (version, extra) in [("1.0.0", None), ("1.1.0", Some("migrations/002.sql"))] {
            std::fs::write(
                work.join("package.json"),
                format!("{{\"name\":\"shop\",\"version\":\"{version}\"}}\n"),
            )
            .expect("write");
            if let Some(path) = extra {
                std::fs::create_dir_all(work.join("migrations")).expect("mkdir");
                std::fs::write(
                    work.join(path),
                    "alter table orders add column note text;\n",
                )
                .expect("write");
            }
            git(&work, &["add", "--all"]);
            git(
                &work,
                &[
                    "commit",
                    "--quiet",
                    "-m",
                    &format!("chore(main): release {version}"),
                ],
            );
            git(&work, &["tag", &format!("v{version}")]);
        }
        git(&work, &["push", "--quiet", "origin", "main", "--tags"]);
        std::fs::write(work.join("rewind.toml"), BASE_TOML).expect("rewind.toml");
        let sandbox = Sandbox::start(SandboxConfig {
            apps: vec![AppSeed {
                name: "shop".into(),
                repo: Some(dir.path().join("origin.git").display().to_string()),
                scm: Some(ScmSeed {
                    branch: "main".into(),
                    auto_deploy: false,
                }),
                addons: vec![AddonSeed {
                    provider: "scalingo-postgresql".into(),
                    plan: "starter-512".into(),
                }],
            }],
            deploy_duration: Duration::from_millis(200),
            rate_limit_per_minute: 0,
            postgres: PostgresMode::Off,
            temp_dir: Some(dir.path().join("sandbox-tmp")),
            ..SandboxConfig::default()
        })
        .expect("sandbox starts");
        let at =
            |minutes: i64| (chrono::Utc::now() - chrono::Duration::minutes(minutes)).to_rfc3339();
        admin_post(
            &sandbox,
            "/_sandbox/apps/shop/deployments/history",
            json!({"deployments": [
                {"git_ref": "v1.0.0", "package": "shop", "version": "1.0.0", "created_at": at(100)},
                {"git_ref": "v1.1.0", "package": "shop", "version": "1.1.0", "created_at": at(30)},
            ]}),
        );
        let addon = admin_get(&sandbox, "/_sandbox/apps/shop/state")["addons"][0]["id"]
            .as_str()
            .expect("addon id")
            .to_string();
        // A backup made before the deployments, to restore or list.
        admin_post(
            &sandbox,
            &format!("/_sandbox/databases/{addon}/backups/history"),
            json!({"backups": [{"created_at": at(120)}]}),
        );
        World { dir, sandbox }
    }

    pub fn journal_path(&self) -> PathBuf {
        self.journal_dir()
    }

    pub fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    pub fn origin(&self) -> PathBuf {
        self.dir.path().join("origin.git")
    }

    fn journal_dir(&self) -> PathBuf {
        self.dir.path().join("journal")
    }

    /// Every file under the world's folder but the journal, the git
    /// folders (their refs are compared instead) and the sandbox's own
    /// temporary folder: path, then a hash of its content and its mode.
    fn files(&self) -> BTreeMap<String, (u64, u32)> {
        fn walk(dir: &Path, root: &Path, skip: &[PathBuf], out: &mut BTreeMap<String, (u64, u32)>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if skip.contains(&path) {
                    continue;
                }
                let Ok(meta) = std::fs::symlink_metadata(&path) else {
                    continue;
                };
                use std::hash::{Hash, Hasher};
                use std::os::unix::fs::PermissionsExt;
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                if meta.is_file() {
                    std::fs::read(&path).unwrap_or_default().hash(&mut hasher);
                } else if meta.is_symlink() {
                    std::fs::read_link(&path).ok().hash(&mut hasher);
                }
                let name = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .display()
                    .to_string();
                out.insert(name, (hasher.finish(), meta.permissions().mode()));
                if meta.is_dir() {
                    walk(&path, root, skip, out);
                }
            }
        }
        let root = self.dir.path();
        let skip = [
            self.journal_dir(),
            self.origin(),
            self.work().join(".git"),
            root.join("sandbox-tmp"),
        ];
        let mut out = BTreeMap::new();
        walk(root, root, &skip, &mut out);
        out
    }

    fn refs(&self) -> String {
        let list = |dir: &Path| {
            let out = rewind_test_support::git_command(dir)
                .args(["for-each-ref", "--format=%(refname) %(objectname)"])
                .output()
                .expect("git runs");
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        format!(
            "local:\n{}remote:\n{}",
            list(&self.work()),
            list(&self.origin())
        )
    }

    fn request_mark(&self) -> u64 {
        admin_get(&self.sandbox, "/_sandbox/requests")["next_index"]
            .as_u64()
            .expect("next_index")
    }

    /// `METHOD path` of every request since `mark` that could change the
    /// platform (logging in and taking an addon token change nothing).
    fn writes_since(&self, mark: u64) -> Vec<String> {
        admin_get(&self.sandbox, &format!("/_sandbox/requests?since={mark}"))["requests"]
            .as_array()
            .expect("requests")
            .iter()
            .map(|r| {
                format!(
                    "{} {}",
                    r["method"].as_str().unwrap_or(""),
                    r["path"].as_str().unwrap_or("")
                )
            })
            .filter(|r| !r.starts_with("GET ") && !r.starts_with("HEAD "))
            .filter(|r| !r.ends_with("/v1/tokens/exchange") && !r.ends_with("/token"))
            .collect()
    }

    /// The journal folder as the case wants it, with no request budget
    /// left over from the previous case.
    fn reset_journal(&self, content: Option<&[u8]>) {
        let dir = self.journal_dir();
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("journal dir");
        if let Some(content) = content {
            std::fs::write(dir.join("journal.jsonl"), content).expect("journal");
        }
    }

    /// Runs `rewind` for a case; a run still going after [`HANG`] is
    /// killed and reported as exit -1.
    fn run(&self, case: &Case) -> Run {
        let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
        let child = Rewind::new(&args)
            .dir(&self.work())
            .home(&self.dir.path().join("home"))
            .journal(&self.journal_dir())
            .env("TZ", "UTC")
            .env(
                "REWIND_SANDBOX_TMPDIR",
                &self.dir.path().join("sandbox-tmp").display().to_string(),
            )
            .sandbox(&self.sandbox)
            .envs(case.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .spawn();
        let pid = child.id();
        let (send, receive) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = send.send(finish(child));
        });
        match receive.recv_timeout(HANG) {
            Ok(run) => run,
            Err(_) => {
                let _ = std::process::Command::new("kill")
                    .args(["-9", &pid.to_string()])
                    .status();
                let mut run = receive.recv().expect("the killed run ends");
                run.code = -1;
                run
            }
        }
    }

    /// Puts the repository and the sandbox back as every case finds them.
    fn tidy(&self, case: &Case) {
        for (path, _) in &case.files {
            let full = self.work().join(path);
            if path == "rewind.toml" {
                let _ = std::fs::remove_dir_all(&full);
                let _ = std::fs::remove_file(&full);
                std::fs::write(&full, BASE_TOML).expect("rewind.toml");
            } else if let Some(top) = Path::new(path).components().next() {
                let top = self.work().join(top);
                let _ = std::fs::remove_dir_all(&top);
                let _ = std::fs::remove_file(&top);
            }
        }
        admin_delete(&self.sandbox, "/_sandbox/faults");
        admin_post(
            &self.sandbox,
            "/_sandbox/stream/garbage",
            json!({"times": 0}),
        );
    }
}

/// What one case came to.
struct Outcome {
    name: String,
    seconds: f64,
    panicked: bool,
    unclear: Vec<String>,
    changed: Vec<String>,
    run: Run,
}

fn run_case(world: &World, case: &Case) -> Outcome {
    world.reset_journal(case.journal.as_deref());
    for (path, content) in &case.files {
        let full = world.work().join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).expect("dirs");
        }
        std::fs::write(full, content).expect("case file");
    }
    if let Some(setup) = &case.setup {
        setup(world);
    }
    let (files, refs, mark) = (world.files(), world.refs(), world.request_mark());
    let started = Instant::now();
    let run = world.run(case);
    let seconds = started.elapsed().as_secs_f64();
    if std::env::var_os("BAD_INPUTS_VERBOSE").is_some() {
        println!(
            "== {} ({seconds:.1}s, exit {})\n{}\n{}",
            case.name, run.code, run.stdout, run.stderr
        );
    }
    let mut changed = Vec::new();
    let after = world.files();
    for (path, what) in &after {
        match files.get(path) {
            None => changed.push(format!("made {path}")),
            Some(before) if before != what => changed.push(format!("changed {path}")),
            Some(_) => {}
        }
    }
    for path in files.keys().filter(|p| !after.contains_key(*p)) {
        changed.push(format!("removed {path}"));
    }
    let refs_after = world.refs();
    if refs_after != refs {
        changed.push(format!("refs before:\n{refs}refs after:\n{refs_after}"));
    }
    changed.extend(
        world
            .writes_since(mark)
            .into_iter()
            .map(|w| format!("sent {w}")),
    );
    if let Some(undo) = &case.undo {
        undo(world);
    }
    world.tidy(case);

    let panicked = matches!(run.code, 101 | 134 | 139) || run.stderr.contains("panicked");
    let mut unclear = Vec::new();
    if run.code != case.code {
        unclear.push(format!("exit {} (expected {})", run.code, case.code));
    }
    let said = if case.reports_on_stdout {
        format!("{}{}", run.stdout, run.stderr)
    } else {
        run.stderr.clone()
    };
    for word in &case.words {
        if !said.contains(word.as_str()) {
            unclear.push(format!("no `{word}` in what it said"));
        }
    }
    if case.code != 0 && !case.reports_on_stdout && !run.stdout.is_empty() {
        unclear.push("data on stdout for an error".to_string());
    }
    if case.code != 0 && !run.stderr.contains("error") {
        unclear.push("no `error` on stderr".to_string());
    }
    Outcome {
        name: case.name.clone(),
        seconds,
        panicked,
        unclear,
        changed,
        run,
    }
}

#[test]
fn hostile_bad_inputs_exit_right_say_what_to_fix_and_change_nothing() {
    let only = std::env::var("BAD_INPUTS_ONLY").ok();
    let cases: Vec<Case> = cases::all()
        .into_iter()
        .filter(|c| {
            only.as_deref()
                .is_none_or(|o| o.split(',').any(|piece| c.name.contains(piece)))
        })
        .collect();
    let stream_case = only
        .as_deref()
        .is_none_or(|o| o.split(',').any(|p| STREAM_CASE.contains(p)));
    assert!(
        !cases.is_empty() || stream_case,
        "BAD_INPUTS_ONLY={only:?} selects no case"
    );
    let names: std::collections::BTreeSet<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.len(), cases.len(), "two cases share a name");
    let tried = cases.len();
    let started = Instant::now();
    let queue = Mutex::new(VecDeque::from(cases));
    let outcomes = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..THREADS.min(queue.lock().expect("queue").len()) {
            scope.spawn(|| {
                let world = World::new();
                loop {
                    let next = queue.lock().expect("queue").pop_front();
                    let Some(case) = next else { break };
                    let outcome = run_case(&world, &case);
                    outcomes.lock().expect("outcomes").push(outcome);
                }
            });
        }
    });
    let mut outcomes = outcomes.into_inner().expect("outcomes");
    let mut tried = tried;
    if stream_case {
        outcomes.push(stream_frame_not_json());
        tried += 1;
    }
    outcomes.sort_by(|a, b| a.name.cmp(&b.name));
    let panics = outcomes.iter().filter(|o| o.panicked).count();
    let unclear = outcomes.iter().filter(|o| !o.unclear.is_empty()).count();
    let changed = outcomes.iter().filter(|o| !o.changed.is_empty()).count();
    let line =
        format!("bad inputs: {tried} tried, {panics} panics, {unclear} unclear, {changed} changed");
    crate::support::shown(&line);
    let bad: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.panicked || !o.unclear.is_empty() || !o.changed.is_empty())
        .collect();
    for o in &bad {
        println!("BAD {}", o.name);
        for problem in o.unclear.iter().chain(&o.changed) {
            println!("  - {problem}");
        }
        if o.panicked {
            println!("  - panicked");
        }
        println!(
            "    exit {}\n    stdout: {}\n    stderr: {}",
            o.run.code,
            o.run.stdout.trim_end(),
            o.run.stderr.trim_end()
        );
    }
    let mut slowest: Vec<&Outcome> = outcomes.iter().collect();
    slowest.sort_by(|a, b| b.seconds.total_cmp(&a.seconds));
    let slowest: Vec<String> = slowest
        .iter()
        .take(3)
        .map(|o| format!("{} {:.1}s", o.name, o.seconds))
        .collect();
    crate::support::shown(&format!(
        "bad inputs: {} of {tried} case(s) bad; {:.0}s with {THREADS} thread(s); slowest: {}",
        bad.len(),
        started.elapsed().as_secs_f64(),
        slowest.join(", ")
    ));
    assert!(
        bad.is_empty(),
        "{line}\n{} case(s) bad (listed above)",
        bad.len()
    );
    if only.is_none() {
        assert!(
            tried >= 150,
            "the table must hold at least 150 cases, it holds {tried}"
        );
    }
}

const STREAM_CASE: &str = "api/deployment stream frame that is not JSON";

/// A frame of the live deployment stream that is not JSON, in the middle
/// of a rollback confirmed with `--yes`: the one case that is meant to
/// change the platform, in a world of its own. It must deploy the target
/// once, follow the deploy to its end by other means, and say so.
fn stream_frame_not_json() -> Outcome {
    let world = World::new();
    world.reset_journal(None);
    admin_post(
        &world.sandbox,
        "/_sandbox/stream/garbage",
        json!({"times": 10}),
    );
    let case = Case::new(
        STREAM_CASE,
        &["rollback", "--yes", "--no-db"],
        0,
        &["v1.0.0"],
    );
    let (files, mark) = (world.files(), world.request_mark());
    let started = Instant::now();
    let run = world.run(&case);
    let seconds = started.elapsed().as_secs_f64();
    if std::env::var_os("BAD_INPUTS_VERBOSE").is_some() {
        println!("{}\n{}", run.stdout, run.stderr);
    }
    let mut changed = Vec::new();
    if world.files() != files {
        changed.push("a file outside the journal changed".to_string());
    }
    let deploys: Vec<String> = world
        .writes_since(mark)
        .into_iter()
        .filter(|w| w.ends_with("/manual_deploy"))
        .collect();
    if deploys.len() != 1 {
        changed.push(format!(
            "{} deploys instead of one: {deploys:?}",
            deploys.len()
        ));
    }
    let panicked = matches!(run.code, 101 | 134 | 139) || run.stderr.contains("panicked");
    let mut unclear = Vec::new();
    if run.code != case.code {
        unclear.push(format!("exit {} (expected {})", run.code, case.code));
    }
    for word in &case.words {
        if !format!("{}{}", run.stdout, run.stderr).contains(word.as_str()) {
            unclear.push(format!("no `{word}` in what it said"));
        }
    }
    Outcome {
        name: case.name,
        seconds,
        panicked,
        unclear,
        changed,
        run,
    }
}

/// The journal line of an incident opened by `rewind rollback`.
pub fn opened(id: &str) -> String {
    format!(
        "{{\"at\":\"2026-01-02T03:04:05Z\",\"incident\":\"{id}\",\"kind\":\"incident_opened\",\"app\":\"shop\",\"data\":{{\"command\":\"rollback\",\"reason\":\"tests\"}}}}\n"
    )
}

/// The journal line closing an incident.
pub fn closed(id: &str) -> String {
    format!(
        "{{\"at\":\"2026-01-02T03:05:05Z\",\"incident\":\"{id}\",\"kind\":\"incident_closed\",\"app\":\"shop\",\"data\":{{\"outcome\":\"succeeded\"}}}}\n"
    )
}
