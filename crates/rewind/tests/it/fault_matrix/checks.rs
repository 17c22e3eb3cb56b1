//! What must be true of every run and of every case's end, read from the
//! sandbox (what runs, the requests it accepted, the rows), the journal
//! and what rewind printed. Each check says, in words, what went wrong.

use std::collections::BTreeSet;

use serde_json::Value;

use super::world::World;
use crate::support::Run;

/// The exit codes rewind documents.
const DOCUMENTED: [i32; 5] = [0, 1, 2, 3, 130];

/// Requests the platform accepted (handled, 2xx: a body cut short by the
/// malformed-body fault was still handled) of `method` on `pattern`.
pub fn accepted(requests: &[Value], method: &str, pattern: &str) -> usize {
    requests
        .iter()
        .filter(|r| {
            r["method"] == method
                && r["status"].as_u64().is_some_and(|s| s < 300)
                && r["path"]
                    .as_str()
                    .is_some_and(|p| path_matches(pattern, p.split('?').next().unwrap_or(p)))
        })
        .count()
}

/// As the sandbox matches fault rules: `*` is one segment.
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    pattern.len() == path.len()
        && pattern
            .iter()
            .zip(&path)
            .all(|(p, s)| (*p == "*" && !s.is_empty()) || p == s)
}

pub const BACKUP: (&str, &str) = ("POST", "/api/databases/*/backups");
pub const RESTORE: (&str, &str) = ("POST", "/api/databases/*/pitr/restore");
pub const DEPLOY: (&str, &str) = ("POST", "/v1/apps/shop/scm_repo_link/manual_deploy");
pub const HOLD: (&str, &str) = ("PATCH", "/v1/apps/shop/scm_repo_link");

/// A panic: the exit code of a Rust panic, or its words.
pub fn panicked(run: &Run) -> bool {
    run.code == 101 || run.stderr.contains("panicked")
}

pub fn undocumented_exit(run: &Run) -> Option<String> {
    (!DOCUMENTED.contains(&run.code)).then(|| format!("exit code {} is not documented", run.code))
}

/// The lines where rewind states facts about the outcome.
fn statements(stderr: &str) -> impl Iterator<Item = &str> {
    stderr.lines().map(str::trim).filter(|l| {
        ["error:", "hint:", "warning:", "rolled back:", "note:"]
            .iter()
            .any(|p| l.starts_with(p))
    })
}

/// What a run said about what runs that the sandbox contradicts;
/// `running` is the commit that runs once it ended.
pub fn about_what_runs(world: &World, run: &Run, running: Option<&str>) -> Vec<String> {
    let mut wrong = Vec::new();
    let runs = running.map(|c| world.label(c)).unwrap_or("nothing");
    if run.code == 0 && running != Some(world.good.as_str()) {
        wrong.push(format!("exit 0 but {runs} runs, not v1.0.0"));
    }
    for line in statements(&run.stderr) {
        let says_bad_runs = [
            "(v1.1.0) keeps running",
            "v1.1.0 still runs",
            "v1.1.0 runs now",
            "v1.1.0 keeps running",
        ]
        .iter()
        .any(|p| line.contains(p));
        if says_bad_runs && runs != "v1.1.0" {
            wrong.push(format!("said `{line}` but {runs} runs"));
        }
        let says_good_runs = [
            "v1.0.0 runs now",
            "runs v1.0.0",
            "v1.0.0 still runs",
            "v1.0.0 keeps running",
        ]
        .iter()
        .any(|p| line.contains(p));
        if says_good_runs && runs != "v1.0.0" {
            wrong.push(format!("said `{line}` but {runs} runs"));
        }
    }
    wrong
}

/// What a run said about the changes it made that the sandbox
/// contradicts; `writes` are the requests the platform accepted that the
/// run sent (including those handled after it gave up on them).
pub fn about_changes(stderr: &str, writes: &[Value]) -> Vec<String> {
    let mut wrong = Vec::new();
    let count = |(method, pattern): (&str, &str)| accepted(writes, method, pattern);
    let (deploys, restores, backups, holds) =
        (count(DEPLOY), count(RESTORE), count(BACKUP), count(HOLD));
    let changes = deploys + restores + backups + holds;
    for line in statements(stderr) {
        if (line.contains("nothing changed") || line.contains("nothing was changed")) && changes > 0
        {
            wrong.push(format!(
                "said `{line}` but this run changed the platform ({changes} accepted write(s))"
            ));
        }
        if line.contains("nothing was deployed") && deploys > 0 {
            wrong.push(format!("said `{line}` but this run's deploy was accepted"));
        }
        if line.contains("nothing was restored") && restores > 0 {
            wrong.push(format!("said `{line}` but this run's restore was accepted"));
        }
        // "X: the request failed (...); rewind checked afterwards and it
        // did not happen": the platform may handle X after the check.
        if line.contains("did not happen") {
            let (what, n) = if line.contains("deploying") {
                ("deploy", deploys)
            } else if line.contains("point-in-time restore") {
                ("restore", restores)
            } else if line.contains("backup") {
                ("backup", backups)
            } else if line.contains("auto-deploy") {
                ("auto-deploy switch", holds)
            } else {
                ("request", 0)
            };
            if n > 0 {
                wrong.push(format!(
                    "said the {what} did not happen, but the platform handled it (`{}`)",
                    line.chars().take(160).collect::<String>()
                ));
            }
        }
    }
    wrong
}

/// The requests that arrived between `from` and `to` (the sandbox stamps
/// a request when it arrives, and records it once answered).
pub fn arrived_between(
    requests: &[Value],
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
) -> Vec<Value> {
    requests
        .iter()
        .filter(|r| {
            r["at"]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .is_some_and(|t| t >= from && t <= to)
        })
        .cloned()
        .collect()
}

/// Checks that every journal line is a JSON entry, except the lines a
/// `kill -9` tore (`torn`); returns what is wrong.
pub fn journal_problems(world: &World, torn: &BTreeSet<usize>) -> Vec<String> {
    let text = match std::fs::read(world.journal_file()) {
        Ok(bytes) => bytes,
        Err(_) => return Vec::new(),
    };
    let mut problems = Vec::new();
    for (i, line) in text.split(|b| *b == b'\n').enumerate() {
        if line.is_empty() || torn.contains(&i) {
            continue;
        }
        match serde_json::from_slice::<Value>(line) {
            Ok(v) if v["kind"].is_string() && v["incident"].is_string() => {}
            Ok(_) => problems.push(format!("journal line {} is not an entry", i + 1)),
            Err(e) => problems.push(format!("journal line {} does not parse: {e}", i + 1)),
        }
    }
    problems
}

/// The index of the journal's last line when it does not parse (a write
/// cut by `kill -9`).
pub fn torn_last_line(world: &World) -> Option<usize> {
    let text = std::fs::read(world.journal_file()).ok()?;
    let lines: Vec<&[u8]> = text.split(|b| *b == b'\n').collect();
    let (i, last) = lines
        .iter()
        .enumerate()
        .rev()
        .find(|(_, l)| !l.is_empty())?;
    serde_json::from_slice::<Value>(last).is_err().then_some(i)
}

/// Every entry of the journal that parses, oldest first.
pub fn entries(world: &World) -> Vec<Value> {
    std::fs::read(world.journal_file())
        .map(|text| {
            text.split(|b| *b == b'\n')
                .filter_map(|l| serde_json::from_slice(l).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// The first line that says what went wrong, for the case listing.
pub fn first_error(run: &Run) -> String {
    run.stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .or_else(|| run.stderr.lines().rev().find(|l| !l.trim().is_empty()))
        .unwrap_or("")
        .trim()
        .chars()
        .take(240)
        .collect()
}

/// `rewind resume ID` as a failure names it.
pub fn resume_hint(stderr: &str) -> Option<String> {
    let at = stderr.rfind("rewind resume ")?;
    let id: String = stderr[at + "rewind resume ".len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    (!id.is_empty()).then_some(id)
}
