//! Keeping a cluster for later, and starting from what was kept: what the
//! drill's replay needs. A snapshot holds the latest base backup, the
//! archived WAL up to the moment it is taken, the moment the base backup
//! ended and the superuser's password (the base backup's own). A cluster
//! started from it replays every archived write, so it holds the databases
//! as they were when the snapshot was taken, and it can still be recovered
//! to any moment since that base backup: a restore "before the bad deploy"
//! works in the replay as it did in the drill.

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU16, Ordering};

use serde::{Deserialize, Serialize};

use crate::pg::binaries::Binaries;
use crate::pg::cluster::{
    Cluster, Life, RECOVERY_FILE, append, free_port, make_dir, write_private,
};
use crate::pg::run::Runner;
use crate::time::Timestamp;

/// The snapshot's description, beside `base/` and `archive/`.
const META: &str = "snapshot.json";

#[derive(Serialize, Deserialize)]
struct Meta {
    base_backup_at: Timestamp,
    /// The superuser's password: the base backup holds its hash. A
    /// throwaway sandbox credential, kept in a file only the user reads.
    password: String,
}

impl Cluster {
    /// Copies the base backup and every write archived so far into `dir`
    /// (replaced if it exists).
    pub fn keep(&self, dir: &Path) -> Result<(), String> {
        let mut life = self.lock();
        if !life.running {
            return Err("the PostgreSQL server is not running".to_string());
        }
        self.archive_everything(&mut life)?;
        if dir.exists() {
            std::fs::remove_dir_all(dir)
                .map_err(|e| format!("cannot replace {}: {e}", dir.display()))?;
        }
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        for sub in ["base", "archive"] {
            copy_tree(&self.path(sub), &dir.join(sub))?;
        }
        let meta = Meta {
            base_backup_at: life.base_backup_at,
            password: self.password.clone(),
        };
        let text = serde_json::to_vec_pretty(&meta).map_err(|e| e.to_string())?;
        write_private(&dir.join(META), &text)
    }

    /// A cluster holding what `snapshot` kept, recovered to its end, with
    /// `databases` created if they are missing.
    pub fn start_from(
        bins: Binaries,
        snapshot: &Path,
        databases: &[String],
        root: &Path,
    ) -> Result<Cluster, String> {
        let unreadable = |why: String| {
            format!(
                "the PostgreSQL snapshot {} cannot be used ({why}); it is the directory `rewind drill --keep` writes",
                snapshot.display()
            )
        };
        let text = std::fs::read(snapshot.join(META)).map_err(|e| unreadable(e.to_string()))?;
        let meta: Meta = serde_json::from_slice(&text).map_err(|e| unreadable(e.to_string()))?;
        for sub in ["base", "archive"] {
            if !snapshot.join(sub).is_dir() {
                return Err(unreadable(format!("no {sub}/")));
            }
        }
        let (dir, user) = make_dir(root)?;
        let cluster = Cluster {
            runner: Runner::new(user, dir.clone(), meta.password.clone()),
            dir,
            port: AtomicU16::new(0),
            password: meta.password,
            bins,
            life: Mutex::new(Life {
                running: false,
                base_backup_at: meta.base_backup_at,
                databases: HashSet::new(),
            }),
        };
        // From here on, a failure drops `cluster`, which stops the server
        // and deletes the directory.
        for sub in ["base", "archive"] {
            copy_tree(&snapshot.join(sub), &cluster.path(sub))?;
        }
        let sock = cluster.path("sock");
        std::fs::create_dir(&sock).map_err(|e| format!("cannot create {}: {e}", sock.display()))?;
        if let Some((uid, gid)) = user {
            let mut chown = Command::new("chown");
            chown
                .arg("-R")
                .arg(format!("{uid}:{gid}"))
                .arg(&cluster.dir);
            run(chown, "hand the PostgreSQL snapshot to its server's user")?;
        }
        // The kept settings name the old directory's socket and archive:
        // the lines added last win.
        append(
            &cluster.path("base").join("postgresql.conf"),
            &cluster.settings()?,
        )?;
        cluster.port.store(free_port()?, Ordering::SeqCst);
        let mut life = cluster.lock();
        cluster.recover(&mut life, None)?;
        let _ = std::fs::remove_file(cluster.path("data").join(RECOVERY_FILE));
        for name in databases {
            cluster.ensure_database(&mut life, name)?;
        }
        drop(life);
        Ok(cluster)
    }
}

/// `cp -a`: ownership and modes kept, as the server needs them.
fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    let mut cp = Command::new("cp");
    cp.arg("-a").arg(from).arg(to);
    run(cp, &format!("copy {}", from.display()))
}

fn run(mut command: Command, what: &str) -> Result<(), String> {
    let out = command
        .output()
        .map_err(|e| format!("cannot {what}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "cannot {what}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}
