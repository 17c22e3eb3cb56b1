//! Running PostgreSQL's programs for the sandbox's cluster: always in a
//! clean environment (no `PG*` variable of the caller can point them at
//! another server), the password only in `PGPASSWORD` (never in argv), and,
//! when the sandbox runs as root, as an unprivileged user, because the
//! server refuses to run as root. Client programs run as that user too, so
//! that every file they write (base backups, copies of the data directory)
//! belongs to the server's user.

use std::io::Write;
use std::os::unix::fs::chown;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Who runs the programs, where, and with which password.
#[derive(Debug, Clone)]
pub struct Runner {
    /// `(uid, gid)` to switch to, when the sandbox runs as root.
    user: Option<(u32, u32)>,
    /// Working directory and `HOME` of every program: the cluster's own
    /// directory, which the unprivileged user can enter.
    home: PathBuf,
    password: String,
}

impl Runner {
    pub fn new(user: Option<(u32, u32)>, home: PathBuf, password: String) -> Runner {
        Runner {
            user,
            home,
            password,
        }
    }

    /// The same user and directory, with another password.
    pub fn with_password(&self, password: &str) -> Runner {
        Runner {
            password: password.to_string(),
            ..self.clone()
        }
    }

    /// Makes `path` belong to the user the programs run as, so that they
    /// can read what the sandbox wrote for them.
    pub fn give(&self, path: &Path) -> Result<(), String> {
        match self.user {
            Some((uid, gid)) => chown(path, Some(uid), Some(gid))
                .map_err(|e| format!("cannot hand {} to uid {uid}: {e}", path.display())),
            None => Ok(()),
        }
    }

    /// A command for `program`, with the environment described above.
    pub fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("LC_ALL", "C")
            .env("PGTZ", "UTC")
            .env("PGCONNECT_TIMEOUT", "5")
            .env("PGPASSWORD", &self.password)
            .current_dir(&self.home)
            .stdin(Stdio::null());
        if let Some((uid, gid)) = self.user {
            // std drops the supplementary groups too when it switches away
            // from root, so the child keeps none of root's privileges.
            command.uid(uid).gid(gid);
        }
        command
    }

    /// Runs a command to its end; `what` names it in the error, which
    /// carries the program's own message.
    pub fn run(&self, mut command: Command, what: &str) -> Result<Vec<u8>, String> {
        let output = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("cannot {what}: cannot run {:?}: {e}", command.get_program()))?;
        checked(output, what)
    }

    /// Runs a command with `input` on its standard input.
    pub fn run_with_input(
        &self,
        mut command: Command,
        input: &[u8],
        what: &str,
    ) -> Result<Vec<u8>, String> {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot {what}: cannot run {:?}: {e}", command.get_program()))?;
        // Written from another thread: a program that answers while it
        // still reads must not block on a full pipe.
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let input = input.to_vec();
        let writer = std::thread::spawn(move || stdin.write_all(&input));
        let output = child
            .wait_with_output()
            .map_err(|e| format!("cannot {what}: {e}"))?;
        let written = writer.join();
        let output = checked(output, what)?;
        match written {
            Ok(Ok(())) => Ok(output),
            Ok(Err(e)) => Err(format!("cannot {what}: cannot send the input: {e}")),
            Err(_) => Err(format!("cannot {what}: the input writer panicked")),
        }
    }
}

fn checked(output: Output, what: &str) -> Result<Vec<u8>, String> {
    if output.status.success() {
        return Ok(output.stdout);
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let said = [stderr.trim(), stdout.trim()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    Err(format!("cannot {what} ({}): {said}", output.status))
}

/// The unprivileged user to run as when the sandbox is root: `nobody`,
/// read from `/etc/passwd`.
pub fn unprivileged_user() -> Result<(u32, u32), String> {
    let passwd = std::fs::read_to_string("/etc/passwd")
        .map_err(|e| format!("cannot read /etc/passwd to find the user `nobody`: {e}"))?;
    passwd
        .lines()
        .find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.first() != Some(&"nobody") || fields.len() < 4 {
                return None;
            }
            Some((fields[2].parse().ok()?, fields[3].parse().ok()?))
        })
        .ok_or_else(|| {
            "PostgreSQL refuses to run as root, and there is no user `nobody` in /etc/passwd to run it as".to_string()
        })
}
