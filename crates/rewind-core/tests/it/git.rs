//! rewind-core tests: git. Every operation of `GitCli` against real
//! repositories (a bare origin and its clone) made in temp dirs.

use rewind_core::git::{ChangeStatus, Git, GitCli, GitError, redact_credentials};

use crate::repo::TestRepo;

/// origin with v1.0.0 (lightweight), v1.1.0 (annotated) and v2.0.0-rc.1
/// (annotated) on three release commits, all pushed.
fn released() -> (TestRepo, [String; 3]) {
    let mut repo = TestRepo::new();
    let first = repo.release("shop", "1.0.0");
    repo.tag("v1.0.0");
    repo.write("db/migrate/001_init.sql", "create table orders ();\n");
    repo.write("CHANGELOG.md", "## 1.1.0\n");
    repo.commit("feat: orders");
    let second = repo.release("shop", "1.1.0");
    repo.annotated_tag("v1.1.0");
    repo.write(
        "db/migrate/002_totals.sql",
        "alter table orders add total int;\n",
    );
    repo.write("CHANGELOG.md", "## 2.0.0-rc.1\n");
    std::fs::remove_file(repo.work().join("db/migrate/001_init.sql")).unwrap();
    repo.commit("feat!: totals");
    let third = repo.release("shop", "2.0.0-rc.1");
    repo.annotated_tag("v2.0.0-rc.1");
    repo.push_all();
    (repo, [first, second, third])
}

fn failed_stderr(error: &GitError) -> &str {
    match error {
        GitError::Failed { stderr, .. } => stderr,
        other => panic!("expected a git failure, got {other:?}"),
    }
}

#[test]
fn tag_index_peels_annotated_and_lightweight_tags() {
    let (repo, [first, second, third]) = released();
    repo.git(&[
        "tag",
        "-a",
        "deployed-2024-03-01",
        "-m",
        "same commit",
        &second,
    ]);
    let index = repo.cli().tag_index().unwrap();
    assert_eq!(index.len(), 4);
    assert_eq!(index.commit_of("v1.0.0"), Some(first.as_str()));
    assert_eq!(index.commit_of("v1.1.0"), Some(second.as_str()));
    assert_eq!(index.commit_of("v2.0.0-rc.1"), Some(third.as_str()));
    assert_eq!(index.tags_at(&second), ["deployed-2024-03-01", "v1.1.0"]);
    assert_eq!(index.tags_at(&second.to_uppercase()).len(), 2);
    assert!(
        index
            .tags_at("0000000000000000000000000000000000000000")
            .is_empty()
    );
    assert_eq!(index.commit_of("v9.9.9"), None);
}

#[test]
fn fetch_tags_brings_new_tags_and_prunes_stale_branches() {
    let (repo, _) = released();
    let other = repo.work().with_file_name("other");
    repo.git(&[
        "clone",
        "--quiet",
        repo.origin().to_str().unwrap(),
        other.to_str().unwrap(),
    ]);
    repo.git_in(&other, &["tag", "v3.0.0", "HEAD~1"]);
    repo.git_in(
        &other,
        &[
            "push",
            "--quiet",
            "origin",
            "v3.0.0",
            "HEAD:refs/heads/hotfix",
        ],
    );
    let git = repo.cli();

    git.fetch_tags("origin").unwrap();
    assert!(git.tag_index().unwrap().commit_of("v3.0.0").is_some());
    assert!(git.resolve_commit("refs/remotes/origin/hotfix").is_ok());

    repo.git_in(
        &other,
        &[
            "push",
            "--quiet",
            "origin",
            ":refs/heads/hotfix",
            ":refs/tags/v1.0.0",
        ],
    );
    git.fetch_tags("origin").unwrap();
    assert!(
        git.resolve_commit("refs/remotes/origin/hotfix").is_err(),
        "stale branch pruned"
    );
    assert!(
        git.tag_index().unwrap().commit_of("v1.0.0").is_some(),
        "local tags are never pruned"
    );
}

#[test]
fn commits_are_checked_and_resolved() {
    let (repo, [first, _, third]) = released();
    let git = repo.cli();
    assert!(git.commit_exists(&first).unwrap());
    assert!(git.commit_exists(&first[..10]).unwrap());
    assert!(
        !git.commit_exists("0123456789abcdef0123456789abcdef01234567")
            .unwrap()
    );
    assert!(!git.commit_exists("archive-2024-03-01").unwrap());
    assert!(!git.commit_exists("").unwrap());
    assert_eq!(git.resolve_commit("v1.0.0").unwrap(), first);
    assert_eq!(git.resolve_commit("v2.0.0-rc.1").unwrap(), third);
    assert_eq!(git.resolve_commit("HEAD").unwrap(), third);
}

#[test]
fn missing_tag_and_unknown_remote_errors_carry_git_stderr() {
    let (repo, _) = released();
    let git = repo.cli();
    let err = git.resolve_commit("v9.9.9").unwrap_err();
    assert!(!failed_stderr(&err).is_empty(), "{err}");
    assert!(err.to_string().contains("git rev-parse"), "{err}");

    let err = git.push_branch("nowhere", "main").unwrap_err();
    assert!(failed_stderr(&err).contains("nowhere"), "{err}");
    assert!(err.to_string().contains("`git push nowhere"), "{err}");

    let err = git.remote_url("nowhere").unwrap_err();
    assert!(failed_stderr(&err).contains("nowhere"), "{err}");

    let err = git.fetch_tags("nowhere").unwrap_err();
    assert!(failed_stderr(&err).contains("nowhere"), "{err}");

    let err = git.create_branch("--force", "v1.0.0").unwrap_err();
    assert!(matches!(err, GitError::InvalidArgument { .. }), "{err}");
}

#[test]
fn describe_gives_the_nearest_tag_and_distance() {
    let (mut repo, [_, _, third]) = released();
    repo.commit("fix: one");
    repo.commit("fix: two");
    repo.tag("etl-v5.0.0");
    let head = repo.commit("fix: three");
    let git = repo.cli();

    let on_tag = git.describe(&third, None).unwrap().unwrap();
    assert_eq!(on_tag.tag, "v2.0.0-rc.1");
    assert_eq!(on_tag.distance, 0);
    assert_eq!(on_tag.to_string(), format!("v2.0.0-rc.1 ({})", &third[..7]));

    let after = git.describe(&head, Some("v*")).unwrap().unwrap();
    assert_eq!((after.tag.as_str(), after.distance), ("v2.0.0-rc.1", 3));
    assert_eq!(after.to_string(), format!("v2.0.0-rc.1+3 ({})", &head[..7]));

    let any = git.describe(&head, None).unwrap().unwrap();
    assert_eq!((any.tag.as_str(), any.distance), ("etl-v5.0.0", 1));
    assert_eq!(git.describe(&head, Some("nothing-*")).unwrap(), None);
    assert!(
        git.describe("0123456789abcdef0123456789abcdef01234567", None)
            .is_err()
    );
}

#[test]
fn describe_without_any_tag_is_none() {
    let mut repo = TestRepo::new();
    let head = repo.commit("initial");
    assert_eq!(repo.cli().describe(&head, None).unwrap(), None);
}

#[test]
fn create_branch_leaves_the_working_tree_alone() {
    let (repo, [first, ..]) = released();
    repo.write("package.json", "{ \"edited\": true }\n");
    repo.write("notes.txt", "untracked\n");
    repo.git(&["add", "notes.txt"]);
    repo.write("scratch.txt", "also untracked\n");
    let status_before = repo.git(&["status", "--porcelain"]);
    let head_before = repo.git(&["rev-parse", "HEAD"]);
    let git = repo.cli();
    assert!(git.is_dirty().unwrap());

    git.create_branch("release/v1.0.0", "v1.0.0").unwrap();

    assert_eq!(git.branch_commit("release/v1.0.0").unwrap(), Some(first));
    assert_eq!(git.current_branch().unwrap().as_deref(), Some("main"));
    assert!(git.is_dirty().unwrap());
    assert_eq!(repo.git(&["status", "--porcelain"]), status_before);
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head_before);
    let content = std::fs::read_to_string(repo.work().join("package.json")).unwrap();
    assert_eq!(content, "{ \"edited\": true }\n");

    let again = git.create_branch("release/v1.0.0", "v1.1.0").unwrap_err();
    assert!(failed_stderr(&again).contains("already exists"), "{again}");
    assert_eq!(git.branch_commit("release/v9.9.9").unwrap(), None);
}

#[test]
fn clean_tree_and_detached_head_are_reported() {
    let (repo, _) = released();
    let git = repo.cli();
    assert!(!git.is_dirty().unwrap());
    repo.write("new.txt", "untracked\n");
    assert!(git.is_dirty().unwrap(), "untracked files count");
    repo.git(&["checkout", "--quiet", "--detach", "v1.1.0"]);
    assert_eq!(git.current_branch().unwrap(), None);
}

#[test]
fn push_branch_creates_the_branch_on_origin_at_the_tag() {
    let (repo, [_, second, _]) = released();
    let git = repo.cli();
    assert_eq!(
        git.remote_branch_commit("origin", "release/v1.1.0")
            .unwrap(),
        None
    );
    git.create_branch("release/v1.1.0", "v1.1.0").unwrap();
    git.push_branch("origin", "release/v1.1.0").unwrap();

    let origin = repo.origin();
    let on_origin = repo.git_in(&origin, &["rev-parse", "refs/heads/release/v1.1.0"]);
    assert_eq!(on_origin, second);
    assert_eq!(
        git.remote_branch_commit("origin", "release/v1.1.0")
            .unwrap(),
        Some(second)
    );
    assert_eq!(git.current_branch().unwrap().as_deref(), Some("main"));
}

#[test]
fn force_push_commit_moves_a_remote_branch_backwards() {
    let (repo, [first, _, third]) = released();
    let platform = repo.work().with_file_name("platform.git");
    repo.git(&["init", "--quiet", "--bare", platform.to_str().unwrap()]);
    let url = platform.to_str().unwrap();
    let git = repo.cli();

    git.force_push_commit(url, &third, "refs/heads/master")
        .unwrap();
    git.force_push_commit(url, &first, "refs/heads/master")
        .unwrap();
    assert_eq!(
        repo.git_in(&platform, &["rev-parse", "refs/heads/master"]),
        first
    );
}

#[test]
fn errors_never_show_url_credentials() {
    let (repo, [first, ..]) = released();
    // Port 1 on loopback refuses at once: the push fails without network.
    let url = "https://deployer:s3cr3t-token@127.0.0.1:1/shop.git";
    let err = repo
        .cli()
        .force_push_commit(url, &first, "refs/heads/master")
        .unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("s3cr3t"), "{shown}");
    assert!(
        shown.contains("https://[redacted]@127.0.0.1:1/shop.git"),
        "{shown}"
    );
    assert_eq!(
        redact_credentials(
            "fatal: 'http://a:b@h/x' and ssh://git@host:22/app and git@host:app.git"
        ),
        "fatal: 'http://[redacted]@h/x' and ssh://[redacted]@host:22/app and git@host:app.git"
    );
}

#[test]
fn history_between_two_tags() {
    let (repo, [_, second, third]) = released();
    let git = repo.cli();
    let log = git.log_subjects("v1.1.0", "v2.0.0-rc.1").unwrap();
    let subjects: Vec<&str> = log.iter().map(|c| c.subject.as_str()).collect();
    assert_eq!(
        subjects,
        ["chore(main): release 2.0.0-rc.1", "feat!: totals"]
    );
    assert_eq!(log[0].sha, third);
    assert!(third.starts_with(&log[0].short_sha));
    assert!(
        git.log_subjects("v2.0.0-rc.1", "v1.1.0")
            .unwrap()
            .is_empty()
    );

    let mut changes = git
        .changed_files(&second, "v2.0.0-rc.1", &["db/migrate"])
        .unwrap();
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    let seen: Vec<(ChangeStatus, &str)> = changes
        .iter()
        .map(|c| (c.status, c.path.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            (ChangeStatus::Deleted, "db/migrate/001_init.sql"),
            (ChangeStatus::Added, "db/migrate/002_totals.sql"),
        ]
    );
    let all = git.changed_files("v1.0.0", "v1.1.0", &[]).unwrap();
    assert!(
        all.iter()
            .any(|c| c.path == "package.json" && c.status == ChangeStatus::Modified)
    );
    assert_eq!(all.len(), 3);
}

#[test]
fn show_file_reads_a_file_at_a_tag() {
    let (repo, _) = released();
    let git = repo.cli();
    let package = git.show_file("v1.1.0", "package.json").unwrap().unwrap();
    assert!(package.contains("\"version\": \"1.1.0\""), "{package}");
    assert_eq!(git.show_file("v1.0.0", "CHANGELOG.md").unwrap(), None);
    assert!(git.show_file("v9.9.9", "package.json").is_err());
}

#[test]
fn remote_url_and_a_missing_git_program() {
    let (repo, _) = released();
    let url = repo.cli().remote_url("origin").unwrap();
    assert!(url.ends_with("origin.git"), "{url}");
    let missing = GitCli::new(repo.work()).program("/nonexistent/git");
    let err = missing.tag_index().unwrap_err();
    assert!(matches!(err, GitError::Spawn { .. }), "{err}");
    assert!(
        err.to_string().contains("could not run `git for-each-ref"),
        "{err}"
    );
}

/// A stand-in for git that reports what it was given on stderr and fails:
/// how a prompt-less, shell-less run looks from the other side.
fn fake_git(dir: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("fake-git");
    let script = "#!/bin/sh\n\
                  echo \"prompt=$GIT_TERMINAL_PROMPT\" >&2\n\
                  echo \"args=$*\" >&2\n\
                  [ \"$GIT_TERMINAL_PROMPT\" = 0 ] && read line && echo 'stdin had data' >&2\n\
                  echo \"fatal: unable to access 'https://bot:hunter2@127.0.0.1/x.git'\" >&2\n\
                  exit 3\n";
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// Runs `remote_url` on the fake, retrying while another test thread's
/// fork still holds the freshly written script open ("text file busy").
fn fake_failure(cli: &GitCli) -> GitError {
    rewind_test_support::wait_for(
        std::time::Duration::from_secs(5),
        "the fake git to be free to run",
        || match cli.remote_url("origin") {
            Err(GitError::Spawn { source, .. })
                if source.kind() == std::io::ErrorKind::ExecutableFileBusy =>
            {
                None
            }
            Err(err) => Some(err),
            Ok(url) => panic!("the fake git cannot succeed, got {url}"),
        },
    )
}

#[test]
fn non_interactive_runs_disable_prompts_and_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let fake = fake_git(dir.path());
    let err = fake_failure(&GitCli::new(dir.path()).program(&fake));
    assert_eq!(
        failed_stderr(&err),
        "prompt=0\nargs=remote get-url origin\nfatal: unable to access 'https://[redacted]@127.0.0.1/x.git'"
    );
    assert!(
        err.to_string()
            .starts_with("`git remote get-url origin` failed (exit code 3): prompt=0; ")
    );

    let interactive = GitCli::new(dir.path()).program(&fake).interactive(true);
    let err = fake_failure(&interactive);
    let inherited = std::env::var("GIT_TERMINAL_PROMPT").unwrap_or_default();
    assert!(
        failed_stderr(&err).starts_with(&format!("prompt={inherited}\n")),
        "{err}"
    );
}

/// A remote reached over ssh whose "ssh" is `command`: nothing leaves the
/// machine.
fn ssh_remote(repo: &TestRepo, name: &str) {
    repo.git(&["remote", "add", name, "ssh://nobody@ssh.invalid/shop.git"]);
}

#[test]
fn a_git_command_past_its_deadline_is_stopped_and_named() {
    let (repo, _) = released();
    ssh_remote(&repo, "hung");
    // The user's own GIT_SSH_COMMAND is kept: here, one that never answers
    // (and says who it is, to check it is stopped too).
    let pid_file = repo.work().join("ssh-pid");
    let cli = repo
        .cli()
        .env(
            "GIT_SSH_COMMAND",
            format!(
                "sh -c 'echo $$ > {}; exec sleep 30' ssh-stub",
                pid_file.display()
            ),
        )
        .timeout(std::time::Duration::from_millis(500));
    let err = cli.fetch_tags("hung").expect_err("stopped at the deadline");
    let pid = std::fs::read_to_string(&pid_file).expect("ssh started");
    let stat = format!("/proc/{}/stat", pid.trim());
    // Killed with git: gone, or a zombie until its new parent reaps it.
    rewind_test_support::wait_until(
        std::time::Duration::from_secs(5),
        "the ssh git started to be stopped",
        || {
            !std::fs::read_to_string(&stat).is_ok_and(|s| {
                s.rsplit(')')
                    .next()
                    .is_some_and(|rest| !rest.trim_start().starts_with('Z'))
            })
        },
    );
    assert!(matches!(err, GitError::TimedOut { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "`git fetch --prune --tags hung` did not finish within 0.5 s and was stopped: run it yourself in the repository to see where it waits (network, credentials, a passphrase), or set REWIND_GIT_TIMEOUT (seconds) to allow longer"
    );
    // Quick commands are untouched by the deadline.
    assert!(cli.tag_index().expect("tags").len() >= 3);
}

#[test]
fn without_a_terminal_ssh_runs_in_batch_mode_with_the_users_ssh_command() {
    let (repo, _) = released();
    ssh_remote(&repo, "far");
    let seen = repo.work().join("ssh-args");
    // The repository's core.sshCommand (a key of its own, say) is kept,
    // and BatchMode added: a passphrase or host-key question fails fast.
    repo.git(&[
        "config",
        "core.sshCommand",
        &format!(
            "sh -c 'echo \"$*\" >> {}; exit 255' ssh-stub",
            seen.display()
        ),
    ]);
    let err = repo.cli().fetch_tags("far").expect_err("no such host");
    assert!(matches!(err, GitError::Failed { .. }), "{err:?}");
    let args = std::fs::read_to_string(&seen).expect("ssh ran");
    assert!(args.contains("-o BatchMode=yes"), "{args}");
    assert!(args.contains("ssh.invalid"), "{args}");

    // In a terminal, ssh may ask: nothing is added.
    std::fs::remove_file(&seen).expect("reset");
    let _ = repo.cli().interactive(true).fetch_tags("far");
    let args = std::fs::read_to_string(&seen).expect("ssh ran");
    assert!(!args.contains("BatchMode"), "{args}");
}
