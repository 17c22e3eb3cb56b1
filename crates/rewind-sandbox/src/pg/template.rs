//! One `initdb` per process, not one per cluster. A process that starts a
//! single cluster (`rewind drill`, `rewind sandbox serve`) runs `initdb`
//! into that cluster's directory as it always did. From the second cluster
//! a process starts (test suites start dozens, each `initdb` taking a
//! second or more), a template data directory is made once with `initdb`
//! and each new cluster copies it (`cp -a`), then gets its own superuser
//! password.
//!
//! The template belongs to the process and goes with it: a small `sh`
//! started beside it waits for the end of a pipe only this process holds
//! (its write end is close-on-exec, so no program the process starts keeps
//! it open) and deletes the template when the pipe closes, which the kernel
//! does however the process ends, a panic or SIGKILL included. The `sh`
//! ignores SIGINT, SIGTERM and SIGHUP, so that a Ctrl-C sent to the whole
//! process group (a `cargo test` interrupted) does not stop it before it
//! has cleaned. Should even that fail (the `sh` killed with SIGKILL), the
//! template holds an owner file like every sandbox directory, and the next
//! sandbox started on that temporary root reaps it (`tmp.rs`).
//!
//! Where: the process's temporary root (`REWIND_SANDBOX_TMPDIR`, else the
//! system's; as root, `/tmp`, which `nobody` can reach), never a sandbox's
//! configured `temp_dir`: that one may be a test's own directory, deleted
//! when the test ends while the template still serves other tests.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

use crate::pg::binaries::Binaries;
use crate::pg::cluster::{initdb, make_named_dir, remove_quietly};
use crate::pg::run::Runner;
use crate::time::new_id;

/// The template's data directory and the superuser password it was made
/// with, which a copy must replace with its own.
pub(super) struct Copyable {
    pub data: PathBuf,
    pub password: String,
}

struct Template {
    /// Which `initdb` made it: a cluster run by other binaries does not
    /// copy it.
    initdb: PathBuf,
    data: PathBuf,
    password: String,
    /// The cleaning `sh`, never waited for: its stdin is never written
    /// nor closed while the process lives, and its end tells the `sh` to
    /// delete the template.
    _cleaner: Child,
}

/// What this process has: how many clusters it started, its template once
/// made, or why it could not be made (then every cluster runs `initdb`).
struct Process {
    clusters: usize,
    template: Option<Result<Template, String>>,
}

static PROCESS: Mutex<Process> = Mutex::new(Process {
    clusters: 0,
    template: None,
});

/// What the cluster about to be made starts from: `None` for an `initdb`
/// of its own (the process's first cluster, other binaries than the
/// template's, or no template could be made), else the template to copy.
/// Making the template holds the lock, so clusters started meanwhile wait
/// for it instead of running `initdb` beside it.
pub(super) fn for_next_cluster(bins: &Binaries) -> Option<Copyable> {
    let mut process = PROCESS.lock().unwrap_or_else(|e| e.into_inner());
    process.clusters += 1;
    if process.clusters == 1 {
        return None;
    }
    let template = process.template.get_or_insert_with(|| {
        make(bins).inspect_err(|e| {
            crate::say!("rewind-sandbox: each PostgreSQL cluster runs initdb: {e}");
        })
    });
    match template {
        Ok(t) if t.initdb == bins.initdb => Some(Copyable {
            data: t.data.clone(),
            password: t.password.clone(),
        }),
        _ => None,
    }
}

/// Makes the template: its directory, the `sh` that deletes it when the
/// process ends, then `initdb`.
fn make(bins: &Binaries) -> Result<Template, String> {
    let (dir, user) = make_named_dir(&crate::tmp::root(None), "pgtemplate")?;
    let cleaner = match delete_at_exit(&dir) {
        Ok(cleaner) => cleaner,
        Err(e) => {
            remove_quietly(&dir);
            return Err(e);
        }
    };
    // From here on, a failure leaves the directory to the `sh`, which
    // deletes it when the process ends.
    let password = format!("{}{}", new_id(), new_id());
    let runner = Runner::new(user, dir.clone(), password.clone());
    let data = dir.join("data");
    initdb(&runner, bins, &dir, &data, &password)?;
    Ok(Template {
        initdb: bins.initdb.clone(),
        data,
        password,
        _cleaner: cleaner,
    })
}

/// Starts the `sh` that deletes `dir` once its stdin closes.
fn delete_at_exit(dir: &Path) -> Result<Child, String> {
    Command::new("sh")
        .args([
            "-c",
            "trap '' INT TERM HUP; cat >/dev/null; rm -rf -- \"$1\"",
            "rewind-sandbox-cleaner",
        ])
        .arg(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir("/")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the sh that deletes the template cluster: {e}"))
}
