//! The team's journal on the git remote: `refs/rewind/journal`, a history
//! of commits whose tree holds one file per incident,
//! `incidents/<id>.jsonl`, with the incident's journal lines exactly as
//! their writer's rewind wrote them.
//!
//! - **Publishing**: every line a rewind appends to its local journal marks
//!   its incident; a thread of the process publishes the marked incidents
//!   in the background (many lines, one push), so no step waits on the
//!   network. A publish reads the remote's head, merges each marked
//!   incident's file with the local lines by union (entries are
//!   append-only: nothing is ever removed), and moves the ref by a
//!   compare-and-swap push from the head it read; when someone else
//!   pushed first, it reads again and merges again. Concurrent publishes
//!   never lose an entry.
//! - **Reading**: the first time a process reads its journal, it fetches
//!   the remote's head and appends to the local journal the lines it does
//!   not have yet (only from the files changed since the last head it
//!   imported), so `journal`, `report`, `status`, `rollback` and `resume`
//!   see the whole team's incidents and bad marks.
//! - When the remote cannot be reached or refuses the ref, rewind works
//!   with its local journal and says so once (see [`set_reporter`]).
//!
//! The journal's lines are scrubbed of credentials before they are
//! written locally, so nothing secret reaches the remote.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::git::refs::{commit_tree, has_object};
use crate::git::{CasOutcome, Git, GitCli, GitError};

/// Where the team's journal lives on the remote unless `[team]
/// state_branch` says otherwise (see [`crate::config::TeamRefs`]).
pub const JOURNAL_REF: &str = "refs/rewind/journal";
/// The folder of incident files in its tree.
const INCIDENTS: &str = "incidents/";
/// The file beside the local journal that remembers the last remote head
/// imported.
const SEEN_FILE: &str = "team-journal-seen";
/// How many times a publish reads and merges again when someone else
/// pushed first.
const ATTEMPTS: usize = 8;
/// How long the end of a command waits for the last publish.
pub const FLUSH_WAIT: Duration = Duration::from_secs(30);
/// How long reading the team's journal may hold a command up: a remote
/// that hangs (the network at 3 a.m.) costs `status` this much at most,
/// then rewind says it works with its own journal.
pub const IMPORT_DEADLINE: Duration = Duration::from_secs(10);

/// Tells the person about a problem with the team's journal (the binary
/// installs one that prints a warning). Each distinct problem is told once.
static REPORTER: OnceLock<fn(&str)> = OnceLock::new();

/// Installs the function that tells the person about team journal
/// problems. The first call wins.
pub fn set_reporter(report: fn(&str)) {
    let _ = REPORTER.set(report);
}

fn report(problem: &str) {
    static TOLD: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let mut told = TOLD.lock().unwrap_or_else(|p| p.into_inner());
    if told.insert(problem.to_string())
        && let Some(report) = REPORTER.get()
    {
        report(problem);
    }
}

/// The team's journal for one local journal file.
pub struct TeamJournal {
    git: GitCli,
    remote: String,
    refname: String,
    inner: Arc<Inner>,
}

impl std::fmt::Debug for TeamJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeamJournal")
            .field("remote", &self.remote)
            .finish()
    }
}

#[derive(Default)]
struct Inner {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    /// The remote's incidents were imported (or could not be) by this
    /// process.
    imported: bool,
    /// Incidents with lines not published yet.
    dirty: BTreeSet<String>,
    /// The publisher is pushing.
    busy: bool,
    /// The publisher thread runs.
    started: bool,
    /// The journal is being dropped: the publisher ends once idle.
    stop: bool,
}

impl TeamJournal {
    /// The team's journal at `refname` on `remote` of the repository
    /// `git` runs in.
    pub fn new(git: GitCli, remote: &str, refname: &str) -> TeamJournal {
        TeamJournal {
            git,
            remote: remote.to_string(),
            refname: refname.to_string(),
            inner: Arc::new(Inner::default()),
        }
    }

    /// The remote it lives on.
    pub fn remote(&self) -> &str {
        &self.remote
    }

    /// Imports the team's incidents into the local journal `path`, once
    /// per process. Problems are told, never fatal.
    pub(crate) fn import_once(&self, path: &Path) {
        {
            let mut state = self.lock();
            if state.imported {
                return;
            }
            state.imported = true;
        }
        let git = self.git.clone().timeout(IMPORT_DEADLINE);
        if let Err(problem) = import(&git, &self.remote, &self.refname, path) {
            report(&format!(
                "working alone: cannot read the team's journal ({} on {}): {problem}; incidents of teammates may be missing",
                self.refname, self.remote
            ));
        }
    }

    /// Marks `incident` for publishing; the publisher thread pushes it soon.
    pub(crate) fn mark(&self, incident: &str, path: &Path) {
        let mut state = self.lock();
        state.dirty.insert(incident.to_string());
        if !state.started {
            state.started = true;
            let git = self.git.clone();
            let at = (self.remote.clone(), self.refname.clone());
            let inner = self.inner.clone();
            let path = path.to_path_buf();
            let spawned = std::thread::Builder::new()
                .name("rewind-team-journal".into())
                .spawn(move || publisher(&git, (&at.0, &at.1), &path, &inner));
            if spawned.is_err() {
                state.started = false;
                report("working alone: cannot start publishing the team's journal");
            }
        }
        self.inner.changed.notify_all();
    }

    /// Waits until every marked incident is published (or `wait` passed).
    /// `false` when some are still waiting.
    pub fn flush(&self, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        let mut state = self.lock();
        while state.started && (state.busy || !state.dirty.is_empty()) {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            state = self
                .inner
                .changed
                .wait_timeout(state, deadline - now)
                .map(|(s, _)| s)
                .unwrap_or_else(|p| p.into_inner().0);
        }
        true
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for TeamJournal {
    fn drop(&mut self) {
        if !self.flush(FLUSH_WAIT) {
            report(&format!(
                "the team's journal on {} may miss this run's last entries: publishing did not finish in {} s; the local journal has them all",
                self.remote,
                FLUSH_WAIT.as_secs()
            ));
        }
        self.lock().stop = true;
        self.inner.changed.notify_all();
    }
}

fn publisher(git: &GitCli, (remote, refname): (&str, &str), path: &Path, inner: &Inner) {
    loop {
        let ids: Vec<String> = {
            let mut state = inner.state.lock().unwrap_or_else(|p| p.into_inner());
            while state.dirty.is_empty() && !state.stop {
                state = inner.changed.wait(state).unwrap_or_else(|p| p.into_inner());
            }
            if state.dirty.is_empty() {
                return;
            }
            state.busy = true;
            std::mem::take(&mut state.dirty).into_iter().collect()
        };
        let result = publish(git, remote, refname, path, &ids);
        let mut state = inner.state.lock().unwrap_or_else(|p| p.into_inner());
        state.busy = false;
        inner.changed.notify_all();
        drop(state);
        if let Err(problem) = result {
            report(&format!(
                "working alone: cannot publish to the team's journal ({refname} on {remote}): {problem}; teammates will not see this incident until a later run publishes it"
            ));
        }
    }
}

/// Publishes the local lines of `ids`, merged with the remote's.
fn publish(
    git: &GitCli,
    remote: &str,
    refname: &str,
    path: &Path,
    ids: &[String],
) -> Result<(), String> {
    let local = local_lines(path, ids)?;
    let scratch = tempfile::tempdir().map_err(|e| format!("no temporary folder: {e}"))?;
    for _ in 0..ATTEMPTS {
        let head = fetch_head(git, remote, refname).map_err(|e| e.to_string())?;
        let index = scratch.path().join("index");
        let _ = std::fs::remove_file(&index);
        let with_index = |command: &mut std::process::Command| {
            command.env("GIT_INDEX_FILE", &index);
        };
        let read = match &head {
            Some(head) => git.run_with(&["read-tree", head], with_index),
            None => git.run_with(&["read-tree", "--empty"], with_index),
        }
        .map_err(|e| e.to_string())?;
        if read.code != Some(0) {
            return Err(read.into_error().to_string());
        }
        let mut changed = Vec::new();
        for (id, lines) in &local {
            let file = format!("{INCIDENTS}{id}.jsonl");
            let theirs = match &head {
                Some(head) => blob_lines(git, head, &file)?,
                None => Vec::new(),
            };
            let merged = union(&theirs, lines);
            if merged.len() == theirs.len() {
                continue;
            }
            let blob_file = scratch.path().join("blob");
            std::fs::write(&blob_file, merged.join("\n") + "\n")
                .map_err(|e| format!("cannot write a temporary file: {e}"))?;
            let blob_path = blob_file.to_string_lossy().into_owned();
            let blob = git
                .run_text(&["hash-object", "-w", &blob_path])
                .map_err(|e| e.to_string())?;
            let info = format!("100644,{blob},{file}");
            let added = git
                .run_with(&["update-index", "--add", "--cacheinfo", &info], with_index)
                .map_err(|e| e.to_string())?;
            if added.code != Some(0) {
                return Err(added.into_error().to_string());
            }
            changed.push(id.as_str());
        }
        if changed.is_empty() {
            return Ok(());
        }
        let written = git
            .run_with(&["write-tree"], with_index)
            .map_err(|e| e.to_string())?;
        if written.code != Some(0) {
            return Err(written.into_error().to_string());
        }
        let tree = written.stdout_text().map_err(|e| e.to_string())?;
        let message = format!("rewind journal: {}", changed.join(", "));
        let commit = commit_tree(
            git,
            tree.trim(),
            &message,
            "rewind",
            head.as_deref(),
            |_| {},
        )
        .map_err(|e| e.to_string())?;
        match git
            .push_cas(remote, refname, head.as_deref(), Some(&commit))
            .map_err(|e| e.to_string())?
        {
            CasOutcome::Done => return Ok(()),
            // Someone published first: read their head and merge again.
            CasOutcome::Moved => continue,
            CasOutcome::Refused { detail } => {
                return Err(format!("{remote} refuses {refname}: {detail}"));
            }
        }
    }
    Err(format!(
        "{refname} kept moving: {ATTEMPTS} attempts in a row lost to other publishes"
    ))
}

/// The remote journal's head, fetched into the object database; `None`
/// when the team has no journal yet.
fn fetch_head(git: &GitCli, remote: &str, refname: &str) -> Result<Option<String>, GitError> {
    let Some(head) = git.remote_ref(remote, refname)? else {
        return Ok(None);
    };
    if !has_object(git, &head)? {
        let fetched = git.run_any(&["fetch", "--quiet", "--no-tags", remote, refname])?;
        if fetched.code != Some(0) {
            return Err(fetched.into_error());
        }
    }
    Ok(Some(head))
}

/// The lines of `file` in commit `head`; none when it has no such file.
fn blob_lines(git: &GitCli, head: &str, file: &str) -> Result<Vec<String>, String> {
    let spec = format!("{head}:{file}");
    let out = git
        .run_any(&["cat-file", "blob", &spec])
        .map_err(|e| e.to_string())?;
    if out.code != Some(0) {
        return Ok(Vec::new());
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect())
}

/// `theirs`, then the lines of `ours` they do not have, in order.
fn union(theirs: &[String], ours: &[String]) -> Vec<String> {
    let known: HashSet<&str> = theirs.iter().map(String::as_str).collect();
    let mut merged = theirs.to_vec();
    let mut added: HashSet<&str> = HashSet::new();
    for line in ours {
        if !known.contains(line.as_str()) && added.insert(line.as_str()) {
            merged.push(line.clone());
        }
    }
    merged
}

/// The local journal's lines of each of `ids`, in order; only lines that
/// are whole journal entries.
fn local_lines(path: &Path, ids: &[String]) -> Result<BTreeMap<String, Vec<String>>, String> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let wanted: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&bytes).lines() {
        // Most lines are other incidents': skip them before parsing.
        if !wanted.iter().any(|id| line.contains(id)) {
            continue;
        }
        if let Some(id) = entry_incident(line)
            && wanted.contains(id.as_str())
        {
            out.entry(id).or_default().push(line.to_string());
        }
    }
    Ok(out)
}

/// The incident of a journal line, when it is a whole entry.
fn entry_incident(line: &str) -> Option<String> {
    let entry: crate::journal::Entry = serde_json::from_str(line).ok()?;
    Some(entry.incident.to_string())
}

/// Appends to the local journal the team's lines it does not have.
fn import(git: &GitCli, remote: &str, refname: &str, path: &Path) -> Result<(), String> {
    let head = fetch_head(git, remote, refname).map_err(|e| e.to_string())?;
    let Some(head) = head else {
        return Ok(());
    };
    let seen_path = seen_file(path);
    let seen = std::fs::read_to_string(&seen_path)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    if seen.as_deref() == Some(head.as_str()) {
        return Ok(());
    }
    // Only the files changed since the last head imported, when this
    // repository still has it.
    let files = match seen.filter(|s| has_object(git, s).unwrap_or(false)) {
        Some(seen) => git.run_text(&["diff-tree", "-r", "--name-only", &seen, &head, "--"]),
        None => git.run_text(&["ls-tree", "-r", "--name-only", &head, "--", INCIDENTS]),
    }
    .map_err(|e| e.to_string())?;
    let mut lines = Vec::new();
    for file in files.lines().filter(|f| f.starts_with(INCIDENTS)) {
        lines.extend(
            blob_lines(git, &head, file)?
                .into_iter()
                .filter(|l| entry_incident(l).is_some()),
        );
    }
    crate::journal::Journal::import_lines(path, &lines).map_err(|e| e.to_string())?;
    std::fs::write(&seen_path, format!("{head}\n"))
        .map_err(|e| format!("cannot write {}: {e}", seen_path.display()))?;
    Ok(())
}

fn seen_file(path: &Path) -> PathBuf {
    path.parent().unwrap_or(Path::new(".")).join(SEEN_FILE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{EntryKind, Journal};
    use rewind_test_support::git;
    use serde_json::json;

    /// A clone of the team's origin and a journal of its own, shared.
    fn member(root: &Path, name: &str) -> Journal {
        git(
            root,
            &[
                "clone",
                "--quiet",
                root.join("origin.git").to_str().expect("utf-8"),
                name,
            ],
        );
        let cli = crate::git::test_cli(root.join(name));
        Journal::open(&root.join(format!("{name}-journal"))).shared(TeamJournal::new(
            cli,
            "origin",
            JOURNAL_REF,
        ))
    }

    fn origin(root: &Path) {
        git(root, &["init", "--quiet", "--bare", "origin.git"]);
    }

    #[test]
    fn a_teammates_incident_is_seen_and_continued_from_another_clone() {
        let root = tempfile::tempdir().expect("tempdir");
        origin(root.path());
        let alice = member(root.path(), "alice");
        let id = alice
            .begin("shop", json!({"command": "rollback", "user": "alice"}))
            .expect("begin");
        alice
            .record(
                &id,
                "shop",
                EntryKind::StepStarted,
                Some("deploy"),
                json!({}),
            )
            .expect("record");
        assert!(alice.team().expect("shared").flush(Duration::from_secs(30)));

        let bob = member(root.path(), "bob");
        let seen = bob
            .incident(id.as_str())
            .expect("bob sees alice's incident");
        assert_eq!(seen.entries.len(), 2);
        // Bob carries it on; alice sees his lines next time she reads.
        bob.record(
            &id,
            "shop",
            EntryKind::StepDone,
            Some("deploy"),
            json!({"by": "bob"}),
        )
        .expect("record");
        drop(bob);
        let alice_again =
            Journal::open(&root.path().join("alice-journal")).shared(TeamJournal::new(
                crate::git::test_cli(root.path().join("alice")),
                "origin",
                JOURNAL_REF,
            ));
        let incident = alice_again.incident(id.as_str()).expect("incident");
        assert_eq!(incident.entries.len(), 3, "{:?}", incident.entries);
        // Reading again imports nothing twice.
        drop(alice_again);
        let once_more = member_again(root.path(), "alice");
        assert_eq!(
            once_more
                .incident(id.as_str())
                .expect("incident")
                .entries
                .len(),
            3
        );
    }

    fn member_again(root: &Path, name: &str) -> Journal {
        let cli = crate::git::test_cli(root.join(name));
        Journal::open(&root.join(format!("{name}-journal"))).shared(TeamJournal::new(
            cli,
            "origin",
            JOURNAL_REF,
        ))
    }

    #[test]
    fn concurrent_publishes_from_two_clones_never_lose_an_entry() {
        let root = tempfile::tempdir().expect("tempdir");
        origin(root.path());
        let alice = member(root.path(), "alice");
        let bob = member(root.path(), "bob");
        let write = |journal: &Journal, who: &str| {
            let mut ids = Vec::new();
            for n in 0..5 {
                let id = journal
                    .begin("shop", json!({"user": who, "n": n}))
                    .expect("begin");
                for step in 0..6 {
                    journal
                        .record(
                            &id,
                            "shop",
                            EntryKind::Note,
                            None,
                            json!({"who": who, "step": step}),
                        )
                        .expect("record");
                }
                ids.push(id);
            }
            assert!(
                journal
                    .team()
                    .expect("shared")
                    .flush(Duration::from_secs(60))
            );
            ids
        };
        let (a_ids, b_ids) = std::thread::scope(|s| {
            let a = s.spawn(|| write(&alice, "alice"));
            let b = s.spawn(|| write(&bob, "bob"));
            (a.join().expect("alice"), b.join().expect("bob"))
        });
        let carol = member(root.path(), "carol");
        let incidents = carol.incidents().expect("read");
        assert_eq!(incidents.len(), 10, "every incident of both");
        for id in a_ids.iter().chain(&b_ids) {
            let incident = incidents
                .iter()
                .find(|i| &i.id == id)
                .unwrap_or_else(|| panic!("{id} is missing"));
            assert_eq!(incident.entries.len(), 7, "{id}: every entry");
        }
    }

    #[test]
    fn an_unreachable_remote_leaves_the_local_journal_whole() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("lonely");
        std::fs::create_dir_all(&dir).expect("dir");
        git(&dir, &["init", "--quiet"]);
        git(
            &dir,
            &["remote", "add", "origin", "/nonexistent/origin.git"],
        );
        let journal = Journal::open(&root.path().join("journal")).shared(TeamJournal::new(
            crate::git::test_cli(&dir),
            "origin",
            JOURNAL_REF,
        ));
        let id = journal.begin("shop", json!({})).expect("begin");
        assert_eq!(journal.incidents().expect("read").len(), 1);
        assert!(
            journal
                .team()
                .expect("shared")
                .flush(Duration::from_secs(30))
        );
        assert_eq!(
            journal
                .incident(id.as_str())
                .expect("incident")
                .entries
                .len(),
            1
        );
    }
}
