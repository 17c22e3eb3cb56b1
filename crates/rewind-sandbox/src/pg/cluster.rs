//! One throwaway PostgreSQL cluster: made with `initdb` (or copied from
//! the process's template, `template.rs`) in its own temporary directory,
//! listening on 127.0.0.1 only (its socket inside that directory),
//! archiving its WAL so that it can be recovered to a moment, and stopped
//! and deleted with the value that owns it.
//!
//! Layout of the directory: `data/` (the server's), `base/` (the latest
//! base backup), `archive/` (archived WAL), `sock/`, `server.log`.

use std::collections::HashSet;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::pg::binaries::Binaries;
use crate::pg::run::{Runner, unprivileged_user};
use crate::pg::template::{self, Copyable};
use crate::time::{Timestamp, new_id, now};

/// The superuser the sandbox's connection URLs name.
pub const USER: &str = "rewind";

/// How many free ports to try when another process takes the one picked
/// between choosing it and the server binding it.
const PORT_TRIES: usize = 5;

/// A running cluster. Dropping it stops the server and deletes its files.
pub struct Cluster {
    pub(super) dir: PathBuf,
    pub(super) port: AtomicU16,
    pub(super) password: String,
    pub(super) bins: Binaries,
    pub(super) runner: Runner,
    /// Serialises everything that talks to the server or changes its life
    /// (a restore stops it and replaces its data directory).
    pub(super) life: Mutex<Life>,
}

/// What the lock in `Cluster` guards.
pub(super) struct Life {
    pub running: bool,
    /// When the latest base backup ended: the earliest moment the cluster
    /// can be recovered to.
    pub base_backup_at: Timestamp,
    /// Databases known to exist (a restore may remove any of them).
    pub databases: HashSet<String>,
}

impl Cluster {
    /// Creates, configures and starts a cluster, creates `databases` in it,
    /// and takes the first base backup (so that they exist at every moment
    /// the cluster can be recovered to).
    /// `root` is the temporary root the cluster's directory goes in.
    pub fn start(bins: Binaries, databases: &[String], root: &Path) -> Result<Cluster, String> {
        let (dir, user) = make_dir(root)?;
        let password = format!("{}{}", new_id(), new_id());
        let cluster = Cluster {
            runner: Runner::new(user, dir.clone(), password.clone()),
            dir,
            port: AtomicU16::new(0),
            password,
            bins,
            life: Mutex::new(Life {
                running: false,
                base_backup_at: now(),
                databases: HashSet::new(),
            }),
        };
        // From here on, a failure drops `cluster`, which stops the server
        // and deletes the directory.
        let copied = cluster.init()?;
        let mut life = cluster.lock();
        cluster.start_on_a_free_port(&mut life)?;
        if let Some(template_password) = copied {
            cluster.take_own_password(&life, &template_password)?;
        }
        for name in databases {
            cluster.ensure_database(&mut life, name)?;
        }
        cluster.take_base_backup(&mut life)?;
        drop(life);
        Ok(cluster)
    }

    pub fn port(&self) -> u16 {
        self.port.load(Ordering::SeqCst)
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, Life> {
        self.life.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The data directory, from `initdb` with a password for the
    /// superuser or copied from the process's template, then the settings
    /// the sandbox needs appended to `postgresql.conf`. Returns the
    /// template's password when the data was copied: the server must be
    /// told its own before anyone else connects.
    fn init(&self) -> Result<Option<String>, String> {
        let copied = match template::for_next_cluster(&self.bins) {
            Some(template) => {
                self.copy(&template)?;
                Some(template.password)
            }
            None => {
                initdb(
                    &self.runner,
                    &self.bins,
                    &self.dir,
                    &self.path("data"),
                    &self.password,
                )?;
                None
            }
        };
        for sub in ["archive", "sock"] {
            let path = self.path(sub);
            std::fs::create_dir(&path)
                .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
            self.runner.give(&path)?;
        }
        let conf = self.path("data").join("postgresql.conf");
        append(&conf, &self.settings()?)?;
        Ok(copied)
    }

    /// Copies the template's data directory, as the server's user, modes
    /// kept (the server refuses a data directory others can read).
    fn copy(&self, template: &Copyable) -> Result<(), String> {
        let mut cp = self.runner.command(Path::new("cp"));
        cp.arg("-a").arg(&template.data).arg(self.path("data"));
        self.runner
            .run(cp, "copy the template PostgreSQL cluster")
            .map(|_| ())
    }

    /// Replaces the superuser password the template was made with by this
    /// cluster's own, connecting with the template's. The new one goes on
    /// psql's standard input, never in its arguments.
    fn take_own_password(&self, life: &Life, template_password: &str) -> Result<(), String> {
        let runner = self.runner.with_password(template_password);
        let sql = format!(
            "alter role {USER} password {};",
            super::data::literal(&self.password)?
        );
        self.query_as(&runner, life, "postgres", &sql)
            .map(|_| ())
            .map_err(|e| format!("cannot give the PostgreSQL cluster its own password: {e}"))
    }

    /// The settings the sandbox adds to `postgresql.conf`, naming this
    /// cluster's own socket and archive directories.
    pub(super) fn settings(&self) -> Result<String, String> {
        let archive = quoted_path(&self.path("archive"))?;
        let sock = quoted_path(&self.path("sock"))?;
        Ok(format!(
            "\n# rewind-sandbox\n\
             listen_addresses = '127.0.0.1'\n\
             unix_socket_directories = '{sock}'\n\
             wal_level = replica\n\
             archive_mode = on\n\
             archive_command = 'test ! -f {archive}/%f && cp %p {archive}/%f.part && mv {archive}/%f.part {archive}/%f'\n\
             archive_timeout = 5\n\
             fsync = off\n\
             shared_buffers = 16MB\n\
             max_connections = 30\n\
             timezone = 'UTC'\n\
             include_if_exists = '{RECOVERY_FILE}'\n"
        ))
    }

    pub(super) fn start_on_a_free_port(&self, life: &mut Life) -> Result<(), String> {
        let mut last = String::new();
        for _ in 0..PORT_TRIES {
            let port = free_port()?;
            self.port.store(port, Ordering::SeqCst);
            match self.start_server(life) {
                Ok(()) => return Ok(()),
                Err(e) if e.contains("could not bind") || e.contains("already in use") => last = e,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    /// `pg_ctl start`, waiting until the server accepts connections.
    pub(super) fn start_server(&self, life: &mut Life) -> Result<(), String> {
        let mut pg_ctl = self.runner.command(&self.bins.pg_ctl);
        pg_ctl
            .arg("start")
            .arg("--pgdata")
            .arg(self.path("data"))
            .arg("--log")
            .arg(self.path("server.log"))
            .args(["--wait", "--timeout", "60"])
            .arg(format!("--options=-p {}", self.port()));
        self.run_pg_ctl(pg_ctl, "start the PostgreSQL server")?;
        life.running = true;
        Ok(())
    }

    /// `pg_ctl stop -m fast`, waiting until it is down.
    pub(super) fn stop_server(&self, life: &mut Life) -> Result<(), String> {
        if !life.running {
            return Ok(());
        }
        let mut pg_ctl = self.runner.command(&self.bins.pg_ctl);
        pg_ctl
            .arg("stop")
            .arg("--pgdata")
            .arg(self.path("data"))
            .args(["--mode", "fast", "--wait", "--timeout", "30"]);
        self.run_pg_ctl(pg_ctl, "stop the PostgreSQL server")?;
        life.running = false;
        Ok(())
    }

    /// pg_ctl's output goes to a file, not a pipe: the server it starts
    /// would inherit a pipe and keep it open, and reading it would never
    /// end.
    fn run_pg_ctl(&self, mut pg_ctl: std::process::Command, what: &str) -> Result<(), String> {
        let out_path = self.path("pg_ctl.out");
        let out = std::fs::File::create(&out_path)
            .map_err(|e| format!("cannot {what}: cannot create {}: {e}", out_path.display()))?;
        let err = out.try_clone().map_err(|e| format!("cannot {what}: {e}"))?;
        let status = pg_ctl
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .status()
            .map_err(|e| format!("cannot {what}: cannot run pg_ctl: {e}"))?;
        if status.success() {
            return Ok(());
        }
        let said = std::fs::read_to_string(&out_path).unwrap_or_default();
        Err(format!(
            "cannot {what} (pg_ctl {status}): {}\nserver log:\n{}",
            said.trim(),
            self.log_tail()
        ))
    }

    /// The end of the server's log, for error messages.
    pub(super) fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.path("server.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(12)..].join("\n")
    }

    /// Stops the server and deletes the directory; later calls do nothing.
    pub fn shutdown(&self) {
        let mut life = self.lock();
        if let Err(e) = self.stop_server(&mut life) {
            crate::say!("rewind-sandbox: {e}");
        }
        if self.dir.exists()
            && let Err(e) = std::fs::remove_dir_all(&self.dir)
        {
            crate::say!(
                "rewind-sandbox: cannot delete the PostgreSQL directory {}: {e}",
                self.dir.display()
            );
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl std::fmt::Debug for Cluster {
    // The password is left out on purpose.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("dir", &self.dir)
            .field("port", &self.port())
            .finish_non_exhaustive()
    }
}

/// The file `postgresql.conf` includes when it exists: the recovery
/// settings of a restore in progress.
pub(super) const RECOVERY_FILE: &str = "rewind_recovery.conf";

/// A fresh directory the server's user owns, under `root`, marked with
/// the sandbox's owner file (so that a sandbox killed with SIGKILL leaves a
/// cluster the next one can reap). As root, it is under `/tmp` unless
/// `root` is, since `nobody` must be able to reach it.
pub(super) fn make_dir(root: &Path) -> Result<(PathBuf, Option<(u32, u32)>), String> {
    make_named_dir(root, "pg")
}

/// As `make_dir`, the name saying what the directory is for (`pg`,
/// `pgtemplate`).
pub(super) fn make_named_dir(
    root: &Path,
    kind: &str,
) -> Result<(PathBuf, Option<(u32, u32)>), String> {
    let name = format!(
        "{}{kind}-{}-{}",
        crate::tmp::PREFIX,
        std::process::id(),
        &new_id()[..12]
    );
    let probe = root.join(&name);
    std::fs::create_dir(&probe).map_err(|e| format!("cannot create {}: {e}", probe.display()))?;
    let root = std::fs::metadata(&probe)
        .map(|m| m.uid() == 0)
        .unwrap_or(false);
    let dir = if root && !probe.starts_with("/tmp") {
        let _ = std::fs::remove_dir(&probe);
        let dir = Path::new("/tmp").join(&name);
        std::fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        dir
    } else {
        probe
    };
    let set_up = || -> Result<Option<(u32, u32)>, String> {
        crate::tmp::mark(&dir)?;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("cannot restrict {}: {e}", dir.display()))?;
        if !root {
            return Ok(None);
        }
        let user = unprivileged_user()?;
        Runner::new(Some(user), dir.clone(), String::new()).give(&dir)?;
        Ok(Some(user))
    };
    match set_up() {
        Ok(user) => Ok((dir, user)),
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            Err(e)
        }
    }
}

/// Deletes a directory being given up on; what is left the reaper finds.
pub(super) fn remove_quietly(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
}

/// `initdb` into `data` with `password` for the superuser, the password
/// file written in `dir` (the server's user's) and removed at once.
pub(super) fn initdb(
    runner: &Runner,
    bins: &Binaries,
    dir: &Path,
    data: &Path,
    password: &str,
) -> Result<(), String> {
    let pwfile = dir.join("pwfile");
    write_private(&pwfile, password.as_bytes())?;
    runner.give(&pwfile)?;
    let mut initdb = runner.command(&bins.initdb);
    initdb
        .arg("--pgdata")
        .arg(data)
        .args(["--username", USER, "--auth", "scram-sha-256"])
        .arg(format!("--pwfile={}", pwfile.display()))
        .args(["--encoding", "UTF8", "--locale", "C"])
        // Small WAL segments: every forced switch archives 1 MB, not 16.
        .args(["--wal-segsize", "1", "--no-sync"]);
    let done = runner.run(initdb, "create the PostgreSQL cluster (initdb)");
    let _ = std::fs::remove_file(&pwfile);
    done.map(|_| ())
}

/// A port free right now on 127.0.0.1 (the listener is closed at once so
/// that the server can take it).
pub(super) fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("cannot find a free port on 127.0.0.1 for PostgreSQL: {e}"))
}

/// A path as it can stand inside a single-quoted setting and a shell
/// command.
pub(super) fn quoted_path(path: &Path) -> Result<String, String> {
    let text = path.to_string_lossy();
    if text.contains(['\'', '%', '"', '\\', ' ']) {
        return Err(format!(
            "the PostgreSQL directory {text} has a character its settings cannot quote"
        ));
    }
    Ok(text.into_owned())
}

pub(super) fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

pub(super) fn append(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
