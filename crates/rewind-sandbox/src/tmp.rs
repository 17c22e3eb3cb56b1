//! The temporary directories a sandbox makes (its PostgreSQL cluster,
//! `rewind-sandbox-pg-*`, and its apps' git remotes,
//! `rewind-sandbox-<port>-git`), the owner file each one holds, and the
//! reaping of those a killed sandbox left behind.
//!
//! A sandbox stopped any ordinary way (dropped, Ctrl-C, SIGTERM) stops its
//! PostgreSQL and deletes its directories itself. One killed with SIGKILL
//! cannot: its directories keep an owner file naming the process that made
//! them, and the next sandbox started on the same temporary root finds the
//! ones whose owner is gone, stops their PostgreSQL (only after checking
//! that the process in the cluster's `postmaster.pid` is a `postgres`
//! running in that very cluster) and deletes them. A directory without an
//! owner file, or whose owner still runs, is never touched.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Where every sandbox directory starts with this.
pub const PREFIX: &str = "rewind-sandbox-";
/// The owner file inside each directory: `<pid> <start time>`.
pub const OWNER_FILE: &str = "rewind-sandbox.pid";
/// The environment variable that moves the temporary root (tests give
/// each run its own, so that they count only what they made).
pub const ROOT_VAR: &str = "REWIND_SANDBOX_TMPDIR";

/// The temporary root: the configured one, else `REWIND_SANDBOX_TMPDIR`,
/// else the system's temporary directory.
pub fn root(configured: Option<&Path>) -> PathBuf {
    if let Some(dir) = configured {
        return dir.to_path_buf();
    }
    match std::env::var_os(ROOT_VAR) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => std::env::temp_dir(),
    }
}

/// This process, as an owner file names it.
fn me() -> Owner {
    let pid = std::process::id();
    Owner {
        pid,
        start: start_time(pid).unwrap_or(0),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Owner {
    pid: u32,
    /// The process's start time (clock ticks since boot, from
    /// `/proc/<pid>/stat`): a pid reused by another process has another.
    start: u64,
}

/// Writes the owner file into `dir`.
pub fn mark(dir: &Path) -> Result<(), String> {
    let owner = me();
    let path = dir.join(OWNER_FILE);
    std::fs::write(&path, format!("{} {}\n", owner.pid, owner.start))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Deletes `dir` if it exists; says why when it cannot.
pub fn remove(dir: &Path) {
    if dir.exists()
        && let Err(e) = std::fs::remove_dir_all(dir)
    {
        crate::say!("rewind-sandbox: cannot delete {}: {e}", dir.display());
    }
}

/// What reaping did to one directory, for the sandbox to say.
#[derive(Debug)]
pub struct Reaped {
    pub dir: PathBuf,
    /// The PostgreSQL server it stopped, if one still ran there.
    pub postgres: Option<u32>,
}

/// Stops and deletes what killed sandboxes left under `root`, and, as
/// root, under `/tmp` too: there a root sandbox puts its cluster when
/// `root` is elsewhere (the server's user must be able to reach it).
pub fn reap_all(root: &Path) -> Vec<Reaped> {
    let mut reaped = reap(root);
    if my_uid() == Some(0) && !root.starts_with("/tmp") {
        reaped.extend(reap(Path::new("/tmp")));
    }
    reaped
}

fn my_uid() -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map(|m| m.uid()).ok()
}

/// Stops and deletes what killed sandboxes left under `root`.
pub fn reap(root: &Path) -> Vec<Reaped> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut reaped = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let dir = entry.path();
        if !name.starts_with(PREFIX) || !dir.is_dir() || dir.is_symlink() {
            continue;
        }
        if !ours(&dir) {
            continue;
        }
        let Some(owner) = read_owner(&dir) else {
            continue;
        };
        if alive(owner) {
            continue;
        }
        let postgres = stop_orphaned_postgres(&dir);
        if let Err(e) = remove_settled(&dir) {
            crate::say!(
                "rewind-sandbox: cannot delete {} left by a killed sandbox: {e}",
                dir.display()
            );
            continue;
        }
        reaped.push(Reaped { dir, postgres });
    }
    reaped
}

/// Deletes `dir`, trying again for a while when something still writes
/// into it: a child process of the killed sandbox (a `git` it started)
/// outlives it by a moment.
fn remove_settled(dir: &Path) -> std::io::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        match std::fs::remove_dir_all(dir) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) if Instant::now() >= deadline => return Err(e),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Whether this process may reap `dir`: its own user's, or anything when
/// it runs as root (whose clusters belong to `nobody`). Another user's
/// leftovers on a shared `/tmp` are theirs to clean.
fn ours(dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let me = my_uid();
    let owner = std::fs::metadata(dir).map(|m| m.uid()).ok();
    match (me, owner) {
        (Some(0), _) => true,
        (Some(me), Some(owner)) => me == owner,
        _ => false,
    }
}

fn read_owner(dir: &Path) -> Option<Owner> {
    let text = std::fs::read_to_string(dir.join(OWNER_FILE)).ok()?;
    let mut words = text.split_whitespace();
    let pid = words.next()?.parse().ok()?;
    let start = words.next()?.parse().ok()?;
    Some(Owner { pid, start })
}

/// Whether the process that made a directory still runs. This process
/// counts as alive: other sandboxes of the same process (tests run many)
/// own theirs.
fn alive(owner: Owner) -> bool {
    if owner.pid == std::process::id() {
        return true;
    }
    match stat(owner.pid) {
        Some((state, start)) => state != 'Z' && start == owner.start,
        None => false,
    }
}

/// `(state, start time)` from `/proc/<pid>/stat`.
fn stat(pid: u32) -> Option<(char, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: read after
    // the last one. Fields from there: state is the 3rd, start time the
    // 22nd of the whole line.
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let state = fields.first()?.chars().next()?;
    let start = fields.get(19)?.parse().ok()?;
    Some((state, start))
}

fn start_time(pid: u32) -> Option<u64> {
    stat(pid).map(|(_, start)| start)
}

/// Stops the PostgreSQL server of a cluster directory, if one still runs
/// there; returns its pid. Only a `postgres` process whose working
/// directory is this cluster's data directory is signalled.
fn stop_orphaned_postgres(dir: &Path) -> Option<u32> {
    let data = dir.join("data");
    let text = std::fs::read_to_string(data.join("postmaster.pid")).ok()?;
    let pid: u32 = text.lines().next()?.trim().parse().ok()?;
    if !is_postgres_of(pid, &data) {
        return None;
    }
    // SIGQUIT: PostgreSQL's immediate shutdown, children included. The
    // cluster is about to be deleted: nothing in it needs to be kept.
    let sent = Command::new("kill")
        .args(["-QUIT", &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success());
    if !sent {
        crate::say!("rewind-sandbox: cannot signal the orphaned PostgreSQL server (pid {pid})");
        return None;
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        match stat(pid) {
            None | Some(('Z', _)) => return Some(pid),
            Some(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    crate::say!("rewind-sandbox: the orphaned PostgreSQL server (pid {pid}) did not stop in 15 s");
    Some(pid)
}

/// Whether `pid` is a `postgres` process working in `data`.
pub fn is_postgres_of(pid: u32, data: &Path) -> bool {
    let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let program = cmdline.split(|b| *b == 0).next().unwrap_or_default();
    let program = String::from_utf8_lossy(program);
    let is_postgres = Path::new(program.as_ref())
        .file_name()
        .is_some_and(|n| n == "postgres");
    let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).ok();
    let data = std::fs::canonicalize(data).unwrap_or_else(|_| data.to_path_buf());
    is_postgres && cwd.as_deref() == Some(data.as_path())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_owns_what_it_marks_and_is_alive() {
        let dir = tempfile::tempdir().expect("tempdir");
        mark(dir.path()).expect("mark");
        let owner = read_owner(dir.path()).expect("owner");
        assert_eq!(owner.pid, std::process::id());
        assert!(alive(owner));
        assert!(owner.start > 0);
    }

    #[test]
    fn a_gone_owner_is_dead_and_a_reused_pid_is_not_the_owner() {
        // pid 1 runs, but not since the start time written here.
        assert!(!alive(Owner {
            pid: 1,
            start: u64::MAX
        }));
        assert!(!alive(Owner {
            pid: u32::MAX - 1,
            start: 1
        }));
        assert!(!is_postgres_of(std::process::id(), Path::new("/")));
    }

    #[test]
    fn reaping_removes_only_marked_directories_of_dead_owners() {
        let root = tempfile::tempdir().expect("tempdir");
        let dead = root.path().join("rewind-sandbox-pg-1-dead");
        let mine = root.path().join("rewind-sandbox-pg-2-mine");
        let unmarked = root.path().join("rewind-sandbox-pg-3-unmarked");
        let other = root.path().join("someone-else");
        for dir in [&dead, &mine, &unmarked, &other] {
            std::fs::create_dir(dir).expect("mkdir");
        }
        std::fs::write(dead.join(OWNER_FILE), format!("{} 1\n", u32::MAX - 1)).expect("write");
        std::fs::write(other.join(OWNER_FILE), format!("{} 1\n", u32::MAX - 1)).expect("write");
        mark(&mine).expect("mark");
        let reaped = reap(root.path());
        assert_eq!(reaped.len(), 1, "{reaped:?}");
        assert!(!dead.exists());
        assert!(mine.exists() && unmarked.exists() && other.exists());
    }
}
