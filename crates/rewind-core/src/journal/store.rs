//! The journal file: `journal.jsonl` in the journal directory. Each event
//! is one line appended with a single write and flushed to disk before the
//! call returns; a lock keeps two rewind processes from interleaving lines.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chrono::Utc;
use serde_json::Value;

use super::entry::{Entry, EntryKind, IncidentId, scrub};
use super::incident::Incident;

/// A journal that cannot be written or read.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot write the journal {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the journal {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no incident `{id}` in the journal {path}")]
    UnknownIncident { id: String, path: PathBuf },
    #[error("`{id}` is ambiguous: it starts {count} incidents ({shown})", count = matches.len(), shown = shown(matches))]
    AmbiguousIncident { id: String, matches: Vec<String> },
    #[error("an incident id cannot be empty")]
    EmptyIncidentId,
}

/// The first few ids of an ambiguous prefix, for the message.
fn shown(ids: &[String]) -> String {
    const MAX: usize = 5;
    let mut text = ids.iter().take(MAX).cloned().collect::<Vec<_>>().join(", ");
    if ids.len() > MAX {
        text.push_str(&format!(", and {} more", ids.len() - MAX));
    }
    text
}

impl JournalError {
    /// The id the person typed is wrong (unknown, ambiguous, empty): a
    /// usage error, not a journal that cannot be read.
    pub fn is_bad_id(&self) -> bool {
        matches!(
            self,
            JournalError::UnknownIncident { .. }
                | JournalError::AmbiguousIncident { .. }
                | JournalError::EmptyIncidentId
        )
    }
}

/// What reading the journal found besides its entries.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReadReport {
    /// The last line was cut short (a crash while writing): it was ignored.
    pub partial_last_line: bool,
    /// Lines that are not journal entries (hand edits, a disk error, bytes
    /// that are not UTF-8): skipped.
    pub unreadable_lines: usize,
    /// The first skipped lines, with their number (from 1) and why.
    pub skipped: Vec<SkippedLine>,
}

/// How many skipped lines a report names one by one.
const SKIPPED_NAMED: usize = 20;

/// A journal line that was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedLine {
    pub line: usize,
    pub why: String,
}

impl ReadReport {
    fn skip(&mut self, line: usize, why: String) {
        self.unreadable_lines += 1;
        if self.skipped.len() < SKIPPED_NAMED {
            self.skipped.push(SkippedLine { line, why });
        }
    }
}

#[derive(Debug, Clone)]
pub struct Journal {
    path: PathBuf,
    /// The team's journal on the git remote, when shared.
    team: Option<std::sync::Arc<crate::team::TeamJournal>>,
}

impl Journal {
    /// The journal kept in `dir` (created when first written).
    pub fn open(dir: &Path) -> Self {
        Journal {
            path: dir.join("journal.jsonl"),
            team: None,
        }
    }

    /// This journal, shared with the team through `team`: read with the
    /// team's incidents, and every line written published to it.
    pub fn shared(mut self, team: crate::team::TeamJournal) -> Self {
        self.team = Some(std::sync::Arc::new(team));
        self
    }

    /// The team's journal, when this one is shared.
    pub fn team(&self) -> Option<&crate::team::TeamJournal> {
        self.team.as_deref()
    }

    /// Appends to the journal file at `path` the whole lines of `lines` it
    /// does not hold yet (the team's, imported), under the journal's lock.
    pub(crate) fn import_lines(path: &Path, lines: &[String]) -> std::io::Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)?;
        file.lock()?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let text = String::from_utf8_lossy(&bytes);
        let known: std::collections::HashSet<&str> = text.lines().collect();
        let mut out = String::new();
        if !bytes.is_empty() && bytes.last() != Some(&b'\n') {
            out.push('\n');
        }
        let mut added = std::collections::HashSet::new();
        for line in lines {
            if !known.contains(line.as_str()) && added.insert(line.as_str()) {
                out.push_str(line);
                out.push('\n');
            }
        }
        if added.is_empty() {
            return Ok(());
        }
        file.write_all(out.as_bytes())?;
        file.sync_data()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where an app's backups go when nobody names a folder: beside the
    /// journal, one folder per app. `db backup`, `db restore` and
    /// `rollback --with-db` all download there.
    pub fn backup_dir(&self, app: &str) -> PathBuf {
        self.path
            .parent()
            .unwrap_or(Path::new("."))
            .join("backups")
            .join(app)
    }

    /// Opens a new incident and returns its id.
    pub fn begin(&self, app: &str, data: Value) -> Result<IncidentId, JournalError> {
        let now = Utc::now();
        let id = IncidentId::new(now);
        self.append(&Entry {
            at: now,
            incident: id.clone(),
            kind: EntryKind::IncidentOpened,
            app: app.to_string(),
            step: None,
            data,
        })?;
        Ok(id)
    }

    /// Opens one incident about several apps: an opening entry per app,
    /// all under the same id, each with that app's `data` and the list of
    /// every app (`apps`), so that each app's part reads back as an
    /// incident of its own ([`Incident::group`]) and the parts read back
    /// together ([`Journal::parts`]).
    pub fn begin_several(
        &self,
        openings: Vec<(String, Value)>,
    ) -> Result<IncidentId, JournalError> {
        let now = Utc::now();
        let id = IncidentId::new(now);
        let apps: Vec<Value> = openings
            .iter()
            .map(|(app, _)| Value::String(app.clone()))
            .collect();
        for (app, mut data) in openings {
            if let Value::Object(map) = &mut data {
                map.insert("apps".to_string(), Value::Array(apps.clone()));
            }
            self.append(&Entry {
                at: now,
                incident: id.clone(),
                kind: EntryKind::IncidentOpened,
                app,
                step: None,
                data,
            })?;
        }
        Ok(id)
    }

    /// Records a dry run as an incident of its own, in one line: the plan
    /// was shown and nothing was done. `data` says what it was about (the
    /// command, the app's releases...). A dry run changes nothing anywhere:
    /// it stays in this journal and is never published to the team's.
    pub fn dry_run(&self, app: &str, data: Value) -> Result<IncidentId, JournalError> {
        let now = Utc::now();
        let id = IncidentId::new(now);
        self.write(&Entry {
            at: now,
            incident: id.clone(),
            kind: EntryKind::DryRun,
            app: app.to_string(),
            step: None,
            data,
        })?;
        Ok(id)
    }

    /// Appends one event, durably.
    pub fn record(
        &self,
        incident: &IncidentId,
        app: &str,
        kind: EntryKind,
        step: Option<&str>,
        data: Value,
    ) -> Result<(), JournalError> {
        self.append(&Entry {
            at: Utc::now(),
            incident: incident.clone(),
            kind,
            app: app.to_string(),
            step: step.map(str::to_string),
            data,
        })
    }

    /// Appends `entry` and marks its incident for the team's journal.
    fn append(&self, entry: &Entry) -> Result<(), JournalError> {
        self.write(entry)?;
        if let Some(team) = &self.team {
            team.mark(entry.incident.as_str(), &self.path);
        }
        Ok(())
    }

    /// Appends `entry` to this journal only.
    fn write(&self, entry: &Entry) -> Result<(), JournalError> {
        let write_err = |source| JournalError::Write {
            path: self.path.clone(),
            source,
        };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(write_err)?;
        }
        let mut entry = entry.clone();
        scrub(&mut entry.data);
        let mut line =
            serde_json::to_string(&entry).map_err(|e| write_err(std::io::Error::other(e)))?;
        line.push('\n');
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(write_err)?;
        file.lock().map_err(write_err)?;
        // A previous crash may have left a partial line: start on a fresh
        // one so this entry stays readable.
        let needs_newline = ends_without_newline(&self.path).map_err(write_err)?;
        if needs_newline {
            line.insert(0, '\n');
        }
        file.write_all(line.as_bytes()).map_err(write_err)?;
        file.sync_data().map_err(write_err)?;
        Ok(())
    }

    /// Every readable entry, oldest first. A line that is not valid UTF-8
    /// or not a journal entry is skipped and reported, never fatal: a
    /// damaged journal must not stand between a person and a rollback.
    pub fn entries(&self) -> Result<(Vec<Entry>, ReadReport), JournalError> {
        if let Some(team) = &self.team {
            team.import_once(&self.path);
        }
        let mut bytes = Vec::new();
        match File::open(&self.path) {
            Ok(mut f) => {
                f.read_to_end(&mut bytes)
                    .map_err(|source| JournalError::Read {
                        path: self.path.clone(),
                        source,
                    })?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Vec::new(), ReadReport::default()));
            }
            Err(source) => {
                return Err(JournalError::Read {
                    path: self.path.clone(),
                    source,
                });
            }
        }
        Ok(parse_lines(&bytes))
    }

    /// Every incident, oldest first.
    pub fn incidents(&self) -> Result<Vec<Incident>, JournalError> {
        let (entries, _) = self.entries()?;
        Ok(Incident::group(entries))
    }

    /// One incident by id (or by a unique prefix of it). For an incident
    /// about several apps, its first app's part: [`Journal::parts`] reads
    /// them all.
    pub fn incident(&self, id: &str) -> Result<Incident, JournalError> {
        Ok(self.parts(id)?.swap_remove(0))
    }

    /// Every part of one incident, by id (or by a unique prefix of it): one
    /// for an incident about one app, one per app for an incident about
    /// several, in the order they were opened. Never empty.
    pub fn parts(&self, id: &str) -> Result<Vec<Incident>, JournalError> {
        let id = id.trim();
        if id.is_empty() {
            return Err(JournalError::EmptyIncidentId);
        }
        let mut matching: Vec<Incident> = self
            .incidents()?
            .into_iter()
            .filter(|i| i.id.as_str().starts_with(id))
            .collect();
        if matching.iter().any(|i| i.id.as_str() == id) {
            matching.retain(|i| i.id.as_str() == id);
            return Ok(matching);
        }
        let mut ids: Vec<String> = matching.iter().map(|i| i.id.to_string()).collect();
        ids.dedup();
        match ids.len() {
            1 => Ok(matching),
            0 => Err(JournalError::UnknownIncident {
                id: id.to_string(),
                path: self.path.clone(),
            }),
            _ => Err(JournalError::AmbiguousIncident {
                id: id.to_string(),
                matches: ids,
            }),
        }
    }
}

/// Reads the journal's lines: one entry per line, in one pass.
fn parse_lines(bytes: &[u8]) -> (Vec<Entry>, ReadReport) {
    let mut report = ReadReport::default();
    let mut entries = Vec::new();
    let complete = bytes.last() == Some(&b'\n');
    let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    let last = lines.len().saturating_sub(1);
    for (i, raw) in lines.iter().enumerate() {
        let torn = i == last && !complete;
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let text = match std::str::from_utf8(raw) {
            Ok(text) => text,
            Err(_) if torn => {
                report.partial_last_line = true;
                continue;
            }
            Err(e) => {
                report.skip(
                    i + 1,
                    format!("not valid UTF-8 (byte {})", e.valid_up_to() + 1),
                );
                continue;
            }
        };
        match serde_json::from_str::<Entry>(text) {
            Ok(entry) => entries.push(entry),
            Err(_) if torn => report.partial_last_line = true,
            Err(e) => report.skip(i + 1, format!("not a journal entry ({e})")),
        }
    }
    (entries, report)
}

fn ends_without_newline(path: &Path) -> std::io::Result<bool> {
    use std::io::{Seek, SeekFrom};
    let mut f = File::open(path)?;
    let len = f.metadata()?.len();
    if len == 0 {
        return Ok(false);
    }
    f.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8; 1];
    f.read_exact(&mut last)?;
    Ok(last[0] != b'\n')
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::journal::{IncidentState, StepState};

    #[test]
    fn an_incident_about_several_apps_reads_back_as_one_part_per_app() {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::open(dir.path());
        let before = journal
            .begin("api", json!({"command": "rollback"}))
            .expect("begin");
        let id = journal
            .begin_several(vec![
                ("api".into(), json!({"command": "rollback", "to": "v2.0.0"})),
                (
                    "front".into(),
                    json!({"command": "rollback", "to": "v1.3.0"}),
                ),
            ])
            .expect("begin");
        for (app, kind) in [
            ("api", EntryKind::StepStarted),
            ("front", EntryKind::StepStarted),
            ("api", EntryKind::StepDone),
            ("front", EntryKind::StepFailed),
        ] {
            journal
                .record(&id, app, kind, Some("deploy"), json!({}))
                .expect("record");
        }
        journal
            .record(
                &id,
                "api",
                EntryKind::IncidentClosed,
                None,
                json!({"outcome": "succeeded"}),
            )
            .expect("close");
        let parts = journal.parts(id.as_str()).expect("parts");
        assert_eq!(parts.len(), 2);
        let (api, front) = (&parts[0], &parts[1]);
        assert_eq!((api.app.as_str(), front.app.as_str()), ("api", "front"));
        assert!(api.is_several_apps() && front.is_several_apps());
        assert_eq!(api.apps(), vec!["api", "front"]);
        // Each part holds its own app's steps and ending only.
        assert_eq!(api.opening["to"], "v2.0.0");
        assert_eq!(api.step("deploy").map(|s| s.state), Some(StepState::Done));
        assert_eq!(api.state, IncidentState::Closed("succeeded".into()));
        assert_eq!(front.opening["to"], "v1.3.0");
        assert_eq!(
            front.step("deploy").map(|s| s.state),
            Some(StepState::Failed)
        );
        assert_eq!(front.state, IncidentState::Open);
        assert!(front.entries.iter().all(|e| e.app == "front"));
        // Read by id, or by a prefix that only it has, the incident is its
        // first part; an incident about one app is one part, as before.
        assert_eq!(journal.incident(id.as_str()).expect("one").app, "api");
        assert_eq!(journal.parts(before.as_str()).expect("one").len(), 1);
        assert_eq!(journal.incidents().expect("all").len(), 3);
    }

    #[test]
    fn steps_are_recorded_before_and_after_and_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::open(dir.path());
        let id = journal
            .begin("my-app", json!({"command": "rollback", "reason": "500s"}))
            .expect("begin");
        journal
            .record(
                &id,
                "my-app",
                EntryKind::StepStarted,
                Some("push"),
                json!({}),
            )
            .expect("start");
        journal
            .record(
                &id,
                "my-app",
                EntryKind::StepDone,
                Some("push"),
                json!({"branch": "release/v1.2.0"}),
            )
            .expect("done");
        journal
            .record(
                &id,
                "my-app",
                EntryKind::StepStarted,
                Some("deploy"),
                json!({}),
            )
            .expect("start");
        let incident = journal.incident(id.as_str()).expect("incident");
        assert_eq!(incident.opening["reason"], "500s");
        assert_eq!(
            incident.step("push").map(|s| s.state),
            Some(StepState::Done)
        );
        assert_eq!(
            incident.step("deploy").map(|s| s.state),
            Some(StepState::Started)
        );
        assert_eq!(incident.state, IncidentState::Open);
        assert!(incident.is_unfinished());
        journal
            .record(
                &id,
                "my-app",
                EntryKind::IncidentClosed,
                None,
                json!({"outcome": "succeeded"}),
            )
            .expect("close");
        let incident = journal.incident(&id.as_str()[..15]).expect("by prefix");
        assert_eq!(incident.state, IncidentState::Closed("succeeded".into()));
    }

    #[test]
    fn a_partial_last_line_is_tolerated_and_the_next_entry_stays_readable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::open(dir.path());
        let id = journal.begin("app", json!({})).expect("begin");
        // What a crash in the middle of a write leaves.
        let mut f = OpenOptions::new()
            .append(true)
            .open(journal.path())
            .expect("open");
        f.write_all(br#"{"at":"2026-11-26T22:00:00Z","incident":"x","ki"#)
            .expect("write");
        drop(f);
        let (entries, report) = journal.entries().expect("read");
        assert_eq!(entries.len(), 1);
        assert!(report.partial_last_line);
        journal
            .record(
                &id,
                "app",
                EntryKind::Note,
                None,
                json!({"text": "after the crash"}),
            )
            .expect("append");
        let (entries, report) = journal.entries().expect("read");
        assert_eq!(entries.len(), 2);
        assert_eq!(report.unreadable_lines, 1);
        assert!(!report.partial_last_line);
    }

    #[test]
    fn secrets_never_reach_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::open(dir.path());
        journal
            .begin(
                "app",
                json!({"download": "https://x/y?token=abc", "api_token": "tk-us-zzz"}),
            )
            .expect("begin");
        let text = std::fs::read_to_string(journal.path()).expect("read");
        assert!(!text.contains("token=abc"), "{text}");
        assert!(!text.contains("tk-us-zzz"), "{text}");
    }

    #[test]
    fn bytes_that_are_not_utf8_skip_their_line_and_nothing_else() {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::open(dir.path());
        let first = journal
            .begin("app", json!({"command": "rollback"}))
            .expect("begin");
        let mut f = OpenOptions::new()
            .append(true)
            .open(journal.path())
            .expect("open");
        // One bad byte in the middle of a line, then a line cut inside a
        // multi-byte character at the very end (a crash mid-write).
        f.write_all(b"{\"at\":\"2026-11-26T22:00:00Z\",\"incident\":\"x\xff\"}\n")
            .expect("write");
        drop(f);
        let second = journal
            .begin("app", json!({"command": "rollback"}))
            .expect("begin");
        let mut f = OpenOptions::new()
            .append(true)
            .open(journal.path())
            .expect("open");
        f.write_all(
            "{\"text\":\"caf\u{e9}"
                .as_bytes()
                .split_last()
                .expect("bytes")
                .1,
        )
        .expect("write");
        drop(f);
        let (entries, report) = journal.entries().expect("a damaged journal still reads");
        assert_eq!(entries.len(), 2);
        assert!(report.partial_last_line, "{report:?}");
        assert_eq!(report.unreadable_lines, 1);
        assert_eq!(report.skipped[0].line, 2);
        assert!(report.skipped[0].why.contains("UTF-8"), "{report:?}");
        let ids: Vec<_> = journal
            .incidents()
            .expect("incidents")
            .into_iter()
            .map(|i| i.id)
            .collect();
        assert_eq!(ids, vec![first, second]);
    }

    #[test]
    fn an_id_must_name_one_incident() {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::open(dir.path());
        let a = journal.begin("app", json!({})).expect("begin");
        let b = journal.begin("app", json!({})).expect("begin");
        assert!(matches!(
            journal.incident(""),
            Err(JournalError::EmptyIncidentId)
        ));
        assert!(matches!(
            journal.incident("  "),
            Err(JournalError::EmptyIncidentId)
        ));
        // Both opened in the same second or not: a year prefix is shared.
        match journal.incident(&a.as_str()[..4]) {
            Err(JournalError::AmbiguousIncident { matches, .. }) => {
                assert_eq!(matches, vec![a.to_string(), b.to_string()]);
            }
            other => panic!("expected ambiguous, got {other:?}"),
        }
        let err = journal.incident("1999").expect_err("unknown");
        assert!(err.is_bad_id());
        assert_eq!(journal.incident(a.as_str()).expect("exact").id, a);
    }

    #[test]
    fn a_dry_run_line_is_a_whole_incident() {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::open(dir.path());
        let id = journal
            .dry_run("app", json!({"command": "rollback", "to": "v1.0.0"}))
            .expect("dry run");
        let incident = journal.incident(id.as_str()).expect("incident");
        assert_eq!(incident.opening["command"], "rollback");
        assert_eq!(incident.state, IncidentState::Closed("dry-run".into()));
    }

    #[test]
    fn a_missing_journal_is_empty_and_unknown_ids_say_where_they_looked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::open(dir.path());
        assert!(journal.incidents().expect("read").is_empty());
        let err = journal.incident("nope").expect_err("unknown");
        assert!(err.to_string().contains("journal.jsonl"), "{err}");
    }
}
